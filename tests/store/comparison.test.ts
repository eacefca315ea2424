/**
 * The comparison with the baseline run, from the worker's runTraceSync to the store: asked for
 * only when the run differs from the scenario's own kernel with no fixes, computed next to the
 * trace (the baseline's trace never leaves the worker), and replaced with every new trace.
 */
import { describe, expect, it } from "vitest";
import { builtinByName } from "../../src/engine/index";
import { wantsComparison } from "../../src/store/traceSlice";
import { BROWSER_MAX_EVENTS, runTraceSync } from "../../src/worker/runTrace";
import { storeWithEngine, storeWithManualRunner, traceOf } from "./support";

const FIX = "icmp-reflect-strips-tags";
const ESP = builtinByName("lo0-esp-ping")!;

describe("runTraceSync with compare", () => {
  it("runs the baseline and returns only the comparison next to the trace", () => {
    const r = runTraceSync(ESP, { fixes: [FIX], compare: true });
    if (!r.ok) throw new Error("lo0-esp-ping does not run");
    expect(Object.keys(r).sort()).toEqual(["comparison", "ok", "trace"]);
    expect(r.trace.fixes).toEqual([FIX]);
    const c = r.comparison!;
    expect(c.verdicts).toEqual({ base: "insecure", run: "secure" });
    expect(c.steps).toEqual({ base: traceOf("lo0-esp-ping").events.length, run: r.trace.events.length });
    expect(r.trace.events.at(c.divergeAt!.run)).toMatchObject({ fn: "icmp_reflect", kind: "tag.deleteNonpersistent" });
    // Plain data: it crosses postMessage as it is.
    expect(structuredClone(c)).toEqual(c);
  });

  it("compares a personality override with the scenario's own kernel", () => {
    const r = runTraceSync(ESP, { personality: "freebsd-7", compare: true });
    expect(r.ok && r.comparison).toMatchObject({
      verdicts: { base: "insecure", run: "secure" },
      runEvent: { fn: "if_simloop" },
      baseLabel: "on NetBSD 2003 (FAST_IPSEC)",
    });
  });

  it("has nothing to compare for the scenario as it is, or when not asked", () => {
    const own = runTraceSync(ESP, { compare: true });
    expect(own.ok && "comparison" in own).toBe(false);
    const ownKernel = runTraceSync(ESP, { personality: "netbsd-2003", fixes: [], compare: true });
    expect(ownKernel.ok && "comparison" in ownKernel).toBe(false);
    const notAsked = runTraceSync(ESP, { fixes: [FIX] });
    expect(notAsked.ok && "comparison" in notAsked).toBe(false);
  });

  it("compares a scenario's own fixes (JSON text) with the same scenario without them", () => {
    const text = JSON.stringify({ ...ESP, fixes: [FIX] });
    const r = runTraceSync(text, { compare: true });
    expect(r.ok && r.comparison).toMatchObject({ verdicts: { base: "insecure", run: "secure" }, findingsAdded: [] });
  });

  it("caps the baseline at BROWSER_MAX_EVENTS as well", () => {
    const flood = { ...builtinByName("lo0-ping")!, traffic: [{ kind: "ping", from: "host", dst: "127.0.0.1", count: 100_000, flood: true }] };
    const r = runTraceSync(flood, { fixes: [FIX], compare: true });
    if (!r.ok) throw new Error("the flood does not run");
    expect(r.trace.events).toHaveLength(BROWSER_MAX_EVENTS + 1);
    expect(r.comparison!.steps).toEqual({ base: BROWSER_MAX_EVENTS + 1, run: BROWSER_MAX_EVENTS + 1 });
    // Two runs of a million steps each (the cap is 4× what it was): minutes on a busy 2-core machine.
  }, 240_000);
});

describe("wantsComparison", () => {
  const esp = { kind: "builtin", name: "lo0-esp-ping" } as const;
  it("asks when fixes are on or the kernel is not the scenario's own", () => {
    expect(wantsComparison({ source: esp, personality: "netbsd-2003", fixes: [] })).toBe(false);
    expect(wantsComparison({ source: esp })).toBe(false);
    expect(wantsComparison({ source: esp, personality: "netbsd-2003", fixes: [FIX] })).toBe(true);
    expect(wantsComparison({ source: esp, personality: "freebsd-7", fixes: [] })).toBe(true);
    // A custom scenario's own settings are known only to the engine: it decides.
    expect(wantsComparison({ source: { kind: "custom", label: "x.json", input: {} } })).toBe(true);
  });
});

describe("the store's comparison", () => {
  it("is null for the scenario as it is, appears with a fix, and goes again when the fix is off", async () => {
    const store = storeWithEngine();
    await store.getState().selectScenario("lo0-esp-ping");
    expect(store.getState().comparison).toBeNull();

    await store.getState().toggleFix(FIX);
    const s = store.getState();
    const c = s.comparison!;
    expect(c).toMatchObject({ identical: false, verdicts: { base: "insecure", run: "secure" }, findingsAdded: [] });
    expect(c.findingsRemoved).toContain("stale-out-done-skipped-ipsec");
    // divergeAt.run indexes the trace on screen.
    expect(s.trace!.events.at(c.divergeAt!.run)).toMatchObject({ fn: "icmp_reflect", seq: c.divergeAt!.run });
    expect(c.sentence).toMatch(/^The runs are the same for \d+ steps; at step \d+ icmp_reflect deletes/);

    await store.getState().setPersonality("freebsd-7");
    expect(store.getState().comparison).toMatchObject({ runEvent: { fn: "if_simloop" }, baseLabel: "on NetBSD 2003 (FAST_IPSEC) with no fixes" });

    await store.getState().setPersonality("netbsd-2003");
    expect(store.getState().comparison).not.toBeNull();
    await store.getState().setFix(FIX, false);
    expect(store.getState().comparison).toBeNull();
  });

  it("asks the runner for a comparison only when the run differs from the baseline", async () => {
    const { store, calls } = storeWithManualRunner();
    const first = store.getState().selectScenario("lo0-esp-ping");
    expect(calls[0]!.options.compare).toBeUndefined();
    calls[0]!.answer(runTraceSync(ESP, calls[0]!.options));
    await first;
    const toggled = store.getState().toggleFix(FIX);
    expect(calls[1]!.options).toEqual({ personality: "netbsd-2003", fixes: [FIX], compare: true });
    calls[1]!.answer(runTraceSync(ESP, calls[1]!.options));
    await toggled;
    expect(store.getState().comparison).not.toBeNull();
  });

  it("keeps the comparison with the trace it describes when a run fails, and drops it with the next trace", async () => {
    const { store, calls } = storeWithManualRunner();
    const fixed = store
      .getState()
      .runEngine({ source: { kind: "builtin", name: "lo0-esp-ping" }, personality: "netbsd-2003", fixes: [FIX] }, "start");
    calls[0]!.answer(runTraceSync(ESP, calls[0]!.options));
    await fixed;
    const comparison = store.getState().comparison;
    expect(comparison).not.toBeNull();

    const failing = store.getState().setFix("looutput-strips-tags", true);
    calls[1]!.answer({ ok: false, problems: [{ path: "$", message: "the engine failed" }] });
    await failing;
    expect(store.getState().comparison).toBe(comparison);
    expect(store.getState().fixes).toEqual([FIX]);

    const other = store.getState().selectScenario("lo0-ping");
    calls[2]!.answer({ ok: true, trace: traceOf("lo0-ping") });
    await other;
    expect(store.getState().comparison).toBeNull();
  });
});
