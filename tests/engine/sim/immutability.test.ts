/**
 * A trace is a record, not a live view: once an event or packet version is recorded, nothing
 * the engine does afterwards may change it (the UI indexes into it to time-travel). Checked by
 * stopping a run early — its first N events are exactly what the full run had recorded at that
 * moment — and comparing with the same events at the end of the full run.
 */
import { describe, expect, it } from "vitest";
import { runScenario, type TraceEvent } from "../../../src/engine";
import { allConfigurations, builtinInput, validated } from "../../helpers/trace";

/** An event as JSON, without the field the known aliasing bug rewrites (see tag.test.ts). */
function frozen(e: TraceEvent): string {
  return JSON.stringify(e.kind === "tag.deleteNonpersistent" ? { ...e, kept: "(see tag.test.ts)" } : e);
}

describe("recorded events and packet versions never change afterwards", () => {
  it.each(allConfigurations())("$label", ({ name, personality, fixes }) => {
    const scenario = validated(builtinInput(name, { personality, fixes }));
    const full = runScenario(scenario);
    const n = full.events.length;
    const cuts = [...new Set([1, 2, 3, 5, 8].map((k) => Math.floor((n * k) / 9)).filter((c) => c > 0))];
    for (const cut of cuts) {
      // The schema's minimum is 100; the engine itself accepts any budget.
      const early = runScenario({ ...scenario, maxEvents: cut });
      expect(early.events).toHaveLength(cut + 1);
      for (let i = 0; i < cut; i++)
        expect(frozen(full.events.at(i)!), `event ${i} changed after it was recorded (cut at ${cut})`).toBe(frozen(early.events.at(i)!));
      const versions = early.events.slice(0, cut).reduce((m, e) => Math.max(m, e.packet), -1);
      expect(JSON.stringify(full.packets.slice(0, versions + 1))).toBe(JSON.stringify(early.packets.slice(0, versions + 1)));
    }
  });
});
