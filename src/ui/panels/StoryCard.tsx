/**
 * The first minute: at step 1 a story card says what the run is about to show, with "Jump to the
 * bug" (the first finding's step) and "Play"; someone who opened a link that names a step gets a
 * notice of where they are instead, with a way back to the beginning.
 */
import { useLayoutEffect, useRef, useState, type CSSProperties, type ReactElement } from "react";
import { FIXES, PERSONALITIES, isFixId, isPersonalityId, outcomeTallies } from "../../engine/index";
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

/** A box in the stack pane's coordinates (CSS px from its top-left). */
export interface PaneBox {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Where the story card goes, and whether it must be the compact one (one line of title, short buttons). */
export interface StoryPlacement {
  readonly style: CSSProperties;
  readonly compact: boolean;
  /** The region given to the card, for tests. */
  readonly region: PaneBox;
}

const GAP = 10;
const CARD_MAX_WIDTH = 720;
/** Below this height the full card's text would scroll away: the compact card instead. */
const FULL_HEIGHT = 380;

/**
 * The story card's place in a pane of `width` × `height` that must leave `keep` (the active row,
 * the packet card and the callout) uncovered (issue 17: at 720p the card hid the step it
 * introduces). Of the free bands below, above, right and left of what is kept, the one with the
 * most room for a card wins; the card is as wide as that band allows (≤ 720 px), centred in it,
 * and no taller than it. Pure.
 */
export function storyPlacement(width: number, height: number, keep: readonly PaneBox[]): StoryPlacement {
  const boxes = keep.filter((b) => b.right > b.left && b.bottom > b.top);
  const u =
    boxes.length === 0
      ? null
      : {
          left: Math.max(0, Math.min(...boxes.map((b) => b.left))),
          top: Math.max(0, Math.min(...boxes.map((b) => b.top))),
          right: Math.min(width, Math.max(...boxes.map((b) => b.right))),
          bottom: Math.min(height, Math.max(...boxes.map((b) => b.bottom))),
        };
  const full: PaneBox = { left: GAP, top: GAP, right: width - GAP, bottom: height - GAP };
  const bands: PaneBox[] = u
    ? [
        { ...full, top: u.bottom + GAP },
        { ...full, bottom: u.top - GAP },
        { ...full, left: u.right + GAP },
        { ...full, right: u.left - GAP },
      ]
    : [full];
  // Room for a card: its usable width (≤ 720) times its height, and a band narrower than 300 px is no use.
  const room = (b: PaneBox) => {
    const w = Math.min(CARD_MAX_WIDTH, b.right - b.left);
    const h = b.bottom - b.top;
    return w < 300 || h < 120 ? 0 : w * Math.min(h, 520);
  };
  const region = bands.reduce((best, b) => (room(b) > room(best) ? b : best), bands[0]!);
  const w = Math.max(0, Math.min(CARD_MAX_WIDTH, region.right - region.left));
  const h = Math.max(0, region.bottom - region.top);
  const left = region.left + (region.right - region.left - w) / 2;
  // A band above what is kept grows upward from it (the card's bottom edge next to the step); else from its top.
  const above = u !== null && region.bottom === u.top - GAP && region.top === GAP;
  return {
    style: { left, width: w, maxHeight: h, ...(above ? { bottom: height - region.bottom, top: "auto" } : { top: region.top }), transform: "none" },
    compact: h < FULL_HEIGHT,
    region,
  };
}

/** The stack's active row, packet card and callout, in the pane's coordinates. */
function keptBoxes(wrap: HTMLElement): PaneBox[] {
  const origin = wrap.getBoundingClientRect();
  return [...wrap.querySelectorAll("[data-testid=stack] .slot.is-active, [data-testid=stack] .card-layer, [data-testid=callout]")].map((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left - origin.left, top: r.top - origin.top, right: r.right - origin.left, bottom: r.bottom - origin.top };
  });
}

/** The card's placement, measured after the stack has drawn step 1 and again when the pane resizes. */
function useStoryPlacement(shown: boolean): { ref: (el: HTMLElement | null) => void; placement: StoryPlacement | null } {
  const [el, setEl] = useState<HTMLElement | null>(null);
  const [placement, setPlacement] = useState<StoryPlacement | null>(null);
  const last = useRef("");
  useLayoutEffect(() => {
    const wrap = el?.parentElement;
    if (!shown || !wrap) return;
    const measure = () => {
      const p = storyPlacement(wrap.clientWidth, wrap.clientHeight, keptBoxes(wrap));
      const key = JSON.stringify(p);
      if (key === last.current) return;
      last.current = key;
      setPlacement(p);
    };
    measure();
    // The packet card tweens into place (≤ 260 ms) and the callout follows it: measure once more after.
    const settle = setTimeout(measure, 320);
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    ro?.observe(wrap);
    return () => {
      clearTimeout(settle);
      ro?.disconnect();
    };
  }, [el, shown]);
  return { ref: setEl, placement };
}

