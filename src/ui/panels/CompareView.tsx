/**
 * The compare view (design.md, "Fixes panel": "a compare view aligns the two runs and shows
 * where they diverge"): how the run on screen differs from the baseline — the scenario on its own
 * kernel with no fixes. A block in the Fixes panel (verdicts, findings gone and new, the
 * sentence, a button to the step where the runs part) and a one-line strip under the banner.
 * The engine worker computes the comparison; nothing here runs the engine.
 */
import type { ReactElement } from "react";
import {
  ALIGN_MAX_EVENTS,
  PERSONALITIES,
  alignedStepOf,
  isPersonalityId,
  type AlignKind,
  type AlignedStep,
  type Alignment,
  type Severity,
  type TraceComparison,
  type Verdict,
} from "../../engine/index";
import { tagflowStore, useTagflow } from "../../store/index";
import { findingTitle } from "../text";
import { compareUi, useCompareUi, type CompareUi } from "../uiStore";

/** "Compared with no fixes", or "Compared with NetBSD 2003, no fixes" when the kernel differs too. */
export function compareHeading(c: TraceComparison | null, personality: string): string {
  if (!c || c.basePersonality === personality) return "Compared with no fixes";
  const title = isPersonalityId(c.basePersonality) ? PERSONALITIES[c.basePersonality].title.replace(/\s*\(.*\)$/, "") : c.basePersonality;
  return `Compared with ${title}, no fixes`;
}

/** The fork drawn on the timeline where the runs part; also the legend's swatch. */
export function ForkGlyph({ size = 14 }: { size?: number }): ReactElement {
  return (
    <svg className="fork-glyph" width={size} height={size} viewBox="0 0 14 14" aria-hidden="true">
      <path d="M7,13V7L2,1M7,7l5,-6" />
    </svg>
  );
}

function VerdictDelta({ c }: { c: TraceComparison }): ReactElement {
  const chip = (v: Verdict) => <span className={`verdict-chip verdict-chip--small verdict-chip--${v}`}>{v}</span>;
  return (
    <span className="compare-verdicts" data-testid="compare-verdicts">
      <span className="visually-hidden">Verdict {c.baseLabel}: </span>
      {chip(c.verdicts.base)}
      <span className="compare-arrow" aria-hidden="true">
        →
      </span>
      <span className="visually-hidden">; this run: </span>
      {chip(c.verdicts.run)}
    </span>
  );
}

/** "5 findings gone, 1 new", or "" when the findings are the same. */
export function findingsDelta(c: TraceComparison): string {
  const parts: string[] = [];
  const gone = c.findingsRemoved.length;
  const added = c.findingsAdded.length;
  if (gone > 0) parts.push(`${gone} finding${gone === 1 ? "" : "s"} gone`);
  if (added > 0) parts.push(gone > 0 ? `${added} new` : `${added} new finding${added === 1 ? "" : "s"}`);
  return parts.join(", ");
}

/** The step the runs part at in this run, 0-based and within the trace; null when they do not. */
function divergenceStep(c: TraceComparison, count: number): number | null {
  return c.divergeAt ? Math.min(c.divergeAt.run, Math.max(0, count - 1)) : null;
}

/** "first difference at step 60, in icmp_reflect". */
function whereText(c: TraceComparison, step: number): string {
  return c.runEvent ? `first difference at step ${step + 1}, in ${c.runEvent.fn}` : `first difference at step ${step + 1}, where this run ends`;
}

function JumpButton({ c, step, compact }: { c: TraceComparison; step: number; compact?: boolean }): ReactElement {
  const where = c.runEvent ? `step ${step + 1}, ${c.runEvent.fn}` : `step ${step + 1}, where this run ends`;
  return (
    <button
      type="button"
      className={`btn btn--small compare-jump${compact ? " compare-jump--compact" : ""}`}
      data-testid={compact ? "compare-jump-strip" : "compare-jump"}
      aria-label={`Jump to where they diverge (${where})`}
      title={`Jump to ${where}`}
      onClick={() => tagflowStore.getState().goToDivergence()}
    >
      <ForkGlyph />
      Jump to where they diverge
    </button>
  );
}

const SEVERITY_WORD: Readonly<Record<Severity, string>> = { critical: "critical", warning: "warning", info: "note" };

