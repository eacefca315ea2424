/**
 * Author mode: a lesson is written on the run on screen. Add a stop at the current step (its
 * logical key, and the kernel and fixes in force when they differ from the stop before), edit its
 * text and question, reorder, delete, preview in class mode, copy the link, save the file, print
 * the handout. Problems are listed with their JSON paths as the validator reports them.
 */
import { useState, type ReactElement } from "react";
import { FIX_IDS, logicalIndex } from "../../engine/index";
import { lessonFragment } from "../../lessons/link";
import type { Lesson, Question, Stop } from "../../lessons/schema";
import { goToStop, openLesson } from "../../lessons/session";
import { lessonStore } from "../../lessons/store";
import { stateAtStop, stopSeq } from "../../lessons/stops";
import { loadLesson } from "../../lessons/validate";
import { copyText } from "../../share/clipboard";
import { tagflowStore, useTagflow } from "../../store/index";
import { Icon } from "../icons";
import { printHandout } from "./Handout";
import { saveLessonFile } from "./lessonFile";
import { useLesson } from "./useLessonStore";
import "./lessons.css";

const edit = (f: (l: Lesson) => Lesson) => lessonStore.getState().edit(f);
const setStops = (f: (stops: Stop[]) => Stop[]) => edit((l) => ({ ...l, stops: f([...l.stops]) }));
const updateStop = (i: number, patch: (s: Stop) => Stop) => setStops((stops) => stops.map((s, j) => (j === i ? patch(s) : s)));

/** The link that opens `lesson` in class mode at stop 1, on this page. */
export function lessonLink(lesson: Lesson): string {
  return `${window.location.origin}${window.location.pathname}#${lessonFragment(lesson)}`;
}

/** A stop at the app's current step, with the kernel/fixes in force when they differ from the stop before. */
function stopHere(lesson: Lesson, before: number): Stop | null {
  const s = tagflowStore.getState();
  if (!s.trace) return null;
  const key = logicalIndex(s.trace).keys[s.cursor];
  if (!key) return null;
  const prev = stateAtStop(lesson, before);
  const fixes = FIX_IDS.filter((id) => s.fixes.includes(id));
  const sameFixes = prev.fixes !== null && prev.fixes.join(",") === fixes.join(",");
  const samePersonality = prev.personality === null || prev.personality === s.personality;
  const state = { ...(samePersonality ? {} : { personality: s.personality }), ...(sameFixes ? {} : { fixes }) };
  const e = s.trace.events.at(s.cursor)!;
  return { key, text: e.note ?? "", ...(Object.keys(state).length > 0 ? { state } : {}) };
}

function QuestionEditor({ index, stop }: { index: number; stop: Stop }): ReactElement {
  const q = stop.question;
  const set = (question: Question | undefined) =>
    updateStop(index, (s) => {
      const { question: _old, ...rest } = s;
      return question ? { ...rest, question } : rest;
    });
  return (
    <fieldset className="author-question">
      <legend>Question</legend>
      <label className="author-field">
        <span>Kind</span>
        <select
          value={q?.kind ?? "none"}
          data-testid="author-question-kind"
          onChange={(e) => {
            const v = e.target.value;
            if (v === "none") set(undefined);
            else if (v === "choice") set({ kind: "choice", prompt: q?.prompt ?? "", choices: ["", ""], answer: 0, why: q?.why ?? "" });
            else set({ kind: "predict", prompt: q?.prompt ?? "What happens next?", why: q?.why ?? "" });
          }}
        >
          <option value="none">none</option>
          <option value="choice">multiple choice</option>
          <option value="predict">predict the next step</option>
        </select>
      </label>
      {q && (
        <>
          <label className="author-field">
            <span>Prompt</span>
            <input type="text" value={q.prompt} data-testid="author-prompt" onChange={(e) => set({ ...q, prompt: e.target.value })} />
          </label>
          {q.kind === "choice" && (
            <>
              <label className="author-field">
                <span>Answers, one per line</span>
                <textarea
                  rows={3}
                  value={q.choices.join("\n")}
                  data-testid="author-choices"
                  onChange={(e) => {
                    const choices = e.target.value.split("\n");
                    set({ ...q, choices, answer: Math.min(q.answer, Math.max(0, choices.length - 1)) });
                  }}
                />
              </label>
              <label className="author-field">
                <span>The right answer</span>
                <select value={q.answer} data-testid="author-answer" onChange={(e) => set({ ...q, answer: Number(e.target.value) })}>
                  {q.choices.map((c, i) => (
                    <option key={i} value={i}>
                      {i + 1}. {c.slice(0, 40)}
                    </option>
                  ))}
                </select>
              </label>
            </>
          )}
          <label className="author-field">
            <span>{q.kind === "choice" ? "Why (shown with the answer)" : "What the class should see (shown with the next step)"}</span>
            <textarea rows={2} value={q.why} data-testid="author-why" onChange={(e) => set({ ...q, why: e.target.value })} />
          </label>
        </>
      )}
    </fieldset>
  );
}