/**
 * Whether a scrolling box hides text below its fold: at 720p the compact card's description runs
 * past the card, and a scrollbar alone is no cue on a projector (issue 17). Re-measured on scroll
 * and resize.
 */
function useMoreBelow(): { ref: (el: HTMLElement | null) => void; more: boolean; showMore: () => void } {
  const [el, setEl] = useState<HTMLElement | null>(null);
  const [more, setMore] = useState(false);
  useLayoutEffect(() => {
    if (!el) return;
    const measure = () => setMore(el.scrollTop + el.clientHeight < el.scrollHeight - 2);
    measure();
    el.addEventListener("scroll", measure, { passive: true });
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    ro?.observe(el);
    return () => {
      el.removeEventListener("scroll", measure);
      ro?.disconnect();
    };
  }, [el]);
  const showMore = () => el?.scrollBy({ top: el.clientHeight * 0.8, behavior: "smooth" });
  return { ref: setEl, more, showMore };
}

/** Props: none; reads the stores. Shown over the stack at step 1 until closed or used, beside the step it introduces. */
export function StoryCard(): ReactElement | null {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const source = useTagflow((s) => s.source);
  const dismissed = useUi((s) => s.storyDismissed);
  const notice = useUi((s) => s.sharedNotice);
  const present = useUi((s) => s.present);
  const shown = !(!trace || trace.events.length === 0 || cursor !== 0 || dismissed || notice || present);
  const { ref, placement } = useStoryPlacement(shown);
  const below = useMoreBelow();
  if (!shown || !trace) return null;
  const builtin = source.kind === "builtin" ? builtinInfo(source.name) : undefined;
  const title = builtin?.title ?? (source.kind === "custom" ? source.label : trace.scenario.name);
  // True in this run: the title and description speak of the scenario's own kernel; say so when this run is on another.
  const own = builtin?.personality;
  const otherKernel =
    own && isPersonalityId(own) && isPersonalityId(trace.personality) && own !== trace.personality
      ? { own: PERSONALITIES[own].title, run: PERSONALITIES[trace.personality].title }
      : null;
  // The description is the trace's (the validated scenario's): the catalog does not carry it.
  const description = trace.scenario.description ?? "";
  const index = traceIndex(trace);
  // The bug: the first finding that is not a mere note (else the first one).
  const bug = index.findingSteps.find((step) => index.findingsAt.get(step)?.some((f) => f.severity !== "info")) ?? index.findingSteps[0];
  const firstFinding = bug === undefined ? undefined : index.findingsAt.get(bug)?.find((f) => f.severity !== "info");
  const close = () => uiStore.getState().dismissStory();
  return (
    <section
      ref={ref}
      className={`story${placement?.compact ? " story--compact" : ""}`}
      aria-labelledby="story-title"
      data-testid="story"
      style={placement?.style ?? { visibility: "hidden" }}
    >
      <div className={`story-scroll${below.more ? " has-more" : ""}`} ref={below.ref}>
        <p className="story-kicker">What you are about to see</p>
        <h2 id="story-title">{title}</h2>
        {otherKernel && (
          <p className="story-text story-kernel" data-testid="story-kernel">
            <strong>Run here on {otherKernel.run}</strong>, not on {otherKernel.own}, the kernel this story is told of.
          </p>
        )}
        {description && <p className="story-text">{description}</p>}
        <p className="story-how">
          One step is one thing the kernel does to the packet; the card beside the stack is the packet, with the tags riding on it. Press <kbd>?</kbd>{" "}
          for the keys and what the drawings mean.
        </p>
      </div>
      {below.more && (
        // Not a tab stop: the text scrolls with the keyboard too; this is the cue the eye needs.
        <button type="button" className="story-more" data-testid="story-more" tabIndex={-1} onClick={below.showMore}>
          More below ▾
        </button>
      )}
      <div className="story-actions">
        {bug !== undefined && (
          <button
            type="button"
            className="btn btn--primary"
            data-testid="story-bug"
            title={firstFinding ? `${findingTitle(firstFinding.id)}, at step ${bug + 1}` : undefined}
            onClick={() => {
              close();
              tagflowStore.getState().goToFinding(bug);
            }}
          >
            {placement?.compact ? "Jump to the bug" : `Jump to the bug${firstFinding ? `: ${findingTitle(firstFinding.id)}` : ""}`} (step {bug + 1})
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
          {placement?.compact ? "Guided lesson" : "Take a guided lesson"}
        </button>
        {!placement?.compact && (
          <button type="button" className="btn btn--ghost" onClick={close}>
            Close
          </button>
        )}
      </div>
      {placement?.compact && (
        <button type="button" className="btn btn--ghost story-close" aria-label="Close" title="Close" onClick={close}>
          ×
        </button>
      )}
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
  const { verdict } = trace.outcome;
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
        {`${outcomeTallies(trace.outcome)
          .map((t) => t.long)
          .join("; ")}, in ${trace.events.length} steps.`}
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
