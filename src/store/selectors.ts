/**
 * Reading the store. Everything derived from a trace is computed once per trace (WeakMap keyed
 * by the trace object) and shared, so selectors hand React stable references and stepping costs
 * an index lookup, never a copy.
 */
import { PERSONALITIES, isPersonalityId, kindAt, type Finding, type Trace, type TraceEvent } from "../engine/index";
import { tagLanes, type TagLanes } from "./tagLanes";
import type { TagflowState, ViewState } from "./types";

/** Per-trace indexes for navigation. */
export interface TraceIndex {
  /** Seqs of decision events, ascending. */
  readonly decisions: readonly number[];
  /** Distinct steps where a finding became true, ascending. */
  readonly findingSteps: readonly number[];
  readonly findingsAt: ReadonlyMap<number, readonly Finding[]>;
  /** Findings ordered for display: critical first, then by step. */
  readonly findingsByRank: readonly Finding[];
}

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

const indexCache = new WeakMap<object, TraceIndex>();

/** Navigation indexes of a trace, computed once per trace. */
export function traceIndex(trace: Pick<Trace, "events" | "outcome">): TraceIndex {
  let index = indexCache.get(trace);
  if (!index) {
    const decisions: number[] = [];
    for (let i = 0; i < trace.events.length; i++) if (kindAt(trace.events, i) === "decision") decisions.push(i);
    const findingsAt = new Map<number, Finding[]>();
    for (const f of trace.outcome.findings) {
      const list = findingsAt.get(f.step);
      if (list) list.push(f);
      else findingsAt.set(f.step, [f]);
    }
    const findingSteps = [...findingsAt.keys()].sort((a, b) => a - b);
    const findingsByRank = [...trace.outcome.findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.step - b.step);
    index = { decisions, findingSteps, findingsAt, findingsByRank };
    indexCache.set(trace, index);
  }
  return index;
}

/** The first element of ascending `seqs` greater than `cursor`, or undefined (binary search). */
export function nextAfter(seqs: readonly number[], cursor: number): number | undefined {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return seqs[lo];
}

/** The last element of ascending `seqs` less than `cursor`, or undefined. */
export function prevBefore(seqs: readonly number[], cursor: number): number | undefined {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! < cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? seqs[lo - 1] : undefined;
}

/** Number of steps in the current trace (0 without one). */
export const selectStepCount = (s: TagflowState): number => s.trace?.events.length ?? 0;

/** The event under the cursor, or null. */
export const selectCurrentEvent = (s: TagflowState): TraceEvent | null => s.trace?.events.at(s.cursor) ?? null;

/** "Step i of n", 1-based; "Step 0 of 0" for an empty trace. */
export function stepLabel(cursor: number, count: number): string {
  return count === 0 ? "Step 0 of 0" : `Step ${cursor + 1} of ${count}`;
}

export const selectStepLabel = (s: TagflowState): string => stepLabel(s.cursor, selectStepCount(s));

/** Tag lanes of the current trace (memoised per trace), or null. */
export const selectTagLanes = (s: TagflowState): TagLanes | null => (s.trace ? tagLanes(s.trace) : null);

/** Navigation index of the current trace (memoised per trace), or null. */
export const selectTraceIndex = (s: TagflowState): TraceIndex | null => (s.trace ? traceIndex(s.trace) : null);

/** Source file of a kernel function in the trace's personality, or null when unknown. */
export function sourceOf(personality: string, fn: string): string | null {
  const p = isPersonalityId(personality) ? PERSONALITIES[personality] : undefined;
  return p?.sources[fn] ?? null;
}

/**
 * The serialisable view state (tabs, panels, theme, selection, decrypted toggle): what a share
 * URL will carry besides scenario, fixes and cursor. A new object each call: in React, read it
 * through `useShallow`.
 */
export function selectViewState(s: TagflowState): ViewState {
  return {
    rightTab: s.rightTab,
    inspectorTab: s.inspectorTab,
    lanesOpen: s.lanesOpen,
    decrypted: s.decrypted,
    theme: s.theme,
    selectedField: s.selectedField,
    selectedTag: s.selectedTag,
    selectedPacket: s.selectedPacket,
  };
}