/** Props: none; the lesson store holds the lesson being written. */
export function AuthorPanel(): ReactElement | null {
  const lesson = useLesson((s) => s.lesson);
  const mode = useLesson((s) => s.mode);
  const current = useLesson((s) => s.stop);
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const [copied, setCopied] = useState<string | null>(null);
  if (!lesson || mode !== "author") return null;
  const checked = loadLesson(lesson);
  const problems = checked.ok ? [] : checked.problems;
  const app = tagflowStore;
  const add = () => {
    const at = lesson.stops.length === 0 ? 0 : current + 1;
    const stop = stopHere(lesson, at - 1);
    if (!stop) return;
    setStops((stops) => [...stops.slice(0, at), stop, ...stops.slice(at)]);
    lessonStore.getState().setStop(at);
  };
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= lesson.stops.length) return;
    setStops((stops) => {
      [stops[i], stops[j]] = [stops[j]!, stops[i]!];
      return stops;
    });
    lessonStore.getState().setStop(j);
  };
  const copy = async () => {
    if (!checked.ok) return;
    const url = lessonLink(checked.lesson);
    setCopied((await copyText(url)) ? url : url);
  };
  const stop = lesson.stops[current];
  return (
    <aside className="author" aria-label="Lesson author" data-testid="author">
      <header className="author-head">
        <h2>Write a lesson</h2>
        <button
          type="button"
          className="icon-btn"
          onClick={() => lessonStore.getState().close()}
          aria-label="Close the lesson"
          data-testid="author-close"
        >
          <Icon name="close" />
        </button>
      </header>
      <label className="author-field">
        <span>Title</span>
        <input type="text" value={lesson.title} data-testid="author-title" onChange={(e) => edit((l) => ({ ...l, title: e.target.value }))} />
      </label>
      <button type="button" className="btn" onClick={add} disabled={!trace} data-testid="author-add">
        Add a stop at step {cursor + 1}
      </button>
      <ol className="author-stops" aria-label="Stops">
        {lesson.stops.map((s, i) => {
          const seq = trace ? stopSeq(trace, s.key) : null;
          return (
            <li key={i} className={i === current ? "is-current" : ""}>
              <button
                type="button"
                className="author-stop"
                onClick={() => void goToStop(app, i, { playThrough: false })}
                aria-current={i === current ? "step" : undefined}
                data-testid={`author-stop-${i + 1}`}
              >
                <strong>{i + 1}.</strong> {seq === null ? "(not in this run)" : `step ${seq + 1}`}
                {s.question ? " · ?" : ""}
                {s.state ? " · state" : ""} <span className="author-stop-text">{s.text.slice(0, 60)}</span>
              </button>
              <span className="author-stop-tools">
                <button type="button" className="icon-btn" aria-label={`Move stop ${i + 1} up`} onClick={() => move(i, -1)} disabled={i === 0}>
                  ↑
                </button>
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={`Move stop ${i + 1} down`}
                  onClick={() => move(i, 1)}
                  disabled={i === lesson.stops.length - 1}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={`Delete stop ${i + 1}`}
                  onClick={() => setStops((stops) => stops.filter((_, j) => j !== i))}
                  data-testid={`author-delete-${i + 1}`}
                >
                  <Icon name="close" />
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      {stop && (
        <section className="author-edit" aria-label={`Stop ${current + 1}`}>
          <label className="author-field">
            <span>Stop {current + 1}: text (*emphasis*, **strong**, `code`)</span>
            <textarea
              rows={5}
              value={stop.text}
              data-testid="author-text"
              onChange={(e) => updateStop(current, (s) => ({ ...s, text: e.target.value }))}
            />
          </label>
          <QuestionEditor index={current} stop={stop} />
        </section>
      )}
      {problems.length > 0 && lesson.stops.length > 0 && (
        <ul className="author-problems" data-testid="author-problems">
          {problems.slice(0, 6).map((p, i) => (
            <li key={i}>
              <code>{p.path}</code> {p.message}
            </li>
          ))}
        </ul>
      )}
      <div className="author-actions">
        <button
          type="button"
          className="btn"
          disabled={!checked.ok}
          onClick={() => checked.ok && void openLesson(app, checked.lesson, current, "class")}
          data-testid="author-preview"
        >
          Preview
        </button>
        <button type="button" className="btn btn--ghost" disabled={!checked.ok} onClick={() => void copy()} data-testid="author-copy">
          <Icon name="link" /> Copy link
        </button>
        <button
          type="button"
          className="btn btn--ghost"
          disabled={!checked.ok}
          onClick={() => checked.ok && void saveLessonFile(checked.lesson)}
          data-testid="author-save"
        >
          <Icon name="download" /> Save file
        </button>
        <button
          type="button"
          className="btn btn--ghost"
          disabled={!checked.ok}
          onClick={() => checked.ok && void printHandout(checked.lesson)}
          data-testid="author-print"
        >
          Print handout
        </button>
      </div>
      {copied && (
        <label className="author-field">
          <span>Link to this lesson (copied)</span>
          <input type="text" readOnly value={copied} data-testid="lesson-link" onFocus={(e) => e.currentTarget.select()} />
        </label>
      )}
    </aside>
  );
}
