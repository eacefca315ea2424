/**
 * `tagflow run … --compare`: the aligned two-run view in the terminal (issue 13, Linux against
 * NetBSD; issue 17, "Compare beside"). The engine aligns the runs (audit/compare.ts alignTraces,
 * the same alignment the app's side-by-side panel shows); this only says it: where the runs part
 * first, each stretch where they differ with both sides' step numbers, the decisions that differ
 * there — what each kernel checked, what it consulted and which branch it took — and the findings
 * that became true there. Every word about a step comes from the trace's events (the kinds
 * table's clause, CHECK_NAMES, the consulted facts); nothing is canned per scenario.
 *
 * Steps are numbered from 1, as in the narration (step n is seq n − 1).
 */
import { PERSONALITIES, alignedStepOf, isPersonalityId, type AlignedStep, type Alignment, type DecisionDelta, type Divergence } from "../engine";

/** Stretches printed in full; the rest are counted. */
const MAX_STRETCHES = 6;
/** Decision pairs printed per stretch; the rest are counted by check. */
const MAX_PAIRS = 3;
/** Checks named in a stretch's "only one run" line. */
const MAX_NAMED = 4;

/** One run of the comparison: its kernel and fixes. */
export interface RunSide {
  readonly personality: string;
  readonly fixes: readonly string[];
}

/** "NetBSD 2003, no fixes" / "Linux XFRM, xfrm-lo-policy on": the column names of the app's panel. */
export function sideTitle(side: RunSide): string {
  const t = isPersonalityId(side.personality) ? PERSONALITIES[side.personality].title.replace(/\s*\(.*\)$/, "") : side.personality;
  return side.fixes.length === 0 ? `${t}, no fixes` : `${t}, ${side.fixes.join(", ")} on`;
}

/** "steps 5–12" / "step 5" / "no step" for the seqs one side has in a stretch. */
function stepRange(seqs: readonly number[]): string {
  const own = seqs.filter((s) => s >= 0);
  if (own.length === 0) return "no step";
  const lo = Math.min(...own) + 1;
  const hi = Math.max(...own) + 1;
  return lo === hi ? `step ${lo}` : `steps ${lo}–${hi}`;
}

/** One side of a decision pair: `step 9  ipsec4_checkpolicy (netipsec/ipsec.c): “IPsec” — consulted …`. */
function decisionWords(d: AlignedStep): string {
  const consulted = d.consulted && d.consulted.length > 0 ? ` — consulted ${d.consulted.join("; ")}` : "";
  return `step ${d.seq + 1}  ${d.fn}${d.source ? ` (${d.source})` : ""}: “${d.branch ?? ""}”${consulted}`;
}

/** The checks only one side makes in a stretch, counted: "8 only on NetBSD 2003 (route lookup, IPsec loop check, …)". */
function oneSided(list: readonly DecisionDelta[], side: "base" | "run", who: string): string | null {
  const steps = list.map((x) => x[side]).filter((d): d is AlignedStep => d !== null);
  if (steps.length === 0) return null;
  const names: string[] = [];
  for (const s of steps) if (!names.includes(s.checkName ?? s.fn)) names.push(s.checkName ?? s.fn);
  const named = names.slice(0, MAX_NAMED).join(", ") + (names.length > MAX_NAMED ? ", …" : "");
  return `${steps.length} only ${who} (${named})`;
}

