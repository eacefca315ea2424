/**
 * The compare view (design.md, "Fixes panel": "a compare view aligns the two runs and shows
 * where they diverge"): how the run on screen differs from the baseline — the scenario on its own
 * kernel with no fixes. A block in the Fixes panel (verdicts, findings gone and new, the
 * sentence, a button to the step where the runs part) and a one-line strip under the banner.
 * The engine worker computes the comparison; nothing here runs the engine.
 */
import type { ReactElement } from "react";
import {
  PERSONALITIES,
  isLinux,
  isPersonalityId,
  linuxUnmodelled,
  alignedStepOf,
  type AlignedStep,
  type Alignment,
  type PersonalityId,
  type Scenario,
  type Severity,
  type TraceComparison,
  type Verdict,
} from "../../engine/index";
import { builtinInfo } from "../../store/builtinCatalog";
import { DEFAULT_PERSONALITY } from "../../store/scenarioSlice";
import type { RunOutcome } from "../../store/types";
import { tagflowStore, useTagflow } from "../../store/index";
import { findingTitle } from "../text";
import { compareUi, useCompareUi } from "../uiStore";
import { ForkGlyph } from "./ForkGlyph";
import "./compare.css";

/** "Compared with no fixes", or "Compared with NetBSD 2003, no fixes" when the kernel differs too. */
export function compareHeading(c: TraceComparison | null, personality: string): string {
  if (!c || c.basePersonality === personality) return "Compared with no fixes";
  const title = isPersonalityId(c.basePersonality) ? PERSONALITIES[c.basePersonality].title.replace(/\s*\(.*\)$/, "") : c.basePersonality;
  return `Compared with ${title}, no fixes`;
}

export function VerdictDelta({ c }: { c: TraceComparison }): ReactElement {
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
          {c.basePersonality !== personality && <KernelCompare />}
        </>
      ) : (
        <p className="panel-empty compare-empty">
          {hasTrace
            ? "Turn on a fix (or pick another kernel) and this shows how the run differs from the scenario with no fixes: the verdict before and after, the findings that go or appear, and the first step where the two runs part — with a button to jump there."
            : "Waiting for the trace…"}
        </p>
      )}
      {!c && hasTrace && <KernelCompare />}
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

/* ---------- compare with another kernel (issue 13: Linux against NetBSD, KLIPS 1999 against 2003) ---------- */

/**
 * The kernels a scenario's own kernel is compared with in one click: the seed story's NetBSD
 * against modern Linux (kernel-notes §11), and seed 002's KLIPS eras against each other and XFRM.
 */
const COMPARE_WITH: Readonly<Partial<Record<PersonalityId, readonly PersonalityId[]>>> = {
  "netbsd-2003": ["linux-xfrm"],
  "freebsd-7": ["linux-xfrm"],
  "linux-2.2-klips-1999": ["linux-2.2-klips-2003", "linux-xfrm"],
  "linux-2.2-klips-2003": ["linux-2.2-klips-1999", "linux-xfrm"],
  "linux-xfrm": ["netbsd-2003"],
};

/** "Linux XFRM" from "Linux XFRM (mainline …)": a button's kernel name. */
function shortTitle(id: PersonalityId): string {
  return PERSONALITIES[id].title.replace(/\s*\(.*\)$/, "");
}

/**
 * The kernels to offer beside `own` for `scenario`: the table's, less any Linux kernel the
 * scenario asks too much of (engine linuxUnmodelled: AH, keying on KLIPS, TCP).
 */
export function kernelsToCompare(own: PersonalityId, scenario: Scenario): PersonalityId[] {
  return (COMPARE_WITH[own] ?? []).filter((id) => {
    const linux = PERSONALITIES[id].behaviour.linux;
    return !(linux && isLinux(PERSONALITIES[id]) && linuxUnmodelled(scenario, linux.stack));
  });
}

/**
 * Where the side-by-side view opens: the first pair of decisions (one per kernel) in the same
 * round as the first difference — no new send between — else the first difference itself.
 */
export function openingPair(al: Alignment): { base: number; run: number } | null {
  const r = al.first;
  if (r === null) return null;
  const run0 = al.run[r]! >= 0 ? al.run[r]! : alignedStepOf(al, "base", al.base[r]!);
  const base0 = al.base[r]! >= 0 ? al.base[r]! : alignedStepOf(al, "run", al.run[r]!);
  const sendBetween = (steps: readonly AlignedStep[], from: number, to: number) => steps.slice(from + 1, to + 1).some((x) => x.kind === "app.send");
  const pair = al.divergences
    .flatMap((d) => d.decisions)
    .find((x) => x.base && x.run && !sendBetween(al.steps.run, run0, x.run.seq) && !sendBetween(al.steps.base, base0, x.base.seq));
  return pair ? { base: pair.base!.seq, run: pair.run!.seq } : { base: base0, run: run0 };
}

/**
 * Props: none; reads the store. Where the compare block chooses its baseline: "Compare with
 * <kernel>" runs this scenario on that kernel, with no fixes, against the scenario's own kernel
 * (the baseline) and opens the side-by-side view, whose explanation comes from the two traces.
 */
export function KernelCompare(): ReactElement | null {
  const trace = useTagflow((s) => s.trace);
  const source = useTagflow((s) => s.source);
  const personality = useTagflow((s) => s.personality);
  const fixes = useTagflow((s) => s.fixes);
  const c = useTagflow((s) => s.comparison);
  if (!trace) return null;
  // The baseline's kernel: the comparison's, else the scenario's own (the run is then the baseline).
  const ownId = c?.basePersonality ?? (source.kind === "builtin" ? (builtinInfo(source.name)?.personality ?? DEFAULT_PERSONALITY) : personality);
  if (!isPersonalityId(ownId)) return null;
  const kernels = kernelsToCompare(ownId, trace.scenario);
  if (kernels.length === 0) return null;
  const open = (id: PersonalityId) => {
    const showing = personality === id && fixes.length === 0;
    const shown: Promise<RunOutcome> = showing
      ? Promise.resolve("unchanged")
      : tagflowStore.getState().runEngine({ source, personality: id, fixes: [] }, "start");
    void shown.then((r) => {
      if (r !== "applied" && r !== "unchanged") return;
      // Open at the first place the kernels decide differently (the engine's alignment): both
      // decisions on screen, and the panel's "where they part" says what each consulted.
      const al = tagflowStore.getState().comparison?.alignment;
      const at = al ? openingPair(al) : null;
      if (!at) {
        compareUi.setState({ open: true, base: null });
        return;
      }
      tagflowStore.getState().seek(at.run);
      compareUi.setState({ open: true, base: { seq: at.base, forRun: at.run } });
    });
  };
  return (
    <div className="compare-kernels" role="group" aria-label="Compare with another kernel" data-testid="compare-kernels">
      <span className="compare-kernels-label">{shortTitle(ownId)}, no fixes, side by side with:</span>
      {kernels.map((id) => (
        <button
          key={id}
          type="button"
          className="btn btn--small compare-kernel"
          data-testid={`compare-kernel-${id}`}
          aria-pressed={personality === id && fixes.length === 0}
          title={`Run ${trace.scenario.name} on ${PERSONALITIES[id].title} with no fixes, and show it step by step beside ${PERSONALITIES[ownId].title}`}
          onClick={() => open(id)}
        >
          Compare with {shortTitle(id)}
        </button>
      ))}
    </div>
  );
}
