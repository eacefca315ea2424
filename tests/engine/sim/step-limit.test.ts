/**
 * The step limit (design.md: "an IPsec loop is itself a finding, not a hang") and runs that
 * must not throw: a run stuck on one packet ends with a step-limit drop and the "loop" verdict;
 * a run that is merely larger than its limit ends with a trace-limit drop, a warning, and a
 * verdict on what ran.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadScenario, runScenario, type ScenarioInput, type TraceEvent } from "../../../src/engine";
import { loopingChain } from "../../../src/engine/sim/run";
import { builtinInput, eventsOf, findingIds, FIX_IDS, PERSONALITY_IDS, runBuiltin, severityOf } from "../../helpers/trace";

describe("the step limit", () => {
  it("stops a run larger than maxEvents with a trace-limit warning, judging what ran, without throwing", () => {
    const t = runBuiltin("lo0-ping", { maxEvents: 100 });
    expect(t.events).toHaveLength(101); // 100 events, then the one that says the limit was hit
    const last = t.events.at(-1)!;
    expect(last).toMatchObject({
      seq: 100,
      kind: "drop",
      reason: "trace-limit",
      detail: "100 events, 3 of 3 echoes sent",
      packet: -1,
      fn: "runScenario",
    });
    // Nothing went wrong in the part that ran, and the echo in flight at the cut is not "lost".
    expect(t.outcome.verdict).toBe("secure");
    expect(severityOf(t, "trace-limit")).toBe("warning");
    expect(findingIds(t)).not.toContain("unanswered");
    expect(t.outcome.findings.find((f) => f.id === "trace-limit")!.step).toBe(100);
  });

  it("an insecure finding before the limit still makes the run insecure", () => {
    const t = runBuiltin("lo0-esp-ping", { maxEvents: 100 });
    expect(t.events).toHaveLength(101);
    expect(t.outcome.verdict).toBe("insecure");
    expect(findingIds(t)).toContain("trace-limit");
    expect(findingIds(t)).toContain("stale-out-done-skipped-ipsec");
  });

  it("a caller's cap (the browser's) stops the run like maxEvents does", () => {
    const r = loadScenario(builtinInput("lo0-esp-ping"));
    if (!r.ok) throw new Error("lo0-esp-ping does not load");
    const t = runScenario(r.scenario, { maxEvents: 150 });
    expect(t.events).toHaveLength(151);
    expect(t.events.at(-1)).toMatchObject({ kind: "drop", reason: "trace-limit" });
  });

  it("tells a loop (one packet going round) from a large run (many packets interleaved)", () => {
    const ev = (chain: number) => ({ chain }) as TraceEvent;
    const stuck = [...Array.from({ length: 300 }, (_, i) => ev(i % 7)), ...Array.from({ length: 2000 }, () => ev(42))];
    expect(loopingChain(stuck)).toBe(42);
    const flood = Array.from({ length: 2300 }, (_, i) => ev(Math.floor(i / 115)));
    expect(loopingChain(flood)).toBeUndefined();
    // App-level events (chain -1) between a looping packet's steps do not hide the loop.
    const withApp = Array.from({ length: 2000 }, (_, i) => ev(i % 20 === 0 ? -1 : 7));
    expect(loopingChain(withApp)).toBe(7);
  });

  it("a run that fits its limit exactly has no step-limit event", () => {
    const needed = runBuiltin("lo0-ping").events.length;
    const t = runBuiltin("lo0-ping", { maxEvents: needed });
    expect(t.events).toHaveLength(needed);
    expect(eventsOf(t, "drop").filter((e) => e.reason === "step-limit")).toEqual([]);
    expect(t.outcome.verdict).toBe("secure");
  });

  it("maxEvents below 100 is refused by validation", () => {
    const r = loadScenario(builtinInput("lo0-ping", { maxEvents: 99 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toEqual(["$.maxEvents"]);
  });
});

/** A valid variant of a built-in: ping size/count/timing, seed, link delay, personality, one fix. */
const variant = fc.record({
  name: fc.constantFrom("lo0-ping", "lo0-esp-ping", "lo0-ah-ping", "lo0-esp-cbc-ping", "gw-esp-tunnel", "esp-replay", "esp-tamper", "esp-wrong-key"),
  personality: fc.constantFrom(...PERSONALITY_IDS),
  fixes: fc.subarray([...FIX_IDS]),
  seed: fc.nat({ max: 0xffffffff }),
  // Past one cluster (MCLBYTES) too: sosend chains clusters.
  size: fc.integer({ min: 8, max: 5000 }),
  count: fc.integer({ min: 1, max: 4 }),
  intervalMs: fc.integer({ min: 1, max: 2000 }),
  flood: fc.boolean(),
  df: fc.boolean(),
  delayMicros: fc.integer({ min: 0, max: 5000 }),
  maxEvents: fc.integer({ min: 100, max: 3000 }),
});

function build(v: typeof variant extends fc.Arbitrary<infer T> ? T : never): ScenarioInput {
  return builtinInput(v.name, {
    personality: v.personality,
    fixes: v.fixes,
    seed: v.seed,
    maxEvents: v.maxEvents,
    patch: (s) => {
      s.traffic = s.traffic.map((t) => ({ ...t, size: v.size, count: v.count, intervalMs: v.intervalMs, flood: v.flood, df: v.df }));
      s.links = (s.links ?? []).map((l) => ({ ...l, delayMicros: v.delayMicros }));
    },
  });
}

describe("valid scenarios run", () => {
  it("every valid variant of the built-ins runs to a consistent trace without throwing", () => {
    fc.assert(
      fc.property(variant, (v) => {
        const r = loadScenario(build(v));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const t = runScenario(r.scenario);
        t.events.forEach((e, i) => {
          expect(e.seq).toBe(i);
          if (i > 0) expect(e.t).toBeGreaterThanOrEqual(t.events.at(i - 1)!.t);
          if (e.packet >= 0) expect(t.packets.at(e.packet)!.chain).toBe(e.chain);
          else expect(e.chain === -1 || e.kind.startsWith("tag.")).toBe(true);
        });
        t.packets.forEach((p, i) => expect(p.id).toBe(i));
        expect(t.outcome.delivered).toBeLessThanOrEqual(t.outcome.sent);
        expect(["secure", "insecure", "dropped", "loop"]).toContain(t.outcome.verdict);
        const last = t.events.at(-1) as { kind: string; reason?: string };
        const looped = last.kind === "drop" && last.reason === "step-limit";
        expect(t.outcome.verdict === "loop").toBe(looped && !t.outcome.findings.some((f) => f.severity === "critical" && f.id !== "step-limit"));
      }),
      { numRuns: 60 },
    );
  });

  // Validation accepts up to 65499 data bytes; more than one cluster must run too.
  it("a ping larger than one cluster (size 2100) runs without throwing", () => {
    const r = loadScenario(builtinInput("lo0-ping", { patch: (s) => void (s.traffic[0]!.kind === "ping" && (s.traffic[0]!.size = 2100)) }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(() => runScenario(r.scenario)).not.toThrow();
  });
});
