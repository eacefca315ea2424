/**
 * struct sk_buff, as the Linux stack sees it (include/linux/skbuff.h, 2.2 and mainline): ONE
 * linear buffer `head..end` with the packet at `data..tail`, headroom in front and tailroom
 * behind — not a chain. It is built on the engine's packet record (Mbuf) so the recorder can
 * version it, but it always has exactly one segment of kind "skb", and its verbs are Linux's:
 * alloc_skb, skb_reserve, skb_put, skb_push, skb_pull, skb_trim, skb_copy_expand, kfree_skb.
 *
 * `skb->dev` and `skb->dst` are separate fields, each set by its own traced `field.set` (header
 * "skb"): seed 002 is the story of the two disagreeing, so setting one without the other is
 * visible, and the event says when `skb->dev` and `skb->dst->dev` now name different devices.
 *
 * The header stack (trace/hdrs.ts) is kept by these verbs through the mbuf's helpers
 * (mbuf/hdrs.ts), as skb_push/skb_pull move `data` the way gVisor's PacketBuffer Push/Consume
 * move its header offsets: the caller says what the bytes it adds are, so the inspector and the
 * card read the layout of a Linux packet as they do a BSD one.
 */
import { cutAt, insertAt, intern, memo, NO_HDRS, specKey, type HdrSpec } from "../mbuf/hdrs";
import { DIRTY, Mbuf, m_poke } from "../mbuf/mbuf";
import { liveHdrs, type HdrView } from "../trace/hdrs";
import type { SecAssoc } from "../netipsec/types";
import type { Site } from "../trace/recorder";
import type { DstEntry, NetDevice } from "./world";

/** A Linux socket buffer. Engine-internal and mutable, like Mbuf. */
export class Skb extends Mbuf {
  /** skb->dev: the device the packet is on (or going out of). */
  dev: NetDevice | null = null;
  /** skb->dst: the route cache entry, with its own dev, pmtu, gateway and output function. */
  dst: DstEntry | null = null;
  /** skb->sp (mainline sec_path): the SAs that decrypted it; dies with the skb. */
  secPath: SecAssoc[] = [];
  /** Nesting depth of ipsec_tunnel_start_xmit for this packet's ancestors (KLIPS re-entry). */
  klipsDepth = 0;
  /** The packet this one was built from by ip_fragment / skb_copy_expand / icmp_reply, if any. */
  copiedFrom: number | undefined;

  /** skb_headroom(). */
  get headroom(): number {
    return this.segs[0]!.off;
  }

  /** skb_tailroom(). */
  get tailroom(): number {
    const s = this.segs[0]!;
    return s.buf.length - s.off - s.len;
  }
}

/** What a driver copies in from the wire: an IPv4 datagram no layer has read yet (ip_rcv reads it). */
const RECEIVED: readonly HdrSpec[] = [{ kind: "data", proto: 4, len: 0, state: "plain" }];

/** A stack of `parts` laid end to end from offset 0 (their lengths are the bytes they cover). */
export function skbLayout(parts: readonly HdrSpec[]): readonly HdrView[] {
  return memo(NO_HDRS, `L${specKey(parts)}`, () => {
    let at = 0;
    return intern(
      parts.map((p) => {
        const h = { ...p, offset: at };
        at += p.len;
        return h;
      }),
    );
  });
}

/**
 * alloc_skb(size) + skb_reserve(reserve) + skb_put(data.length) with the bytes copied in:
 * the common shape of every Linux allocation of an outgoing or received packet. `parts` say what
 * the bytes are (their lengths add up to data.length); by default a received datagram, unread.
 */
export function alloc_skb(site: Site, size: number, reserve: number, data: Uint8Array, note: string, parts: readonly HdrSpec[] = RECEIVED): Skb {
  if (reserve + data.length > size) throw new RangeError(`alloc_skb(${size}) cannot hold ${reserve} + ${data.length} bytes`);
  const buf = new Uint8Array(size);
  buf.set(data, reserve);
  const skb = new Skb(site.recorder.nextChainId(), [{ buf, off: reserve, len: data.length, kind: "skb" }]);
  skb.hdrs = skbLayout(parts === RECEIVED ? [{ ...RECEIVED[0]!, len: data.length }] : parts);
  site.emit(skb, { kind: "mbuf.alloc", len: data.length, leading: reserve }, note);
  return skb;
}

