/**
 * A linear map from [d0, d1] onto [r0, r1], optionally clamped to the range: all the app asked of
 * d3-scale's scaleLinear (the timeline's step → x, the stack's row weights → y). scaleLinear
 * carries tick formatting (d3-format) and colour interpolation (d3-color) with it, about 4 KiB
 * gzipped of the first load for a one-line formula (design.md: the first load ≤ 150 KiB).
 */
export type LinearScale = (value: number) => number;

export function linearScale(domain: readonly [number, number], range: readonly [number, number], clamp = false): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  return (value) => {
    const t = span === 0 ? 0.5 : (value - d0) / span;
    return r0 + (clamp ? Math.min(1, Math.max(0, t)) : t) * (r1 - r0);
  };
}
