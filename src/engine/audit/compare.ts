/**
 * Comparing two runs of one scenario (design.md, "Fixes panel": "a compare view aligns the two
 * runs and shows where they diverge"): the baseline — the scenario's own kernel, no fixes — and
 * the run on screen. Both traces are walked in step until the first event that differs; what
 * came before is common, what happens there is said in one sentence a teacher can read out.
 *
 * Two events match when they are the same step of the same kernel: host, layer, function, kind
 * and the kind's meaning (a decision's check and branch, a tag's name and SA, a field and the
 * value it is set to, a drop's reason, …). Sequence numbers, times, packet and chain ids, tag
 * uids, tag numbering (NetBSD and FreeBSD number the same tag differently) and the narration are
 * left out: they shift between runs without the kernel doing anything different.
 *
 * Pure and O(n): one pass over the common prefix, a few events of look-ahead at the divergence.
 */
import { PERSONALITIES, isFixId, isPersonalityId } from "../kernels/personality";
import type { Consulted, EventKind, LayerId, Severity, Trace, TraceEvent, Verdict } from "../trace/events";
import { CHECK_NAMES, clauseOf, flagList, thirdPerson, type Clause } from "../trace/kinds";
import { eventMeaning, eventSignature } from "../trace/logical";
import { scanAt, signer, type EventList } from "../trace/store";

/** The parts of an event the comparison reports (what the UI and the CLI name). */
export interface EventSummary {
  readonly seq: number;
  readonly host: string;
  readonly layer: LayerId;
  readonly fn: string;
  readonly kind: EventKind;
  readonly note: string;
}

/** How the run on screen differs from the baseline, and where the two first part. */
export interface TraceComparison {
  /** Every step matches and both runs have the same length. */
  readonly identical: boolean;
  /**
   * The first event seq in each run where they stop matching; null when identical. When one run
   * ends where the other goes on, its index is its length (one past its last event).
   */
  readonly divergeAt: { readonly base: number; readonly run: number } | null;
  /** The baseline's event at the divergence; null when identical or the baseline ended there. */
  readonly baseEvent: EventSummary | null;
  /** The run's event at the divergence; null when identical or the run ended there. */
  readonly runEvent: EventSummary | null;
  /** How many events match before the divergence (all of them when identical). */
  readonly common: number;
  /** How many steps each run has. */
  readonly steps: { readonly base: number; readonly run: number };
  readonly verdicts: { readonly base: Verdict; readonly run: Verdict };
  /** Finding ids the run has and the baseline has not, in the run's order. */
  readonly findingsAdded: readonly string[];
  /** Finding ids the baseline has and the run has not, in the baseline's order. */
  readonly findingsRemoved: readonly string[];
  /** The severity of each added or removed finding. */
  readonly findingSeverity: Readonly<Record<string, Severity>>;
  /** The baseline's personality (the scenario's own). */
  readonly basePersonality: string;
  /** What the baseline is, in words: "without the fix", "on NetBSD 2003 (FAST_IPSEC)", … */
  readonly baseLabel: string;
  /** One plain sentence: how long the runs agree, what happens where they part, the verdicts. */
  readonly sentence: string;
  /** Both runs step against step (alignTraces); null past ALIGN_MAX_EVENTS steps. */
  readonly alignment: Alignment | null;
}

type TraceLike = Pick<Trace, "events" | "outcome" | "personality" | "fixes">;

/** "The same step" is defined once, in trace/logical.ts; re-exported for the comparison's readers. */
export { eventMeaning };

const clause = clauseOf;

const said = (c: Clause, subject = c.subject): string => `${subject} ${thirdPerson(c.verb)} ${c.rest}`;

function summary(e: TraceEvent | undefined): EventSummary | null {
  return e ? { seq: e.seq, host: e.host, layer: e.layer, fn: e.fn, kind: e.kind, note: e.note } : null;
}

/** How many events one side can have extra before the other's next step (insertions are short). */
const LOOKAHEAD = 4;

