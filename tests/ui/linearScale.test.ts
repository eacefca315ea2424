import { describe, expect, it } from "vitest";
import { linearScale } from "../../src/ui/linearScale";

describe("linearScale (what the app used d3-scale's scaleLinear for)", () => {
  it("maps the domain onto the range, clamping only when asked", () => {
    const x = linearScale([0, 99], [10, 1270]);
    expect(x(0)).toBe(10);
    expect(x(99)).toBe(1270);
    expect(x(49.5)).toBeCloseTo(640, 9);
    expect(x(198)).toBe(2530);
    const clamped = linearScale([0, 99], [10, 1270], true);
    expect(clamped(198)).toBe(1270);
    expect(clamped(-5)).toBe(10);
  });
  it("gives the middle of the range for an empty domain, as scaleLinear does", () => {
    expect(linearScale([3, 3], [0, 100])(3)).toBe(50);
  });
});
