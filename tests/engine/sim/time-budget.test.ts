/**
 * The virtual-time budget (issue 16): a run whose virtual clock passes its limit stops with a
 * trace-limit drop naming the time, on both stacks, at the same step every time — and no built-in
 * comes near the limit its traffic plan gives it (sim/run.ts, timeBudgetMicros).
 */
import { describe, expect, it } from "vitest";
import { loadScenario, runScenario, type ScenarioInput } from "../../../src/engine";
import { TIME_GRACE_MICROS, timeBudgetMicros } from "../../../src/engine/sim/run";
import { Scheduler } from "../../../src/engine/sim/scheduler";
import { StepLimitExceeded } from "../../../src/engine/trace/recorder";
import { BUILTIN_NAMES, builtinInput, traceOf } from "../../helpers/trace";

function pings(personality: string, count: number) {
  const s = structuredClone(builtinInput("lo0-ping")) as ScenarioInput & { traffic: Record<string, unknown>[] };
  for (const t of s.traffic) Object.assign(t, { count, intervalMs: 1000 });
  const loaded = loadScenario({ ...s, personality });
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join("; "));
  return loaded.scenario;
}

describe("virtual-time budget", () => {
  for (const personality of ["netbsd-2003", "linux-xfrm"]) {
    it(`stops a run whose clock passes its limit, naming the time (${personality})`, () => {
      const scenario = pings(personality, 5);
      const trace = runScenario(scenario, { maxMicros: 2_500_000 });
      const last = trace.events.at(-1)!;
      expect(last.kind === "drop" && last.reason).toBe("trace-limit");
      expect(last.kind === "drop" && last.detail).toBe("virtual time 2.5 s, 3 of 5 echoes sent");
      expect(last.note).toMatch(/virtual clock reached its limit of 2\.5 s/);
      expect(trace.outcome.findings.map((f) => f.id)).toContain("trace-limit");
      // Nothing ran after the limit; the full run goes on to 4 s.
      for (let i = 0; i < trace.events.length; i++) expect(trace.events.at(i)!.t).toBeLessThanOrEqual(2_500_000);
      expect(runScenario(scenario).events.at(-1)!.t).toBeGreaterThan(4_000_000);
      expect(runScenario(scenario, { maxMicros: 2_500_000 }).events.length).toBe(trace.events.length);
    });
  }

  it("stops a timer that keeps rescheduling itself without recording anything", () => {
    const sched = new Scheduler();
    sched.maxTime = 10_000;
    let runs = 0;
    const tick = () => {
      runs++;
      sched.after(100, tick);
    };
    sched.after(0, tick);
    let stopped: unknown;
    try {
      for (let c = sched.next(); c; c = sched.next()) c.run();
    } catch (e) {
      stopped = e;
    }
    expect(stopped).toBeInstanceOf(StepLimitExceeded);
    expect(stopped).toMatchObject({ budget: "time", limit: 10_000 });
    expect(runs).toBe(101);
    expect(sched.now).toBe(10_000);
  });

  it("is the traffic plan's end plus the grace: every built-in finishes well inside it", () => {
    const s = pings("netbsd-2003", 7);
    expect(timeBudgetMicros(s)).toBe(7 * 1000 * 1000 + TIME_GRACE_MICROS);
    for (const name of BUILTIN_NAMES) {
      const trace = traceOf(name);
      const last = trace.events.at(-1)!;
      expect(last.kind === "drop" && last.detail.startsWith("virtual time"), name).toBe(false);
      expect(last.t, name).toBeLessThan(timeBudgetMicros(trace.scenario));
    }
  });
});
