/**
 * The timeline's one tooltip (MarkTooltip.tsx holds its store and the marks' handlers), drawn in a
 * portal so no lane clips it. Loaded when a mark is first hovered or focused, off the first load.
 */
import { useEffect, useRef, type ReactElement } from "react";
import { createPortal } from "react-dom";
import { stepSentence, type LayerId } from "../../engine/index";
import { useTagflow } from "../../store/index";
import { traceIndex } from "../../store/selectors";
import { findingTitle } from "../text";
import { MARK_TIP_ID, markTip, useMarkTip } from "./MarkTooltip";

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
  // The layer mounts with its first tip, so only a later trace hides it.
  const shownOn = useRef(trace);
  useEffect(() => {
    if (trace !== shownOn.current) markTip.hide();
    shownOn.current = trace;
  }, [trace]);
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
