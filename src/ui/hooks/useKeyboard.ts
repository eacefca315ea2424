import { useEffect } from "react";
import { tagflowStore } from "../../store/index";
import { copyCurrentLink } from "../shareUi";

/** Keys and what they do, for the help line and the tests. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: "← →", action: "step" },
  { keys: "Space", action: "play / pause" },
  { keys: "Home End", action: "start / end" },
  { keys: "[ ]", action: "decision" },
  { keys: "{ }", action: "finding" },
  { keys: "C", action: "copy link" },
];

/** Whether a key press belongs to the focused control rather than to the app. */
function ownedByTarget(event: KeyboardEvent): boolean {
  const t = event.target;
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (t as HTMLInputElement).type;
    // A range input steps itself (and reports through onChange); checkboxes toggle on Space.
    if (type === "range") return ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].includes(event.key);
    if (type === "checkbox" || type === "radio") return event.key === " ";
    return true;
  }
  if (event.key === " " && (tag === "BUTTON" || tag === "A" || tag === "SUMMARY" || t.getAttribute("role") === "tab")) return true;
  if ((event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" || event.key === "End") && t.getAttribute("role") === "tab")
    return true;
  return false;
}

/** The app's keyboard shortcuts (←/→, Space, Home/End, [ ], { }, and C to copy a link unless `share` is off), on the window. */
export function useKeyboard({ share = true }: { share?: boolean } = {}): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || ownedByTarget(event)) return;
      const s = tagflowStore.getState();
      const actions: Record<string, () => void> = {
        ArrowRight: s.stepForward,
        ArrowLeft: s.stepBack,
        " ": s.togglePlay,
        Home: s.jumpToStart,
        End: s.jumpToEnd,
        "]": s.nextDecision,
        "[": s.prevDecision,
        "}": s.nextFinding,
        "{": s.prevFinding,
        ...(share ? { c: () => void copyCurrentLink(), C: () => void copyCurrentLink() } : {}),
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [share]);
}
