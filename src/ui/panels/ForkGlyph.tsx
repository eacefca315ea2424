/**
 * The fork glyph, apart from the compare view: the tag lanes draw it on every page, while the
 * compare view itself loads only once a run has a comparison (first-load budget, design.md).
 */
import type { ReactElement } from "react";

/** The fork drawn on the timeline where the runs part; also the legend's swatch. */
export function ForkGlyph({ size = 14 }: { size?: number }): ReactElement {
  return (
    <svg className="fork-glyph" width={size} height={size} viewBox="0 0 14 14" aria-hidden="true">
      <path d="M7,13V7L2,1M7,7l5,-6" />
    </svg>
  );
}
