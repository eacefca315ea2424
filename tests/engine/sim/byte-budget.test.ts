/**
 * The byte budget (issue 16): a run stops once its trace holds `maxBytes` of packet data, with a
 * trace-limit drop that says how much the whole run would record, at the same step every time.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, runScenario } from "../../../src/engine";
import { builtinInput } from "../../helpers/trace";

function bigPing(count: number, size: number) {
  const s = structuredClone(builtinInput("lo0-ping")) as unknown as { traffic: { count: number; size: number }[] };
  for (const t of s.traffic) Object.assign(t, { count, size });
  const loaded = loadScenario(s);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join("; "));
  return loaded.scenario;
}

describe("byte budget", () => {
  it("stops a run of large echoes at its packet-data budget with a finding that names the sizes", { timeout: 30_000 }, () => {
    const budget = 1_000_000;
    const scenario = bigPing(200, 30_000);
    const trace = runScenario(scenario, { maxBytes: budget });
    const last = trace.events.at(-1)!;
    expect(last.kind).toBe("drop");
    expect(last.kind === "drop" && last.reason).toBe("trace-limit");
    expect(last.note).toMatch(/would record about \d+\.\d MB of packet data; the app holds 1\.0 MB/);
    expect(last.note).toMatch(/of 200 echoes sent/);
    expect(trace.outcome.findings.some((f) => f.id === "trace-limit")).toBe(true);
    // Checked before each event: at most a few versions' bytes past the budget.
    let recorded = 0;
    for (let i = 0; i < trace.packets.length; i++) recorded += trace.packets.at(i)!.hex.length / 2;
    expect(recorded).toBeGreaterThan(budget);
    expect(trace.events.length).toBeLessThan(runScenario(bigPing(200, 30_000), { maxEvents: 100_000 }).events.length);
    // Deterministic: the same step every run.
    expect(runScenario(scenario, { maxBytes: budget }).events.length).toBe(trace.events.length);
  });

  it("leaves a run under its budget untouched", () => {
    const scenario = bigPing(2, 56);
    expect(runScenario(scenario, { maxBytes: 1_000_000 }).events.length).toBe(runScenario(scenario).events.length);
  });
});
