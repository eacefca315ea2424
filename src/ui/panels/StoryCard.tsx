/**
 * The first minute: at step 1 a story card says what the run is about to show, with "Jump to the
 * bug" (the first finding's step) and "Play"; someone who opened a link that names a step gets a
 * notice of where they are instead, with a way back to the beginning.
 */
import type { ReactElement } from "react";
import { FIXES, isFixId } from "../../engine/index";
import { lessonStore } from "../../lessons/store";
import { builtinInfo } from "../../store/builtinCatalog";
import { tagflowStore, useTagflow } from "../../store/index";
import { traceIndex } from "../../store/selectors";
import { findingChipWords, findingTitle, VERDICT_HEADLINE } from "../text";
import { uiStore, useUi } from "../uiStore";

/** "fix A on", "fixes A and B on", "no fix on". */
export function fixesPhrase(fixes: readonly string[]): string {
  const names = fixes.map((id) => (isFixId(id) ? FIXES[id].title : id));
  if (names.length === 0) return "no fix on";
  if (names.length === 1) return `fix “${names[0]}” on`;
  return `fixes ${names.map((n) => `“${n}”`).join(", ")} on`;
}

/** Props: none; reads the stores. Shown over the stack at step 1 until closed or used. */
export function StoryCard(): ReactElement | null {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const source = useTagflow((s) => s.source);
  const dismissed = useUi((s) => s.storyDismissed);
  const notice = useUi((s) => s.sharedNotice);
  const present = useUi((s) => s.present);
  if (!trace || trace.events.length === 0 || cursor !== 0 || dismissed || notice || present) return null;
  const builtin = source.kind === "builtin" ? builtinInfo(source.name) : undefined;
  const title = builtin?.title ?? (source.kind === "custom" ? source.label : trace.scenario.name);
  // The description is the trace's (the validated scenario's): the catalog does not carry it.
  const description = trace.scenario.description ?? "";
  const index = traceIndex(trace);
  // The bug: the first finding that is not a mere note (else the first one).
  const bug = index.findingSteps.find((step) => index.findingsAt.get(step)?.some((f) => f.severity !== "info")) ?? index.findingSteps[0];
  const firstFinding = bug === undefined ? undefined : index.findingsAt.get(bug)?.find((f) => f.severity !== "info");
  const close = () => uiStore.getState().dismissStory();
  return (
    <section className="story" aria-labelledby="story-title" data-testid="story">
      <div className="story-scroll">
        <p className="story-kicker">What you are about to see</p>
        <h2 id="story-title">{title}</h2>
        {description && <p className="story-text">{description}</p>}
        <p className="story-how">
          One step is one thing the kernel does to the packet; the card beside the stack is the packet, with the tags riding on it. Press <kbd>?</kbd>{" "}
          for the keys and what the drawings mean.
        </p>
      </div>
      <div className="story-actions">
        {bug !== undefined && (
          <button
            type="button"
            className="btn btn--primary"
            data-testid="story-bug"
            onClick={() => {
              close();
              tagflowStore.getState().goToFinding(bug);
            }}
          >
            Jump to the bug{firstFinding ? `: ${findingTitle(firstFinding.id)}` : ""} (step {bug + 1})
          </button>
        )}
        <button
          type="button"
          className="btn"
          data-testid="story-play"
          onClick={() => {
            close();
            tagflowStore.getState().play();
          }}
        >
          Play from the start
        </button>
        <button
          type="button"
          className="btn"
          data-testid="story-lessons"
          onClick={() => {
            // The start screen's way into the guided lessons (issue 19): the header's Lessons list.
            close();
            lessonStore.getState().setListOpen(true);
          }}
        >
          Take a guided lesson
        </button>
        <button type="button" className="btn btn--ghost" onClick={close}>
          Close
        </button>
      </div>
    </section>
  );
}

/**
 * The end of the run: what this run showed — its verdict, the echoes, each finding with a way to
 * its step — and a way back to the start. Shown at the last step until closed; a new run (a fix
 * flipped, another scenario) brings it back.
 */
export function RecapCard(): ReactElement | null {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const fixes = useTagflow((s) => s.fixes);
  const closedFor = useUi((s) => s.recapClosedFor);
  const present = useUi((s) => s.present);
  if (!trace || trace.events.length < 2 || cursor !== trace.events.length - 1 || closedFor === trace || present) return null;
  const index = traceIndex(trace);
  const { verdict, sent, delivered } = trace.outcome;
  const close = () => uiStore.getState().closeRecap(trace);
  const shown = index.findingsByRank.slice(0, 4);
  return (
    <section className="story story--recap" aria-labelledby="recap-title" data-testid="recap">
      <h2 id="recap-title" className="recap-title">
        <span className="story-kicker">End of the run · {fixesPhrase(fixes)}</span>
        <span className={`verdict-chip verdict-chip--${verdict}`}>{verdict}</span>
        <span className="visually-hidden">{VERDICT_HEADLINE[verdict]}</span>
      </h2>
      <p className="recap-counts">
        {sent} echo {sent === 1 ? "request" : "requests"} sent, {delivered} {delivered === 1 ? "reply" : "replies"} delivered, in{" "}
        {trace.events.length} steps.
        {shown.length > 0 ? " Revisit:" : ""}
      </p>
      {shown.length > 0 && (
        <ul className="recap-findings">
          {shown.map((f) => (
            <li key={`${f.id}:${f.step}`}>
              <button
                type="button"
                className={`finding-chip finding-chip--${f.severity}`}
                title={f.sentence}
                onClick={() => {
                  close();
                  tagflowStore.getState().goToFinding(f.step);
                }}
              >
                <span className="chip-step">{f.step + 1}</span> {findingChipWords(f.id)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="story-actions">
        <button
          type="button"
          className="btn btn--primary"
          data-testid="recap-restart"
          onClick={() => {
            close();
            tagflowStore.getState().jumpToStart();
          }}
        >
          Back to the start
        </button>
        <button type="button" className="btn btn--ghost" onClick={close}>
          Close
        </button>
      </div>
    </section>
  );
}

/** Props: none. "Shared view: step N, fix X on — start from the beginning", for a link's recipient. */
export function SharedNotice(): ReactElement | null {
  const notice = useUi((s) => s.sharedNotice);
  if (!notice) return null;
  const dismiss = () => uiStore.getState().setSharedNotice(null);
  return (
    <div className="shared-notice" role="status" data-testid="shared-notice">
      <p>
        <strong>Shared view:</strong> step {notice.step + 1}, {fixesPhrase(notice.fixes)}.
      </p>
      <button
        type="button"
        className="btn btn--primary"
        onClick={() => {
          dismiss();
          tagflowStore.getState().jumpToStart();
        }}
      >
        Start from the beginning
      </button>
      <button type="button" className="btn btn--ghost" onClick={dismiss}>
        Stay here
      </button>
    </div>
  );
}