/**
 * skb_push(skb, len): claim `len` bytes of headroom in front of the data (BUG if there is none).
 * `hdr` is what goes there: `pending` in the header stack until the caller writes it.
 */
export function skb_push(
  site: Site,
  skb: Skb,
  len: number,
  header: string,
  note: string,
  hdr: Pick<HdrSpec, "kind" | "outer"> = { kind: "ipv4" },
): void {
  const s = skb.segs[0]!;
  if (s.off < len) throw new RangeError(`skb_push(${len}) with ${s.off} bytes of headroom (skb_under_panic)`);
  s.off -= len;
  s.len += len;
  s.buf.fill(0, s.off, s.off + len);
  skb.hdrs = memo(skb.hdrs, `p${hdr.kind},${hdr.outer ? 1 : 0},${len}`, () =>
    insertAt(skb.hdrs, 0, [{ ...hdr, len, state: "pending", until: "write" }]),
  );
  skb.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(skb, { kind: "mbuf.prepend", header, len, leading: "space" }, note);
}

/**
 * skb_put(skb, len) filled with `data`: claim tailroom (BUG if there is none). `parts` say what
 * the bytes are, in order (by default plain data).
 */
export function skb_put(site: Site, skb: Skb, data: Uint8Array, what: string, note: string, parts?: readonly HdrSpec[]): void {
  const s = skb.segs[0]!;
  if (s.buf.length - s.off - s.len < data.length)
    throw new RangeError(`skb_put(${data.length}) with ${skb.tailroom} bytes of tailroom (skb_over_panic)`);
  const added = parts ?? [{ kind: "data", len: data.length, state: "plain" }];
  skb.hdrs = memo(skb.hdrs, `a${s.len},${specKey(added)}`, () => insertAt(skb.hdrs, s.len, added));
  s.buf.set(data, s.off + s.len);
  s.len += data.length;
  skb.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(skb, { kind: "mbuf.append", what, len: data.length, how: "trailing-space" }, note);
}

/** skb_pull(skb, len): drop `len` bytes from the front (they become headroom). */
export function skb_pull(site: Site, skb: Skb, len: number, header: string, note: string): void {
  const s = skb.segs[0]!;
  skb.hdrs = memo(skb.hdrs, `j${s.len},${len}`, () => cutAt(skb.hdrs, 0, len));
  s.off += len;
  s.len -= len;
  skb.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(skb, { kind: "mbuf.adj", header, len, from: "head" }, note);
  // `trimmed` entries describe this step's version only (as after m_adj).
  skb.hdrs = memo(skb.hdrs, "t", () => intern(liveHdrs(skb.hdrs)));
}

/** skb_trim(skb, len): cut the data to `len` bytes (the rest becomes tailroom). */
export function skb_trim(site: Site, skb: Skb, len: number, what: string, note: string): void {
  const s = skb.segs[0]!;
  const cut = s.len - len;
  skb.hdrs = memo(skb.hdrs, `j${s.len},${-cut}`, () => cutAt(skb.hdrs, len, cut));
  s.len = len;
  skb.touch(DIRTY.BYTES | DIRTY.SEGS | DIRTY.HDRS);
  site.emit(skb, { kind: "mbuf.adj", header: what, len: cut, from: "tail" }, note);
  skb.hdrs = memo(skb.hdrs, "t", () => intern(liveHdrs(skb.hdrs)));
}

/**
 * The header stack after the caller rewrote the whole packet in place (ESP's seal and open move
 * the IP header and replace the payload): `parts` from offset 0, covering every byte. No event:
 * the step that did it (crypto.done, the pull after it) records the version.
 */
export function skb_hdrs_rewritten(skb: Skb, parts: readonly HdrSpec[]): void {
  skb.hdrs = skbLayout(parts);
  skb.touch(DIRTY.HDRS);
}

/** Overwrite bytes of the data in place; the caller records what changed (field.set / rewrite). */
export function skb_store(skb: Skb, off: number, data: Uint8Array): void {
  m_poke(skb, off, data);
}

