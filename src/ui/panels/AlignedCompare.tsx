/**
 * The side-by-side compare (issue 17): the run and its baseline step against step, aligned by
 * audit/compare.ts's alignTraces, with where they part. Loaded when first opened (App.tsx).
 */
import { useEffect, useRef, type ReactElement } from "react";
import {
  ALIGN_MAX_EVENTS,
  PERSONALITIES,
  alignedStepOf,
  isPersonalityId,
  type AlignKind,
  type AlignedStep,
  type Alignment,
} from "../../engine/index";
import { tagflowStore, useTagflow } from "../../store/index";
import { findingTitle } from "../text";
import { VerdictDelta } from "./CompareView";
import { ForkGlyph } from "./ForkGlyph";
import { compareUi, useCompareUi, type CompareUi } from "../uiStore";

/** How a row pairs the runs, in words for the marker between the columns. */
const ROW_WORD: Readonly<Record<AlignKind, string>> = {
  same: "same step",
  differs: "same step, different outcome",
  counterpart: "the other kernel's counterpart",
  base: "only in the baseline",
  run: "only in this run",
};
const ROW_GLYPH: Readonly<Record<AlignKind, string>> = { same: "=", differs: "≠", counterpart: "≈", base: "◀", run: "▶" };

/** Rows shown around the current one. */
const WINDOW = 4;

/** "NetBSD 2003" or "linux-xfrm" + fixes, for a column's heading. */
function runTitle(personality: string, fixes: readonly string[]): string {
  const t = isPersonalityId(personality) ? PERSONALITIES[personality].title.replace(/\s*\(.*\)$/, "") : personality;
  return fixes.length === 0 ? `${t}, no fixes` : `${t}, ${fixes.join(", ")} on`;
}

/** Which baseline step is shown: the one stepped to, while the run's cursor has not moved since; else the aligned one. */
function baseShown(al: Alignment, cursor: number, sel: CompareUi["base"]): number {
  return sel && sel.forRun === cursor ? sel.seq : alignedStepOf(al, "run", cursor);
}

function Cell({ step, side, current }: { step: AlignedStep | undefined; side: "base" | "run"; current: boolean }): ReactElement {
  if (!step) return <div className={`al-cell al-cell--gap al-cell--${side}`} aria-label="no step here" />;
  return (
    <div className={`al-cell al-cell--${side}${current ? " is-current" : ""}`} data-seq={step.seq}>
      <span className="al-step">{step.seq + 1}</span>
      <span className="al-fn">{step.fn}</span>
      <span className="al-text">{step.kind === "decision" ? `${step.checkName}: “${step.branch}”` : step.text}</span>
      {step.findings && step.findings.length > 0 && (
        <span className="al-finding" title={step.findings.map(findingTitle).join("; ")}>
          ⚑ {step.findings.map(findingTitle).join("; ")}
        </span>
      )}
    </div>
  );
}

/** A decision on one side of a divergence, in words read from the event. */
function DecisionWords({ d, who }: { d: AlignedStep | null; who: string }): ReactElement {
  if (!d)
    return (
      <p className="al-why-side al-why-side--none">
        <span className="al-who">{who}</span> makes no such check here.
      </p>
    );
  return (
    <p className="al-why-side">
      <span className="al-who">{who}</span> step {d.seq + 1}: <code>{d.fn}</code>
      {d.source ? <span className="al-source"> ({d.source})</span> : null}, {d.checkName}: <strong>“{d.branch}”</strong>
      {d.consulted && d.consulted.length > 0 ? <span className="al-consulted"> — consulted {d.consulted.join("; ")}</span> : null}
    </p>
  );
}

