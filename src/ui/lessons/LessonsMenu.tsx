/**
 * The header's Lessons entry: the built-in lessons (the 2003 lo0 bug first), a new lesson on the
 * run on screen, and opening a `.lesson.json` file. Reachable from the start screen.
 */
import { useEffect, useId, useRef, useState, type ChangeEvent, type ReactElement } from "react";
import type { BUILTIN_LESSONS as Builtins } from "../../lessons/builtins";
import { LESSON_VERSION, type Lesson } from "../../lessons/schema";
import { openLesson } from "../../lessons/session";
import { lessonStore } from "../../lessons/store";
import { tagflowStore } from "../../store/index";
import { Icon } from "../icons";
import { uiStore } from "../uiStore";
import { readLessonFile } from "./lessonFile";
import { useLesson } from "./useLessonStore";

/** A new, empty lesson on the run the store shows now (its scenario, kernel and fixes). */
export function newLessonFromRun(): Lesson {
  const s = tagflowStore.getState();
  const scenario = s.source.kind === "builtin" ? s.source.name : (s.trace?.scenario as unknown as Lesson["scenario"]);
  return { version: LESSON_VERSION, title: "A new lesson", scenario, personality: s.personality, fixes: [...s.fixes], stops: [] };
}

function start(lesson: Lesson, mode: "class" | "author"): void {
  uiStore.getState().dismissStory();
  uiStore.getState().setSharedNotice(null);
  uiStore.getState().setMenuOpen(false);
  if (mode === "author" && lesson.stops.length === 0) lessonStore.getState().open(lesson, 0, "author");
  else void openLesson(tagflowStore, lesson, 0, mode);
}

/** Props: none. */
export function LessonsMenu(): ReactElement {
  const open = useLesson((s) => s.listOpen);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const id = useId();
  const setOpen = (o: boolean) => lessonStore.getState().setListOpen(o);
  // The built-in lessons' text loads when the list is first opened (not part of the first load).
  const [builtins, setBuiltins] = useState<typeof Builtins | null>(null);
  useEffect(() => {
    if (open && !builtins) void import("../../lessons/builtins").then((m) => setBuiltins(m.BUILTIN_LESSONS));
  }, [open, builtins]);

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>("[role=menuitem]")?.focus();
  }, [open, builtins]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      const t = e.target as Node | null;
      if (t && !menu.current?.contains(t) && !button.current?.contains(t)) setOpen(false);
    };
    window.addEventListener("pointerdown", onPointer);
    return () => window.removeEventListener("pointerdown", onPointer);
  }, [open]);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    e.target.value = "";
    if (!f) return;
    const r = await readLessonFile(f);
    if (!r.ok) tagflowStore.getState().reportProblems(`Could not open ${f.name}`, r.problems);
    else start(r.lesson, "class");
  };

  return (
    <div className="export lessons-menu">
      <button
        ref={button}
        type="button"
        className="btn btn--ghost"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen(!open)}
        data-testid="lessons"
        title="Lessons: guided tours, stop by stop"
      >
        <Icon name="info" /> <span className="btn-text">Lessons</span>
      </button>
      {open && (
        <div
          className="popover menu lessons-popover"
          id={id}
          role="menu"
          aria-label="Lessons"
          ref={menu}
          onKeyDown={(e) => {
            const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? [])];
            const at = items.indexOf(document.activeElement as HTMLButtonElement);
            if (e.key === "Escape") {
              e.preventDefault();
              setOpen(false);
              button.current?.focus();
            } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              items[(at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]?.focus();
            }
          }}
        >
          <div className="menu-group" role="group" aria-label="Built-in lessons">
            {builtins === null && <p className="menu-hint">Loading the lessons…</p>}
            {(builtins ?? []).map(({ id: lid, lesson }) => (
              <button
                key={lid}
                type="button"
                role="menuitem"
                className="menu-item"
                onClick={() => start(lesson, "class")}
                data-testid={`lesson-${lid}`}
              >
                <span className="menu-label">{lesson.title}</span>
                <span className="menu-hint">
                  {lesson.stops.length} stops · {typeof lesson.scenario === "string" ? lesson.scenario : "custom scenario"}
                </span>
              </button>
            ))}
          </div>
          <div className="menu-group" role="group" aria-label="Your lessons">
            <button type="button" role="menuitem" className="menu-item" onClick={() => start(newLessonFromRun(), "author")} data-testid="lesson-new">
              <span className="menu-label">Write a lesson on this run…</span>
              <span className="menu-hint">add stops at steps, with text and questions; share it as a link</span>
            </button>
            <button type="button" role="menuitem" className="menu-item" onClick={() => file.current?.click()}>
              <span className="menu-label">Open a lesson file…</span>
              <span className="menu-hint">a .lesson.json saved from tagflow</span>
            </button>
          </div>
        </div>
      )}
      <input
        ref={file}
        className="visually-hidden"
        type="file"
        accept=".json,application/json"
        tabIndex={-1}
        aria-label="Open a lesson file"
        data-testid="lesson-file"
        onChange={(e) => void onFile(e)}
      />
    </div>
  );
}