function FindingGroup({ c, ids, change }: { c: TraceComparison; ids: readonly string[]; change: "removed" | "added" }): ReactElement | null {
  if (ids.length === 0) return null;
  const label = change === "removed" ? "Gone without the fix" : "New with the fix";
  return (
    <div className={`compare-findings compare-findings--${change}`}>
      <span className="compare-findings-label">
        {c.baseLabel === "without the fix" ? label : change === "removed" ? "Findings gone" : "New findings"}
      </span>
      <ul className="compare-finding-list" aria-label={change === "removed" ? "Findings gone" : "New findings"}>
        {ids.map((id) => {
          const severity = c.findingSeverity[id] ?? "info";
          return (
            <li
              key={id}
              className={`compare-finding compare-finding--${severity}`}
              data-finding={id}
              data-change={change}
              title={`${id} (${SEVERITY_WORD[severity]})`}
            >
              <span className="compare-finding-sign" aria-hidden="true">
                {change === "removed" ? "−" : "+"}
              </span>
              {findingTitle(id)}
              <span className="visually-hidden"> ({SEVERITY_WORD[severity]})</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function FindingList({ c }: { c: TraceComparison }): ReactElement {
  if (c.findingsAdded.length === 0 && c.findingsRemoved.length === 0) return <p className="compare-findings-none">The same findings either way.</p>;
  return (
    <>
      <FindingGroup c={c} ids={c.findingsRemoved} change="removed" />
      <FindingGroup c={c} ids={c.findingsAdded} change="added" />
    </>
  );
}

/** Props: none; reads the store. The block at the foot of the fix list. */
export function CompareBlock(): ReactElement {
  const c = useTagflow((s) => s.comparison);
  const personality = useTagflow((s) => s.personality);
  const count = useTagflow((s) => s.trace?.events.length ?? 0);
  const hasTrace = useTagflow((s) => s.trace !== null);
  const heading = compareHeading(c, personality);
  const step = c ? divergenceStep(c, count) : null;
  return (
    <section className={`compare${c ? "" : " compare--empty"}`} aria-labelledby="compare-h" data-testid="compare">
      <h2 className="panel-h compare-h" id="compare-h">
        <ForkGlyph size={16} /> {heading}
      </h2>
      {c ? (
        <>
          <div className="compare-head">
            <VerdictDelta c={c} />
            {step !== null && <span className="compare-where">{whereText(c, step)}</span>}
          </div>
          <p className="compare-sentence" data-testid="compare-sentence">
            {c.sentence}
          </p>
          <FindingList c={c} />
          {step !== null && <JumpButton c={c} step={step} />}
          {c.alignment && <AlignedButton />}
        </>
      ) : (
        <p className="panel-empty compare-empty">
          {hasTrace
            ? "Turn on a fix (or pick another kernel) and this shows how the run differs from the scenario with no fixes: the verdict before and after, the findings that go or appear, and the first step where the two runs part — with a button to jump there."
            : "Waiting for the trace…"}
        </p>
      )}
    </section>
  );
}

/** Props: none; reads the store. One line under the outcome banner, only when there is a comparison. */
export function CompareStrip(): ReactElement | null {
  const c = useTagflow((s) => s.comparison);
  const personality = useTagflow((s) => s.personality);
  const count = useTagflow((s) => s.trace?.events.length ?? 0);
  if (!c) return null;
  const step = divergenceStep(c, count);
  const delta = findingsDelta(c);
  return (
    <div className="compare-strip" role="group" aria-label={compareHeading(c, personality)} data-testid="compare-strip">
      <span className="compare-strip-label" aria-hidden="true">
        {compareHeading(c, personality)}
      </span>
      <VerdictDelta c={c} />
      {delta && <span className="compare-strip-text">{delta}</span>}
      <span className="compare-strip-text compare-strip-where" title={c.sentence}>
        {step === null ? "no difference: every step is the same" : whereText(c, step)}
      </span>
      {step !== null && <JumpButton c={c} step={step} compact />}
      {c.alignment && <AlignedButton compact />}
    </div>
  );
}

/* ---------- the aligned two-run view (issue 17 "Compare beside", issue 13 Linux vs NetBSD) ---------- */

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
      <ol className="al-rows" data-testid="aligned-rows" aria-label="Aligned steps">
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

/** Props: none. The button that opens the side-by-side view. */
export function AlignedButton({ compact }: { compact?: boolean }): ReactElement | null {
  const open = useCompareUi((s) => s.open);
  return (
    <button
      type="button"
      className={`btn btn--small compare-jump${compact ? " compare-jump--compact" : ""}`}
      data-testid={compact ? "aligned-open-strip" : "aligned-open"}
      aria-pressed={open}
      onClick={() => compareUi.setState({ open: !open, base: null })}
    >
      Side by side
    </button>
  );
}
