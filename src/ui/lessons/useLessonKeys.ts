/**
 * Class-mode keys, taken in the capture phase before the app's own (hooks/useKeyboard.ts) so →
 * and ← go stop to stop while a lesson is shown in class mode:
 *
 *   → PageDown  next stop (or finish the play-through under way)   ← PageUp  previous stop
 *   Q  show the question      1–6  answer it      A / Enter  show the answer (predict: the next step)
 *   F  fold the card
 *
 * Space, P, ?, C and the rest keep their meaning. Nothing is taken while typing or with the help open.
 */
import { useEffect } from "react";
import { closeLesson, nextStop, prevStop, revealAnswer } from "../../lessons/session";
import { currentQuestion, lessonStore } from "../../lessons/store";
import { tagflowStore } from "../../store/index";
import { isTextField } from "../hooks/useKeyboard";
import { uiStore } from "../uiStore";

/** The keys and what they do, for the card's key line and the tests. */
export const LESSON_KEYS: readonly { keys: string; action: string }[] = [
  { keys: "← →", action: "previous / next stop" },
  { keys: "Q", action: "show the question" },
  { keys: "1–6", action: "answer" },
  { keys: "A", action: "show the answer" },
  { keys: "F", action: "fold the card" },
];

export function useLessonKeys(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTextField(event.target) || uiStore.getState().helpOpen) return;
      const s = lessonStore.getState();
      if (!s.lesson || s.mode !== "class") return;
      const t = event.target;
      // A focused tab or slider keeps its arrow keys.
      if (t instanceof HTMLElement && (t.getAttribute("role") === "tab" || (t.tagName === "INPUT" && (t as HTMLInputElement).type === "range")))
        return;
      const app = tagflowStore;
      const q = currentQuestion(s);
      let action: (() => void) | null = null;
      const k = event.key;
      if (k === "ArrowRight" || k === "PageDown") action = () => nextStop(app);
      else if (k === "ArrowLeft" || k === "PageUp") action = () => prevStop(app);
      else if ((k === "q" || k === "Q") && q) action = () => s.revealQuestion();
      else if ((k === "a" || k === "A" || (k === "Enter" && !(t instanceof HTMLButtonElement))) && q) action = () => revealAnswer(app);
      else if (/^[1-6]$/.test(k) && q?.kind === "choice" && Number(k) <= q.choices.length) action = () => s.choose(Number(k) - 1);
      else if (k === "f" || k === "F") action = () => s.toggleFolded();
      else if (k === "Escape" && !uiStore.getState().present) action = () => closeLesson(app);
      if (!action) return;
      event.preventDefault();
      event.stopPropagation();
      action();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);
}
