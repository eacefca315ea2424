import { useEffect } from "react";
import { tagflowStore } from "../../store/index";
import { copyCurrentLink } from "../shareUi";
import { uiStore } from "../uiStore";

/** Keys and what they do, for the help overlay, the help line and the tests. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: "Space", action: "play / pause (always, unless you are typing)" },
  { keys: "← →", action: "step back / forward" },
  { keys: "Home End", action: "start / end" },
  { keys: "[ ]", action: "previous / next decision" },
  { keys: "{ }", action: "previous / next finding" },
  { keys: "P", action: "Present mode (big text, no chrome)" },
  { keys: "C", action: "copy a link to this step" },
  { keys: "?", action: "this help" },
  { keys: "Esc", action: "close help / leave Present mode" },
  // Class mode of a lesson (src/ui/lessons/useLessonKeys.ts): ← → go stop to stop instead.
  { keys: "Q 1–6 A", action: "in a lesson: show the question, answer, show the answer" },
];

/** Focus is somewhere the user types: Space and letters belong to it. */
export function isTextField(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (t as HTMLInputElement).type;
    return !["range", "checkbox", "radio", "button", "submit", "reset", "file", "color"].includes(type);
  }
  return false;
}

/** Whether a key press (other than Space) belongs to the focused control rather than to the app. */
function ownedByTarget(event: KeyboardEvent): boolean {
  const t = event.target;
  if (!(t instanceof HTMLElement)) return false;
  if (isTextField(t)) return true;
  if (t.tagName === "INPUT" && (t as HTMLInputElement).type === "range")
    return ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].includes(event.key);
  if ((event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" || event.key === "End") && t.getAttribute("role") === "tab")
    return true;
  return false;
}

/**
 * The app's keyboard shortcuts, on the window. Space is taken in the capture phase, before a
 * focused button or switch sees it, so it plays/pauses whatever was clicked last (a switch is
 * toggled from the keyboard with Enter; see FixesPanel). `share: false` drops C; `present:
 * false` drops P (the embed).
 */
export function useKeyboard({ share = true, present = true }: { share?: boolean; present?: boolean } = {}): void {
  useEffect(() => {
    const onSpace = (event: KeyboardEvent) => {
      if (event.key !== " " || event.ctrlKey || event.metaKey || event.altKey || isTextField(event.target)) return;
      if (uiStore.getState().helpOpen) return;
      // Also stops the button's own activation on keyup (see onSpaceUp) and the page scroll.
      event.preventDefault();
      event.stopPropagation();
      if (!event.repeat) tagflowStore.getState().togglePlay();
    };
    const onSpaceUp = (event: KeyboardEvent) => {
      if (event.key === " " && !isTextField(event.target) && !uiStore.getState().helpOpen) event.preventDefault();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || ownedByTarget(event)) return;
      const ui = uiStore.getState();
      if (ui.helpOpen) return; // the dialog handles Esc itself
      if (event.key === "Escape") {
        if (ui.present) {
          event.preventDefault();
          ui.togglePresent();
        }
        return;
      }
      const s = tagflowStore.getState();
      const actions: Record<string, () => void> = {
        ArrowRight: s.stepForward,
        ArrowLeft: s.stepBack,
        Home: s.jumpToStart,
        End: s.jumpToEnd,
        "]": s.nextDecision,
        "[": s.prevDecision,
        "}": s.nextFinding,
        "{": s.prevFinding,
        "?": () => ui.setHelpOpen(true),
        ...(present ? { p: ui.togglePresent, P: ui.togglePresent } : {}),
        ...(share ? { c: () => void copyCurrentLink(), C: () => void copyCurrentLink() } : {}),
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    window.addEventListener("keydown", onSpace, true);
    window.addEventListener("keyup", onSpaceUp, true);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onSpace, true);
      window.removeEventListener("keyup", onSpaceUp, true);
      window.removeEventListener("keydown", onKey);
    };
  }, [share, present]);
}
