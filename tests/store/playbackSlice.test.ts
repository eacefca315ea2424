import { beforeAll, describe, expect, it } from "vitest";
import { SPEEDS, stepInterval } from "../../src/store/playbackSlice";
import type { ScenarioTrace } from "../../src/engine/index";
import { nextAfter, prevBefore, traceIndex } from "../../src/store/selectors";
import { replyLoopCheck, storeWithEngine } from "./support";

const store = storeWithEngine();
let initial: ReturnType<typeof store.getInitialState>;
let trace: ScenarioTrace;
let last: number;

beforeAll(async () => {
  await store.getState().selectScenario("lo0-esp-ping");
  initial = store.getState();
  trace = initial.trace!;
  last = trace.events.length - 1;
});

function fresh() {
  // The documented zustand reset, keeping the loaded trace so each test starts at step 1.
  store.setState(store.getInitialState(), true);
  store.setState({ trace: initial.trace, status: "ready" });
  return store;
}

describe("playback", () => {
  it("steps forward and back one event at a time, as a 'step' move", () => {
    const s = fresh();
    s.getState().stepForward();
    s.getState().stepForward();
    expect(s.getState().cursor).toBe(2);
    expect(s.getState().lastMove).toBe("step");
    s.getState().stepBack();
    expect(s.getState().cursor).toBe(1);
  });

  it("does nothing at all when stepping back past the start or forward past the end", () => {
    const s = fresh();
    const before = s.getState();
    let notified = 0;
    const unsubscribe = s.subscribe(() => notified++);
    s.getState().stepBack();
    s.getState().stepBack();
    expect(s.getState()).toBe(before);
    s.getState().jumpToEnd();
    const atEnd = s.getState();
    expect(atEnd.cursor).toBe(last);
    s.getState().stepForward();
    expect(s.getState()).toBe(atEnd);
    unsubscribe();
    expect(notified).toBe(1);
  });

  it("jumps to the start and the end as 'jump' moves", () => {
    const s = fresh();
    s.getState().jumpToEnd();
    expect(s.getState()).toMatchObject({ cursor: last, lastMove: "jump" });
    s.getState().jumpToStart();
    expect(s.getState()).toMatchObject({ cursor: 0, lastMove: "jump" });
  });

  it("clamps seeks into the trace and ignores nonsense", () => {
    const s = fresh();
    s.getState().seek(10_000);
    expect(s.getState().cursor).toBe(last);
    s.getState().seek(-5);
    expect(s.getState().cursor).toBe(0);
    s.getState().seek(Number.NaN);
    expect(s.getState().cursor).toBe(0);
    s.getState().seek(62.6);
    expect(s.getState().cursor).toBe(63);
  });

  it("jumps between decisions with ] and [", () => {
    const s = fresh();
    const decisions = trace.events.filter((e) => e.kind === "decision").map((e) => e.seq);
    s.getState().nextDecision();
    expect(s.getState().cursor).toBe(decisions[0]);
    const loop = replyLoopCheck(trace);
    s.getState().seek(loop);
    s.getState().nextDecision();
    const after = s.getState().cursor;
    expect(after).toBe(decisions[decisions.indexOf(loop) + 1]);
    expect(trace.events.slice(loop + 1, after).some((e) => e.kind === "decision")).toBe(false);
    s.getState().prevDecision();
    expect(s.getState().cursor).toBe(loop);
    s.getState().prevDecision();
    expect(s.getState().cursor).toBe(decisions[decisions.indexOf(loop) - 1]);
    s.getState().jumpToStart();
    s.getState().prevDecision();
    expect(s.getState().cursor).toBe(0);
  });

  it("jumps between the steps where findings became true", () => {
    const s = fresh();
    const steps = [...new Set(trace.outcome.findings.map((f) => f.step))].sort((a, b) => a - b);
    expect(steps.length).toBeGreaterThan(1);
    s.getState().nextFinding();
    expect(s.getState().cursor).toBe(steps[0]);
    s.getState().nextFinding();
    expect(s.getState().cursor).toBe(steps[1]);
    s.getState().prevFinding();
    expect(s.getState().cursor).toBe(steps[0]);
    s.getState().goToFinding(steps.at(-1)!);
    expect(s.getState().cursor).toBe(steps.at(-1));
    expect(nextAfter(traceIndex(trace).findingSteps, s.getState().cursor)).toBeUndefined();
    expect(prevBefore(traceIndex(trace).findingSteps, steps[0]!)).toBeUndefined();
  });

  it("plays tick by tick, stops at the end, and starts over when played from the end", () => {
    const s = fresh();
    s.getState().seek(last - 2);
    s.getState().play();
    expect(s.getState().playing).toBe(true);
    s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: last - 1, playing: true, lastMove: "step" });
    s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: last, playing: false });
    s.getState().tick();
    expect(s.getState().cursor).toBe(last);
    s.getState().togglePlay();
    expect(s.getState()).toMatchObject({ cursor: 0, playing: true });
    s.getState().togglePlay();
    expect(s.getState().playing).toBe(false);
  });

  it("pauses at a step with a finding (a warning or worse) unless that setting is off, and goes on from there", () => {
    const index = traceIndex(trace);
    const finding = index.findingSteps.find((step) => index.findingsAt.get(step)!.some((f) => f.severity !== "info"))!;
    const note = index.findingSteps.find((step) => index.findingsAt.get(step)!.every((f) => f.severity === "info"));
    const s = fresh();
    expect(s.getState().pauseAtFindings).toBe(true);
    s.getState().seek(finding - 2);
    s.getState().play();
    s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: finding - 1, playing: true });
    s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: finding, playing: false });
    s.getState().play();
    s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: finding + 1, playing: true });
    if (note !== undefined) {
      // A note (info) does not stop the play.
      s.getState().seek(note - 1);
      s.getState().play();
      s.getState().tick();
      expect(s.getState()).toMatchObject({ cursor: note, playing: true });
    }
    s.getState().setPauseAtFindings(false);
    s.getState().seek(finding - 1);
    s.getState().play();
    s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: finding, playing: true });
  });

  it("pauses when the user steps or seeks while playing", () => {
    const s = fresh();
    s.getState().play();
    s.getState().stepForward();
    expect(s.getState()).toMatchObject({ cursor: 1, playing: false });
    s.getState().play();
    s.getState().seek(40);
    expect(s.getState().playing).toBe(false);
  });

  it("accepts only the offered speeds", () => {
    const s = fresh();
    s.getState().setSpeed(4);
    expect(s.getState().speed).toBe(4);
    s.getState().setSpeed(3);
    expect(s.getState().speed).toBe(4);
    expect(SPEEDS).toContain(1);
    expect(stepInterval(2)).toBeLessThan(stepInterval(1));
  });

  it("has nothing to step through without a trace", () => {
    store.setState(store.getInitialState(), true);
    const before = store.getState();
    store.getState().stepForward();
    store.getState().jumpToEnd();
    store.getState().play();
    store.getState().nextDecision();
    expect(store.getState()).toBe(before);
  });

  it("keeps to a range: stepping, jumping, playing and decisions stop at its ends", () => {
    const s = fresh();
    s.getState().setPauseAtFindings(false);
    s.getState().setRange({ from: 60, to: 70 });
    expect(s.getState()).toMatchObject({ range: { from: 60, to: 70 }, cursor: 60 });
    s.getState().stepBack();
    expect(s.getState().cursor).toBe(60);
    s.getState().jumpToEnd();
    expect(s.getState().cursor).toBe(70);
    s.getState().stepForward();
    s.getState().seek(200);
    expect(s.getState().cursor).toBe(70);
    s.getState().play();
    expect(s.getState()).toMatchObject({ cursor: 60, playing: true });
    for (let i = 0; i < 20; i++) s.getState().tick();
    expect(s.getState()).toMatchObject({ cursor: 70, playing: false });
    s.getState().jumpToStart();
    expect(s.getState().cursor).toBe(60);
    const beyond = traceIndex(trace).decisions.find((d) => d > 70)!;
    s.getState().jumpToEnd();
    s.getState().nextDecision();
    expect(s.getState().cursor).not.toBe(beyond);
  });

  it("clamps a range to the trace and lifts it with null", () => {
    const s = fresh();
    s.getState().setRange({ from: last + 50, to: 5 });
    expect(s.getState().range).toEqual({ from: 5, to: last });
    s.getState().setRange(null);
    s.getState().seek(0);
    expect(s.getState()).toMatchObject({ range: null, cursor: 0 });
  });
});
