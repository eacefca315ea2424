/**
 * The bottom of the screen: playback controls, the scrubber with its decision and finding marks
 * (and a fork where the run parts from the one with no fixes), and the tag lanes below it on the
 * same step scale.
 */
import { ControlButton } from "../ControlButton";
import { lazy, Suspense, useMemo, useRef, type PointerEvent, type ReactElement } from "react";
import { tagflowStore, useTagflow } from "../../store/index";
import { SPEEDS } from "../../store/playbackSlice";
import { selectStepLabel, traceIndex } from "../../store/selectors";
import { SHORTCUTS } from "../hooks/useKeyboard";
import { uiStore } from "../uiStore";
import { useElementSize } from "../hooks/useElementSize";
import { layoutTimeline, stepScale } from "./timelineLayout";
import { TagLanes } from "./TagLanes";
import { findingChipWords, formatMicros } from "../text";
import { MARK_TIP_ID, markTip, markTipHandlers, useMarkTip } from "./MarkTooltip";
import { nearestSeq } from "./markHits";

// Off the first load: the marks' tooltip loads when one is first pointed at; the control-plane
// lane exists only where a key daemon runs (seed 004).
const MarkTooltipLayer = lazy(() => import("./MarkTooltipLayer").then((m) => ({ default: m.MarkTooltipLayer })));
const ControlLane = lazy(() => import("./ControlLane").then((m) => ({ default: m.ControlLane })));

function Controls(): ReactElement {
  const s = tagflowStore.getState();
  const count = useTagflow((st) => st.trace?.events.length ?? 0);
  const cursor = useTagflow((st) => st.cursor);
  const playing = useTagflow((st) => st.playing);
  const speed = useTagflow((st) => st.speed);
  const pauseAtFindings = useTagflow((st) => st.pauseAtFindings);
  const label = useTagflow(selectStepLabel);
  const event = useTagflow((st) => st.trace?.events.at(st.cursor) ?? null);
  const none = count === 0;
  const atStart = none || cursor === 0;
  const atEnd = none || cursor >= count - 1;
  return (
    <div className="controls">
      <div className="ctl-group" role="group" aria-label="Playback">
        <ControlButton icon="start" label="Jump to start" keys="Home" onClick={s.jumpToStart} disabled={atStart} />
        <ControlButton icon="prevDecision" label="Previous decision" keys="[" onClick={s.prevDecision} disabled={atStart} />
        <ControlButton icon="back" label="Step back" keys="ArrowLeft" onClick={s.stepBack} disabled={atStart} />
        <ControlButton
          icon={playing ? "pause" : "play"}
          label={playing ? "Pause" : "Play"}
          keys="Space"
          onClick={s.togglePlay}
          disabled={none}
          primary
        />
        <ControlButton icon="forward" label="Step forward" keys="ArrowRight" onClick={s.stepForward} disabled={atEnd} />
        <ControlButton icon="nextDecision" label="Next decision" keys="]" onClick={s.nextDecision} disabled={atEnd} />
        <ControlButton icon="end" label="Jump to end" keys="End" onClick={s.jumpToEnd} disabled={atEnd} />
      </div>
      <div className="ctl-group" role="group" aria-label="Findings">
        <ControlButton icon="prevFinding" label="Previous finding" keys="{" onClick={s.prevFinding} disabled={atStart} />
        <ControlButton icon="nextFinding" label="Next finding" keys="}" onClick={s.nextFinding} disabled={atEnd} />
      </div>
      <label className="field field--inline">
        <span className="field-label">Speed</span>
        <select value={speed} onChange={(e) => s.setSpeed(Number(e.target.value))} data-testid="speed">
          {SPEEDS.map((v) => (
            <option key={v} value={v}>
              {v}×
            </option>
          ))}
        </select>
      </label>
      <label className="switch switch--inline" title="Play stops at each step where the audit found something">
        <input
          type="checkbox"
          role="switch"
          data-testid="pause-at-findings"
          checked={pauseAtFindings}
          onChange={(e) => s.setPauseAtFindings(e.target.checked)}
          onKeyDown={(e) => {
            // Space always plays (useKeyboard); Enter flips the switch.
            if (e.key === "Enter") {
              e.preventDefault();
              e.currentTarget.click();
            }
          }}
        />
        <span className="switch-track" aria-hidden="true" />
        <span>Pause at findings</span>
      </label>
      <div className="step-readout">
        {/* As wide as the widest label of this trace, so the readout never shifts while stepping. */}
        <span className="step-label" data-testid="step" style={{ minWidth: `${(9 + 2 * String(count).length) * 0.62}em` }}>
          {label}
        </span>
        {event && <span className="step-kind">{event.kind}</span>}
      </div>
      <p className="shortcuts" aria-hidden="true">
        {SHORTCUTS.slice(0, 3).map((k) => (
          <span key={k.keys}>
            <kbd>{k.keys}</kbd> {k.action.replace(/ \(.*\)$/, "")}
          </span>
        ))}
      </p>
      <button type="button" className="btn btn--ghost help-button" data-testid="help-button" onClick={() => uiStore.getState().setHelpOpen(true)}>
        <kbd>?</kbd> Keys &amp; legend
      </button>
    </div>
  );
}

