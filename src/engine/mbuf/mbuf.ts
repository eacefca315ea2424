/**
 * mbuf chains (BSD sys/sys/mbuf.h, sys/kern/uipc_mbuf.c; FAST_IPSEC netipsec/ipsec_mbuf.c).
 *
 * A packet is a chain of mbufs, each with its own buffer, data offset and length, so that
 * prepending a header either uses the leading space of the first mbuf or allocates a new one —
 * and the trace shows which. The packet header (pkthdr) holds len, rcvif, m_flags and the
 * m_tag list. Every verb here records exactly one trace event through the caller's Site.
 */
import type { MbufSegView, MFlag } from "../trace/events";
import { liveHdrs, type HdrView } from "../trace/hdrs";
import type { Site } from "../trace/recorder";
import { cutAt, entryAt, fresh, insertAt, intern, mapRange, memo, NO_HDRS, replaceRange, specKey, type HdrSpec } from "./hdrs";
import type { MTag } from "./tag";

/** Sizes of a 32-bit NetBSD of 2003 (sys/sys/param.h, mbuf.h): MSIZE 256, MCLBYTES 2048. */
export const MSIZE = 256;
/** Data bytes in a plain mbuf: MSIZE minus struct m_hdr. */
export const MLEN = 236;
/** Data bytes in a packet-header mbuf: MLEN minus struct pkthdr. */
export const MHLEN = 208;
/** A cluster (MCLGET). */
export const MCLBYTES = 2048;
/** max_linkhdr + max_protohdr: room sosend()/m_gethdr callers leave for headers below. */
export const MAX_HDR = 56;

/** One mbuf: a window [off, off+len) into its own buffer. */
interface Seg {
  buf: Uint8Array;
  off: number;
  len: number;
  kind: MbufSegView["kind"];
}

/** Which parts of a chain changed since the last packet version was taken. */
export const DIRTY = { BYTES: 1, SEGS: 2, TAGS: 4, FLAGS: 8, RCVIF: 16, CLEARTEXT: 32, HDRS: 64, ALL: 127 } as const;

/** A packet: an mbuf chain with its packet header. Engine-internal and mutable. */
export class Mbuf {
  /** The packet's identity in the trace (stable across versions). */
  readonly id: number;
  segs: Seg[];
  /** The header stack (trace/hdrs.ts), kept by the verbs below as they change the chain; shared, never mutated. */
  hdrs: readonly HdrView[] = [];
  rcvif: string | null = null;
  flags = new Set<MFlag>();
  tags: MTag[] = [];
  /** Plaintext of the ESP payload while the packet is encrypted (for the inspector). */
  cleartext: string | undefined;
  cleartextProto: number | undefined;
  freed = false;
  /** Bitmask of DIRTY parts since the last snapshot. */
  dirty: number = DIRTY.ALL;
  /** The last packet version taken of this chain, or -1. */
  lastVersion = -1;
  /**
   * How many times this packet changed direction (looped back up, or was turned around by
   * icmp_reflect). A tag or flag born in an earlier incarnation is *stale*: it describes what
   * happened to the packet going the other way.
   */
  incarnation = 0;
  /** Incarnation in which each tag (by uid) and each flag was set. */
  readonly born = new Map<number | MFlag, number>();
  /** Cached parts of the last version, reused when that part did not change. */
  cache: {
    /** A copy of the bytes as of the last version taken, and as of the one before it (for deltas). */
    bytes?: Uint8Array;
    prevBytes?: Uint8Array;
    /** Ids in the recorder's value table (trace/store.ts) and the m_flags bitmask. */
    segs?: number;
    tags?: number;
    flags?: number;
    staleTags?: readonly number[];
  } = {};

  constructor(id: number, segs: Seg[]) {
    this.id = id;
    this.segs = segs;
  }

  /** m_pkthdr.len: the sum of the segment lengths. */
  get len(): number {
    let n = 0;
    for (let i = 0; i < this.segs.length; i++) n += this.segs[i]!.len;
    return n;
  }

