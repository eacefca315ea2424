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
import type { TagView, Trace, TraceEvent } from "./events";

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

const tagKey = (t: TagView | null): string => (t === null ? "-" : t.tdbi ? `${t.name}{${t.tdbi.dst},${t.tdbi.proto},${t.tdbi.spi}}` : t.name);
const tagsKey = (ts: readonly TagView[]): string => ts.map(tagKey).join(",");

/** What an event means, without the parts that shift between runs. */
export function eventMeaning(e: TraceEvent): string {
  // The signature (where and what) and then what the step concluded or did.
  const where = `${eventSignature(e)}|`;
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

/** Logical keys for every event of `events`. */
export function logicalKeys(events: readonly TraceEvent[]): string[] {
  const keys: string[] = new Array<string>(events.length);
  let round = 0;
  let counts = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
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
