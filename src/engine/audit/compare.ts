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
import type { CheckId, EventKind, LayerId, MFlag, Severity, TagView, Trace, TraceEvent, Verdict } from "../trace/events";

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
}

type TraceLike = Pick<Trace, "events" | "outcome" | "personality" | "fixes">;

const tagKey = (t: TagView | null): string => (t === null ? "-" : t.tdbi ? `${t.name}{${t.tdbi.dst},${t.tdbi.proto},${t.tdbi.spi}}` : t.name);
const tagsKey = (ts: readonly TagView[]): string => ts.map(tagKey).join(",");

/** What an event means, without the parts that shift between runs. */
export function eventMeaning(e: TraceEvent): string {
  const where = `${e.host}|${e.layer}|${e.fn}|${e.kind}|`;
  switch (e.kind) {
    case "app.send":
      return where + e.socket;
    case "mbuf.alloc":
      return where + e.len;
    case "mbuf.prepend":
      return `${where}${e.header}|${e.len}|${e.leading}`;
    case "mbuf.makespace":
      return `${where}${e.header}|${e.len}|${e.how}`;
    case "mbuf.append":
      return `${where}${e.what}|${e.len}|${e.how}`;
    case "mbuf.adj":
      return `${where}${e.header}|${e.len}|${e.from}`;
    case "mbuf.strip":
      return `${where}${e.header}|${e.len}`;
    case "mbuf.rewrite":
      return `${where}${e.what}|${e.len}`;
    case "mbuf.pkthdr":
      return where + e.mode;
    case "mbuf.free":
      return where + e.reason;
    case "field.set":
      return `${where}${e.header}|${e.field}|${e.to}`;
    case "tag.get":
    case "tag.prepend":
    case "tag.unlink":
    case "tag.delete":
      return where + tagKey(e.tag);
    case "tag.find":
      return `${where}${e.name}|${tagKey(e.found)}`;
    case "tag.deleteChain":
      return where + tagsKey(e.deleted);
    case "tag.deleteNonpersistent":
      return `${where}${tagsKey(e.deleted)}|${tagsKey(e.kept)}`;
    case "tag.copy":
      return where + tagKey(e.from);
    case "tag.copyChain":
      return where + tagsKey(e.copies.map(([from]) => from));
    case "flag.set":
    case "flag.clear":
      return where + e.flags.join(",");
    case "decision":
      return `${where}${e.check}|${e.branch}`;
    case "crypto.submit":
      return `${where}${e.sa}|${e.op}|${e.bytes}`;
    case "crypto.done":
      return `${where}${e.sa}|${e.op}|${e.ok}`;
    case "queue.enqueue":
    case "queue.dequeue":
      return `${where}${e.queue}|${e.depth}`;
    case "link.tx":
    case "link.rx":
      return `${where}${e.ifname}|${e.link}|${e.bytes}`;
    case "sa.update":
      return `${where}${e.sa}|${e.field}|${e.value}`;
    case "deliver":
      return `${where}${e.socket}|${e.summary}`;
    case "drop":
      return where + e.reason;
  }
}

/** The decisions, in a few words: "ip_output's IPsec loop check". */
const CHECK_NAMES: Readonly<Record<CheckId, string>> = {
  route: "route lookup",
  "ip-checksum": "header checksum check",
  ours: "local-address check",
  mtu: "MTU check",
  "ip-maxpacket": "IP_MAXPACKET check",
  "ipsec-out-policy": "outbound policy lookup",
  "ipsec-loop": "IPsec loop check",
  "ipsec-out-sa": "SA lookup",
  "ipsec-in-sa": "SA lookup",
  replay: "replay check",
  icv: "ICV check",
  "pr-lasthdr": "PR_LASTHDR check",
  "ipsec-in-policy": "inbound policy lookup",
  "ipsec-in-reject": "policy check",
  "ipsec-evidence": "IPsec-evidence check",
  "icmp-type": "ICMP type switch",
  // Seed 004 (keying).
  "km-acquire": "ACQUIRE decision",
  "km-install": "SA installation",
  "km-expire": "lifetime check",
};

/** A step in words: who does it, the verb (bare infinitive) and the rest. */
interface Clause {
  readonly subject: string;
  readonly verb: string;
  readonly rest: string;
}

const article = (word: string): string => (/^[AEIOU]/.test(word) ? "an" : "a");
const flagList = (flags: readonly MFlag[]): string => flags.map((f) => `M_${f}`).join("|");

/** "IPSEC_IN_DONE and IPSEC_OUT_DONE". */
function names(tags: readonly TagView[]): string {
  const n = tags.map((t) => t.name);
  return n.length <= 1 ? (n[0] ?? "") : `${n.slice(0, -1).join(", ")} and ${n[n.length - 1]!}`;
}

/** "the packet's IPSEC_IN_DONE and IPSEC_OUT_DONE tags", "the packet's 5 tags". */
function tagPhrase(tags: readonly TagView[]): string {
  if (tags.length === 0) return "no tags";
  return tags.length <= 3 ? `the packet's ${names(tags)} tag${tags.length === 1 ? "" : "s"}` : `the packet's ${tags.length} tags`;
}