  /** Flat copy of a multi-mbuf chain, valid until the next change (see touch). */
  private flat: Uint8Array | undefined;
  /** The view of a one-mbuf chain's data: valid while the segment keeps its offset and length. */
  private view: Uint8Array | undefined;

  /**
   * The whole packet as contiguous bytes (m_copydata(m, 0, len)). Read-only: a view into the
   * mbuf or a cached copy, so callers copy before modifying (mutate only through the verbs).
   */
  bytes(): Uint8Array {
    if (this.segs.length === 1) {
      if (this.view) return this.view;
      const s = this.segs[0]!;
      return (this.view = s.buf.subarray(s.off, s.off + s.len));
    }
    if (this.flat) return this.flat;
    const out = new Uint8Array(this.len);
    let at = 0;
    for (const s of this.segs) {
      const { buf, off, len } = s;
      // Headers and small packets: a byte loop is cheaper than a subarray per mbuf.
      if (len < 256) for (let i = 0; i < len; i++) out[at + i] = buf[off + i]!;
      else out.set(buf.subarray(off, off + len), at);
      at += len;
    }
    this.flat = out;
    return out;
  }

  /** Segment views for a packet version. */
  segViews(): MbufSegView[] {
    return this.segs.map((s) => ({ len: s.len, leading: s.off, trailing: s.buf.length - s.off - s.len, kind: s.kind }));
  }

  touch(parts: number): void {
    if (parts & (DIRTY.BYTES | DIRTY.SEGS)) this.flat = undefined;
    if (parts & DIRTY.SEGS) this.view = undefined;
    this.dirty |= parts;
  }
}

function newSeg(kind: Seg["kind"]): Seg {
  const size = kind === "pkthdr" ? MHLEN : kind === "mbuf" ? MLEN : MCLBYTES;
  return { buf: new Uint8Array(size), off: 0, len: 0, kind };
}

/** A fresh segment big enough for `len` bytes, as m_get/MCLGET would choose. */
function segFor(len: number, first: boolean): Seg {
  const small = first ? MHLEN : MLEN;
  return newSeg(len <= small ? (first ? "pkthdr" : "mbuf") : "cluster");
}

/** What bytes handed to m_gethdr are unless the caller says: a datagram nobody has taken apart. */
const RECEIVED: Omit<HdrSpec, "len" | "state"> = { kind: "data", proto: 4 };

/**
 * m_gethdr + MH_ALIGN: a packet-header mbuf holding `data`, placed at the end of the buffer
 * (as sosend() does for atomic protocols) so lower layers can M_PREPEND into the leading space.
 * Data longer than MHLEN goes into a cluster with MAX_HDR bytes reserved in front.
 */
export function m_gethdr(site: Site, data: Uint8Array, note: string, what: Omit<HdrSpec, "len" | "state"> = RECEIVED, fragOf?: number): Mbuf {
  const seg = segFor(data.length, true);
  seg.off = seg.kind === "cluster" ? MAX_HDR : seg.buf.length - data.length;
  const first = Math.min(data.length, seg.buf.length - seg.off);
  seg.buf.set(data.subarray(0, first), seg.off);
  seg.len = first;
  const segs = [seg];
  // More than one cluster holds: sosend() chains further clusters (m_getcl) behind the first.
  for (let at = first; at < data.length;) {
    const more = newSeg("cluster");
    const n = Math.min(MCLBYTES, data.length - at);
    more.buf.set(data.subarray(at, at + n), 0);
    more.len = n;
    segs.push(more);
    at += n;
  }
  const m = new Mbuf(site.recorder.nextChainId(), segs);
  m.hdrs = memo(NO_HDRS, `f${what.kind},${what.proto ?? ""},${data.length}`, () => fresh(data.length, { ...what, len: data.length, state: "plain" }));
  site.emit(
    m,
    fragOf === undefined
      ? { kind: "mbuf.alloc", len: data.length, leading: seg.off }
      : { kind: "mbuf.alloc", len: data.length, leading: seg.off, fragOf },
    note,
  );
  return m;
}

