/**
 * "The same step" across two runs of a scenario (a fix flipped, another personality) — the one
 * definition, used by share links (the `k` parameter, src/share/codec.ts), by the cursor kept
 * across a re-run (store/traceSlice.ts) and by the comparison of two runs (audit/compare.ts).
 *
 * Two notions, one built on the other:
 * - `eventSignature`: where and what, without the outcome — host, layer, kernel function, kind
 *   and a decision's check. With the round and occurrence it makes the **logical key** of a step,
 *   which survives the events a fix inserts or removes elsewhere;
 * - `eventMeaning`: the signature plus what the step concluded or did (a decision's branch, a
 *   tag's name and SA, a field's new value, …): two runs do the same thing at a step when their
 *   events there have the same meaning (compareTraces walks the common prefix with it).
 *
 *   key = <round> / <host> <layer> <fn> <kind> <check> / <occurrence>
 *
 * - round: how many `app.send` events came before (which echo of the ping this belongs to), so
 *   an extra event in the first echo does not shift the keys of the second;
 * - the signature names where and what, but not the branch taken: the loop-check decision is the
 *   same step whether it skips IPsec (bug) or applies it (fixed);
 * - occurrence: the how-many-th event with that signature within its round.
 *
 * `mapCursor` finds the old cursor's key in the new trace; when the step no longer exists it
 * falls back to the nearest earlier old step that does.
 */
import type { Trace, TraceEvent } from "./events";
import { signatureOf } from "./kinds";
import { kindAt, scanAt, type EventList } from "./store";

/** A trace's keys, in event order, and the reverse index. */
export interface LogicalIndex {
  readonly keys: readonly string[];
  readonly seqOf: ReadonlyMap<string, number>;
}

/** What an event is, independent of where in the run it happened. */
export function eventSignature(e: TraceEvent): string {
  const check = e.kind === "decision" ? e.check : "";
  return `${e.host} ${e.layer} ${e.fn} ${e.kind} ${check}`;
}

/**
 * What an event means, without the parts that shift between runs: the kinds table's signature
 * (trace/kinds.ts `signatureOf`: host, layer, fn, kind and each kind's `sig` fields).
 */
export function eventMeaning(e: TraceEvent): string {
  return signatureOf(e);
}

/** Logical keys for every event of `events`. */
export function logicalKeys(events: EventList): string[] {
  const keys: string[] = new Array<string>(events.length);
  let round = 0;
  let counts = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const e = scanAt(events, i);
    if (e.kind === "app.send") {
      round++;
      counts = new Map();
    }
    const sig = eventSignature(e);
    const n = counts.get(sig) ?? 0;
    counts.set(sig, n + 1);
    keys[i] = `${round}/${sig}/${n}`;
  }
  return keys;
}

const cache = new WeakMap<object, LogicalIndex>();

/** The logical index of a trace, computed once per trace. */
export function logicalIndex(trace: Pick<Trace, "events">): LogicalIndex {
  let index = cache.get(trace);
  if (!index) {
    const keys = logicalKeys(trace.events);
    const seqOf = new Map<string, number>();
    keys.forEach((k, i) => seqOf.set(k, i));
    index = { keys, seqOf };
    cache.set(trace, index);
  }
  return index;
}

/**
 * The cursor in `next` that shows the same logical step as `cursor` in `prev`: the same key if
 * it still exists, else the mapping of the nearest earlier step that does, else 0.
 */
export function mapCursor(prev: Pick<Trace, "events">, cursor: number, next: Pick<Trace, "events">): number {
  if (next.events.length === 0) return 0;
  const from = logicalIndex(prev);
  const to = logicalIndex(next);
  const start = Math.min(Math.max(0, cursor), from.keys.length - 1);
  for (let i = start; i >= 0; i--) {
    const seq = to.seqOf.get(from.keys[i]!);
    if (seq !== undefined) return seq;
  }
  return 0;
}

const sendsCache = new WeakMap<object, Int32Array>();

/** Where the rounds start: the seqs of the `app.send` events, ascending (one column scan per trace). */
function sendsOf(events: EventList): Int32Array {
  let sends = sendsCache.get(events);
  if (!sends) {
    const at: number[] = [];
    for (let i = 0; i < events.length; i++) if (kindAt(events, i) === "app.send") at.push(i);
    sends = Int32Array.from(at);
    sendsCache.set(events, sends);
  }
  return sends;
}

/** How many of ascending `sends` are ≤ `seq`. */
function roundOf(sends: Int32Array, seq: number): number {
  let lo = 0;
  let hi = sends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sends[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The logical key of step `seq` alone — what `logicalIndex(trace).keys[seq]` holds — read from
 * the events of its round only, so a link to a step of a million-step trace does not build a
 * million keys (issue 11: the index cost seconds and ~100 MB in the browser). Undefined outside the trace.
 */
export function logicalKeyAt(trace: Pick<Trace, "events">, seq: number): string | undefined {
  const events = trace.events;
  if (!Number.isInteger(seq) || seq < 0 || seq >= events.length) return undefined;
  const sends = sendsOf(events);
  const round = roundOf(sends, seq);
  const sig = eventSignature(scanAt(events, seq));
  let n = 0;
  for (let i = round === 0 ? 0 : sends[round - 1]!; i < seq; i++) if (eventSignature(scanAt(events, i)) === sig) n++;
  return `${round}/${sig}/${n}`;
}

/** The step whose logical key is `key` (`logicalIndex(trace).seqOf.get(key)`), found within its round. */
export function seqOfLogicalKey(trace: Pick<Trace, "events">, key: string): number | undefined {
  const first = key.indexOf("/");
  const last = key.lastIndexOf("/");
  if (first < 0 || last <= first) return undefined;
  const round = Number(key.slice(0, first));
  const n = Number(key.slice(last + 1));
  const sig = key.slice(first + 1, last);
  const events = trace.events;
  const sends = sendsOf(events);
  if (!Number.isInteger(round) || !Number.isInteger(n) || round < 0 || round > sends.length || n < 0) return undefined;
  const end = round < sends.length ? sends[round]! : events.length;
  let seen = 0;
  for (let i = round === 0 ? 0 : sends[round - 1]!; i < end; i++) {
    if (eventSignature(scanAt(events, i)) !== sig) continue;
    if (seen === n) return i;
    seen++;
  }
  return undefined;
}
