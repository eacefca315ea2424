/** Patterns and markers the SVG views share (hatches for encrypted bytes and stale tags, arrowheads). */
import type { ReactElement } from "react";

export function SvgDefs(): ReactElement {
  return (
    <svg className="svg-defs" width={0} height={0} aria-hidden="true" focusable="false">
      <defs>
        <pattern id="tf-hatch-enc" width={8} height={8} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect className="hatch-enc-a" width={8} height={8} />
          <rect className="hatch-enc-b" width={4} height={8} />
        </pattern>
        <pattern id="tf-hatch-stale" width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
          <rect className="hatch-stale" width={2.5} height={6} />
        </pattern>
        <marker id="tf-arrow" viewBox="0 0 10 10" refX={8} refY={5} markerWidth={7} markerHeight={7} orient="auto-start-reverse">
          <path d="M0,0L10,5L0,10z" className="arrow-head" />
        </marker>
      </defs>
    </svg>
  );
}