/**
 * M_PREPEND (sys/sys/mbuf.h): make room for `len` header bytes in front. Uses the first
 * mbuf's leading space when there is enough, otherwise m_prepend() allocates a new mbuf
 * (MH_ALIGNed, so the header sits at its end) and moves the packet header to it.
 * Returns the offset (always 0) where the caller writes the header. `hdr` is what goes there: it
 * is `pending` in the header stack until the caller's m_copyback writes it.
 */
export function m_prepend(
  site: Site,
  m: Mbuf,
  len: number,
  header: string,
  note: string,
  hdr: Pick<HdrSpec, "kind" | "outer"> = { kind: "ipv4" },
): void {
  m.hdrs = memo(m.hdrs, `p${hdr.kind},${hdr.outer ? 1 : 0},${len}`, () => insertAt(m.hdrs, 0, [{ ...hdr, len, state: "pending", until: "write" }]));
  const first = m.segs[0]!;
  if (first.off >= len) {
    first.off -= len;
    first.len += len;
    first.buf.fill(0, first.off, first.off + len);
    m.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
    site.emit(m, { kind: "mbuf.prepend", header, len, leading: "space" }, note);
    return;
  }
  // M_MOVE_PKTHDR: the new mbuf becomes the packet header; the old first mbuf is demoted.
  const seg = newSeg("pkthdr");
  if (first.kind === "pkthdr") first.kind = "mbuf";
  seg.off = seg.buf.length - len;
  seg.len = len;
  m.segs.unshift(seg);
  m.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(m, { kind: "mbuf.prepend", header, len, leading: "new-mbuf" }, note);
}

/** Locate byte offset `off` in the chain: the segment index and the offset inside it. */
function locate(m: Mbuf, off: number): { index: number; inner: number } {
  let rest = off;
  for (let i = 0; i < m.segs.length; i++) {
    const s = m.segs[i]!;
    if (rest < s.len || (rest === s.len && i === m.segs.length - 1)) return { index: i, inner: rest };
    rest -= s.len;
  }
  throw new RangeError(`offset ${off} beyond packet of ${m.len} bytes`);
}

/** m_copydata: copy `len` bytes at `off` out of the chain. */
export function m_copydata(m: Mbuf, off: number, len: number): Uint8Array {
  const all = m.bytes();
  if (off < 0 || len < 0 || off + len > all.length) throw new RangeError(`m_copydata(${off}, ${len}) outside ${all.length} bytes`);
  return all.slice(off, off + len);
}

/** Write `data` at `off` without recording (callers record one event for a whole rewrite). */
function copyback(m: Mbuf, off: number, data: Uint8Array): void {
  let { index, inner } = locate(m, off);
  let done = 0;
  while (done < data.length) {
    const s = m.segs[index];
    if (!s) throw new RangeError(`m_copyback past the end (${off}+${data.length} > ${m.len})`);
    const n = Math.min(s.len - inner, data.length - done);
    s.buf.set(data.subarray(done, done + n), s.off + inner);
    done += n;
    index++;
    inner = 0;
  }
  m.touch(DIRTY.BYTES);
}

/**
 * What an m_copyback does to the header stack, said by the caller as a typed fact:
 * - `write` (the default): a header is written; a `pending` entry it covers that waited for
 *   its bytes (M_PREPEND's room) is now plain;
 * - `encrypt`: the crypto engine's output (esp_output_cb): what lies in the ESP payload is now
 *   ciphertext, and the ICV room it covers holds the ICV;
 * - `decrypt`: the crypto engine's output (esp_input_cb): the range is the plaintext — an
 *   `inner` message of `innerLen` bytes and the ESP trailer after it.
 */
export type CopybackEffect =
  | { readonly op: "write" }
  | { readonly op: "encrypt" }
  | { readonly op: "decrypt"; readonly inner: Pick<HdrSpec, "kind" | "proto">; readonly innerLen: number };

const WRITE: CopybackEffect = { op: "write" };

