/**
 * Validate and run a scenario: the function the engine worker calls (runs are never on the page's
 * main thread, issue 16). Untrusted input in, a trace or every problem (with its JSON path) out; never
 * throws. Asked to, it also runs the baseline — the same scenario on its own kernel with no
 * fixes — and compares the two; only the comparison goes back, never the baseline's trace.
 */
import {
  baselineOf,
  builtinByName,
  compareTraces,
  loadScenario,
  loadScenarioJson,
  runScenario,
  type FixId,
  type PersonalityId,
  type Problem,
  type ScenarioTrace,
  type TraceComparison,
} from "../engine/index";
import { isBuiltinRef } from "./builtinRef";
import type { RunProgress } from "./protocol";

/** Overrides applied on top of the scenario's own `personality` and `fixes`; undefined keeps the scenario's. */
export interface RunOptions {
  readonly personality?: PersonalityId;
  readonly fixes?: readonly FixId[];
  /**
   * Also compare the run with the baseline (the scenario's own personality, no fixes) when the
   * run differs from it. The answer then has `comparison`; with nothing to compare it has none.
   */
  readonly compare?: boolean;
}

/**
 * The most steps a run in the browser records. A columnar trace costs tens of bytes per step in a
 * tab (see `npm run bench`); past this the run stops with a trace-limit warning instead of
 * exhausting the page's memory — a share link can ask for a 100,000-echo flood. The command line
 * has no cap.
 */
export const BROWSER_MAX_EVENTS = 1_000_000;

/**
 * The most packet data a run in the browser records (Recorder.maxBytes). Steps alone do not bound
 * a trace: 100 echoes of 65,499 bytes are only 10,700 steps but 32 MB of packet data and about 8 s
 * of engine time in Node. Past this the run stops with a trace-limit finding that says how much
 * the whole run would record and that the command line (no byte budget) can run it.
 */
export const BROWSER_MAX_BYTES = 16 * 1024 * 1024;

/** The browser's budget, as runScenario takes it. */
const BROWSER_BUDGET = { maxEvents: BROWSER_MAX_EVENTS, maxBytes: BROWSER_MAX_BYTES } as const;

/**
 * What a run gives back: a trace (and, when asked for, how it differs from the baseline), or why
 * there is none — `cancelled` when the engine client stopped it (a newer run, or Cancel).
 */
export type RunResult =
  | { readonly ok: true; readonly trace: ScenarioTrace; readonly comparison?: TraceComparison }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly cancelled?: true };

/**
 * A string is scenario JSON text (size and depth limits apply); a BuiltinRef the built-in of that
 * name (an unknown name fails validation with the name in the message); anything else an
 * already-parsed value.
 */
export function runTraceSync(input: unknown, options: RunOptions = {}, onProgress?: (progress: RunProgress) => void): RunResult {
  let value = isBuiltinRef(input) ? (builtinByName(input.builtinRef) ?? { name: input.builtinRef }) : input;
  if (typeof input === "string") {
    // loadScenarioJson does the size/depth checks and JSON.parse; the overrides go on afterwards.
    const parsed = loadScenarioJson(input);
    if (!parsed.ok) return { ok: false, problems: parsed.problems };
    value = parsed.scenario;
  }
  const merged = withOverrides(value, options);
  const loaded = loadScenario(merged);
  if (!loaded.ok) return { ok: false, problems: loaded.problems };
  try {
    const watch = (phase: RunProgress["phase"], from: number) =>
      onProgress
        ? {
            onProgress: (steps: number, bytes: number) =>
              onProgress({
                steps: from + steps,
                bytes,
                maxSteps: Math.min(loaded.scenario.maxEvents, BROWSER_MAX_EVENTS),
                maxBytes: BROWSER_MAX_BYTES,
                phase,
              }),
          }
        : {};
    const trace = runScenario(loaded.scenario, { ...BROWSER_BUDGET, ...watch("run", 0) });
    // The baseline (audit/baseline.ts) is `value` as given, before the overrides, with no fixes.
    const baseline = options.compare ? baselineOf(value, loaded.scenario) : null;
    if (baseline?.kind !== "run") return { ok: true, trace };
    // The baseline's trace stays here: only the comparison crosses to the main thread.
    const comparison = compareTraces(runScenario(baseline.scenario, { ...BROWSER_BUDGET, ...watch("baseline", trace.events.length) }), trace);
    return { ok: true, trace, comparison };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [{ path: "$", message: `the engine failed while running this scenario: ${message}` }] };
  }
}

function withOverrides(value: unknown, options: RunOptions): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (options.personality !== undefined) out.personality = options.personality;
  if (options.fixes !== undefined) out.fixes = [...options.fixes];
  return out;
}
