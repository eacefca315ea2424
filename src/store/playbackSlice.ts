/**
 * Playback slice: the cursor and the play loop's state. Time travel is indexing into the trace,
 * so every move is O(1) (next/previous decision a binary search); stepping past either end is a
 * no-op that changes nothing.
 */
import type { StateCreator } from "zustand/vanilla";
import { nextAfter, prevBefore, traceIndex } from "./selectors";
import type { MoveKind, PlaybackSlice, StepRange, TagflowState } from "./types";

/** Playback speeds offered, as multipliers of NORMAL_STEP_MS. */
export const SPEEDS = [0.5, 1, 2, 4, 8] as const;

/** Time between two steps at 1× speed. */
export const NORMAL_STEP_MS = 900;

/** Milliseconds between ticks at `speed`. */
export function stepInterval(speed: number): number {
  return Math.round(NORMAL_STEP_MS / speed);
}

/** `range` within a trace of `count` steps (from ≤ to), or null when it is null or there are no steps. */
export function clampRange(range: StepRange | null, count: number): StepRange | null {
  if (!range || count === 0 || !Number.isFinite(range.from) || !Number.isFinite(range.to)) return null;
  const clamp = (i: number) => Math.min(count - 1, Math.max(0, Math.round(i)));
  const [a, b] = [clamp(range.from), clamp(range.to)];
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

export const createPlaybackSlice: StateCreator<TagflowState, [], [], PlaybackSlice> = (set, get) => {
  const count = () => get().trace?.events.length ?? 0;
  /** The first and last step the cursor may visit. */
  const bounds = (): [number, number] => {
    const r = get().range;
    return r ? [r.from, r.to] : [0, count() - 1];
  };

  /** Move to `index` (clamped); a move to where the cursor already is changes nothing. */
  const moveTo = (index: number, move: MoveKind, keepPlaying = false) => {
    const n = count();
    if (n === 0 || !Number.isFinite(index)) return;
    const [lo, hi] = bounds();
    const cursor = Math.min(hi, Math.max(lo, Math.round(index)));
    const playing = keepPlaying && get().playing;
    if (cursor === get().cursor) {
      if (get().playing !== playing) set({ playing });
      return;
    }
    set({ cursor, lastMove: move, playing });
  };

  const jumpIn = (pick: (seqs: readonly number[], cursor: number) => number | undefined, which: "decisions" | "findingSteps") => {
    const trace = get().trace;
    if (!trace) return;
    const target = pick(traceIndex(trace)[which], get().cursor);
    const [lo, hi] = bounds();
    if (target !== undefined && target >= lo && target <= hi) moveTo(target, "jump");
  };

  return {
    cursor: 0,
    playing: false,
    speed: 1,
    pauseAtFindings: true,
    lastMove: "jump",
    range: null,

    seek: (index, move = "jump") => moveTo(index, move),
    stepForward: () => moveTo(get().cursor + 1, "step"),
    stepBack: () => moveTo(get().cursor - 1, "step"),
    jumpToStart: () => moveTo(bounds()[0], "jump"),
    jumpToEnd: () => moveTo(bounds()[1], "jump"),
    nextDecision: () => jumpIn(nextAfter, "decisions"),
    prevDecision: () => jumpIn(prevBefore, "decisions"),
    nextFinding: () => jumpIn(nextAfter, "findingSteps"),
    prevFinding: () => jumpIn(prevBefore, "findingSteps"),
    goToFinding: (step) => moveTo(step, "jump"),
    goToDivergence: () => {
      const at = get().comparison?.divergeAt?.run;
      // Past the end when this run stopped where the baseline went on: its last step.
      if (at !== undefined) moveTo(Math.min(at, count() - 1), "jump");
    },

    play: () => {
      const n = count();
      if (n === 0 || get().playing) return;
      const [lo, hi] = bounds();
      // Play from the end starts over, as a media player does.
      if (get().cursor >= hi) set({ cursor: lo, lastMove: "jump", playing: hi > lo });
      else set({ playing: true });
    },
    pause: () => {
      if (get().playing) set({ playing: false });
    },
    togglePlay: () => (get().playing ? get().pause() : get().play()),
    setSpeed: (speed) => {
      if ((SPEEDS as readonly number[]).includes(speed) && speed !== get().speed) set({ speed });
    },
    setPauseAtFindings: (pauseAtFindings) => {
      if (pauseAtFindings !== get().pauseAtFindings) set({ pauseAtFindings });
    },
    tick: () => {
      if (!get().playing) return;
      const hi = bounds()[1];
      const next = get().cursor + 1;
      if (next > hi) return set({ playing: false });
      // Landing on a finding (a warning or worse; notes do not stop it) ends the play there; Play goes on from it.
      const trace = get().trace;
      const finding = get().pauseAtFindings && trace !== null && (traceIndex(trace).findingsAt.get(next) ?? []).some((f) => f.severity !== "info");
      set({ cursor: next, lastMove: "step", playing: next < hi && !finding });
    },
    setRange: (range) => {
      const r = clampRange(range, count());
      const cursor = r ? Math.min(r.to, Math.max(r.from, get().cursor)) : get().cursor;
      set({ range: r, ...(cursor !== get().cursor ? { cursor, lastMove: "jump" as const } : {}) });
    },
  };
};
