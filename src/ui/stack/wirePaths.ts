/**
 * The three SVG paths the stack view draws: a straight wire, a smooth bend through points (the lo0
 * U-turn, a wire that skips a column) and the connector from a slot to the card.
 *
 * They are d3-shape's `line()`, `line().curve(curveBasis)` and `linkHorizontal()` (d3-shape 3.2.1,
 * src/curve/basis.js and src/link.js), written out: d3-shape ships as one module that does not
 * tree-shake, and importing those three brought 13 KB of it (pie, arc, stack, symbols…) into the
 * first load. The path strings come from d3-path's `pathRound(3)`, as d3-shape's do (its default
 * `digits` is 3), so the output is the same to the character.
 */
import { pathRound } from "d3-path";

export type Point = readonly [number, number];

/** `line()(points)`: a polyline. */
export function polylinePath(points: readonly Point[]): string {
  const p = pathRound(3);
  points.forEach(([x, y], i) => (i === 0 ? p.moveTo(x, y) : p.lineTo(x, y)));
  return p.toString();
}

/**
 * `line().curve(curveBasis)(points)`: the cubic uniform B-spline of the points, clamped to the
 * first and last (curveBasis's lineStart/point/lineEnd state machine).
 */
export function basisPath(points: readonly Point[]): string {
  const p = pathRound(3);
  let x0 = NaN;
  let y0 = NaN;
  let x1 = NaN;
  let y1 = NaN;
  const bezier = (x: number, y: number) =>
    p.bezierCurveTo((2 * x0 + x1) / 3, (2 * y0 + y1) / 3, (x0 + 2 * x1) / 3, (y0 + 2 * y1) / 3, (x0 + 4 * x1 + x) / 6, (y0 + 4 * y1 + y) / 6);
  points.forEach(([x, y], i) => {
    if (i === 0) p.moveTo(x, y);
    else if (i === 2) {
      p.lineTo((5 * x0 + x1) / 6, (5 * y0 + y1) / 6);
      bezier(x, y);
    } else if (i > 2) bezier(x, y);
    x0 = x1;
    x1 = x;
    y0 = y1;
    y1 = y;
  });
  if (points.length >= 3) bezier(x1, y1);
  if (points.length >= 2) p.lineTo(x1, y1);
  return p.toString();
}

/** `linkHorizontal()({ source, target })`: a cubic whose control points share the midpoint's x. */
export function horizontalLinkPath(source: Point, target: Point): string {
  const p = pathRound(3);
  const [x0, y0] = source;
  const [x1, y1] = target;
  const xm = (x0 + x1) / 2;
  p.moveTo(x0, y0);
  p.bezierCurveTo(xm, y0, xm, y1, x1, y1);
  return p.toString();
}
