/**
 * Trace slice: the current trace, how it differs from the baseline run, and the engine runs that
 * replace them. A run's answer is applied only if no newer run was asked for since (the engine
 * client stops the older run's worker: engineClient.ts); a failed or cancelled run keeps the last
 * good trace (and its comparison, and puts the scenario slice back to what that trace was run
 * with) and reports why. While a run is under way, `progress` follows the worker's reports.
 */
import type { StateCreator } from "zustand/vanilla";
import { isPersonalityId, type ScenarioTrace } from "../engine/index";
import { builtinRef } from "../worker/builtinRef";
import { builtinInfo } from "./builtinCatalog";
import type { RunOptions } from "./engineClient";
import { mapCursor } from "./logicalStep";
import { clampRange } from "./playbackSlice";
import { canonicalFixes, DEFAULT_PERSONALITY } from "./scenarioSlice";
import type { RunConfig, ScenarioSource, StoreDeps, TagflowState, TraceSlice } from "./types";

/** The scenario a source stands for, as runTrace takes it (a value or JSON text). */
export function inputOf(source: ScenarioSource): unknown {
  return source.kind === "builtin" ? builtinRef(source.name) : source.input;
}

/** The heading of the note a cancelled run leaves. */
export const CANCELLED_TITLE = "Run cancelled";

/** "Could not open broken.json" — the heading of a problems report. */
export function problemsTitleFor(source: ScenarioSource): string {
  return source.kind === "builtin" ? `Could not run the built-in scenario "${source.name}"` : `Could not open ${source.label}`;
}

/**
 * Whether a run should come with a comparison against the baseline (the scenario's own
 * personality, no fixes): whenever fixes are on or the personality is not the scenario's own.
 * A custom scenario's own personality and fixes are only known once it is validated, so it
 * always asks; the engine answers without a comparison when there is nothing to compare.
 */
export function wantsComparison(config: Pick<RunConfig, "source" | "personality" | "fixes">): boolean {
  if (config.fixes !== undefined && config.fixes.length > 0) return true;
  if (config.source.kind === "custom") return true;
  if (config.personality === undefined) return false;
  return config.personality !== (builtinInfo(config.source.name)?.personality ?? DEFAULT_PERSONALITY);
}

export const createTraceSlice =
  (deps: StoreDeps): StateCreator<TagflowState, [], [], TraceSlice> =>
  (set, get) => {
    /** What the current trace was run from, to fall back to when a run fails. */
    let applied: ScenarioSource | null = null;

    return {
      trace: null,
      comparison: null,
      status: "idle",
      error: null,
      requestSeq: 0,
      progress: null,

      runEngine: async (config: RunConfig, cursorPolicy) => {
        const seq = get().requestSeq + 1;
        // The toggles show the request at once; they are put back if it fails.
        set({
          requestSeq: seq,
          status: "running",
          progress: null,
          source: config.source,
          ...(config.personality !== undefined ? { personality: config.personality } : {}),
          ...(config.fixes !== undefined ? { fixes: config.fixes } : {}),
        });
        const options: RunOptions = {
          ...(config.personality !== undefined ? { personality: config.personality } : {}),
          ...(config.fixes !== undefined ? { fixes: config.fixes } : {}),
          ...(wantsComparison(config) ? { compare: true } : {}),
        };
        const onProgress = (progress: TagflowState["progress"]) => {
          if (get().requestSeq === seq) set({ progress });
        };
        const result = await deps.runTrace(inputOf(config.source), options, { onProgress });
        // A newer request was made while this one ran: its answer is the one that counts.
        if (get().requestSeq !== seq) return "superseded";
        const reached = get().progress;

        const previous = get().trace;
        if (result.ok) {
          const trace: ScenarioTrace = result.trace;
          const keep = cursorPolicy === "keep" && previous !== null;
          const range = keep ? clampRange(get().range, trace.events.length) : null;
          const mapped = keep ? mapCursor(previous, get().cursor, trace) : 0;
          const cursor = range ? Math.min(range.to, Math.max(range.from, mapped)) : mapped;
          // A custom scenario is kept as the normalised scenario the engine ran, so re-runs
          // (a fix toggled) need neither the file nor its JSON text again.
          const source: ScenarioSource = config.source.kind === "custom" ? { ...config.source, input: trace.scenario } : config.source;
          applied = source;
          set({
            trace,
            // Replaced with every trace: a comparison always describes the trace on screen.
            comparison: result.comparison ?? null,
            status: "ready",
            progress: null,
            error: null,
            ...(config.keepProblems ? {} : { problems: null, problemsTitle: "", problemsTone: "error" as const, problemsFoot: null }),
            source,
            personality: isPersonalityId(trace.personality) ? trace.personality : DEFAULT_PERSONALITY,
            fixes: canonicalFixes(trace.fixes),
            cursor,
            lastMove: "jump",
            playing: keep ? get().playing : false,
            selectedPacket: null,
            hover: null,
            range,
            ...(keep ? {} : { selectedTag: null, selectedField: null }),
          });
          return "applied";
        }

        const waiting = !previous && config.fallbackFollows === true;
        const cancelled = result.cancelled === true;
        set({
          status: previous ? "ready" : waiting ? "running" : "error",
          progress: null,
          error: previous || waiting ? null : (result.problems[0]?.message ?? "the scenario could not be run"),
          problems: cancelled ? [{ path: "$", message: cancelledMessage(config.source, reached?.steps ?? 0) }] : result.problems,
          problemsTitle: cancelled ? CANCELLED_TITLE : (config.problemsTitle ?? problemsTitleFor(config.source)),
          problemsTone: cancelled ? "note" : "error",
          problemsFoot: cancelled && previous ? "Nothing else changed: you are still looking at the run from before." : null,
          ...(previous && applied
            ? {
                source: applied,
                personality: isPersonalityId(previous.personality) ? previous.personality : DEFAULT_PERSONALITY,
                fixes: canonicalFixes(previous.fixes),
              }
            : {}),
        });
        return "failed";
      },

      cancelRun: () => {
        if (get().status === "running") deps.cancelRun?.();
      },
    };
  };

/** What a cancelled run's note says: which scenario stopped, and how far it had got. */
function cancelledMessage(source: ScenarioSource, steps: number): string {
  const what = source.kind === "builtin" ? `"${source.name}"` : source.label;
  const at = steps > 0 ? ` after ${steps.toLocaleString("en-US")} steps` : "";
  return `cancelled: the run of ${what} was stopped${at}, before it finished.`;
}
