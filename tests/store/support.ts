/** Store test helpers: real engine traces (run once per scenario/fix set) and controllable fake runners. */
import type { FixId, ScenarioTrace, TraceEvent } from "../../src/engine/index";
import { replyLoopCheck, traceOf as cachedTrace } from "../helpers/trace";
import { createTagflowStore } from "../../src/store/index";
import type { RunOptions, RunResult, TraceRunner } from "../../src/store/engineClient";
import { runTraceSync } from "../../src/worker/runTrace";

/** The trace of a built-in scenario with the given fixes (the shared, cached runs of tests/helpers). */
export function traceOf(name: string, fixes: readonly string[] = []): ScenarioTrace {
  return cachedTrace(name, { fixes: fixes as FixId[] });
}

/** A runner that runs the real engine synchronously (answers on the next microtask). */
export const engineRunner: TraceRunner = (input, options) => Promise.resolve(runTraceSync(input, options));

/** A store backed by the real engine. */
export function storeWithEngine() {
  return createTagflowStore({ runTrace: engineRunner });
}

/** A store whose runs wait until the test answers them, in any order. */
export function storeWithManualRunner() {
  const calls: { input: unknown; options: RunOptions; answer: (r: RunResult) => void }[] = [];
  const runTrace: TraceRunner = (input, options) => new Promise((answer) => calls.push({ input, options, answer }));
  return { store: createTagflowStore({ runTrace }), calls };
}

/** Index of the first event matching `pred`, failing loudly when there is none. */
export function indexOf(trace: ScenarioTrace, pred: (e: TraceEvent) => boolean, after = -1): number {
  const i = trace.events.findIndex((e) => e.seq > after && pred(e));
  if (i < 0) throw new Error("no such event in the trace");
  return i;
}

export { replyLoopCheck };