function WhyPanel({ al, row, baseWho, runWho }: { al: Alignment; row: number; baseWho: string; runWho: string }): ReactElement {
  // The stretch the current row is in, else the next one after it, else the last.
  const d = al.divergences.find((x) => row < x.to) ?? al.divergences[al.divergences.length - 1];
  if (!d) return <p className="al-why-none">Every step is the same in both runs.</p>;
  const both = d.decisions.filter((x) => x.base && x.run);
  const shown = (both.length > 0 ? both : d.decisions).slice(0, 3);
  const more = d.decisions.length - shown.length;
  return (
    <div className="al-why" data-testid="aligned-why" data-from={d.from}>
      <h3 className="al-why-h">
        Where they part (rows {d.from + 1}–{d.to}
        {row < d.from ? ", ahead" : ""})
      </h3>
      {shown.length === 0 ? (
        <p className="al-why-side">No decision differs here: the runs take different steps between the same checks.</p>
      ) : (
        shown.map((x) => (
          <div key={x.row} className="al-why-pair" data-testid="aligned-decision" data-kind={al.kinds[x.row]}>
            <DecisionWords d={x.base} who={baseWho} />
            <DecisionWords d={x.run} who={runWho} />
          </div>
        ))
      )}
      {more > 0 && (
        <p className="al-why-more">
          {more} more decision{more === 1 ? "" : "s"} in this stretch
          {both.length > 0 ? " (one side only, or another check)" : ""}.
        </p>
      )}
      {(d.findings.base.length > 0 || d.findings.run.length > 0) && (
        <p className="al-why-findings" data-testid="aligned-findings">
          Findings here — {baseWho}: {d.findings.base.length > 0 ? d.findings.base.map(findingTitle).join("; ") : "none"}; {runWho}:{" "}
          {d.findings.run.length > 0 ? d.findings.run.map(findingTitle).join("; ") : "none"}.
        </p>
      )}
    </div>
  );
}

/**
 * Props: none; reads the store. Both runs side by side over the stack, steps aligned by the
 * engine's alignTraces: the run's cursor is the app's, ←/→ step it and the baseline follows to
 * the aligned step; the baseline's own buttons step it and move the run to its aligned step.
 */
