import { describe, expect, it } from "vitest";
import type { LinkInfo } from "../../../src/engine/index";
import {
  layoutStack,
  placeCard,
  slotOf,
  slotRect,
  STACK_ROWS,
  type HostInfo,
  type Rect,
  type SlotId,
  type StackPlan,
} from "../../../src/ui/stack/stackLayout";

const SLOTS: readonly SlotId[] = [...STACK_ROWS.map((r) => r.id), "ipintrq", "crypto"];
const one: HostInfo[] = [{ name: "host", ifaces: [], loopback: true }];
const two: HostInfo[] = [
  { name: "gw-a", ifaces: ["em0", "em1"], loopback: false },
  { name: "gw-b", ifaces: ["em0", "em1"], loopback: false },
];
const net0: LinkInfo[] = [{ id: "net0", kind: "p2p", ends: ["gw-a:em0", "gw-b:em0"] }];

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (r: Rect, plan: StackPlan) => r.x >= 0 && r.y >= 0 && r.x + r.width <= plan.width && r.y + r.height <= plan.height;

function slotsOf(plan: StackPlan): Rect[] {
  return plan.hosts.flatMap((h) => SLOTS.map((s) => slotRect(h, s)));
}

describe("layoutStack", () => {
  for (const [w, h] of [
    [800, 430],
    [1260, 560],
    [560, 300],
  ] as const) {
    it(`keeps every box of one host inside ${w}×${h}, without overlaps, top to bottom`, () => {
      const plan = layoutStack(one, [], { width: w, height: h });
      const rects = slotsOf(plan);
      for (const r of rects) expect(inside(r, plan)).toBe(true);
      for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlaps(rects[i]!, rects[j]!)).toBe(false);
      const ys = ["app", "icmp", "ip", "ipintrq", "ipsec", "crypto", "if", "link"].map((s) => slotRect(plan.hosts[0]!, s as SlotId).y);
      expect([...ys].sort((a, b) => a - b)).toEqual(ys);
      for (const r of rects) expect(r.height).toBeGreaterThanOrEqual(18);
    });
  }

  it("puts the card lane beside a single column, clear of it, and draws lo0's loop", () => {
    const plan = layoutStack(one, [], { width: 800, height: 430 });
    const host = plan.hosts[0]!;
    expect(host.cardSide).toBe("right");
    expect(host.lane.x).toBeGreaterThanOrEqual(host.rows.ip.x + host.rows.ip.width);
    expect(host.lane.x + host.lane.width).toBeLessThanOrEqual(plan.width);
    expect(plan.cardWidth).toBeLessThan(host.lane.width);
    expect(host.loopback?.d).toMatch(/^M/);
    expect(layoutStack([{ ...one[0]!, loopback: false }], [], { width: 800, height: 430 }).hosts[0]!.loopback).toBeNull();
  });

  it("lays two hosts out as columns around one shared lane, joined by their wire", () => {
    const plan = layoutStack(two, net0, { width: 800, height: 430 });
    const [a, b] = plan.hosts;
    expect(a!.cardSide).toBe("right");
    expect(b!.cardSide).toBe("left");
    expect(a!.lane).toEqual(b!.lane);
    expect(overlaps(a!.frame, b!.frame)).toBe(false);
    expect(a!.rows.link.x + a!.rows.link.width).toBeLessThanOrEqual(a!.lane.x);
    expect(b!.rows.link.x).toBeGreaterThanOrEqual(b!.lane.x + b!.lane.width);
    expect(plan.wires).toHaveLength(1);
    expect(plan.wires[0]).toMatchObject({ id: "net0", label: "net0" });
    expect(plan.wires[0]!.d).toMatch(/^M/);
    expect(plan.hostIndex.get("gw-b")).toBe(1);
  });

  it("is a pure function of hosts, links and size", () => {
    const a = layoutStack(two, net0, { width: 900, height: 500 });
    const b = layoutStack(
      two.map((h) => ({ ...h })),
      [...net0],
      { width: 900, height: 500 },
    );
    expect(b).toEqual(a);
  });

  it("survives degenerate input: no hosts, tiny panes, a link to nowhere", () => {
    expect(layoutStack([], [], { width: 0, height: 0 }).hosts).toEqual([]);
    const plan = layoutStack(one, [{ id: "x", kind: "p2p", ends: ["host:em0", "nowhere:em0"] }], { width: 10, height: 10 });
    expect(plan.wires).toEqual([]);
    expect(plan.width).toBeGreaterThan(10);
  });
});

describe("slotOf", () => {
  it("puts a packet in its layer's row, or in the queue it waits on", () => {
    expect(slotOf({ layer: "ip", kind: "decision" })).toBe("ip");
    expect(slotOf({ layer: "if", kind: "queue.enqueue", queue: "ipintrq" })).toBe("ipintrq");
    expect(slotOf({ layer: "ipsec", kind: "queue.enqueue", queue: "ipintrq" })).toBe("ipintrq");
    expect(slotOf({ layer: "crypto", kind: "crypto.submit" })).toBe("crypto");
    expect(slotOf({ layer: "link", kind: "link.tx" })).toBe("link");
    expect(slotOf({ layer: "app", kind: "app.send" })).toBe("app");
  });
});

describe("placeCard", () => {
  it("keeps the card in the lane and inside the pane for every slot, pointing at the slot", () => {
    for (const hosts of [one, two]) {
      const plan = layoutStack(hosts, hosts === two ? net0 : [], { width: 800, height: 430 });
      for (const host of plan.hosts) {
        for (const slot of SLOTS) {
          for (const height of [60, 180, 260]) {
            const p = placeCard(plan, host, slot, height);
            const r = slotRect(host, slot);
            expect(p.y).toBeGreaterThanOrEqual(0);
            expect(p.y + height).toBeLessThanOrEqual(plan.height);
            expect(p.x).toBeGreaterThanOrEqual(host.lane.x);
            expect(p.x + plan.cardWidth).toBeLessThanOrEqual(host.lane.x + host.lane.width);
            expect(p.target.y).toBe(r.y + r.height / 2);
            expect(p.target.x).toBe(host.cardSide === "right" ? r.x + r.width : r.x);
            expect(p.connector).toMatch(/^M/);
          }
        }
      }
    }
  });
});
