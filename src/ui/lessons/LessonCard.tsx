/**
 * Class mode: the stop's text as a large card over the stack, readable at the back of a room
 * (bigger still in Present mode), with the question revealed on a key and answered from the
 * keyboard. ← → go stop to stop; the steps between play through at the chosen speed.
 */
import { useEffect, useRef, type ReactElement } from "react";
import { PLAY_SPEEDS } from "../../lessons/store";
import { closeLesson, goToStop, nextStop, prevStop, revealAnswer } from "../../lessons/session";
import { stateAtStop, stopSeq } from "../../lessons/stops";
import { lessonStore } from "../../lessons/store";
import { tagflowStore, useTagflow } from "../../store/index";
import { Icon } from "../icons";
import { RichText } from "./RichText";
import { useLesson } from "./useLessonStore";
import "./lessons.css";

/** Props: `embed` drops the author and print buttons (the embed is read-only). */
export function LessonCard({ embed = false }: { embed?: boolean }): ReactElement | null {
  const lesson = useLesson((s) => s.lesson);
  const mode = useLesson((s) => s.mode);
  const index = useLesson((s) => s.stop);
  const revealed = useLesson((s) => s.revealed);
  const chosen = useLesson((s) => s.chosen);
  const answered = useLesson((s) => s.answered);
  const speed = useLesson((s) => s.speed);
  const folded = useLesson((s) => s.folded);
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const busy = useTagflow((s) => s.status === "running");
  const question = useRef<HTMLDivElement>(null);
  const why = useRef<HTMLDivElement>(null);
  // The question, then the answer, scroll into view as they appear: at projector scale the stop's
  // text above them may fill the card.
  useEffect(() => {
    if (revealed && !answered) question.current?.scrollIntoView({ block: "start", behavior: "smooth" });
  }, [revealed, answered, index]);
  useEffect(() => {
    if (answered) why.current?.scrollIntoView({ block: "end", behavior: "smooth" });
  }, [answered, index]);
  if (!lesson || mode !== "class" || lesson.stops.length === 0) return null;
  const stop = lesson.stops[index]!;
  const q = stop.question;
  const at = trace ? stopSeq(trace, stop.key) : null;
  const here = at !== null && at === cursor;
  const missing = trace !== null && !busy && at === null;
  const { fixes, personality } = stateAtStop(lesson, index);
  const app = tagflowStore;
  const n = lesson.stops.length;
  return (
    <section
      className={`lesson-card${folded ? " is-folded" : ""}`}
      aria-labelledby="lesson-stop-title"
      data-testid="lesson-card"
      data-stop={index + 1}
    >
      <header className="lesson-card-head">
        <span className="lesson-kicker" id="lesson-stop-title">
          <span data-testid="lesson-stop">
            Stop {index + 1} of {n}
          </span>
          <span className="lesson-title"> · {lesson.title}</span>
        </span>
        <button
          type="button"
          className="btn btn--ghost lesson-tool"
          onClick={() => lessonStore.getState().toggleFolded()}
          title="Fold the card to see the narration (F)"
          aria-expanded={!folded}
          data-testid="lesson-fold"
        >
          {folded ? "Unfold" : "Fold"}
        </button>
        {!embed && (
          <button
            type="button"
            className="btn btn--ghost lesson-tool"
            onClick={() => lessonStore.getState().setMode("author")}
            title="Edit this lesson (author mode)"
            data-testid="lesson-edit"
          >
            Edit
          </button>
        )}
        <button type="button" className="icon-btn" onClick={() => closeLesson(app)} aria-label="Close the lesson" data-testid="lesson-close">
          <Icon name="close" />
        </button>
      </header>
      {!folded && (
        <div className="lesson-body" aria-live="polite">
          {(stop.state !== undefined || (fixes !== null && fixes.length > 0)) && (
            <span className="lesson-state" data-testid="lesson-state">
              {personality ? `kernel: ${personality} · ` : ""}
              {fixes && fixes.length > 0 ? `fix on: ${fixes.join(", ")}` : "no fixes"}
            </span>
          )}
          {missing && (
            <p className="lesson-missing" role="note" data-testid="lesson-missing">
              This stop&apos;s step is not in this run (the scenario, kernel or fixes now do something else there), so tagflow could not go to it.
            </p>
          )}
          {!here && !missing && at !== null && at > cursor && (
            <p className="lesson-playing" data-testid="lesson-playing">
              Playing to step {at + 1}… <kbd>→</kbd> goes straight there.
            </p>
          )}
          <div className="lesson-text" data-testid="lesson-text">
            <RichText text={stop.text} />
          </div>
          {!here && trace && trace.events.at(cursor)?.note && (
            <p className="lesson-now" data-testid="lesson-now">
              Now, step {cursor + 1}: {trace.events.at(cursor)!.note}
            </p>
          )}
          {q && !revealed && (
            <button type="button" className="btn lesson-reveal" onClick={() => lessonStore.getState().revealQuestion()} data-testid="lesson-reveal">
              A question for the class <kbd>Q</kbd>
            </button>
          )}
          {q && revealed && (
            <div className="lesson-question" data-testid="lesson-question" ref={question}>
              <p className="lesson-prompt">{q.prompt}</p>
              {q.kind === "choice" && (
                <ol className="lesson-choices">
                  {q.choices.map((c, i) => {
                    const state = !answered ? "" : i === q.answer ? " is-right" : i === chosen ? " is-wrong" : " is-other";
                    return (
                      <li key={i}>
                        <button
                          type="button"
                          className={`lesson-choice${state}`}
                          onClick={() => lessonStore.getState().choose(i)}
                          disabled={answered}
                          aria-pressed={chosen === i}
                          data-testid={`lesson-choice-${i + 1}`}
                        >
                          <kbd>{i + 1}</kbd> <span>{c}</span>
                          {answered && i === q.answer && <span className="lesson-mark"> ✓ the answer</span>}
                          {answered && i === chosen && i !== q.answer && <span className="lesson-mark"> ✗ not this one</span>}
                        </button>
                      </li>
                    );
                  })}
                </ol>
              )}
              {!answered && (
                <button type="button" className="btn btn--ghost" onClick={() => revealAnswer(app)} data-testid="lesson-answer">
                  {q.kind === "predict" ? "Reveal the next step" : "Show the answer"} <kbd>A</kbd>
                </button>
              )}
              {answered && (
                <div className="lesson-why" data-testid="lesson-why" ref={why}>
                  <RichText text={q.why} />
                </div>
              )}
            </div>
          )}
        </div>
      )}
      <footer className="lesson-nav">
        <button type="button" className="btn btn--ghost" onClick={() => prevStop(app)} disabled={index === 0} data-testid="lesson-prev">
          <Icon name="back" /> Previous <kbd>←</kbd>
        </button>
        <ol className="lesson-dots" aria-label="Stops">
          {lesson.stops.map((_, i) => (
            <li key={i}>
              <button
                type="button"
                className={`lesson-dot${i === index ? " is-current" : ""}`}
                aria-label={`Stop ${i + 1}`}
                aria-current={i === index ? "step" : undefined}
                onClick={() => void goToStop(app, i, { playThrough: i > index })}
              />
            </li>
          ))}
        </ol>
        <label className="lesson-speed">
          <span>Between stops</span>
          <select value={speed} onChange={(e) => lessonStore.getState().setSpeed(Number(e.target.value))} data-testid="lesson-speed">
            {PLAY_SPEEDS.map((v) => (
              <option key={v} value={v}>
                {v === 0 ? "jump" : `${v} steps/s`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn lesson-next" onClick={() => nextStop(app)} disabled={index === n - 1 && here} data-testid="lesson-next">
          Next <kbd>→</kbd> <Icon name="forward" />
        </button>
      </footer>
    </section>
  );
}
