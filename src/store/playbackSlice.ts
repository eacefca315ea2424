/**
 * Playback slice: the cursor and the play loop's state. Time travel is indexing into the trace,
 * so every move is O(1) (next/previous decision a binary search); stepping past either end is a
 * no-op that changes nothing.
 */
import type { StateCreator } from "zustand/vanilla";
import { nextAfter, prevBefore, traceIndex } from "./selectors";
import type { MoveKind, PlaybackSlice, TagflowState } from "./types";

/** Playback speeds offered, as multipliers of NORMAL_STEP_MS. */
export const SPEEDS = [0.5, 1, 2, 4, 8] as const;

/** Time between two steps at 1× speed. */
export const NORMAL_STEP_MS = 900;

/** Milliseconds between ticks at `speed`. */
export function stepInterval(speed: number): number {
  return Math.round(NORMAL_STEP_MS / speed);
}

export const createPlaybackSlice: StateCreator<TagflowState, [], [], PlaybackSlice> = (set, get) => {
  const count = () => get().trace?.events.length ?? 0;

  /** Move to `index` (clamped); a move to where the cursor already is changes nothing. */
  const moveTo = (index: number, move: MoveKind, keepPlaying = false) => {
    const n = count();
    if (n === 0 || !Number.isFinite(index)) return;
    const cursor = Math.min(n - 1, Math.max(0, Math.round(index)));
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
    if (target !== undefined) moveTo(target, "jump");
  };

  return {
    cursor: 0,
    playing: false,
    speed: 1,
    lastMove: "jump",

    seek: (index, move = "jump") => moveTo(index, move),
    stepForward: () => moveTo(get().cursor + 1, "step"),
    stepBack: () => moveTo(get().cursor - 1, "step"),
    jumpToStart: () => moveTo(0, "jump"),
    jumpToEnd: () => moveTo(count() - 1, "jump"),
    nextDecision: () => jumpIn(nextAfter, "decisions"),
    prevDecision: () => jumpIn(prevBefore, "decisions"),
    nextFinding: () => jumpIn(nextAfter, "findingSteps"),
    prevFinding: () => jumpIn(prevBefore, "findingSteps"),
    goToFinding: (step) => moveTo(step, "jump"),

    play: () => {
      const n = count();
      if (n === 0 || get().playing) return;
      // Play from the end starts over, as a media player does.
      if (get().cursor >= n - 1) set({ cursor: 0, lastMove: "jump", playing: n > 1 });
      else set({ playing: true });
    },
    pause: () => {
      if (get().playing) set({ playing: false });
    },
    togglePlay: () => (get().playing ? get().pause() : get().play()),
    setSpeed: (speed) => {
      if ((SPEEDS as readonly number[]).includes(speed) && speed !== get().speed) set({ speed });
    },
    tick: () => {
      if (!get().playing) return;
      const n = count();
      const next = get().cursor + 1;
      if (next >= n) return set({ playing: false });
      set({ cursor: next, lastMove: "step", playing: next < n - 1 });
    },
  };
};
