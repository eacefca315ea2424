/**
 * The terminal narration of a trace: a header, one aligned line per step (step number, virtual
 * time, host, layer, kernel function, event kind, the event's sentence), Stone's steps as section
 * lines where the seed story applies, the findings, and a last line `outcome: <verdict>`.
 *
 * Steps are numbered from 1 (step n is `events[n - 1]`, seq n - 1), as the audit's sentences
 * number them ("prepended at step 21").
 *
 * Every string that comes from the scenario (names, titles, and the notes and findings that quote
 * them) is escaped: a title cannot move the cursor, reorder text or add a fake `outcome:` line.
 */
import { escapeTerminal as esc } from "./io";
import {
  outcomeTallies,
  storyOf,
  type EventKind,
  type EventList,
  type LayerId,
  type Scenario,
  type Severity,
  type Trace,
  type TraceEvent,
  type Verdict,
} from "../engine";

/** ANSI styling, or identity functions when colour is off. */
export interface Paint {
  dim(s: string): string;
  bold(s: string): string;
  layer(layer: LayerId, s: string): string;
  kind(kind: EventKind, s: string): string;
  story(s: string): string;
  severity(severity: Severity, s: string): string;
  verdict(verdict: Verdict, s: string): string;
}

const sgr = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const plain = (s: string) => s;

const LAYER_SGR: Readonly<Record<LayerId, string>> = {
  app: "32",
  icmp: "36",
  ip: "34",
  ipsec: "35",
  crypto: "33",
  if: "94",
  link: "94",
};

const SEVERITY_SGR: Readonly<Record<Severity, string>> = { critical: "1;31", warning: "33", info: "2" };
const VERDICT_SGR: Readonly<Record<Verdict, string>> = { secure: "1;32", insecure: "1;31", dropped: "1;33", loop: "1;31", crash: "1;31" };

function kindSgr(kind: EventKind): string | undefined {
  if (kind === "decision") return "1";
  if (kind === "drop") return "31";
  if (kind === "fault") return "1;31";
  if (kind === "deliver") return "32";
  if (kind.startsWith("tag.")) return "33";
  return undefined;
}

export function makePaint(colour: boolean): Paint {
  if (!colour) {
    return { dim: plain, bold: plain, layer: (_l, s) => s, kind: (_k, s) => s, story: plain, severity: (_v, s) => s, verdict: (_v, s) => s };
  }
  return {
    dim: sgr("2"),
    bold: sgr("1"),
    layer: (layer, s) => sgr(LAYER_SGR[layer])(s),
    kind: (kind, s) => {
      const code = kindSgr(kind);
      return code ? sgr(code)(s) : s;
    },
    story: sgr("1;35"),
    severity: (severity, s) => sgr(SEVERITY_SGR[severity])(s),
    verdict: (verdict, s) => sgr(VERDICT_SGR[verdict])(s),
  };
}

/** Column widths, from the trace itself (capped, so one long name does not push every line). */
interface Columns {
  seq: number;
  time: number;
  host: number;
  layer: number;
  fn: number;
  kind: number;
}

const time = (t: number): string => `+${t}µs`;

function columns(events: EventList): Columns {
  const w: Columns = { seq: 1, time: 1, host: 1, layer: 1, fn: 1, kind: 1 };
  for (const e of events) {
    w.host = Math.max(w.host, e.host.length);
    w.layer = Math.max(w.layer, e.layer.length);
    w.fn = Math.max(w.fn, e.fn.length);
    w.kind = Math.max(w.kind, e.kind.length);
  }
  const last = events.at(events.length - 1);
  w.seq = String((last?.seq ?? 0) + 1).length;
  let last_t = 0;
  for (const e of events) last_t = Math.max(last_t, e.t);
  w.time = time(last_t).length;
  w.fn = Math.min(w.fn, 22);
  w.kind = Math.min(w.kind, 14);
  return w;
}

/** One narrated line: `  64  +12µs host  ip     ip_output     decision  ip_output's loop check …`. */
export function stepLine(e: TraceEvent, w: Columns, paint: Paint): string {
  const meta = `${String(e.seq + 1).padStart(w.seq + 2)}  ${time(e.t).padStart(w.time)}`;
  return [
    paint.dim(meta),
    esc(e.host).padEnd(w.host),
    paint.layer(e.layer, e.layer.padEnd(w.layer)),
    esc(e.fn).padEnd(w.fn),
    `${paint.kind(e.kind, e.kind.padEnd(w.kind))} ${paint.kind(e.kind, esc(e.note))}`,
  ].join(" ");
}

/** The header: scenario name and title, personality, fixes and the size of the trace. */
export function headerLines(trace: Trace<Scenario>, paint: Paint): string[] {
  const s = trace.scenario;
  const fixes = trace.fixes.length > 0 ? trace.fixes.join(", ") : "none";
  return [
    paint.bold(esc(s.title ? `${s.name}: ${s.title}` : s.name)),
    paint.dim(`personality ${esc(trace.personality)} · fixes: ${esc(fixes)} · ${trace.events.length} steps, ${trace.packets.length} packet versions`),
  ];
}

/** Every step, with a line naming Stone's step before the first event that illustrates it. */
export function* stepLines(trace: Trace, paint: Paint): Generator<string> {
  const w = columns(trace.events);
  let story: number | undefined;
  const def = storyOf(trace.scenario as Scenario);
  for (const e of trace.events) {
    if (def && e.story !== undefined && e.story !== story) {
      story = e.story;
      const text = def.steps[e.story - 1];
      yield paint.story(`${" ".repeat(w.seq + 2)}  ${def.who} step ${e.story}${text ? `: ${text}` : ""}`);
      const caveat = def.caveats[e.story - 1];
      if (caveat) yield paint.story(`${" ".repeat(w.seq + 2)}    (the code differs: ${caveat})`);
    }
    yield stepLine(e, w, paint);
  }
}

/** Findings (severity, step, sentence), the echo count and/or a TCP byte line per connection, and the final `outcome:` line. */
export function summaryLines(trace: Trace, paint: Paint): string[] {
  const { findings, verdict } = trace.outcome;
  const lines = [findings.length === 0 ? "findings: none" : `findings (${findings.length}):`];
  const stepWidth = Math.max(0, ...findings.map((f) => String(f.step + 1).length));
  for (const f of findings) {
    lines.push(`  ${paint.severity(f.severity, f.severity.padEnd(8))}  step ${String(f.step + 1).padEnd(stepWidth)}  ${esc(f.sentence)}`);
  }
  // A TCP run counts bytes, not echoes (issue 12); a run with both prints both (audit/tally.ts).
  for (const t of outcomeTallies(trace.outcome)) lines.push(esc(t.line));
  lines.push(`outcome: ${paint.verdict(verdict, verdict)}`);
  return lines;
}