/**
 * skb_copy_expand(skb, newheadroom, newtailroom): a NEW skb with the same data and the room asked
 * for; dev and dst are copied (copy_skb_header), the sec_path is not carried (2.2 had none).
 * The caller frees the original, as KLIPS does (ipsec_xmit.c: "dev_kfree_skb(oskb)").
 */
export function skb_copy_expand(site: Site, skb: Skb, headroom: number, tailroom: number, note: string): Skb {
  const data = skb.bytes();
  // The copy holds the same bytes, so the same layout.
  const parts = liveHdrs(skb.hdrs).map(({ offset: _offset, ...h }) => h);
  const n = alloc_skb(site, headroom + data.length + tailroom, headroom, data, note, parts.length > 0 ? parts : RECEIVED);
  n.dev = skb.dev;
  n.dst = skb.dst;
  n.klipsDepth = skb.klipsDepth;
  n.copiedFrom = skb.id;
  site.emit(
    n,
    { kind: "field.set", header: "skb", field: "copied-from", from: "", to: `packet #${skb.id}` },
    site.text`The copy is packet #${skb.id}'s bytes with ${headroom} bytes of headroom and ${tailroom} of tailroom; dev and dst are copied with them.`,
  );
  return n;
}

/**
 * pskb_expand_head(skb, nhead, ntail) (mainline net/core/skbuff.c): a bigger buffer for the SAME
 * skb — the data is copied, the skb (and its dev, dst, sec_path) stays. esp_output reaches it
 * through skb_cow_data when the trailer does not fit.
 */
export function pskb_expand_head(site: Site, skb: Skb, nhead: number, ntail: number, note: string): void {
  const s = skb.segs[0]!;
  const buf = new Uint8Array(s.off + nhead + s.len + (s.buf.length - s.off - s.len) + ntail);
  buf.set(s.buf.subarray(s.off, s.off + s.len), s.off + nhead);
  s.buf = buf;
  s.off += nhead;
  skb.touch(DIRTY.BYTES | DIRTY.SEGS);
  site.emit(skb, { kind: "mbuf.alloc", len: s.len, leading: s.off }, note);
}

/** The device a dst entry points at, for narration: "eth0", or "(none)". */
function devName(d: NetDevice | null | undefined): string {
  return d ? d.name : "(none)";
}

/** A dst entry in words: "rt 192.0.2.2 via ipsec0, pmtu 1500". */
export function dstText(d: DstEntry | null): string {
  return d ? `rt ${d.daddrText} via ${d.dev.name}, pmtu ${d.pmtu}` : "(none)";
}

/** The sentence that says whether skb->dev and skb->dst->dev now agree. */
function agreement(site: Site, skb: Skb): string {
  // An input route to a local address points at lo (ip_route_input, RTN_LOCAL): true, but not the mismatch seed 002 is about.
  if (!skb.dst || !skb.dev || skb.dst.local) return "";
  return skb.dst.dev === skb.dev
    ? site.text` skb->dev and skb->dst->dev agree (${skb.dev.name}).`
    : site.text` Now skb->dev = ${skb.dev.name} but skb->dst->dev = ${skb.dst.dev.name}: they disagree.`;
}

/** skb->dev = dev, traced. */
export function skb_set_dev(site: Site, skb: Skb, dev: NetDevice, why: string): void {
  const from = devName(skb.dev);
  skb.dev = dev;
  site.emit(
    skb,
    { kind: "field.set", header: "skb", field: "dev", from, to: dev.name },
    site.text`${why}: skb->dev = ${dev.name}.${agreement(site, skb)}`,
  );
}

/** skb->dst = dst (dst_release of the old one, a reference on the new), traced. */
export function skb_set_dst(site: Site, skb: Skb, dst: DstEntry | null, why: string): void {
  const from = skb.dst ? devName(skb.dst.dev) : "(none)";
  skb.dst = dst;
  site.emit(
    skb,
    { kind: "field.set", header: "skb", field: "dst->dev", from, to: dst ? dst.dev.name : "(none)" },
    site.text`${why}: skb->dst = ${dstText(dst)}.${agreement(site, skb)}`,
  );
}

/** kfree_skb: the buffer is gone, and with it (mainline) the sec_path. */
export function kfree_skb(site: Site, skb: Skb, reason: string, note: string): void {
  skb.freed = true;
  site.emit(skb, { kind: "mbuf.free", reason }, note);
}