/**
 * m_copyback: overwrite bytes in place (header fields, ciphertext) and record `mbuf.rewrite`;
 * `effect` says what the new bytes are, for the header stack.
 */
export function m_copyback(site: Site, m: Mbuf, off: number, data: Uint8Array, what: string, note: string, effect: CopybackEffect = WRITE): void {
  copyback(m, off, data);
  const before = m.hdrs;
  const key =
    effect.op === "decrypt"
      ? `d${off},${data.length},${effect.inner.kind},${effect.inner.proto ?? ""},${effect.innerLen}`
      : `${effect.op[0]}${off},${data.length}`;
  m.hdrs = memo(m.hdrs, key, () => rewritten(m.hdrs, off, data.length, effect));
  if (m.hdrs !== before) m.touch(DIRTY.HDRS);
  site.emit(m, { kind: "mbuf.rewrite", what, offset: off, len: data.length }, note);
}

function rewritten(hs: readonly HdrView[], off: number, len: number, effect: CopybackEffect): readonly HdrView[] {
  switch (effect.op) {
    case "write":
      return mapRange(hs, off, len, (h) => (h.state === "pending" && h.until === "write" ? { ...h, state: "plain" } : h));
    case "encrypt":
      return mapRange(hs, off, len, (h) =>
        h.inEsp ? { ...h, state: "encrypted", decrypted: undefined } : h.kind === "esp-icv" && h.state === "pending" ? { ...h, state: "plain" } : h,
      );
    case "decrypt":
      return replaceRange(hs, off, len, [
        { ...effect.inner, len: effect.innerLen, state: "plain", inEsp: true, decrypted: true },
        { kind: "esp-trailer", len: len - effect.innerLen, state: "plain", inEsp: true, decrypted: true },
      ]);
  }
}

/**
 * A layer has read the header at `offset` of a packet it received (ip_input, esp_input,
 * ah_input), like gVisor's PacketBuffer Consume: where the stack still has untaken-apart `data`
 * there, it becomes `parts` (their lengths in order; what they leave is data again). No event:
 * no byte changes, and the layer's own decisions record what it read.
 */
export function m_hdr_consume(m: Mbuf, offset: number, parts: readonly HdrSpec[]): void {
  const at = entryAt(m.hdrs, offset);
  if (at?.kind !== "data") return;
  const used = parts.reduce((n, p) => n + p.len, 0);
  if (used > at.len) return;
  const rest: HdrSpec[] = used < at.len ? [{ kind: "data", len: at.len - used, state: at.state, ...(at.inEsp ? { inEsp: true } : {}) }] : [];
  m.hdrs = memo(m.hdrs, `k${offset},${specKey(parts)}`, () => replaceRange(m.hdrs, offset, at.len, [...parts, ...rest]));
  m.touch(DIRTY.HDRS);
}

/**
 * The IPv4 header at `base` now names `proto` as what follows (ip_p set): a header that waited
 * to be linked (m_makespace's room, written) is part of the packet now. Linking an ESP header
 * puts what follows it, up to its trailer, inside the ESP payload — plaintext until encrypted.
 */
export function m_hdr_link(m: Mbuf, base: number, proto: number): void {
  const ip = entryAt(m.hdrs, base);
  const next = ip && entryAt(m.hdrs, ip.offset + ip.len);
  if (!next || next.state !== "pending" || next.until !== "link") return;
  const kind = next.kind;
  if (!((kind === "esp" && proto === 50) || (kind === "ah" && proto === 51))) return;
  let inPayload = false;
  let done = false;
  m.hdrs = memo(m.hdrs, `l${base},${proto}`, () =>
    intern(
      m.hdrs.map((h) => {
        if (h === next) {
          inPayload = kind === "esp";
          return { ...h, state: "plain", until: undefined };
        }
        if (!inPayload || done || h.state === "trimmed" || h.offset < next.offset) return h;
        if (h.kind === "esp-icv") return ((done = true), h);
        if (h.kind === "esp-trailer") done = true;
        return { ...h, inEsp: true, ...(h.state === "pending" && h.until === "link" ? { state: "plain" as const, until: undefined } : {}) };
      }),
    ),
  );
  m.touch(DIRTY.HDRS);
}

