/**
 * The stack view's paths (src/ui/stack/wirePaths.ts) are d3-shape's line(), curveBasis and
 * linkHorizontal written out: for any two or more points the strings are identical to d3-shape's
 * (kept as a dev dependency for this comparison).
 */
import { curveBasis, line, linkHorizontal } from "d3-shape";
import fc from "fast-check";
import { expect, it } from "vitest";
import { basisPath, horizontalLinkPath, polylinePath, type Point } from "../../src/ui/stack/wirePaths";

const coordinate = fc.double({ min: -2000, max: 2000, noNaN: true });
const point = fc.tuple(coordinate, coordinate);
const points = fc.array(point, { minLength: 2, maxLength: 7 });

it("draws a polyline and a basis curve exactly as d3-shape's line() does", () => {
  fc.assert(
    fc.property(points, (pts) => {
      expect(polylinePath(pts)).toBe(line()(pts) ?? "");
      expect(basisPath(pts)).toBe(line().curve(curveBasis)(pts) ?? "");
    }),
    { numRuns: 2000 },
  );
});

it("draws the card connector exactly as d3-shape's linkHorizontal() does", () => {
  const link = linkHorizontal<{ source: [number, number]; target: [number, number] }, [number, number]>()
    .source((d) => d.source)
    .target((d) => d.target);
  fc.assert(
    fc.property(point, point, (source, target) => {
      expect(horizontalLinkPath(source as Point, target as Point)).toBe(link({ source, target }) ?? "");
    }),
    { numRuns: 2000 },
  );
});

it("gives the same strings for the shapes the stack view draws", () => {
  expect(
    polylinePath([
      [10, 20],
      [110, 20],
    ]),
  ).toBe("M10,20L110,20");
  expect(
    basisPath([
      [0, 0],
      [50, 40],
      [100, 0],
    ]),
  ).toBe("M0,0L8.333,6.667C16.667,13.333,33.333,26.667,50,26.667C66.667,26.667,83.333,13.333,91.667,6.667L100,0");
});