function Scrubber({ width }: { width: number }): ReactElement {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const diverge = useTagflow((s) => s.comparison?.divergeAt?.run ?? null);
  const count = trace?.events.length ?? 0;
  const event = trace?.events.at(cursor) ?? null;
  const plan = useMemo(() => (trace && width > 0 ? layoutTimeline(traceIndex(trace), trace.events.length, width, 23, 9) : null), [trace, width]);
  const x = stepScale(count, width);
  const index = trace ? traceIndex(trace) : null;
  const tip = useMarkTip();
  // Hovering a decision tick (too many to be elements) shows its tip; the flags and the fork are buttons below.
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!index || e.target !== e.currentTarget.querySelector(".scrub-input")) return;
    const box = e.currentTarget.getBoundingClientRect();
    const seq = nearestSeq(index.decisions, count, width, e.clientX - box.left, 4);
    if (seq === null) {
      if (tip?.what === "decision tick") markTip.hideSoon();
      return;
    }
    const px = box.left + x(seq);
    markTip.show(seq, { left: px - 1, right: px + 1, top: box.top + 23, bottom: box.top + 32 }, "decision tick");
  };
  return (
    <div className="scrubber" onPointerMove={onPointerMove} onPointerLeave={() => tip?.what === "decision tick" && markTip.hideSoon()}>
      <svg className="scrub-marks" width={Math.max(0, width)} height={36} aria-hidden="true">
        {count > 0 && <line className="scrub-rail" x1={x(0)} x2={x(Math.max(0, count - 1))} y1={18} y2={18} />}
        {plan && <path className="scrub-decisions" d={plan.decisions} />}
        {plan?.findings.map((f) => (
          <g key={f.step} className={`scrub-finding scrub-finding--${f.severity}`} transform={`translate(${f.x},0)`}>
            <line y1={2} y2={17} />
            <path d="M0,2h9l-2.5,3.5L9,9H0z" />
          </g>
        ))}
        {diverge !== null && count > 0 && (
          // Where this run parts from the one with no fixes: a fork below the rail.
          <g
            className="scrub-diverge"
            data-testid="diverge-mark"
            data-step={Math.min(diverge, count - 1)}
            transform={`translate(${Math.round(x(Math.min(diverge, count - 1)))},0)`}
          >
            <path d="M0,35V27l-5,-6M0,27l5,-6" />
          </g>
        )}
        {count > 0 && <line className="scrub-cursor" x1={x(cursor)} x2={x(cursor)} y1={1} y2={35} />}
      </svg>
      {plan?.findings.map((f, i, all) => {
        const words = (index?.findingsAt.get(f.step) ?? []).map((g) => findingChipWords(g.id)).join(", ");
        return (
          <button
            key={f.step}
            type="button"
            className="mark-hit mark-hit--finding"
            data-testid="finding-mark"
            data-step={f.step}
            // As wide as the flag (9 px) plus a margin, but never over the next flag's box.
            style={{ left: f.x - 3, width: Math.max(5, Math.min(14, (all[i + 1]?.x ?? Infinity) - f.x)) }}
            aria-label={`Step ${f.step + 1}: ${words}`}
            aria-describedby={tip?.step === f.step ? MARK_TIP_ID : undefined}
            onClick={() => tagflowStore.getState().goToFinding(f.step)}
            {...markTipHandlers(f.step, f.count > 1 ? `${f.count} findings at this step` : undefined)}
          />
        );
      })}
      {diverge !== null && count > 0 && (
        <button
          type="button"
          className="mark-hit mark-hit--diverge"
          style={{ left: Math.round(x(Math.min(diverge, count - 1))) - 7 }}
          aria-label={`Step ${Math.min(diverge, count - 1) + 1}: where this run parts from the one with no fixes`}
          aria-describedby={tip?.step === Math.min(diverge, count - 1) ? MARK_TIP_ID : undefined}
          onClick={() => tagflowStore.getState().seek(Math.min(diverge, count - 1), "jump")}
          {...markTipHandlers(Math.min(diverge, count - 1), "the runs diverge here: this run parts from the one with no fixes")}
        />
      )}
      <input
        className="scrub-input"
        type="range"
        min={0}
        max={Math.max(0, count - 1)}
        step={1}
        value={cursor}
        disabled={count === 0}
        aria-label="Step"
        aria-valuetext={event ? `Step ${cursor + 1} of ${count}: ${event.fn}, ${event.kind}` : "No steps"}
        onChange={(e) => tagflowStore.getState().seek(Number(e.target.value), "jump")}
      />
    </div>
  );
}

/** Props: none; reads the store. */
export function BottomPanel(): ReactElement {
  const track = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(track);
  const t = useTagflow((s) => s.trace?.events.at(s.cursor)?.t ?? null);
  const keying = useTagflow((s) => Boolean(s.trace?.scenario.keying));
  const tipShown = useMarkTip() !== null;
  return (
    <footer className="bottom">
      <Controls />
      <div className="scrub-row">
        <div className="gutter gutter--time">{t === null ? "" : `t = ${formatMicros(t)}`}</div>
        <div className="track" ref={track}>
          <Scrubber width={width} />
        </div>
      </div>
      {keying && (
        <Suspense fallback={null}>
          <ControlLane trackWidth={width} />
        </Suspense>
      )}
      <TagLanes trackWidth={width} />
      {tipShown && (
        <Suspense fallback={null}>
          <MarkTooltipLayer />
        </Suspense>
      )}
    </footer>
  );
}