/** Write bytes with no event: the caller records a field.set describing the change. */
export function m_poke(m: Mbuf, off: number, data: Uint8Array): void {
  copyback(m, off, data);
}

/**
 * m_makespace (FAST_IPSEC netipsec/ipsec_mbuf.c): open a gap of `len` bytes at offset `skip`
 * (the ESP header + IV after the IP header). When the mbuf holding `skip` lacks trailing space,
 * the bytes after `skip` move to a newly allocated mbuf ("split"); otherwise they slide back.
 */
export function m_makespace(
  site: Site,
  m: Mbuf,
  skip: number,
  len: number,
  header: string,
  note: string,
  hdr: Pick<HdrSpec, "kind"> = { kind: "data" },
): void {
  // The room is part of the packet once the header in front names it (m_hdr_link).
  m.hdrs = memo(m.hdrs, `m${hdr.kind},${skip},${len}`, () => insertAt(m.hdrs, skip, [{ ...hdr, len, state: "pending", until: "link" }]));
  const { index, inner } = locate(m, skip);
  const s = m.segs[index]!;
  const remain = s.len - inner;
  const trailing = s.buf.length - s.off - s.len;
  let how: "in-place" | "split";
  if (len > trailing) {
    // Move the tail of this mbuf into a new one, then grow this one by len.
    if (remain > 0) {
      const tail = segFor(remain, false);
      tail.buf.set(s.buf.subarray(s.off + inner, s.off + s.len), 0);
      tail.len = remain;
      m.segs.splice(index + 1, 0, tail);
    }
    s.len = inner;
    if (s.buf.length - s.off - s.len >= len) {
      s.buf.fill(0, s.off + s.len, s.off + s.len + len);
      s.len += len;
    } else {
      const gap = newSeg("mbuf");
      gap.len = len;
      m.segs.splice(index + 1, 0, gap);
    }
    how = "split";
  } else {
    s.buf.copyWithin(s.off + inner + len, s.off + inner, s.off + s.len);
    s.buf.fill(0, s.off + inner, s.off + inner + len);
    s.len += len;
    how = "in-place";
  }
  m.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(m, { kind: "mbuf.makespace", header, offset: skip, len, how }, note);
}

/**
 * m_pad (FAST_IPSEC ipsec_mbuf.c): append `data` (ESP trailer and room for the ICV) at the end,
 * in the last mbuf's trailing space, or in a newly allocated mbuf when it does not fit. `parts`
 * say what the bytes are, in order (their lengths add up to data.length).
 */
export function m_append(site: Site, m: Mbuf, data: Uint8Array, what: string, note: string, parts?: readonly HdrSpec[], from?: number): void {
  const added = parts ?? [{ kind: "data", len: data.length, state: "plain" }];
  m.hdrs = memo(m.hdrs, `a${m.len},${specKey(added)}`, () => insertAt(m.hdrs, m.len, added));
  const last = m.segs[m.segs.length - 1]!;
  const trailing = last.buf.length - last.off - last.len;
  let how: "trailing-space" | "new-mbuf";
  if (data.length <= trailing) {
    last.buf.set(data, last.off + last.len);
    last.len += data.length;
    how = "trailing-space";
  } else {
    const seg = segFor(data.length, false);
    seg.buf.set(data, 0);
    seg.len = data.length;
    m.segs.push(seg);
    how = "new-mbuf";
  }
  m.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(
    m,
    from === undefined ? { kind: "mbuf.append", what, len: data.length, how } : { kind: "mbuf.append", what, len: data.length, how, from },
    note,
  );
}

