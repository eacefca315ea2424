/**
 * Header-stack bookkeeping for the mbuf verbs (trace/hdrs.ts has the contract): pure functions
 * from one stack to the next, called by the verb that changes the chain, so the stack is true by
 * construction — the way gVisor's PacketBuffer (pkg/tcpip/stack/packet_buffer.go) moves its
 * header offsets in Push (outgoing) and Consume (incoming) rather than re-parsing the bytes.
 *
 * Stacks are immutable and interned: a version shares its stack with every other version (of
 * any packet) that has the same layout, as a flood repeats a few layouts thousands of times.
 */
import type { HdrView } from "../trace/hdrs";

/** A header a verb puts in, before it has an offset. */
export type HdrSpec = Omit<HdrView, "offset">;

const NONE: readonly HdrView[] = Object.freeze([]);
const INTERNED = new Map<string, readonly HdrView[]>();

function keyOf(hs: readonly HdrView[]): string {
  let k = "";
  for (const h of hs)
    k += `${h.kind},${h.offset},${h.len},${h.state},${h.until ?? ""},${h.proto ?? ""},${h.outer ? 1 : 0}${h.inEsp ? 1 : 0}${h.decrypted ? 1 : 0};`;
  return k;
}

/** Only the fields that are set, in the contract's order (JSON stays small, shapes stay few). */
function entry(h: HdrView): HdrView {
  const out: { -readonly [K in keyof HdrView]: HdrView[K] } = { kind: h.kind, offset: h.offset, len: h.len, state: h.state };
  if (h.state === "pending" && h.until !== undefined) out.until = h.until;
  if (h.proto !== undefined) out.proto = h.proto;
  if (h.outer) out.outer = true;
  if (h.inEsp) out.inEsp = true;
  if (h.decrypted) out.decrypted = true;
  return Object.freeze(out);
}

/** The one shared copy of a stack with these entries (empty-length live entries are dropped). */
export function intern(hs: readonly HdrView[]): readonly HdrView[] {
  const clean = hs.filter((h) => h.len > 0);
  if (clean.length === 0) return NONE;
  const key = keyOf(clean);
  let known = INTERNED.get(key);
  if (known === undefined) {
    // A bound, as for the recorder's other shared tables: past it, stacks are simply not shared.
    if (INTERNED.size >= 4096) INTERNED.clear();
    known = Object.freeze(clean.map(entry));
    INTERNED.set(key, known);
  }
  return known;
}

const MEMO = new WeakMap<readonly HdrView[], Map<string, readonly HdrView[]>>();

/**
 * `compute()`'s stack, remembered per input stack and `key` (which must name the operation and
 * all its arguments): a flood makes the same transitions thousands of times, and recomputing and
 * re-interning each one cost the engine a third of its time.
 */
export function memo(hs: readonly HdrView[], key: string, compute: () => readonly HdrView[]): readonly HdrView[] {
  let byKey = MEMO.get(hs);
  if (byKey === undefined) MEMO.set(hs, (byKey = new Map()));
  let out = byKey.get(key);
  if (out === undefined) {
    out = compute();
    if (byKey.size < 64) byKey.set(key, out);
  }
  return out;
}

/** A short key for header specs (memo keys). */
export function specKey(specs: readonly HdrSpec[]): string {
  let k = "";
  for (const h of specs)
    k += `${h.kind},${h.len},${h.state},${h.until ?? ""},${h.proto ?? ""},${h.outer ? 1 : 0}${h.inEsp ? 1 : 0}${h.decrypted ? 1 : 0};`;
  return k;
}

/** The empty stack. */
export const NO_HDRS: readonly HdrView[] = NONE;

/** The stack of a fresh chain holding `len` bytes of `what`. */
export function fresh(len: number, what: HdrSpec): readonly HdrView[] {
  return intern([{ ...what, offset: 0, len }]);
}

function live(hs: readonly HdrView[]): HdrView[] {
  return hs.filter((h) => h.state !== "trimmed");
}

/**
 * `added` put in at byte `off` (M_PREPEND at 0, m_makespace after a header, m_pad at the end):
 * what was at or after `off` moves back by their length. An entry `off` falls inside (only
 * untaken-apart `data` can be) is split around them; its second part's protocol is unknown.
 */
