/** Real traces for the layout tests: the shared, cached engine runs of tests/helpers. */
import type { FixId, ScenarioTrace, TraceEvent } from "../../src/engine/index";
import { replyLoopCheck, traceOf as cachedTrace } from "../helpers/trace";

export { replyLoopCheck };

export function traceOf(name: string, fixes: readonly string[] = []): ScenarioTrace {
  return cachedTrace(name, { fixes: fixes as FixId[] });
}

export function firstIndex(t: ScenarioTrace, pred: (e: TraceEvent) => boolean): number {
  const i = t.events.findIndex(pred);
  if (i < 0) throw new Error("no such event");
  return i;
}