/** m_adj (uipc_mbuf.c): trim `len` bytes from the head (len > 0) or the tail (len < 0). */
export function m_adj(site: Site, m: Mbuf, len: number, header: string, note: string): void {
  const total = m.len;
  m.hdrs = memo(m.hdrs, `j${total},${len}`, () => (len >= 0 ? cutAt(m.hdrs, 0, len) : cutAt(m.hdrs, total + len, -len)));
  trim(m, len);
  site.emit(m, { kind: "mbuf.adj", header, len: Math.abs(len), from: len >= 0 ? "head" : "tail" }, note);
  // `trimmed` entries describe this step's version only; the chain's next version has none.
  m.hdrs = memo(m.hdrs, "t", () => intern(liveHdrs(m.hdrs)));
}

function trim(m: Mbuf, len: number): void {
  if (Math.abs(len) > m.len) throw new RangeError(`m_adj(${len}) on a ${m.len}-byte packet`);
  if (len >= 0) {
    let rest = len;
    for (const s of m.segs) {
      const n = Math.min(rest, s.len);
      s.off += n;
      s.len -= n;
      rest -= n;
      if (rest === 0) break;
    }
  } else {
    let rest = -len;
    for (let i = m.segs.length - 1; i >= 0 && rest > 0; i--) {
      const s = m.segs[i]!;
      const n = Math.min(rest, s.len);
      s.len -= n;
      rest -= n;
    }
  }
  // Drop emptied mbufs after the first (m_adj leaves them; m_free reclaims them later).
  m.segs = m.segs.filter((s, i) => i === 0 || s.len > 0);
  m.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
}

/**
 * m_striphdr (FAST_IPSEC ipsec_mbuf.c): remove `len` bytes at offset `skip` — the ESP/AH header
 * after the IP header on input — by sliding the bytes before it forward (m_adj-like at skip).
 */
export function m_striphdr(site: Site, m: Mbuf, skip: number, len: number, header: string, note: string): void {
  const all = m.bytes();
  if (skip + len > all.length) throw new RangeError(`m_striphdr(${skip}, ${len}) on ${all.length} bytes`);
  const front = all.slice(0, skip);
  m.hdrs = memo(m.hdrs, `s${skip},${len}`, () => {
    const cut = cutAt(m.hdrs, skip, len);
    // With the ESP header gone, nothing is inside an ESP payload any more.
    return cut.some((h) => h.kind === "esp" && h.state === "trimmed")
      ? intern(cut.map((h) => (h.inEsp && h.state !== "trimmed" ? { ...h, inEsp: undefined, decrypted: undefined } : h)))
      : cut;
  });
  trim(m, skip + len);
  // The IP header now sits in front of the payload again: write it into leading space.
  const first = m.segs[0]!;
  if (first.off >= skip) {
    first.off -= skip;
    first.len += skip;
    first.buf.set(front, first.off);
  } else {
    const seg = newSeg("pkthdr");
    seg.off = seg.buf.length - skip;
    seg.len = skip;
    seg.buf.set(front, seg.off);
    if (first.kind === "pkthdr") first.kind = "mbuf";
    m.segs.unshift(seg);
  }
  m.touch(DIRTY.BYTES | DIRTY.SEGS);
  site.emit(m, { kind: "mbuf.strip", header, offset: skip, len }, note);
  m.hdrs = memo(m.hdrs, "t", () => intern(liveHdrs(m.hdrs)));
}

/** m_freem: the packet is gone. Its tags go with it (MFREE deletes the tag chain). */
export function m_freem(site: Site, m: Mbuf, reason: string, note: string): void {
  m.freed = true;
  site.emit(m, { kind: "mbuf.free", reason }, note);
}

/**
 * Set m_flags bits (m->m_flags |= …); records flag.set with every bit asked for. Setting a bit
 * that is already set still counts: it is a fresh statement about this trip of the packet, so
 * it is no longer stale. A new packet version is made only if a bit was actually off.
 */
export function m_flags_set(site: Site, m: Mbuf, flags: readonly MFlag[], note: string): void {
  let changed = false;
  for (const f of flags) {
    if (!m.flags.has(f)) changed = true;
    m.flags.add(f);
    m.born.set(f, m.incarnation);
  }
  if (changed) m.touch(DIRTY.FLAGS);
  site.emit(m, { kind: "flag.set", flags }, note);
}

