/**
 * The timeline's marks and the x scale the scrubber, the marks and the tag lanes share: decision
 * ticks as one path, finding flags, the cursor. Pure; computed once per trace and width.
 */
import { linearScale, type LinearScale } from "../linearScale";
import type { Severity } from "../../engine/index";
import type { TraceIndex } from "../../store/selectors";

/** Half the scrubber thumb: the thumb's centre runs from inset to width − inset. */
export const TRACK_INSET = 10;

/** Step index → x, aligned with a range input of `width` pixels. */
export function stepScale(count: number, width: number): LinearScale {
  return linearScale([0, Math.max(1, count - 1)], [TRACK_INSET, Math.max(TRACK_INSET + 1, width - TRACK_INSET)], true);
}

export interface FindingMark {
  readonly step: number;
  readonly x: number;
  readonly severity: Severity;
  readonly count: number;
}

export interface TimelinePlan {
  /** Decision ticks as one path (one tick per pixel column at most). */
  readonly decisions: string;
  readonly findings: readonly FindingMark[];
}

const RANK: Readonly<Record<Severity, number>> = { critical: 0, warning: 1, info: 2 };

/** Marks for a trace's decisions and findings on a track of `width` and mark height `h`. */
export function layoutTimeline(index: TraceIndex, count: number, width: number, y: number, h: number): TimelinePlan {
  const x = stepScale(count, width);
  const columns = new Set<number>();
  let d = "";
  for (const seq of index.decisions) {
    const px = Math.round(x(seq));
    if (columns.has(px)) continue;
    columns.add(px);
    d += `M${px},${y}v${h}`;
  }
  const findings: FindingMark[] = index.findingSteps.map((step) => {
    const at = index.findingsAt.get(step) ?? [];
    const severity = at.reduce<Severity>((worst, f) => (RANK[f.severity] < RANK[worst] ? f.severity : worst), "info");
    return { step, x: x(step), severity, count: at.length };
  });
  return { decisions: d, findings };
}
