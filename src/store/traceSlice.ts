/**
 * Trace slice: the current trace, how it differs from the baseline run, and the engine runs that
 * replace them. A run's answer is applied only if no newer run was asked for since; a failed run
 * keeps the last good trace (and its comparison, and puts the scenario slice back to what that
 * trace was run with) and reports the problems.
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

      runEngine: async (config: RunConfig, cursorPolicy) => {
        const seq = get().requestSeq + 1;
        // The toggles show the request at once; they are put back if it fails.
        set({
          requestSeq: seq,
          status: "running",
          source: config.source,
          ...(config.personality !== undefined ? { personality: config.personality } : {}),
          ...(config.fixes !== undefined ? { fixes: config.fixes } : {}),
        });
        const options: RunOptions = {
          ...(config.personality !== undefined ? { personality: config.personality } : {}),
          ...(config.fixes !== undefined ? { fixes: config.fixes } : {}),
          ...(wantsComparison(config) ? { compare: true } : {}),
        };
        const result = await deps.runTrace(inputOf(config.source), options);
        // A newer request was made while this one ran: its answer is the one that counts.
        if (get().requestSeq !== seq) return "superseded";

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
        set({
          status: previous ? "ready" : waiting ? "running" : "error",
          error: previous || waiting ? null : (result.problems[0]?.message ?? "the scenario could not be run"),
          problems: result.problems,
          problemsTitle: config.problemsTitle ?? problemsTitleFor(config.source),
          problemsTone: "error",
          problemsFoot: null,
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
    };
  };