export function insertAt(hs: readonly HdrView[], off: number, added: readonly HdrSpec[]): readonly HdrView[] {
  const by = added.reduce((n, h) => n + h.len, 0);
  const out: HdrView[] = [];
  let at = off;
  const put = () => {
    for (const h of added) {
      out.push({ ...h, offset: at });
      at += h.len;
    }
  };
  let placed = false;
  for (const h of live(hs)) {
    const end = h.offset + h.len;
    if (end <= off) out.push(h);
    else if (h.offset >= off) {
      if (!placed) {
        put();
        placed = true;
      }
      out.push({ ...h, offset: h.offset + by });
    } else {
      out.push({ ...h, len: off - h.offset });
      put();
      placed = true;
      const { proto: _unknown, ...rest } = h;
      out.push({ ...rest, offset: off + by, len: end - off });
    }
  }
  if (!placed) put();
  return intern(out);
}

/**
 * Bytes [off, off+len) removed (m_adj at the head or tail, m_striphdr in the middle): entries
 * wholly inside become `trimmed`, entries cut in part shrink, what follows moves forward.
 * The previous verb's trimmed entries are forgotten: `trimmed` says what *this* cut removed.
 */
export function cutAt(hs: readonly HdrView[], off: number, len: number): readonly HdrView[] {
  const end = off + len;
  const out: HdrView[] = [];
  const gone: HdrView[] = [];
  for (const h of live(hs)) {
    const hEnd = h.offset + h.len;
    if (hEnd <= off) out.push(h);
    else if (h.offset >= end) out.push({ ...h, offset: h.offset - len });
    else if (h.offset >= off && hEnd <= end) gone.push({ ...h, state: "trimmed" });
    else {
      // Cut in part: what is left before the cut keeps the entry's start, what is left after moves to `off`.
      const keep = Math.max(0, off - h.offset) + Math.max(0, hEnd - end);
      out.push({ ...h, offset: Math.min(h.offset, off), len: keep });
    }
  }
  return intern([...out, ...gone].sort((a, b) => a.offset - b.offset || rank(a) - rank(b)));
}

/** Trimmed entries sort after a live one at the same offset. */
function rank(h: HdrView): number {
  return h.state === "trimmed" ? 1 : 0;
}

/** Apply `f` to the live entries that lie inside [off, off+len); others are kept as they are. */
export function mapRange(hs: readonly HdrView[], off: number, len: number, f: (h: HdrView) => HdrView): readonly HdrView[] {
  let changed = false;
  const out = hs.map((h) => {
    if (h.state === "trimmed" || h.offset < off || h.offset + h.len > off + len) return h;
    const n = f(h);
    if (n !== h) changed = true;
    return n;
  });
  return changed ? intern(out) : hs;
}

/** Replace the live entries inside [off, off+len) by `by` (which must cover the same bytes). */
export function replaceRange(hs: readonly HdrView[], off: number, len: number, by: readonly HdrSpec[]): readonly HdrView[] {
  const out: HdrView[] = [];
  let placed = false;
  for (const h of hs) {
    const inside = h.state !== "trimmed" && h.offset >= off && h.offset + h.len <= off + len;
    if (!inside) {
      out.push(h);
      continue;
    }
    if (placed) continue;
    placed = true;
    let at = off;
    for (const b of by) {
      out.push({ ...b, offset: at });
      at += b.len;
    }
  }
  return intern(out);
}

/** The live entry that starts at `offset`, if any. */
export function entryAt(hs: readonly HdrView[], offset: number): HdrView | undefined {
  return hs.find((h) => h.state !== "trimmed" && h.offset === offset);
}

/** The live entry right after the one that starts at `offset`. */
export function nextAfter(hs: readonly HdrView[], offset: number): HdrView | undefined {
  const h = entryAt(hs, offset);
  return h && entryAt(hs, h.offset + h.len);
}

/**
 * An IPv4 datagram as a layer that has read its header knows it (ip_input, Linux ip_rcv, a stack
 * that builds one): the header, then ip_p's protocol — an ICMP message whole, anything else as
 * `data` of that protocol — or, in a non-first fragment, data of unknown protocol. `len` is the
 * datagram's length (ip_len); the header length is the IHL of byte 0.
 */
export function ipv4Parts(b: Uint8Array, len: number): HdrSpec[] {
  const hlen = (b[0]! & 0x0f) * 4;
  const laterFragment = (((b[6]! & 0x1f) << 8) | b[7]!) !== 0;
  const proto = b[9]!;
  return [
    { kind: "ipv4", len: hlen, state: "plain" },
    laterFragment
      ? { kind: "data", len: len - hlen, state: "plain" }
      : proto === 1
        ? { kind: "icmp", len: len - hlen, state: "plain" }
        : { kind: "data", len: len - hlen, state: "plain", proto },
  ];
}
