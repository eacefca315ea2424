/**
 * Validate and run a scenario: the one function both the engine worker and the main-thread
 * fallback call. Untrusted input in, a trace or every problem (with its JSON path) out; never
 * throws.
 */
import { loadScenario, loadScenarioJson, runScenario, type FixId, type PersonalityId, type Problem, type ScenarioTrace } from "../engine/index";

/** Overrides applied on top of the scenario's own `personality` and `fixes`; undefined keeps the scenario's. */
export interface RunOptions {
  readonly personality?: PersonalityId;
  readonly fixes?: readonly FixId[];
}

/**
 * The most steps a run in the browser records. A trace costs tens of KiB per echo in a tab (see
 * `npm run bench`); past this the run stops with a trace-limit warning instead of exhausting the
 * page's memory — a share link can ask for a 100,000-echo flood. The command line has no cap.
 */
export const BROWSER_MAX_EVENTS = 250_000;

/** What a run gives back: a trace, or why there is none. */
export type RunResult = { readonly ok: true; readonly trace: ScenarioTrace } | { readonly ok: false; readonly problems: readonly Problem[] };

/** A string is scenario JSON text (size and depth limits apply); anything else an already-parsed value. */
export function runTraceSync(input: unknown, options: RunOptions = {}): RunResult {
  let value = input;
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
    return { ok: true, trace: runScenario(loaded.scenario, { maxEvents: BROWSER_MAX_EVENTS }) };
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