export function AlignedCompare(): ReactElement | null {
  const open = useCompareUi((s) => s.open);
  const sel = useCompareUi((s) => s.base);
  const c = useTagflow((s) => s.comparison);
  const cursor = useTagflow((s) => s.cursor);
  const personality = useTagflow((s) => s.personality);
  const fixes = useTagflow((s) => s.fixes);
  const al = c?.alignment ?? null;
  const list = useRef<HTMLOListElement>(null);
  // At 1280×720 the panel holds about five rows: keep the current one on screen as the cursor moves.
  // (A block body: Chromium 156's scrollIntoView returns a promise, which React would take for a cleanup.)
  useEffect(() => {
    list.current?.querySelector(".al-row.is-current")?.scrollIntoView({ block: "nearest" });
  });
  if (!open || !c) return null;
  const close = () => compareUi.setState({ open: false, base: null });
  if (!al)
    return (
      <section className="aligned" aria-label="Runs side by side" data-testid="aligned">
        <p className="al-why-none">
          These runs are too long to align step by step (over {ALIGN_MAX_EVENTS.toLocaleString("en")} steps); the summary above still holds.
        </p>
        <button type="button" className="btn" onClick={close}>
          Close
        </button>
      </section>
    );
  const base = baseShown(al, cursor, sel);
  const baseOnly = sel !== null && sel.forRun === cursor;
  const row = baseOnly ? al.rowOfBase[base]! : al.rowOfRun[Math.min(cursor, al.rowOfRun.length - 1)]!;
  const from = Math.max(0, Math.min(row - WINDOW, al.kinds.length - 2 * WINDOW - 1));
  const rows = al.kinds.slice(from, from + 2 * WINDOW + 1).map((_, i) => from + i);
  const baseWho = runTitle(c.basePersonality, []);
  const runWho = c.basePersonality === personality ? `with ${fixes.join(", ") || "no fixes"}` : runTitle(personality, fixes);
  const stepBase = (to: number) => {
    const seq = Math.min(Math.max(0, to), al.steps.base.length - 1);
    const run = alignedStepOf(al, "base", seq);
    compareUi.setState({ base: { seq, forRun: run } });
    tagflowStore.getState().seek(run);
  };
  const goFirst = () => {
    if (al.first === null) return;
    const r = al.first;
    const run = al.run[r]! >= 0 ? al.run[r]! : alignedStepOf(al, "base", al.base[r]!);
    if (al.base[r]! >= 0) compareUi.setState({ base: { seq: al.base[r]!, forRun: run } });
    tagflowStore.getState().seek(run);
  };
  return (
    <section className="aligned" aria-labelledby="aligned-h" data-testid="aligned" onKeyDown={(e) => e.key === "Escape" && close()}>
      <div className="al-top">
        <header className="al-head">
          <h2 className="al-h" id="aligned-h">
            <ForkGlyph size={18} /> Side by side
          </h2>
          <VerdictDelta c={c} />
          {al.first !== null && (
            <button type="button" className="btn btn--small" data-testid="aligned-first" onClick={goFirst}>
              First difference (row {al.first + 1})
            </button>
          )}
          <button
            type="button"
            className="btn btn--small al-close"
            data-testid="aligned-close"
            onClick={close}
            aria-label="Close the side-by-side view"
          >
            Close ✕
          </button>
        </header>
        <div className="al-cols" role="group" aria-label="Step columns">
          <div className="al-colhead al-colhead--base">
            <span className="al-colname">{baseWho}</span>
            <span className="al-colstep">step {base + 1}</span>
            <button
              type="button"
              className="btn btn--small"
              data-testid="aligned-base-back"
              aria-label="Baseline: step back"
              onClick={() => stepBase(base - 1)}
            >
              ◀
            </button>
            <button
              type="button"
              className="btn btn--small"
              data-testid="aligned-base-fwd"
              aria-label="Baseline: step forward"
              onClick={() => stepBase(base + 1)}
            >
              ▶
            </button>
          </div>
          <div className="al-colhead al-colhead--mid" aria-hidden="true" />
          <div className="al-colhead al-colhead--run">
            <span className="al-colname">This run: {runWho}</span>
            <span className="al-colstep">step {cursor + 1}</span>
            <span className="al-colkeys">
              <kbd>←</kbd> <kbd>→</kbd>
            </span>
          </div>
        </div>
      </div>
      <ol ref={list} className="al-rows" data-testid="aligned-rows" aria-label="Aligned steps">
        {rows.map((r) => {
          const k = al.kinds[r]!;
          const a = al.base[r]!;
          const b = al.run[r]!;
          const current = r === row;
          return (
            <li
              key={r}
              className={`al-row al-row--${k}${current ? " is-current" : ""}${r === al.first ? " is-first" : ""}`}
              data-row={r}
              data-kind={k}
              aria-current={current ? "step" : undefined}
            >
              <Cell step={a >= 0 ? al.steps.base[a] : undefined} side="base" current={current && a === base} />
              <span className="al-mark" title={ROW_WORD[k]}>
                {ROW_GLYPH[k]}
                <span className="visually-hidden">{ROW_WORD[k]}</span>
                {r === al.first && <span className="al-first-tag">first difference</span>}
              </span>
              <Cell step={b >= 0 ? al.steps.run[b] : undefined} side="run" current={current && b === cursor} />
            </li>
          );
        })}
      </ol>
      <p className="al-legend" aria-hidden="true">
        = same step · ≠ same step, other outcome · ≈ the other kernel's counterpart · ◀ ▶ only one run
        {al.approximate ? " · a long stretch was paired by position" : ""}
      </p>
      <WhyPanel al={al} row={row} baseWho={baseWho} runWho={runWho.startsWith("with") ? "this run" : runWho} />
    </section>
  );
}