/** Clear m_flags bits; records which of them were actually set. */
export function m_flags_clear(site: Site, m: Mbuf, flags: readonly MFlag[], note: string): void {
  const cleared = flags.filter((f) => m.flags.has(f));
  for (const f of cleared) m.flags.delete(f);
  if (cleared.length > 0) m.touch(DIRTY.FLAGS);
  site.emit(m, { kind: "flag.clear", flags: cleared }, note);
}

/** The packet changes direction (looped back, or turned around): its history becomes stale. */
export function m_turnaround(m: Mbuf): void {
  m.incarnation++;
  // What it carries has just become stale: the next version must say so.
  if (m.tags.length > 0 || m.flags.size > 0) m.touch(DIRTY.TAGS | DIRTY.FLAGS);
}

/** Was this tag (uid) or flag set in an earlier incarnation of the packet? */
export function isStale(m: Mbuf, what: number | MFlag): boolean {
  const b = m.born.get(what);
  return b !== undefined && b < m.incarnation;
}

/** Set m_pkthdr.rcvif without an event (the link.rx/looutput event that does it records it). */
export function m_set_rcvif(m: Mbuf, ifname: string | null): void {
  m.rcvif = ifname;
  m.touch(DIRTY.RCVIF);
}

/** Record (or forget) the ESP plaintext carried for the inspector's decrypted view. */
export function m_set_cleartext(m: Mbuf, hex: string | undefined, proto?: number): void {
  m.cleartext = hex;
  m.cleartextProto = hex === undefined ? undefined : proto;
  m.touch(DIRTY.CLEARTEXT);
}

/** A new chain holding a copy of `m`'s bytes in one mbuf, without a packet header yet. */
function cloneData(site: Site, m: Mbuf): Mbuf {
  const n = new Mbuf(
    site.recorder.nextChainId(),
    m.segs.map((s) => ({ buf: s.buf.slice(), off: s.off, len: s.len, kind: s.kind })),
  );
  n.hdrs = m.hdrs;
  return n;
}

/**
 * m_dup_pkthdr / M_DUP_PKTHDR (FreeBSD uipc_mbuf.c, OpenBSD uipc_mbuf.c): a deep copy of the
 * packet — data, rcvif, the M_COPYFLAGS and a deep copy of every tag (m_tag_copy_chain).
 * The tag copies are made by the caller's copyTags so they get their own uids and events.
 */
export function m_dup(site: Site, m: Mbuf, copyTags: (to: Mbuf, from: Mbuf) => void, note: string): Mbuf {
  const n = cloneData(site, m);
  n.rcvif = m.rcvif;
  n.flags = new Set(m.flags);
  n.cleartext = m.cleartext;
  n.cleartextProto = m.cleartextProto;
  n.incarnation = m.incarnation;
  for (const [k, b] of m.born) if (typeof k === "string") n.born.set(k, b);
  site.emit(n, { kind: "mbuf.pkthdr", mode: "dup", from: m.id }, note);
  copyTags(n, m);
  return n;
}

/**
 * M_MOVE_PKTHDR (mbuf.h): the packet header — flags, rcvif and the tag list itself — moves to
 * a new chain; the source loses M_PKTHDR and its tags. Used when a layer builds a new buffer
 * for a reply but keeps the header (the "same mbuf" shortcut in another shape).
 */
export function m_move_pkthdr(site: Site, to: Mbuf, from: Mbuf, note: string): void {
  to.rcvif = from.rcvif;
  to.flags = from.flags;
  to.tags = from.tags;
  to.incarnation = from.incarnation;
  for (const [k, b] of from.born) to.born.set(k, b);
  from.flags = new Set();
  from.tags = [];
  from.touch(DIRTY.ALL);
  to.touch(DIRTY.ALL);
  site.emit(to, { kind: "mbuf.pkthdr", mode: "move", from: from.id }, note);
}
