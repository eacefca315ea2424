/**
 * Class-mode navigation: stop to stop on the app store. Going forward within the same run, the
 * steps between two stops play through at the lesson's speed (so the class sees the packet move);
 * going back, jumping far, or a stop that switches fixes or kernel re-runs the engine (when the
 * run differs) and jumps. No DOM: timers are the only outside thing, and tests drive them.
 */
import type { StoreApi } from "zustand/vanilla";
import { scenarioKey } from "../share/codec";
import { applyShareState, shareStateOf } from "../share/state";
import type { RunOutcome, TagflowState } from "../store/types";
import type { Lesson } from "./schema";
import { loadLinkModule } from "./linkModule";
import { lessonStore, type LessonMode } from "./store";
import { stopSeq, stopShareState } from "./stops";

/** More steps than this between two stops are jumped, not played (a flood's thousands of steps). */
export const MAX_PLAY_THROUGH = 150;

let timer: ReturnType<typeof setTimeout> | null = null;
let playTarget: number | null = null;
/** Incremented per navigation: an older one still awaiting its engine run gives up. */
let navSeq = 0;

function stopPlayThrough(app: StoreApi<TagflowState>): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  // A play-through cut short lands on its stop: the stop's text speaks of that step.
  if (playTarget !== null) app.getState().seek(playTarget, "jump");
  playTarget = null;
}

/** A play-through is under way (the card says so; → finishes it). */
export function playingThrough(): boolean {
  return playTarget !== null;
}

/** Open `lesson` at `stop` (0-based) in `mode` and put the app there. */
export async function openLesson(app: StoreApi<TagflowState>, lesson: Lesson, stop = 0, mode: LessonMode = "class"): Promise<RunOutcome> {
  // The address bar carries an open lesson (lessons/linkSync.ts): have its codec ready first.
  await loadLinkModule();
  lessonStore.getState().open(lesson, stop, mode);
  return goToStop(app, lessonStore.getState().stop, { playThrough: false });
}

/**
 * Show stop `index`: re-run the engine when the stop's scenario, kernel or fixes differ from the
 * run on screen, then go to its step — played through from the cursor when it lies ahead in the
 * same run, else jumped to.
 */
export async function goToStop(app: StoreApi<TagflowState>, index: number, { playThrough = true } = {}): Promise<RunOutcome> {
  const lessons = lessonStore.getState();
  const lesson = lessons.lesson;
  if (!lesson || lesson.stops.length === 0) return "unchanged";
  stopPlayThrough(app);
  const seq = ++navSeq;
  lessons.setStop(index);
  const i = lessonStore.getState().stop;
  const target = stopShareState(lesson, i);
  const current = shareStateOf(app.getState());
  const sameRun = current !== null && scenarioKey(current) === scenarioKey({ ...target, personality: target.personality ?? current.personality });
  if (!sameRun || !app.getState().trace) {
    const outcome = await applyShareState(app, target);
    return outcome;
  }
  if (seq !== navSeq) return "superseded";
  const trace = app.getState().trace!;
  const to = stopSeq(trace, lesson.stops[i]!.key);
  if (to === null) return "unchanged";
  const from = app.getState().cursor;
  const speed = lessonStore.getState().speed;
  app.getState().pause();
  if (!playThrough || speed === 0 || to <= from || to - from > MAX_PLAY_THROUGH) {
    app.getState().seek(to, "jump");
    return "unchanged";
  }
  playTarget = to;
  const interval = Math.round(1000 / speed);
  const tick = () => {
    const s = app.getState();
    if (playTarget === null) return;
    if (s.cursor >= playTarget || s.trace !== trace) {
      playTarget = null;
      timer = null;
      return;
    }
    s.seek(s.cursor + 1, "step");
    timer = setTimeout(tick, interval);
  };
  timer = setTimeout(tick, interval);
  return "unchanged";
}

/** → in class mode: finish a play-through under way, else go on to the next stop. */
export function nextStop(app: StoreApi<TagflowState>): void {
  if (playTarget !== null) return stopPlayThrough(app);
  const { lesson, stop } = lessonStore.getState();
  if (lesson && stop < lesson.stops.length - 1) void goToStop(app, stop + 1);
}

/** ← in class mode: the previous stop (jumped to). */
export function prevStop(app: StoreApi<TagflowState>): void {
  stopPlayThrough(app);
  const { lesson, stop } = lessonStore.getState();
  if (lesson && stop > 0) void goToStop(app, stop - 1, { playThrough: false });
}

/** Show the answer; for "predict the next step", the app also moves to that step. */
export function revealAnswer(app: StoreApi<TagflowState>): void {
  const s = lessonStore.getState();
  const q = s.lesson?.stops[s.stop]?.question;
  if (!q) return;
  if (!s.revealed) return s.revealQuestion();
  s.showAnswer();
  if (q.kind === "predict") app.getState().stepForward();
}

/** Leave the lesson (the run stays on screen). */
export function closeLesson(app: StoreApi<TagflowState>): void {
  stopPlayThrough(app);
  navSeq++;
  lessonStore.getState().close();
}