function clause(e: TraceEvent): Clause {
  const c = (verb: string, rest: string, subject = e.fn): Clause => ({ subject, verb, rest });
  switch (e.kind) {
    case "app.send":
      return c("send", `another packet on ${e.socket}`);
    case "mbuf.alloc":
      return c("allocate", `an mbuf for ${e.len} bytes`);
    case "mbuf.prepend":
      return c("prepend", `the ${e.header} header`);
    case "mbuf.makespace":
      return c("open", `${e.len} bytes for the ${e.header} header`);
    case "mbuf.append":
      return c("append", e.what);
    case "mbuf.adj":
      return c("trim", `the ${e.header} header (${e.len} bytes) off the ${e.from}`);
    case "mbuf.strip":
      return c("strip", `the ${e.header} header`);
    case "mbuf.rewrite":
      return c("rewrite", e.what);
    case "mbuf.pkthdr":
      return c(e.mode === "move" ? "move" : "copy", "the packet header");
    case "mbuf.free":
      return c("free", `the packet (${e.reason})`);
    case "field.set":
      return c("set", `${e.header} ${e.field} to ${e.to}`);
    case "tag.get":
      return c("allocate", `${article(e.tag.name)} ${e.tag.name} tag`);
    case "tag.prepend":
      return c("prepend", `${article(e.tag.name)} ${e.tag.name} tag`);
    case "tag.unlink":
      return c("unlink", `the ${e.tag.name} tag`);
    case "tag.delete":
      return c("delete", `the packet's ${e.tag.name} tag (m_tag_delete)`);
    case "tag.find":
      return e.found ? c("find", `the ${e.name} tag`) : c("look", `for ${article(e.name)} ${e.name} tag and finds none`);
    case "tag.deleteChain":
      return c("delete", `${tagPhrase(e.deleted)} (m_tag_delete_chain)`);
    case "tag.deleteNonpersistent":
      if (e.deleted.length === 0) return c("call", "m_tag_delete_nonpersistent (the packet has no tags)");
      return c("delete", `${tagPhrase(e.deleted)} (m_tag_delete_nonpersistent)${e.kept.length > 0 ? `, keeping ${names(e.kept)}` : ""}`);
    case "tag.copy":
      return c("copy", `the ${e.from.name} tag`);
    case "tag.copyChain":
      return c("copy", "the packet's tags");
    case "flag.set":
      return c("set", flagList(e.flags));
    case "flag.clear":
      return c("clear", e.flags.length > 0 ? flagList(e.flags) : "no m_flags");
    case "decision":
      return c("decide", `“${e.branch}”`, `${e.fn}'s ${CHECK_NAMES[e.check] ?? e.check}`);
    case "crypto.submit":
      return c("hand", `${e.bytes} bytes to the crypto queue to ${e.op}`);
    case "crypto.done":
      return e.ok ? c("finish", `the ${e.op}`) : c("fail", `to ${e.op}: ${e.detail}`);
    case "queue.enqueue":
      return c("queue", `the packet on ${e.queue}`);
    case "queue.dequeue":
      return c("take", `the packet off ${e.queue}`);
    case "link.tx":
      return c("send", `the packet across ${e.ifname} (${e.bytes} bytes)`);
    case "link.rx":
      return c("receive", `the packet on ${e.ifname}`);
    case "sa.update":
      return c("set", `${e.field} of ${e.sa} to ${e.value}`);
    case "deliver":
      return c("deliver", `the ${e.summary.split(/[,(]/)[0]!.trim() || "packet"} to ${e.socket}`);
    case "drop":
      return c("drop", `the packet (${e.reason})`);
  }
}

/** "clear" → "clears", "finish" → "finishes", "copy" → "copies". */
function thirdPerson(verb: string): string {
  if (/(s|sh|ch|x|z)$/.test(verb)) return `${verb}es`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

const said = (c: Clause, subject = c.subject): string => `${subject} ${thirdPerson(c.verb)} ${c.rest}`;

function summary(e: TraceEvent | undefined): EventSummary | null {
  return e ? { seq: e.seq, host: e.host, layer: e.layer, fn: e.fn, kind: e.kind, note: e.note } : null;
}

/** How many events one side can have extra before the other's next step (insertions are short). */
const LOOKAHEAD = 4;

/** `k` > 0 when `extra` has k events inserted at `i` before it goes on as `other` does; else 0. */
function inserted(extra: readonly TraceEvent[], other: readonly TraceEvent[], i: number): number {
  const next = other[i];
  if (!next) return 0;
  const want = eventMeaning(next);
  for (let k = 1; k <= LOOKAHEAD && i + k < extra.length; k++) if (eventMeaning(extra[i + k]!) === want) return k;
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
  while (i < n && eventMeaning(a[i]!) === eventMeaning(b[i]!)) i++;
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
    baseEvent: identical ? null : summary(a[i]),
    runEvent: identical ? null : summary(b[i]),
    common: i,
    steps: { base: a.length, run: b.length },
    verdicts,
    findingsAdded: added.map((f) => f.id),
    findingsRemoved: removed.map((f) => f.id),
    findingSeverity,
    basePersonality: base.personality,
    baseLabel: words.label,
    sentence,
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

function divergenceSentence(a: readonly TraceEvent[], b: readonly TraceEvent[], i: number, baseLabel: string, from: Verdict, to: Verdict): string {
  const start = i === 0 ? "The runs differ from the first step" : `The runs are the same for ${plural(i, "step")}`;
  // "at step 25, just after its IPsec loop check, ip_output …": the decision that led here.
  const prev = i > 0 ? b[i - 1] : undefined;
  const step =
    prev?.kind === "decision" && b[i] && prev.fn === b[i]!.fn
      ? `step ${i + 1}, just after its ${CHECK_NAMES[prev.check] ?? prev.check},`
      : `step ${i + 1}`;
  const tail = ` — and ${verdictClause(from, to)}.`;
  const runE = b[i];
  const baseE = a[i];
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
