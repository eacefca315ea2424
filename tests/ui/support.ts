/** Real traces for the layout tests (deterministic: cached per scenario and fixes). */
import { builtinByName, loadScenario, runScenario, type ScenarioTrace } from "../../src/engine/index";

const cache = new Map<string, ScenarioTrace>();

export function traceOf(name: string, fixes: readonly string[] = []): ScenarioTrace {
  const key = `${name}|${fixes.join(",")}`;
  let t = cache.get(key);
  if (!t) {
    const loaded = loadScenario({ ...builtinByName(name), fixes: [...fixes] });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    t = runScenario(loaded.scenario);
    cache.set(key, t);
  }
  return t;
}

/** The echo reply's ip_output loop check. */
export function replyLoopCheck(t: ScenarioTrace): number {
  const reflect = t.events.findIndex((e) => e.fn === "icmp_reflect");
  return t.events.findIndex((e) => e.seq > reflect && e.kind === "decision" && e.check === "ipsec-loop");
}

export function firstIndex(t: ScenarioTrace, pred: (e: ScenarioTrace["events"][number]) => boolean): number {
  const i = t.events.findIndex(pred);
  if (i < 0) throw new Error("no such event");
  return i;
}
