/**
 * The lesson on screen, apart from the app store (a lesson is not part of the run): which lesson,
 * class or author mode, the current stop and the state of its question, the play-through speed.
 * No DOM; the navigation that moves the app's cursor is session.ts.
 */
import { createStore } from "zustand/vanilla";
import type { Lesson, Question, Stop } from "./schema";

export type LessonMode = "class" | "author";

/** Play-through speeds between stops, in steps per second; 0 jumps straight to the stop. */
export const PLAY_SPEEDS = [0, 4, 12, 30] as const;

export interface LessonState {
  lesson: Lesson | null;
  mode: LessonMode | null;
  /** 0-based current stop. */
  stop: number;
  /** The question of the current stop is on screen. */
  revealed: boolean;
  /** The answer picked (choice questions), or null. */
  chosen: number | null;
  /** The answer (or, for "predict", the next step) is shown. */
  answered: boolean;
  /** Steps per second between stops (one of PLAY_SPEEDS). */
  speed: number;
  /** The built-in lessons list is open. */
  listOpen: boolean;
  /** The card is folded to one line (to see the stack under it). */
  folded: boolean;

  open(lesson: Lesson, stop: number, mode: LessonMode): void;
  close(): void;
  setMode(mode: LessonMode): void;
  /** Move to a stop (the app's cursor is moved by session.ts); its question starts hidden. */
  setStop(stop: number): void;
  revealQuestion(): void;
  choose(index: number): void;
  showAnswer(): void;
  setSpeed(speed: number): void;
  setListOpen(open: boolean): void;
  toggleFolded(): void;
  /** Author mode: replace the lesson being written. */
  edit(update: (lesson: Lesson) => Lesson): void;
}

const QUESTION_RESET = { revealed: false, chosen: null, answered: false } as const;

export const lessonStore = createStore<LessonState>()((set, get) => ({
  lesson: null,
  mode: null,
  stop: 0,
  ...QUESTION_RESET,
  speed: 12,
  listOpen: false,
  folded: false,
  open: (lesson, stop, mode) =>
    set({ lesson, mode, stop: Math.max(0, Math.min(stop, lesson.stops.length - 1)), ...QUESTION_RESET, listOpen: false, folded: false }),
  close: () => set({ lesson: null, mode: null, stop: 0, ...QUESTION_RESET }),
  setMode: (mode) => set({ mode, ...QUESTION_RESET }),
  setStop: (stop) => {
    const n = get().lesson?.stops.length ?? 0;
    if (n > 0) set({ stop: Math.max(0, Math.min(n - 1, stop)), ...QUESTION_RESET });
  },
  revealQuestion: () => {
    if (currentQuestion(get())) set({ revealed: true });
  },
  choose: (index) => {
    const q = currentQuestion(get());
    if (q?.kind === "choice" && index >= 0 && index < q.choices.length && !get().answered) set({ revealed: true, chosen: index, answered: true });
  },
  showAnswer: () => {
    if (currentQuestion(get())) set({ revealed: true, answered: true });
  },
  setSpeed: (speed) => {
    if ((PLAY_SPEEDS as readonly number[]).includes(speed)) set({ speed });
  },
  setListOpen: (listOpen) => set({ listOpen }),
  toggleFolded: () => set((s) => ({ folded: !s.folded })),
  edit: (update) => {
    const lesson = get().lesson;
    if (!lesson) return;
    const next = update(lesson);
    set({ lesson: next, stop: Math.max(0, Math.min(get().stop, next.stops.length - 1)) });
  },
}));

/** The current stop, or null. */
export function currentStop(s: Pick<LessonState, "lesson" | "stop">): Stop | null {
  return s.lesson?.stops[s.stop] ?? null;
}

export function currentQuestion(s: Pick<LessonState, "lesson" | "stop">): Question | null {
  return currentStop(s)?.question ?? null;
}