/** `k` > 0 when `extra` has k events inserted at `i` before it goes on as `other` does; else 0. */
function inserted(extra: EventList, other: EventList, i: number): number {
  const next = other.at(i);
  if (!next) return 0;
  const want = eventMeaning(next);
  for (let k = 1; k <= LOOKAHEAD && i + k < extra.length; k++) if (eventMeaning(extra.at(i + k)!) === want) return k;
  return 0;
}

/** The baseline in words, from what the run changed. */
interface BaselineWords {
  /** An adverbial for the baseline: "without the fix", "on NetBSD 2003 (FAST_IPSEC)". */
  readonly label: string;
  /** What the run changed, as the subject of "change(s) nothing": "The fix", "Running as FreeBSD 7 …". */
  readonly change: string;
  readonly plural: boolean;
}

function describeBaseline(base: TraceLike, run: TraceLike): BaselineWords {
  const fixes = run.fixes.filter((id) => !base.fixes.includes(id));
  const title = (id: string) => (isPersonalityId(id) ? PERSONALITIES[id].title : id);
  // A baseline with fixes of its own (tagflow run --compare-with FIX): name them, not "without the fix".
  const baseFixes = base.fixes.some((id) => !run.fixes.includes(id)) ? `with ${base.fixes.join(", ")}` : "";
  if (base.personality === run.personality && baseFixes) return { label: baseFixes, change: "This run's fixes", plural: true };
  if (baseFixes) return { label: `on ${title(base.personality)} ${baseFixes}`, change: `Running as ${title(run.personality)}`, plural: false };
  if (base.personality === run.personality) {
    if (fixes.length === 1 && isFixId(fixes[0]!)) return { label: "without the fix", change: "The fix", plural: false };
    if (fixes.length > 1) return { label: "without the fixes", change: "The fixes", plural: true };
    return { label: "in the baseline", change: "This run", plural: false };
  }
  const as = `Running as ${title(run.personality)}${fixes.length > 0 ? " with these fixes" : ""}`;
  return { label: fixes.length === 0 ? `on ${title(base.personality)}` : `on ${title(base.personality)} with no fixes`, change: as, plural: false };
}

