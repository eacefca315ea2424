/**
 * The lesson format (issue 19), version 1: a scenario (a built-in by name, or a whole scenario),
 * the kernel personality and fixes it starts with, and an ordered list of stops. A stop is a
 * logical step key (engine/trace/logical.ts — the key share links use, so a stop survives engine
 * changes and fix toggles), a short text in plain text with emphasis and code spans (richText.ts;
 * never HTML), optionally the fix/personality state to switch to there, and optionally a question.
 *
 * Lessons are data: versioned like scenarios (migrate.ts), validated with JSON paths
 * (validate.ts), carried in a share link (`l=`, link.ts) and saved as `.lesson.json` files.
 */
import type { FixId, PersonalityId } from "../engine/index";

/** The lesson format this build writes; older lessons are migrated forward (migrate.ts). */
export const LESSON_VERSION = 1;

/** Caps on a lesson's parts, checked by validate.ts (the byte and depth caps are the share link's). */
export const LESSON_LIMITS = {
  title: 120,
  summary: 600,
  stops: 64,
  text: 1200,
  prompt: 300,
  choices: 6,
  choice: 160,
  why: 800,
} as const;

/** A multiple-choice question: the class picks, the app shows the answer and why. */
export interface ChoiceQuestion {
  readonly kind: "choice";
  readonly prompt: string;
  readonly choices: readonly string[];
  /** 0-based index into `choices`. */
  readonly answer: number;
  readonly why: string;
}

/** "Predict the next step": the class guesses, the app reveals the next step (and `why`). */
export interface PredictQuestion {
  readonly kind: "predict";
  readonly prompt: string;
  readonly why: string;
}

export type Question = ChoiceQuestion | PredictQuestion;

/** The kernel state a stop switches to; what it leaves out stays as it was. */
export interface StopState {
  readonly personality?: PersonalityId;
  readonly fixes?: readonly FixId[];
}

export interface Stop {
  /** Logical step key, e.g. "1/host ip ip_output decision ipsec-loop/2". */
  readonly key: string;
  /** Plain text; *emphasis*, **strong** and `code` spans (richText.ts). */
  readonly text: string;
  readonly state?: StopState;
  readonly question?: Question;
}

/** Where the lesson's run comes from: a built-in scenario by name, or a whole scenario value. */
export type LessonScenario = string | Readonly<Record<string, unknown>>;

export interface Lesson {
  readonly version: typeof LESSON_VERSION;
  /** Short, e.g. "The 2003 lo0 bug, in Stone's eight steps". */
  readonly title: string;
  readonly summary?: string;
  readonly scenario: LessonScenario;
  readonly personality?: PersonalityId;
  readonly fixes?: readonly FixId[];
  readonly stops: readonly Stop[];
}