function stretchLines(al: Alignment, d: Divergence, n: number, baseWho: string, runWho: string): string[] {
  const rows = Array.from({ length: d.to - d.from }, (_, i) => d.from + i);
  const lines = [
    `  ${n}. ${d.to - d.from === 1 ? `row ${d.to}` : `rows ${d.from + 1}–${d.to}`}: ${runWho} ${stepRange(rows.map((r) => al.run[r]!))}, ${baseWho} ${stepRange(rows.map((r) => al.base[r]!))}`,
  ];
  const pairs = d.decisions.filter((x) => x.base && x.run);
  const width = Math.max(runWho.length, baseWho.length);
  for (const x of pairs.slice(0, MAX_PAIRS)) {
    const b = x.base!;
    const r = x.run!;
    const how = al.kinds[x.row] === "counterpart" ? `${r.checkName} ≈ ${b.checkName}` : (r.checkName ?? r.fn);
    lines.push(`       ${how}:`);
    lines.push(`         ${runWho.padEnd(width)}  ${decisionWords(r)}`);
    lines.push(`         ${baseWho.padEnd(width)}  ${decisionWords(b)}`);
  }
  const rest = d.decisions.filter((x) => !(x.base && x.run));
  const counted = [
    pairs.length > MAX_PAIRS ? `${pairs.length - MAX_PAIRS} more on both sides` : null,
    oneSided(rest, "run", `in ${runWho}`),
    oneSided(rest, "base", `in ${baseWho}`),
  ].filter((s): s is string => s !== null);
  if (d.decisions.length === 0) {
    // No check differs: say what the steps there do, from their events.
    for (const [who, side, seqs] of [
      [runWho, al.steps.run, rows.map((r) => al.run[r]!)],
      [baseWho, al.steps.base, rows.map((r) => al.base[r]!)],
    ] as const) {
      const own = seqs.filter((q) => q >= 0);
      if (own.length === 0) continue;
      const first = side[own[0]!]!;
      lines.push(
        `       ${who.padEnd(width)}  step ${first.seq + 1}  ${first.text}${own.length > 1 ? ` (and ${own.length - 1} more step${own.length === 2 ? "" : "s"})` : ""}`,
      );
    }
  } else if (counted.length > 0) lines.push(`       other decisions: ${counted.join("; ")}`);
  if (d.findings.run.length > 0 || d.findings.base.length > 0) {
    lines.push(`       findings: ${runWho} ${d.findings.run.join(", ") || "none"}; ${baseWho} ${d.findings.base.join(", ") || "none"}`);
  }
  return lines;
}

/**
 * The aligned view of `al` (the run against its baseline), as lines for the end of the narration.
 * `al` null (a run too long to align) gives one line saying so.
 */
export function alignedLines(al: Alignment | null, base: RunSide, run: RunSide, maxEvents: number): string[] {
  const baseWho = "baseline";
  const runWho = "this run";
  if (!al) return [`side by side: the runs are too long to align step by step (over ${maxEvents.toLocaleString("en")} steps)`];
  const head = `side by side — ${runWho}: ${sideTitle(run)} (${al.steps.run.length} steps); ${baseWho}: ${sideTitle(base)} (${al.steps.base.length} steps); ${al.kinds.length} rows`;
  if (al.first === null) return [head, "  every step is the same in both runs"];
  const r = al.first;
  // Where one side has a gap at the first row, its nearest step (the engine's alignedStepOf).
  const runAt = al.run[r]! >= 0 ? `step ${al.run[r]! + 1}` : `no step (nearest: step ${alignedStepOf(al, "base", al.base[r]!) + 1})`;
  const baseAt = al.base[r]! >= 0 ? `step ${al.base[r]! + 1}` : `no step (nearest: step ${alignedStepOf(al, "run", al.run[r]!) + 1})`;
  const lines = [
    head,
    `  first difference: row ${r + 1} — ${runWho} ${runAt}, ${baseWho} ${baseAt}${al.approximate ? " (a long stretch was paired by position)" : ""}`,
    `  where the runs part (${al.divergences.length} stretch${al.divergences.length === 1 ? "" : "es"}):`,
  ];
  al.divergences.slice(0, MAX_STRETCHES).forEach((d, i) => lines.push(...stretchLines(al, d, i + 1, baseWho, runWho)));
  if (al.divergences.length > MAX_STRETCHES) lines.push(`  … and ${al.divergences.length - MAX_STRETCHES} more stretches`);
  return lines;
}