function verdictClause(base: Verdict, run: Verdict): string {
  return base === run ? `the verdict stays ${run}` : `the verdict goes from ${base} to ${run}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Compare the baseline `base` with the run on screen `run`. */
export function compareTraces(base: TraceLike, run: TraceLike): TraceComparison {
  const a = base.events;
  const b = run.events;
  const n = Math.min(a.length, b.length);
  let i = 0;
  // Signatures from the columns, one per distinct step (trace/store.ts signer), not per event.
  const signA = signer(a);
  const signB = signer(b);
  while (i < n && signA(i) === signB(i)) i++;
  const identical = i === a.length && i === b.length;

  const baseIds = new Set(base.outcome.findings.map((f) => f.id));
  const runIds = new Set(run.outcome.findings.map((f) => f.id));
  const added = run.outcome.findings.filter((f) => !baseIds.has(f.id));
  const removed = base.outcome.findings.filter((f) => !runIds.has(f.id));
  const findingSeverity: Record<string, Severity> = {};
  for (const f of [...added, ...removed]) findingSeverity[f.id] = f.severity;

  const verdicts = { base: base.outcome.verdict, run: run.outcome.verdict };
  const words = describeBaseline(base, run);
  const sentence = identical
    ? words.change === "This run"
      ? `The two runs are identical: all ${plural(b.length, "step")} match, and the verdict is ${verdicts.run} in both.`
      : `${words.change} ${words.plural ? "change" : "changes"} nothing here: all ${plural(b.length, "step")} are the same ${words.label}, and the verdict is ${verdicts.run} either way.`
    : divergenceSentence(a, b, i, words.label, verdicts.base, verdicts.run);

  return {
    identical,
    divergeAt: identical ? null : { base: i, run: i },
    baseEvent: identical ? null : summary(a.at(i)),
    runEvent: identical ? null : summary(b.at(i)),
    common: i,
    steps: { base: a.length, run: b.length },
    verdicts,
    findingsAdded: added.map((f) => f.id),
    findingsRemoved: removed.map((f) => f.id),
    findingSeverity,
    basePersonality: base.personality,
    baseLabel: words.label,
    sentence,
    alignment: alignTraces(base, run),
  };
}

/** What the baseline has instead of a step only the run takes: "the tags stay on the packet". */
function withoutIt(e: TraceEvent): string | null {
  switch (e.kind) {
    case "tag.deleteNonpersistent":
    case "tag.deleteChain":
      return e.deleted.length === 0 ? null : e.deleted.length === 1 ? "the tag stays on the packet" : "the tags stay on the packet";
    case "tag.delete":
    case "tag.unlink":
      return "the tag stays on the packet";
    case "tag.prepend":
      return "the packet gets no such tag";
    case "flag.clear":
      return e.flags.length === 0 ? null : `${flagList(e.flags)} ${e.flags.length === 1 ? "stays" : "stay"} set`;
    case "flag.set":
      return e.flags.length === 0 ? null : `${flagList(e.flags)} ${e.flags.length === 1 ? "stays" : "stay"} clear`;
    default:
      return null;
  }
}

function divergenceSentence(a: EventList, b: EventList, i: number, baseLabel: string, from: Verdict, to: Verdict): string {
  const start = i === 0 ? "The runs differ from the first step" : `The runs are the same for ${plural(i, "step")}`;
  // "at step 25, just after its IPsec loop check, ip_output …": the decision that led here.
  const prev = i > 0 ? b.at(i - 1) : undefined;
  const step =
    prev?.kind === "decision" && b.at(i) && prev.fn === b.at(i)!.fn
      ? `step ${i + 1}, just after its ${CHECK_NAMES[prev.check] ?? prev.check},`
      : `step ${i + 1}`;
  const tail = ` — and ${verdictClause(from, to)}.`;
  const runE = b.at(i);
  const baseE = a.at(i);
  if (!runE) {
    const q = clause(baseE!);
    return `${start}; then this run ends, while the run ${baseLabel} goes on: at step ${i + 1} ${said(q, baseE!.fn === "runScenario" ? "the run" : q.subject)}${tail}`;
  }
  const r = clause(runE);
  if (!baseE) return `${start}; at ${step} ${said(r)}, where the run ${baseLabel} has already ended${tail}`;
  const q = clause(baseE);
  const sameSubject = r.subject === q.subject;
  const extra = inserted(b, a, i);
  if (extra > 0) {
    // The run takes a step (or a few) the baseline does not, then goes on as it does.
    const also = extra === 1 ? "" : ` (and ${plural(extra - 1, "more step")})`;
    const instead = withoutIt(runE);
    const there = instead
      ? `where ${baseLabel} ${instead}`
      : sameSubject
        ? `where ${baseLabel} it does not`
        : `a step that does not happen ${baseLabel}`;
    return `${start}; at ${step} ${said(r)}${also}, ${there}${tail}`;
  }
  const missing = inserted(a, b, i);
  if (missing > 0) {
    // The baseline takes a step (or a few) the run leaves out.
    const also = missing === 1 ? "" : ` (and ${plural(missing - 1, "more step")})`;
    return `${start}; at ${step} ${said(r)}, where ${baseLabel} ${sameSubject ? "it" : q.subject} first ${thirdPerson(q.verb)} ${q.rest}${also}${tail}`;
  }
  // The same step doing nothing in the baseline (clearing no flag that is set): say what stays.
  const instead = sameSubject && runE.kind === baseE.kind && isNoop(baseE) ? withoutIt(runE) : null;
  if (instead) return `${start}; at ${step} ${said(r)}, where ${baseLabel} ${instead}${tail}`;
  return `${start}; at ${step} ${said(r)}, where ${baseLabel} ${sameSubject ? "it" : q.subject} ${thirdPerson(q.verb)} ${q.rest}${tail}`;
}

/** A step that changes nothing: clears or sets no flag, deletes no tag. */
function isNoop(e: TraceEvent): boolean {
  if (e.kind === "flag.clear" || e.kind === "flag.set") return e.flags.length === 0;
  if (e.kind === "tag.deleteNonpersistent" || e.kind === "tag.deleteChain") return e.deleted.length === 0;
  return false;
}

/* ---------------------------------------------------------------------------------------------
 * The aligned two-run view (issue 17, "Compare beside"; issue 13, Linux against NetBSD): both
 * runs' steps side by side, paired by what they mean, so a step only one run takes leaves a gap
 * on the other side instead of shifting everything after it. A weighted LCS (longest common
 * subsequence, the dynamic programme of diff) over the events between the common prefix and
 * suffix, round by round (`app.send` starts a round, as in trace/logical.ts).
 * ------------------------------------------------------------------------------------------- */

/**
 * How a row pairs the runs: the same step (same meaning), the same step doing something else
 * (same host, layer, function, kind and check — a decision taking another branch), a step only
 * one run takes, or — between two kernels — the steps the two kernels take in the same layer with
 * the same kind of event (Linux's `xfrm_lookup` against NetBSD's `ipsec4_checkpolicy`).
 */
export type AlignKind = "same" | "differs" | "counterpart" | "base" | "run";

/** One side of a row, in words, from the kinds table (the baseline's trace never leaves the worker). */
export interface AlignedStep {
  readonly seq: number;
  readonly host: string;
  readonly layer: LayerId;
  readonly fn: string;
  readonly kind: EventKind;
  /** The kinds table's clause, said: "ip_output's IPsec loop check decides “skip IPsec”". */
  readonly text: string;
  /** The kernel source file of `fn` in that run's personality (PERSONALITIES[p].sources), or null. */
  readonly source: string | null;
  /** A decision's CheckId and its name (CHECK_NAMES), and the branch taken. */
  readonly check?: string;
  readonly checkName?: string;
  readonly branch?: string;
  /** What a decision consulted, one short phrase each ("disable_xfrm = 1", "OUT_DONE tag"). */
  readonly consulted?: readonly string[];
  /** Finding ids that became true at this step. */
  readonly findings?: readonly string[];
}

/** A decision on each side of a divergence (either may be missing: a check one run never makes). */
export interface DecisionDelta {
  readonly row: number;
  readonly base: AlignedStep | null;
  readonly run: AlignedStep | null;
}

/** One stretch of rows where the runs part, with what the events say about it. */
export interface Divergence {
  /** Rows [from, to) of the alignment. */
  readonly from: number;
  readonly to: number;
  /** The decisions that differ there: same check another branch, or a check only one run makes. */
  readonly decisions: readonly DecisionDelta[];
  /** Findings that became true in the stretch, per side. */
  readonly findings: { readonly base: readonly string[]; readonly run: readonly string[] };
}

/** Both runs, step against step. */
export interface Alignment {
  /** Per row: the baseline's seq (or -1), the run's seq (or -1), and how they pair. */
  readonly base: readonly number[];
  readonly run: readonly number[];
  readonly kinds: readonly AlignKind[];
  /** Every step of each run, summarised. */
  readonly steps: { readonly base: readonly AlignedStep[]; readonly run: readonly AlignedStep[] };
  /** The row each step sits in. */
  readonly rowOfBase: readonly number[];
  readonly rowOfRun: readonly number[];
  /** The first row that is not "same"; null when the runs are identical. */
  readonly first: number | null;
  readonly divergences: readonly Divergence[];
  /**
   * True when a stretch was too long for the LCS budget and its steps were paired by position
   * (then "differs"/"base"/"run" rows there say only that the runs part, not how).
   */
  readonly approximate: boolean;
}

/** Past this many steps in either run, no aligned view (the summary still comes). */
export const ALIGN_MAX_EVENTS = 20_000;
/** Cells of one LCS table (rows × columns); a longer stretch is paired by position. */
const ALIGN_MAX_CELLS = 4_000_000;

function consultedWords(c: Consulted): string {
  switch (c.kind) {
    case "tag":
      return c.tag ? `${c.name} tag${c.stale ? " (stale)" : ""}` : `no ${c.name} tag`;
    case "flag":
      return `M_${c.flag} ${c.set ? "set" : "clear"}${c.stale ? " (stale)" : ""}`;
    case "sp":
    case "sa":
      return `${c.id}: ${c.summary}`;
    case "field":
      return `${c.header} ${c.field} = ${c.value}`;
    case "route":
      return `route ${c.dst}: ${c.summary}`;
    case "switch":
      return `${c.name} = ${c.value}`;
  }
}

function alignedStep(e: TraceEvent, personality: string, findings: ReadonlyMap<number, string[]>): AlignedStep {
  const sources = isPersonalityId(personality) ? PERSONALITIES[personality].sources : {};
  const c = clause(e);
  const found = findings.get(e.seq);
  return {
    seq: e.seq,
    host: e.host,
    layer: e.layer,
    fn: e.fn,
    kind: e.kind,
    text: said(c),
    source: sources[e.fn] ?? null,
    ...(e.kind === "decision"
      ? { check: e.check, checkName: CHECK_NAMES[e.check] ?? e.check, branch: e.branch, consulted: e.consulted.map(consultedWords) }
      : {}),
    ...(found ? { findings: found } : {}),
  };
}

/**
 * Pair weights: a match of meaning beats a step doing something else, which beats a counterpart —
 * except that a decision taking the other branch at the same check pairs before a later copy of
 * the same decision does: the fixed reply's loop check "apply IPsec" stands beside the bug's "skip
 * IPsec", not beside the second loop check the fixed reply makes after ESP.
 */
const W_SAME = 6;
const W_DIFFERS = 3;
const W_DECISION_DIFFERS = 7;
const W_COUNTERPART = 1;

/**
 * Checks that do the same job in two kernels under different names (trace/kinds.ts CHECK_NAMES):
 * NetBSD's `ipsec4_checkpolicy` and Linux's `xfrm_lookup` and KLIPS's eroute lookup choose the
 * outbound policy; `ipsec_getpolicy`/`ipsec_in_reject` and `__xfrm_policy_check` check inbound
 * policy; the MTU checks. Any other check is its own counterpart only.
 */
const CHECK_COUNTERPARTS: Readonly<Partial<Record<string, string>>> = {
  "ipsec-out-policy": "out-policy",
  "xfrm-lookup": "out-policy",
  "klips-eroute": "out-policy",
  "ipsec-in-policy": "in-policy",
  "xfrm-policy-check": "in-policy",
  mtu: "mtu",
  "klips-mtu": "mtu",
  "xfrm-bundle-mtu": "mtu",
};
/** A round's start pairs with the other run's before anything else does (rounds stay side by side). */
const W_ROUND = 20;

interface Keys {
  readonly meaning: (i: number) => string;
  readonly where: readonly string[];
  readonly counterpart: readonly string[];
  readonly round: readonly boolean[];
  /** How many rounds (`app.send`s) have started up to each event. */
  readonly roundIx: readonly number[];
  readonly decision: readonly boolean[];
}

function keysOf(events: EventList): Keys {
  const where: string[] = new Array<string>(events.length);
  const counterpart: string[] = new Array<string>(events.length);
  const round: boolean[] = new Array<boolean>(events.length);
  const decision: boolean[] = new Array<boolean>(events.length);
  const roundIx: number[] = new Array<number>(events.length);
  let rounds = 0;
  for (let i = 0; i < events.length; i++) {
    const e = scanAt(events, i);
    where[i] = eventSignature(e);
    // A decision's counterpart is the same job (CHECK_COUNTERPARTS), in any layer.
    counterpart[i] = e.kind === "decision" ? `${e.host} decision ${CHECK_COUNTERPARTS[e.check] ?? e.check}` : `${e.host} ${e.layer} ${e.kind}`;
    round[i] = e.kind === "app.send";
    if (round[i]) rounds++;
    roundIx[i] = rounds;
    decision[i] = e.kind === "decision";
  }
  return { meaning: signer(events), where, counterpart, round, roundIx, decision };
}

function weight(a: Keys, i: number, b: Keys, j: number, crossKernel: boolean): number {
  if (a.round[i] && b.round[j]) return W_ROUND + (a.meaning(i) === b.meaning(j) ? W_SAME : 0);
  if (a.meaning(i) === b.meaning(j)) return W_SAME;
  // The same step doing something else pairs within the same round only: KLIPS 1999's output
  // decision for the first datagram is not the 2003 decision for the second (one table when the
  // runs have different numbers of rounds, as when one crashed).
  if (a.where[i] === b.where[j]) return a.roundIx[i] !== b.roundIx[j] ? 0 : a.decision[i] ? W_DECISION_DIFFERS : W_DIFFERS;
  if (crossKernel && a.counterpart[i] === b.counterpart[j] && a.roundIx[i] === b.roundIx[j]) return W_COUNTERPART;
  return 0;
}

interface Row {
  readonly a: number;
  readonly b: number;
  readonly kind: AlignKind;
}

function pairKind(a: Keys, i: number, b: Keys, j: number): AlignKind {
  if (a.meaning(i) === b.meaning(j)) return "same";
  return a.where[i] === b.where[j] ? "differs" : "counterpart";
}

/** Rows for a[a0,a1) against b[b0,b1): the heaviest common subsequence, gaps where a step is one-sided. */
function lcsRows(a: Keys, a0: number, a1: number, b: Keys, b0: number, b1: number, crossKernel: boolean, out: Row[]): boolean {
  const n = a1 - a0;
  const m = b1 - b0;
  if (n === 0 || m === 0 || (n + 1) * (m + 1) > ALIGN_MAX_CELLS) {
    // Paired by position past the budget: honest about it (`approximate`).
    const k = Math.min(n, m);
    for (let t = 0; t < k; t++) out.push({ a: a0 + t, b: b0 + t, kind: pairKind(a, a0 + t, b, b0 + t) });
    for (let t = k; t < n; t++) out.push({ a: a0 + t, b: -1, kind: "base" });
    for (let t = k; t < m; t++) out.push({ a: -1, b: b0 + t, kind: "run" });
    return n > 0 && m > 0;
  }
  const w = m + 1;
  const score = new Int32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const pair = weight(a, a0 + i, b, b0 + j, crossKernel);
      const diag = pair > 0 ? pair + score[(i + 1) * w + j + 1]! : 0;
      score[i * w + j] = Math.max(diag, score[(i + 1) * w + j]!, score[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const here = score[i * w + j]!;
    const pair = weight(a, a0 + i, b, b0 + j, crossKernel);
    if (pair > 0 && here === pair + score[(i + 1) * w + j + 1]!) {
      out.push({ a: a0 + i, b: b0 + j, kind: pairKind(a, a0 + i, b, b0 + j) });
      i++;
      j++;
    } else if (here === score[(i + 1) * w + j]!) {
      out.push({ a: a0 + i++, b: -1, kind: "base" });
    } else {
      out.push({ a: -1, b: b0 + j++, kind: "run" });
    }
  }
  for (; i < n; i++) out.push({ a: a0 + i, b: -1, kind: "base" });
  for (; j < m; j++) out.push({ a: -1, b: b0 + j, kind: "run" });
  return false;
}

/** Where each round starts in [from, to): the indices of its `app.send` events, and `from`. */
function roundStarts(k: Keys, from: number, to: number): number[] {
  const starts = [from];
  for (let i = from + 1; i < to; i++) if (k.round[i]) starts.push(i);
  return starts;
}

function divergencesOf(rows: readonly Row[], steps: Alignment["steps"]): Divergence[] {
  const out: Divergence[] = [];
  let r = 0;
  while (r < rows.length) {
    if (rows[r]!.kind === "same") {
      r++;
      continue;
    }
    const from = r;
    // A stretch ends at a step both runs share, or where the next round starts.
    r++;
    while (
      r < rows.length &&
      rows[r]!.kind !== "same" &&
      !(steps.run[rows[r]!.b]?.kind === "app.send" && steps.base[rows[r]!.a]?.kind === "app.send")
    )
      r++;
    const decisions: DecisionDelta[] = [];
    const findings = { base: [] as string[], run: [] as string[] };
    for (let t = from; t < r; t++) {
      const row = rows[t]!;
      const base = row.a >= 0 ? steps.base[row.a]! : null;
      const run = row.b >= 0 ? steps.run[row.b]! : null;
      findings.base.push(...(base?.findings ?? []));
      findings.run.push(...(run?.findings ?? []));
      const bd = base?.kind === "decision" ? base : null;
      const rd = run?.kind === "decision" ? run : null;
      if (bd || rd) decisions.push({ row: t, base: bd, run: rd });
    }
    out.push({ from, to: r, decisions, findings });
  }
  return out;
}

/**
 * Align the baseline `base` with the run `run`, step against step; null when either run has more
 * than ALIGN_MAX_EVENTS steps. Pure; O(prefix + suffix) plus one LCS table per differing round.
 */
export function alignTraces(base: TraceLike, run: TraceLike): Alignment | null {
  const a = base.events;
  const b = run.events;
  if (a.length > ALIGN_MAX_EVENTS || b.length > ALIGN_MAX_EVENTS) return null;
  const ka = keysOf(a);
  const kb = keysOf(b);
  let pre = 0;
  while (pre < a.length && pre < b.length && ka.meaning(pre) === kb.meaning(pre)) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && ka.meaning(a.length - 1 - suf) === kb.meaning(b.length - 1 - suf)) suf++;
  const rows: Row[] = [];
  for (let t = 0; t < pre; t++) rows.push({ a: t, b: t, kind: "same" });
  const crossKernel = base.personality !== run.personality;
  const sa = roundStarts(ka, pre, a.length - suf);
  const sb = roundStarts(kb, pre, b.length - suf);
  let approximate = false;
  if (sa.length === sb.length) {
    // The same number of rounds: round k against round k, each its own small table.
    for (let r = 0; r < sa.length; r++) {
      const a1 = r + 1 < sa.length ? sa[r + 1]! : a.length - suf;
      const b1 = r + 1 < sb.length ? sb[r + 1]! : b.length - suf;
      approximate = lcsRows(ka, sa[r]!, a1, kb, sb[r]!, b1, crossKernel, rows) || approximate;
    }
  } else {
    approximate = lcsRows(ka, pre, a.length - suf, kb, pre, b.length - suf, crossKernel, rows);
  }
  for (let t = suf; t > 0; t--) rows.push({ a: a.length - t, b: b.length - t, kind: "same" });

  const findingsAt = (t: TraceLike): Map<number, string[]> => {
    const m = new Map<number, string[]>();
    for (const f of t.outcome.findings) m.set(f.step, [...(m.get(f.step) ?? []), f.id]);
    return m;
  };
  const fa = findingsAt(base);
  const fb = findingsAt(run);
  const steps = {
    base: Array.from({ length: a.length }, (_, i) => alignedStep(scanAt(a, i), base.personality, fa)),
    run: Array.from({ length: b.length }, (_, i) => alignedStep(scanAt(b, i), run.personality, fb)),
  };
  const rowOfBase = new Array<number>(a.length).fill(0);
  const rowOfRun = new Array<number>(b.length).fill(0);
  rows.forEach((row, r) => {
    if (row.a >= 0) rowOfBase[row.a] = r;
    if (row.b >= 0) rowOfRun[row.b] = r;
  });
  const first = rows.findIndex((row) => row.kind !== "same");
  return {
    base: rows.map((row) => row.a),
    run: rows.map((row) => row.b),
    kinds: rows.map((row) => row.kind),
    steps,
    rowOfBase,
    rowOfRun,
    first: first < 0 ? null : first,
    divergences: divergencesOf(rows, steps),
    approximate,
  };
}

/**
 * The step to show on the other side when one side stands at `seq`: the step in the same row, or,
 * where that side has a gap, its nearest step in an earlier row (else the nearest later one).
 */
export function alignedStepOf(al: Alignment, from: "base" | "run", seq: number): number {
  const rowOf = from === "base" ? al.rowOfBase : al.rowOfRun;
  const other = from === "base" ? al.run : al.base;
  const row = rowOf[Math.min(Math.max(0, seq), rowOf.length - 1)] ?? 0;
  for (let r = row; r >= 0; r--) if (other[r]! >= 0) return other[r]!;
  for (let r = row + 1; r < other.length; r++) if (other[r]! >= 0) return other[r]!;
  return 0;
}
