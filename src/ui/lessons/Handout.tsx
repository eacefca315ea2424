/**
 * The printable handout: one page per stop — the step as a picture (exports/stepSvg.ts, the same
 * snapshot as Export → SVG) and the stop's text and question — laid out by `@media print` for A4
 * and Letter alike (`@page { size: auto }`; the picture scales to the page's width).
 * printHandout walks the stops on screen to take each picture, then opens the browser's print.
 */
import type { ReactElement } from "react";
import type { Lesson } from "../../lessons/schema";
import { goToStop, openLesson } from "../../lessons/session";
import { lessonStore } from "../../lessons/store";
import { stateAtStop } from "../../lessons/stops";
import { tagflowStore } from "../../store/index";
import { snapshotStep } from "../exports/stepSvg";
import { handoutStore, useHandout, type Page } from "./handoutStore";
import { RichText } from "./RichText";
import "./lessons.css";

const frame = () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));

/** Take each stop's picture (the run moves through the stops on screen), then print. */
export async function printHandout(lesson: Lesson, print = true): Promise<void> {
  // The exporters load on first use (as the Export menu does): they are not part of the first load.
  const { captionOf, stackPane } = await import("../exports/exportActions");
  const back = lessonStore.getState();
  const [mode, stop] = [back.mode ?? "author", back.stop];
  const pages: Page[] = [];
  await openLesson(tagflowStore, lesson, 0, "class");
  for (let i = 0; i < lesson.stops.length; i++) {
    if (i > 0) await goToStop(tagflowStore, i, { playThrough: false });
    await frame();
    const s = tagflowStore.getState();
    let svg: string | null = null;
    try {
      if (s.trace) svg = snapshotStep(stackPane(document), captionOf(s, s.trace)).svg;
    } catch {
      svg = null;
    }
    pages.push({ svg, step: s.trace ? s.cursor + 1 : null });
  }
  await openLesson(tagflowStore, lesson, stop, mode);
  handoutStore.setState({ lesson, pages });
  await frame();
  if (print) window.print();
}

/** Props: none; shown only in print (and to the tests, which read it from the DOM). */
export function Handout(): ReactElement | null {
  const lesson = useHandout((s) => s.lesson);
  const pages = useHandout((s) => s.pages);
  if (!lesson || pages.length === 0) return null;
  return (
    <div className="lesson-handout" data-testid="handout">
      {lesson.stops.map((stop, i) => {
        const page = pages[i];
        const fixes = stateAtStop(lesson, i).fixes;
        return (
          <section key={i} className="handout-page" data-testid="handout-page">
            <header className="handout-head">
              <span>{lesson.title}</span>
              <span>
                Stop {i + 1} of {lesson.stops.length}
                {page?.step ? ` · step ${page.step}` : ""}
                {fixes && fixes.length > 0 ? ` · fix on: ${fixes.join(", ")}` : ""}
              </span>
            </header>
            {page?.svg && (
              <img
                className="handout-picture"
                alt={`The stack at stop ${i + 1}`}
                src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(page.svg)}`}
              />
            )}
            <div className="handout-text">
              <RichText text={stop.text} />
            </div>
            {stop.question && (
              <div className="handout-question">
                <p>
                  <strong>Question.</strong> {stop.question.prompt}
                </p>
                {stop.question.kind === "choice" && (
                  <ol>
                    {stop.question.choices.map((c, j) => (
                      <li key={j}>☐ {c}</li>
                    ))}
                  </ol>
                )}
                {stop.question.kind === "predict" && <p className="handout-lines">Your prediction: ____________________________________________</p>}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
