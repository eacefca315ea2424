/**
 * The stack view's layout for four to six hosts (issue 12): at 1280×720 the columns stay legible
 * and the plan scrolls (wider than the pane) instead of squeezing the card; at 1920×1080 four hosts
 * fit at once; columns and wire labels never overlap. Pure layout, no browser.
 */
import { describe, expect, it } from "vitest";
import { layoutStack, stackMinWidth, type HostInfo, type Rect } from "../../../src/ui/stack/stackLayout";
import { hostsOf } from "../../../src/ui/stepModel";
import { traceOf } from "../support";
import type { LinkInfo } from "../../../src/engine";

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
/** StackView's box for a pane: design 800×430, scaled up no further than the whole path fits. */
const box = (hosts: readonly HostInfo[], w: number, h: number) => {
  const scale = Math.max(1, Math.min(w / 800, h / 430, w / stackMinWidth(hosts)));
  return { width: w / scale, height: h / scale };
};
/** n hosts in a chain h0 — h1 — … with links net-0 … of MTU 1500. */
function chain(n: number): { hosts: HostInfo[]; links: LinkInfo[] } {
  const hosts = Array.from({ length: n }, (_, i) => ({ name: `h${i}`, ifaces: ["em0", "em1"], loopback: false }));
  const links = Array.from({ length: n - 1 }, (_, i) => ({ id: `net-${i}`, kind: "p2p" as const, ends: [`h${i}:em1`, `h${i + 1}:em0`], mtu: 1500 }));
  return { hosts, links };
}

describe("four to six hosts", () => {
  it("tcp-pmtu's four hosts scroll at the 1280×720 stack pane (790×320) with compact columns and a 200-px card", () => {
    const t = traceOf("tcp-pmtu");
    const hosts = hostsOf(t);
    const plan = layoutStack(hosts, t.links, box(hosts, 790, 320));
    expect(plan).toMatchObject({ scroll: true, compact: true, cardWidth: 200 });
    // Scrolling anyway, the columns take 176 px (stackMinWidth's 128 decides only whether to scroll),
    // so a thin row's decision pill has room for "◆ out em0" and "ip_output()" beside its label.
    expect(stackMinWidth(hosts)).toBe(2 * 12 + 4 * 128 + 3 * 220);
    expect(plan.width).toBe(2 * 12 + 4 * 176 + 3 * 220);
    const ip = plan.hosts[0]!.rows.ip;
    const pillRoom = ip.width - (12 + 2 * 10.4 + 10) - 8;
    expect(Math.floor(pillRoom / 9.7)).toBeGreaterThanOrEqual("tcp_output()".length);
    expect(plan.wires.map((w) => w.label)).toEqual(["net-a · MTU 1500", "net-m · MTU 1400", "net-b · MTU 1500"]);
  });

  it("fits all four at the 1920×1080 pane (1260×650) without scrolling", () => {
    const t = traceOf("tcp-pmtu");
    const hosts = hostsOf(t);
    const plan = layoutStack(hosts, t.links, box(hosts, 1260, 650));
    expect(plan.scroll).toBe(false);
    const last = plan.hosts.at(-1)!;
    expect(last.frame.x + last.frame.width).toBeLessThanOrEqual(plan.width);
  });

  it.each([4, 5, 6])("%i hosts: frames, lanes and wire labels never overlap (1280×720 and 1920×1080)", (n) => {
    const { hosts, links } = chain(n);
    for (const [w, h] of [
      [790, 320],
      [1260, 650],
    ] as const) {
      const plan = layoutStack(hosts, links, box(hosts, w, h));
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(overlaps(plan.hosts[i]!.frame, plan.hosts[j]!.frame)).toBe(false);
      // The card fits its lane, and a wire's label fits between the columns it joins.
      expect(plan.cardWidth).toBeGreaterThanOrEqual(200);
      plan.wires.forEach((wire, i) => {
        const room = plan.hosts[i + 1]!.rows.link.x - (plan.hosts[i]!.rows.link.x + plan.hosts[i]!.rows.link.width);
        const widest = Math.max(...(wire.lines ?? [wire.label]).map((s) => s.length * 9.8));
        expect(widest).toBeLessThanOrEqual(room);
      });
    }
  });

  it("three hosts keep the unscrolled layout they had", () => {
    const t = traceOf("routed-ping");
    const hosts = hostsOf(t);
    expect(layoutStack(hosts, t.links, box(hosts, 790, 320)).scroll).toBe(false);
  });
});
