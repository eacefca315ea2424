import { describe, expect, it } from "vitest";
import { traceIndex } from "../../../src/store/selectors";
import { tagLanes, type TagLane } from "../../../src/store/tagLanes";
import { firstLaneAt, layoutLaneRow, visibleRange } from "../../../src/ui/timeline/lanesLayout";
import { layoutTimeline, stepScale, TRACK_INSET } from "../../../src/ui/timeline/timelineLayout";
import { replyLoopCheck, traceOf } from "../support";

describe("stepScale", () => {
  it("runs from the thumb's first centre to its last, and clamps", () => {
    const x = stepScale(101, 1000);
    expect(x(0)).toBe(TRACK_INSET);
    expect(x(100)).toBe(1000 - TRACK_INSET);
    expect(x(50)).toBe(500);
    expect(x(500)).toBe(1000 - TRACK_INSET);
    expect(stepScale(0, 1000)(0)).toBe(TRACK_INSET);
    expect(Number.isFinite(stepScale(1, 0)(0))).toBe(true);
  });
});

describe("layoutTimeline", () => {
  const t = traceOf("lo0-esp-ping");

  it("draws one tick per decision, merged when they share a pixel column", () => {
    const wide = layoutTimeline(traceIndex(t), t.events.length, 20_000, 20, 8);
    expect(wide.decisions.match(/M/g)).toHaveLength(traceIndex(t).decisions.length);
    const narrow = layoutTimeline(traceIndex(t), t.events.length, 120, 20, 8);
    expect(narrow.decisions.match(/M/g)!.length).toBeLessThanOrEqual(100);
    expect(narrow.decisions.match(/M/g)!.length).toBeGreaterThan(10);
  });

  it("flags each finding step with its worst severity", () => {
    const plan = layoutTimeline(traceIndex(t), t.events.length, 1000, 20, 8);
    expect(plan.findings.map((f) => f.step)).toEqual(traceIndex(t).findingSteps);
    expect(plan.findings.find((f) => f.step === replyLoopCheck(t))!.severity).toBe("critical");
    expect(plan.findings.some((f) => f.severity === "info")).toBe(true);
    const x = stepScale(t.events.length, 1000);
    for (const f of plan.findings) expect(f.x).toBe(x(f.step));
  });
});

describe("tag lanes layout", () => {
  it("renders only the rows in view, plus overscan", () => {
    expect(visibleRange(10_000, 26, 0, 100, 2)).toEqual({ first: 0, last: 6 });
    expect(visibleRange(10_000, 26, 26 * 500, 100, 2)).toEqual({ first: 498, last: 506 });
    expect(visibleRange(10, 26, 10_000, 100, 2)).toEqual({ first: 382, last: 9 });
    expect(visibleRange(0, 26, 0, 100)).toEqual({ first: 0, last: -1 });
  });

  it("draws a lane from prepend to its end, stale from the stale consult, and an arrow when alive at the end", () => {
    const t = traceOf("lo0-esp-ping");
    const lanes = tagLanes(t).lanes;
    const x = stepScale(t.events.length, 1000);
    const row = layoutLaneRow(lanes[0]!, 0, x, t.events.length, 26);
    expect(row).toMatchObject({ uid: 1, label: "OUT_DONE #1", y: 0, aliveAtEnd: false, x0: x(lanes[0]!.start), x1: x(lanes[0]!.end!) });
    expect(row.staleX).toBe(x(replyLoopCheck(t)));
    expect(row.consults.map((c) => c.stale)).toEqual([false, true]);
    expect(row.description).toMatch(/freed with its chain/);

    const alive: TagLane = { ...lanes[0]!, end: null, endReason: null, staleFrom: null };
    const r2 = layoutLaneRow(alive, 3, x, t.events.length, 26);
    expect(r2).toMatchObject({ aliveAtEnd: true, y: 78, staleX: null, x1: x(t.events.length - 1) });
    expect(r2.description).toMatch(/still alive at the end/);
  });

  it("finds the first lane alive at a step", () => {
    const t = traceOf("lo0-esp-ping");
    const lanes = tagLanes(t).lanes;
    expect(firstLaneAt(lanes, 0)).toBe(-1);
    expect(firstLaneAt(lanes, replyLoopCheck(t))).toBe(0);
    expect(firstLaneAt(lanes, lanes[2]!.start)).toBe(2);
  });
});
