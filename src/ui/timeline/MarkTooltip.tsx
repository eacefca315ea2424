/**
 * Tooltips for the timeline's marks (issue 17): hovering or focusing a finding flag, the fork, a
 * decision tick, a tag's start, end or consult diamond says what that step is — the kinds table's
 * clause ("ip_output's IPsec loop check decides …"), the layer and host, and any finding that
 * became true there. One tip for the whole timeline, drawn in a portal so no lane clips it; it
 * stays while the pointer is on it (WCAG 1.4.13: hoverable) and Escape closes it (dismissible)
 * without leaving Present mode. Text at 16 px or more: it is read from the back of a room.
 */
import { useEffect, useSyncExternalStore, type FocusEvent, type PointerEvent, type ReactElement } from "react";
import { createPortal } from "react-dom";
import { stepSentence, type LayerId } from "../../engine/index";
import { useTagflow } from "../../store/index";
import { traceIndex } from "../../store/selectors";
import { findingTitle } from "../text";

/** Where a tip points: a step, the mark's box on screen, and what the mark is beyond the step. */
export interface MarkTip {
  readonly step: number;
  /** The mark's box in viewport coordinates (getBoundingClientRect); the tip sits above it. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  /** The mark itself, in words: "OUT_DONE #3 consulted while stale", "the runs diverge here". */
  readonly what?: string;
}

/** The tip's element id, for the marks' aria-describedby. */
export const MARK_TIP_ID = "mark-tip";

let current: MarkTip | null = null;
let hideTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function set(tip: MarkTip | null): void {
  clearTimeout(hideTimer);
  if (tip === current) return;
  current = tip;
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The one tip of the timeline: show it at a box, hide it now or after the pointer had time to reach it. */
export const markTip = {
  get: (): MarkTip | null => current,
  show(step: number, box: { left: number; right: number; top: number; bottom: number }, what?: string): void {
    set({ step, left: box.left, right: box.right, top: box.top, bottom: box.bottom, ...(what ? { what } : {}) });
  },
  hide: (): void => set(null),
  /** Hide unless the pointer reaches the tip (or another mark) within 150 ms. */
  hideSoon(): void {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => set(null), 150);
  },
  /** Keep it: the pointer is on the tip. */
  keep: (): void => clearTimeout(hideTimer),
};

/** The tip's target, for a component (null when none). */
export const useMarkTip = (): MarkTip | null => useSyncExternalStore(subscribe, markTip.get, markTip.get);

/** Hover and focus handlers for one mark element: spread them on a button or SVG element. */
export function markTipHandlers(
  step: number,
  what?: string,
): {
  onPointerEnter: (e: PointerEvent<Element>) => void;
  onPointerLeave: () => void;
  onFocus: (e: FocusEvent<Element>) => void;
  onBlur: () => void;
} {
  const show = (el: Element) => markTip.show(step, el.getBoundingClientRect(), what);
  return {
    onPointerEnter: (e) => show(e.currentTarget),
    onPointerLeave: () => markTip.hideSoon(),
    onFocus: (e) => show(e.currentTarget),
    onBlur: () => markTip.hide(),
  };
}

/** The layer rows in words (LAYERS in trace/events.ts). */
const LAYER_WORDS: Readonly<Record<LayerId, string>> = {
  app: "socket / app layer",
  icmp: "ICMP layer",
  ip: "IP layer",
  ipsec: "IPsec layer",
  crypto: "crypto layer",
  if: "interface layer",
  link: "link layer",
};

const TIP_MAX_WIDTH = 440;

/** Props: none; renders the current tip (if any) into document.body. Mount once, in the timeline. */
export function MarkTooltipLayer(): ReactElement | null {
  const tip = useMarkTip();
  const trace = useTagflow((s) => s.trace);
  // A new trace (a fix flipped, another scenario) moves every mark: the old tip would point at nothing.
  useEffect(() => markTip.hide(), [trace]);
  useEffect(() => {
    if (!tip) return;
    // Escape closes the tip first (capture phase: before Present mode's Escape on the window).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || !markTip.get()) return;
      e.preventDefault();
      e.stopPropagation();
      markTip.hide();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [tip]);
  const e = tip && trace ? trace.events.at(tip.step) : undefined;
  if (!tip || !trace || !e || typeof document === "undefined") return null;
  const findings = traceIndex(trace).findingsAt.get(e.seq) ?? [];
  const width = Math.min(TIP_MAX_WIDTH, window.innerWidth - 16);
  const centre = (tip.left + tip.right) / 2;
  const left = Math.max(8, Math.min(window.innerWidth - width - 8, centre - width / 2));
  // Above the mark (the timeline is at the bottom of the screen), below it if the mark is near the top.
  const place = tip.top > window.innerHeight / 2 ? { bottom: window.innerHeight - tip.top + 8 } : { top: tip.bottom + 8 };
  const where = [LAYER_WORDS[e.layer], trace.scenario.hosts.length > 1 ? e.host : null].filter(Boolean).join(" · ");
  return createPortal(
    <div
      id={MARK_TIP_ID}
      role="tooltip"
      className="mark-tip"
      data-testid="mark-tip"
      data-step={e.seq}
      style={{ left, maxWidth: width, ...place }}
      onPointerEnter={markTip.keep}
      onPointerLeave={markTip.hideSoon}
    >
      <p className="mark-tip-head">
        <strong>Step {e.seq + 1}</strong> · <span data-testid="mark-tip-layer">{where}</span>
      </p>
      {tip.what && <p className="mark-tip-what">{tip.what}</p>}
      <p className="mark-tip-clause" data-testid="mark-tip-clause">
        {e.kind === "fault" ? `Injected fault, not kernel code: ${stepSentence(e)}` : stepSentence(e)}
      </p>
      {e.kind === "decision" && <p className="mark-tip-q">{e.question}</p>}
      {findings.map((f) => (
        <p key={f.id} className={`mark-tip-finding mark-tip-finding--${f.severity}`}>
          <strong>
            {f.severity === "info" ? "Note" : "Finding"}: {findingTitle(f.id)}.
          </strong>{" "}
          {f.sentence}
        </p>
      ))}
    </div>,
    document.body,
  );
}
