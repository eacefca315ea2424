/**
 * Which timeline mark the pointer is on (issue 17's tooltips): the scrubber draws one decision
 * tick per pixel column, too many to be elements, so hovering finds the nearest one from the
 * pointer's x. Pure; the inverse of stepScale (timelineLayout.ts).
 */
import { stepScale, TRACK_INSET } from "./timelineLayout";

/** The step under x on a track of `width` for `count` steps (stepScale inverted, clamped). */
export function stepAtX(count: number, width: number, x: number): number {
  const span = Math.max(1, width - 2 * TRACK_INSET);
  const t = Math.min(1, Math.max(0, (x - TRACK_INSET) / span));
  return Math.round(t * Math.max(0, count - 1));
}

/** The seq in sorted `seqs` nearest to x, if it is drawn within `tolerance` pixels of x; else null. */
export function nearestSeq(seqs: readonly number[], count: number, width: number, x: number, tolerance: number): number | null {
  if (seqs.length === 0 || count === 0) return null;
  const target = stepAtX(count, width, x);
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqs[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  const pxOf = stepScale(count, width);
  let best: number | null = null;
  for (const i of [lo - 1, lo]) {
    const seq = seqs[i];
    if (seq === undefined) continue;
    const d = Math.abs(pxOf(seq) - x);
    if (d <= tolerance && (best === null || d < Math.abs(pxOf(best) - x))) best = seq;
  }
  return best;
}
