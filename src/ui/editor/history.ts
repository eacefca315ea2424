/**
 * Undo/redo over editor drafts: the drafts themselves, kept by reference (draft.ts copies along
 * the edited path only, so a hundred steps share almost everything). Consecutive edits of one
 * field within a second are one step, so undo takes back a typed word, not a letter.
 */

/** The drafts before and after the present one. */
export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
  /** The field the last step edited and when (ms), for coalescing typing. */
  readonly lastKey: string | null;
  readonly lastAt: number;
}

/** How many steps undo can go back. */
export const HISTORY_LIMIT = 200;

/** Typing into one field within this many ms of the last keystroke extends the same step. */
export const COALESCE_MS = 1000;

export function startHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], lastKey: null, lastAt: 0 };
}

/**
 * `next` becomes the present. With the same `key` as the step before, within COALESCE_MS, it
 * replaces that step instead of adding one; a null key always adds one. Redo is cleared.
 */
export function record<T>(h: History<T>, next: T, key: string | null = null, now = 0): History<T> {
  if (Object.is(next, h.present)) return h;
  const coalesce = key !== null && key === h.lastKey && now - h.lastAt <= COALESCE_MS && h.past.length > 0;
  const past = coalesce ? h.past : [...h.past, h.present].slice(-HISTORY_LIMIT);
  return { past, present: next, future: [], lastKey: key, lastAt: now };
}

export function undo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  if (h.past.length === 0) return h;
  return { past: h.past.slice(0, -1), present: prev as T, future: [h.present, ...h.future], lastKey: null, lastAt: 0 };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h;
  const [next, ...rest] = h.future;
  return { past: [...h.past, h.present], present: next as T, future: rest, lastKey: null, lastAt: 0 };
}
