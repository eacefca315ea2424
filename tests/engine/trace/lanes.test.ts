/**
 * Tag lanes and staleness computed by the engine (trace/lanes.ts) are what the UI showed
 * before, when src/store/tagLanes.ts computed them itself: same lanes, same consults, same
 * stale-from steps, and the same stale answer for every tag and flag at every step.
 */
import { describe, expect, it } from "vitest";
import { M_FLAGS, computeTagLanes, flagIsStale, tagIsStale } from "../../../src/engine";
import * as before from "../../../src/store/tagLanes";
import { BUILTIN_NAMES, FIX_IDS, traceOf } from "../../helpers/trace";

const runs = [
  ...BUILTIN_NAMES.map((n) => [n, [], undefined] as const),
  ...FIX_IDS.map((f) => ["lo0-esp-ping", [f], undefined] as const),
  ["lo0-esp-ping", [], "freebsd-7"] as const,
];

describe("engine tag lanes", () => {
  for (const [name, fixes, personality] of runs) {
    it(`equal the UI's former lanes in ${name} ${fixes.join(",")} ${personality ?? ""}`, () => {
      const t = traceOf(name, { fixes, ...(personality ? { personality } : {}) });
      const engine = computeTagLanes(t.events);
      const ui = before.computeTagLanes(t.events);
      expect(engine.lanes).toEqual(ui.lanes);
      expect([...engine.staleFlags]).toEqual([...ui.staleFlags]);
      expect(engine.lanes.length).toBeGreaterThan(name === "lo0-ping" ? -1 : 0);
      for (const e of t.events) {
        const v = e.packet >= 0 ? t.packets[e.packet]! : null;
        for (const tag of v?.tags ?? []) expect(tagIsStale(engine, v, tag.uid, e.seq)).toBe(before.tagIsStale(ui, v, tag.uid, e.seq));
        for (const f of M_FLAGS) expect(flagIsStale(engine, v, e.chain, f, e.seq)).toBe(before.flagIsStale(ui, v, e.chain, f, e.seq));
      }
    });
  }
});
