import { describe, expect, it } from "vitest";
import { nearestSeq, stepAtX } from "../../../src/ui/timeline/markHits";
import { stepScale } from "../../../src/ui/timeline/timelineLayout";

describe("markHits: the decision tick under the pointer", () => {
  const count = 246;
  const width = 1060;
  const x = stepScale(count, width);

  it("inverts stepScale at every step and clamps past the ends", () => {
    for (let s = 0; s < count; s++) expect(stepAtX(count, width, x(s))).toBe(s);
    expect(stepAtX(count, width, -50)).toBe(0);
    expect(stepAtX(count, width, width + 50)).toBe(count - 1);
  });

  it("finds the nearest decision drawn within the tolerance, and none farther away", () => {
    const decisions = [3, 40, 41, 68, 200];
    expect(nearestSeq(decisions, count, width, x(68), 4)).toBe(68);
    expect(nearestSeq(decisions, count, width, x(68) + 3, 4)).toBe(68);
    // Between two close ticks, the closer one wins.
    expect(nearestSeq(decisions, count, width, x(40) + 0.4 * (x(41) - x(40)), 4)).toBe(40);
    expect(nearestSeq(decisions, count, width, x(40) + 0.6 * (x(41) - x(40)), 4)).toBe(41);
    expect(nearestSeq(decisions, count, width, x(120), 4)).toBeNull();
    expect(nearestSeq(decisions, count, width, x(3) - 4.5, 4)).toBeNull();
    expect(nearestSeq([], count, width, x(3), 4)).toBeNull();
  });
});
