/**
 * Tag lanes and staleness computed by the engine (trace/lanes.ts). Until commit 8fbb808 this test
 * compared them with src/store/tagLanes.ts's own computation at every step of every run below
 * (identical: lanes, consults, stale-from steps, and every tag's and flag's stale answer); now the
 * store re-exports the engine's, so the test checks it is the same and what the lanes must say.
 */
import { describe, expect, it } from "vitest";
import { KIND_IDS, KINDS, marksOf, tagIsStale, tagLanes, type FixId } from "../../../src/engine";
import * as store from "../../../src/store/tagLanes";
import { BUILTIN_NAMES, sweepFixes, traceOf } from "../../helpers/trace";

const runs = [
  ...BUILTIN_NAMES.map((n) => [n, [], undefined] as const),
  ...sweepFixes("lo0-esp-ping").map((f) => ["lo0-esp-ping", [f], undefined] as const),
  ["lo0-esp-ping", [], "freebsd-7"] as const,
];

describe("engine tag lanes", () => {
  for (const [name, fixes, personality] of runs) {
    it(`are the lanes the UI reads in ${name} ${fixes.join(",")} ${personality ?? ""}`, () => {
      const t = traceOf(name, { fixes, ...(personality ? { personality } : {}) });
      const engine = tagLanes(t);
      expect(store.tagLanes(t)).toBe(engine);
      for (const l of engine.lanes) expect(l.end === null || l.end >= l.start).toBe(true);
      // A lane consulted while stale is stale from that step on, by the one staleness predicate.
      for (const l of engine.lanes)
        if (l.staleFrom !== null) {
          const e = t.events.at(l.staleFrom)!;
          expect(tagIsStale(engine, e.packet >= 0 ? t.packets.at(e.packet)! : null, l.uid, l.staleFrom)).toBe(true);
        }
    });
  }

  it("has the seed story's OUT_DONE consulted stale by the reply's loop check, and none stale with the fix", () => {
    const { lanes } = tagLanes(traceOf("lo0-esp-ping"));
    const out = lanes.find((l) => l.tag.name === "IPSEC_OUT_DONE")!;
    expect(out.staleFrom).not.toBeNull();
    expect(out.consults.some((c) => c.check === "ipsec-loop" && c.stale)).toBe(true);
    const fixed = tagLanes(traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] }));
    expect(fixed.lanes.every((l) => l.staleFrom === null)).toBe(true);
  });
});

describe("the kinds table's tag and flag effects (KindSpec.marks)", () => {
  // lanes.ts and the card's badges (ui/stack/cardLayout.ts) read only `marks`: a tag verb without
  // one would be invisible to both. m_tag_get allocates a tag not yet on any packet: no effect.
  it("is given for every kind that puts a tag on a packet, takes one off, or sets a flag", () => {
    const touching = KIND_IDS.filter((k) => /^(tag|flag)\./.test(k) && k !== "tag.get");
    expect(touching.filter((k) => KINDS[k].marks === undefined)).toEqual([]);
    expect(KINDS.decision.marks).toBeDefined();
  });

  const count = (fixes: readonly string[]) => {
    const trace = traceOf("lo0-esp-ping", { fixes: fixes as FixId[] });
    let entered = 0;
    let left = 0;
    let staleConsults = 0;
    for (const e of trace.events) {
      const m = marksOf(e);
      entered += m.enter?.length ?? 0;
      left += m.leave?.length ?? 0;
      staleConsults += (m.consult ?? []).filter((c) => c.stale).length;
    }
    const lanes = tagLanes(trace).lanes;
    expect(entered).toBe(lanes.length);
    expect(left).toBe(lanes.filter((l) => l.endReason !== null && l.endReason !== "freed").length);
    return { left, staleConsults };
  };

  it("says which tags enter and leave, and the stale consults, in the seed story", () => {
    // The bug: ip_output's loop check consults the request's stale OUT_DONE on the reply.
    expect(count([]).staleConsults).toBeGreaterThan(0);
    // The fix: icmp_reflect deletes the tags (m_tag_delete_chain), so some leave before the free.
    expect(count(["icmp-reflect-strips-tags"]).left).toBeGreaterThan(0);
  });
});
