import { describe, expect, it } from "vitest";
import { storyPlacement, type PaneBox } from "../../../src/ui/panels/StoryCard";

const disjoint = (a: PaneBox, b: PaneBox) => a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;

describe("storyPlacement: the story card leaves the step it introduces uncovered", () => {
  it("goes below the active row and callout at 1280×720 (a 794 × 353 pane), compact, at most 720 px wide", () => {
    const keep = [
      { left: 42, top: 49, right: 462, bottom: 83 }, // socket / app row
      { left: 471, top: 50, right: 770, bottom: 124 }, // callout
    ];
    const p = storyPlacement(794, 353, keep);
    for (const k of keep) expect(disjoint(p.region, k)).toBe(true);
    expect(p.region.top).toBeGreaterThanOrEqual(124);
    expect(p.region.bottom).toBeLessThanOrEqual(353);
    expect(p.style.width).toBeLessThanOrEqual(720);
    expect(p.style.maxHeight).toBe(p.region.bottom - p.region.top);
    expect(p.compact).toBe(true);
  });

  it("goes above when the step is at the bottom, anchored by its bottom edge", () => {
    const keep = [{ left: 40, top: 400, right: 760, bottom: 460 }];
    const p = storyPlacement(800, 480, keep);
    expect(p.region.bottom).toBeLessThanOrEqual(400);
    expect(p.style.bottom).toBe(480 - p.region.bottom);
    expect(disjoint(p.region, keep[0]!)).toBe(true);
  });

  it("takes the side band when the step fills the pane's height on one side", () => {
    const keep = [{ left: 20, top: 10, right: 500, bottom: 590 }];
    const p = storyPlacement(1300, 600, keep);
    expect(p.region.left).toBeGreaterThanOrEqual(500);
    expect(disjoint(p.region, keep[0]!)).toBe(true);
    expect(p.compact).toBe(false);
  });

  it("uses the whole pane when nothing is active", () => {
    const p = storyPlacement(1000, 600, []);
    expect(p.region).toEqual({ left: 10, top: 10, right: 990, bottom: 590 });
    expect(p.style.width).toBe(720);
    expect(p.style.left).toBe(140);
  });
});
