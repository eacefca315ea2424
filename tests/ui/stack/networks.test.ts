/**
 * The app's pure kernels on the networks built-ins (issue 12): three hosts lay out without
 * overlapping at 1280×720 and 1920×1080 (after StackView's design-size scaling), and every step
 * of every new scenario — fragments, reassembly, ICMP errors, the link filter — has a packet card
 * and a slot. No browser: this is the layout, not a screenshot.
 */
import { describe, expect, it } from "vitest";
import { tagLanes } from "../../../src/store/tagLanes";
import { layoutCard } from "../../../src/ui/stack/cardLayout";
import { layoutStack, slotOf, slotRect, type Rect } from "../../../src/ui/stack/stackLayout";
import { hostsOf, packetModelAt } from "../../../src/ui/stepModel";
import { traceOf } from "../support";

const NAMES = ["routed-ping", "frag-esp", "pmtu-discovery", "pmtu-blackhole"];
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
/** StackView lays out at 800×430 and scales up (never down): the plan's size for a pane. */
const design = (w: number, h: number) => {
  const scale = Math.max(1, Math.min(w / 800, h / 430));
  return { width: w / scale, height: h / scale };
};

describe("the stack view on networks built-ins", () => {
  it.each(NAMES.flatMap((n) => [[n, 1280, 720] as const, [n, 1920, 1080] as const]))(
    "%s at %i×%i: host columns side by side, none overlapping",
    (name, w, h) => {
      const t = traceOf(name);
      const plan = layoutStack(hostsOf(t), t.links, design(w, h));
      expect(plan.hosts).toHaveLength(t.scenario.hosts.length);
      for (let i = 0; i < plan.hosts.length; i++)
        for (let j = i + 1; j < plan.hosts.length; j++) expect(overlaps(plan.hosts[i]!.frame, plan.hosts[j]!.frame)).toBe(false);
      for (const hp of plan.hosts) expect(hp.frame.x + hp.frame.width).toBeLessThanOrEqual(plan.width + 0.5);
      expect(plan.wires.map((x) => x.id)).toEqual(expect.arrayContaining(t.links.filter((l) => l.kind === "p2p").map((l) => l.id)));
    },
  );

  it("draws each link with its MTU: net-b carries at most 1400 bytes in the PMTU scenarios", () => {
    const t = traceOf("pmtu-blackhole");
    const plan = layoutStack(hostsOf(t), t.links, design(1280, 720));
    expect(plan.wires.map((x) => x.label)).toEqual(["net-a · MTU 1500", "net-b · MTU 1400"]);
  });

  it.each(NAMES)("%s: every step has a slot and a packet card", (name) => {
    const t = traceOf(name);
    const plan = layoutStack(hostsOf(t), t.links, design(1280, 720));
    const lanes = tagLanes(t);
    for (const e of t.events) {
      const hp = plan.hosts[plan.hostIndex.get(e.host)!]!;
      expect(slotRect(hp, slotOf(e))).toBeDefined();
      if (e.packet >= 0) expect(layoutCard(packetModelAt(t, e.seq), e, lanes, 280).bands.length).toBeGreaterThan(0);
    }
  });
});
