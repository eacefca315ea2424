/**
 * The anti-replay window — RFC 4303 §3.4.3 (and RFC 4302 §3.4.3), as FAST_IPSEC's
 * ipsec_chkreplay() (before the ICV check) and ipsec_updatereplay() (after it).
 * `seqIn` is the highest sequence number accepted; bit i of the bitmap says seqIn − i was seen.
 *
 * Sequence numbers here are the SA's full counter: 32-bit, or 64-bit on an SA with extended
 * sequence numbers (RFC 4303 §2.2.1), where only the low half is on the wire and the receiver
 * infers the high half from its window (RFC 4303 Appendix A2.2). A JS number holds them exactly
 * up to 2^53, far beyond any run.
 */
import type { Mbuf } from "../mbuf/mbuf";
import type { Site } from "../trace/recorder";
import type { SecAssoc } from "./types";

export type ReplayCheck = { ok: true } | { ok: false; why: string };

/**
 * Is an SA's traffic replay-checked at all, as FAST_IPSEC decides it: esp_input checks only
 * `if (esph && sav->replay && …)` (xform_esp.c) — ESP without authentication (no ICV: neither a
 * combined-mode cipher nor an HMAC) never is; ah_input and esp_input check only with a window
 * (`sav->replay`, a static setkey SA has one only when given, `setkey -r`). "window": checked over
 * `replayWindow` packets; "no-window"; "no-auth" (ESP without authentication).
 */
export function replayCheckOf(sa: {
  readonly proto: "esp" | "ah";
  readonly icvLen: number;
  readonly replayWindow: number;
}): "window" | "no-window" | "no-auth" {
  if (sa.proto === "esp" && sa.icvLen === 0) return "no-auth";
  return sa.replayWindow > 0 ? "window" : "no-window";
}

const TWO32 = 2 ** 32;

/** The high 32 bits of a 64-bit sequence number (seq-hi, RFC 4303 §2.2.1). */
export function seqHiOf(seq: number): number {
  return Math.floor(seq / TWO32);
}

/** The low 32 bits, the half written in the ESP/AH header. */
export function seqLoOf(seq: number): number {
  return seq % TWO32;
}

/**
 * The full sequence number of a received packet: its wire value on a 32-bit SA, and on an ESN SA
 * the 64-bit number RFC 4303 Appendix A2.2 infers from the low half `lo` and the window
 * (T = seqIn, W = window; a zero window is treated as 1 so the inference still works).
 */
export function inferSeq(sa: Pick<SecAssoc, "esn" | "seqIn" | "replayWindow">, lo: number): number {
  if (!sa.esn) return lo;
  const w = Math.max(sa.replayWindow, 1);
  const tl = seqLoOf(sa.seqIn);
  const th = seqHiOf(sa.seqIn);
  let hi: number;
  if (tl >= w - 1) {
    // Case A: the window lies within one 2^32 block; a low value left of it has wrapped.
    hi = lo >= tl - w + 1 ? th : th + 1;
  } else {
    // Case B: the window straddles a block boundary; a low value beyond its left edge is from the block before.
    hi = lo >= (tl - w + 1 + TWO32) % TWO32 ? Math.max(th - 1, 0) : th;
  }
  return hi * TWO32 + lo;
}

/** ipsec_chkreplay: could this sequence number be new? Does not change the SA. */
export function chkreplay(sa: SecAssoc, seq: number): ReplayCheck {
  if (sa.replayWindow === 0) return { ok: true };
  // With ESN only the 64-bit 0 is never sent; a low half of 0 after a wrap is legitimate.
  if (seq === 0) return { ok: false, why: "sequence number 0 is never sent (RFC 4303 §3.3.3)" };
  if (seq > sa.seqIn) return { ok: true };
  const diff = sa.seqIn - seq;
  if (diff >= sa.replayWindow) return { ok: false, why: `seq ${seq} is left of the ${sa.replayWindow}-packet window (highest seen ${sa.seqIn})` };
  if ((sa.replayBitmap >> BigInt(diff)) & 1n) return { ok: false, why: `seq ${seq} was already received (highest seen ${sa.seqIn})` };
  return { ok: true };
}

/** ipsec_updatereplay: record `seq` after its ICV verified. Fails if it is a replay after all. */
export function updatereplay(sa: SecAssoc, seq: number): ReplayCheck {
  const c = chkreplay(sa, seq);
  if (!c.ok || sa.replayWindow === 0) return c;
  const mask = (1n << BigInt(sa.replayWindow)) - 1n;
  if (seq > sa.seqIn) {
    const ahead = seq - sa.seqIn;
    // A jump past the whole window (e.g. to the next 2^32 block) forgets everything: no huge BigInt shift.
    sa.replayBitmap = ahead >= sa.replayWindow ? 1n : ((sa.replayBitmap << BigInt(ahead)) | 1n) & mask;
    sa.seqIn = seq;
  } else {
    sa.replayBitmap |= 1n << BigInt(sa.seqIn - seq);
  }
  return { ok: true };
}

/** The window as text for narration: "highest 5, window 64, seen 5 4 3". */
export function windowText(sa: SecAssoc): string {
  const seen: number[] = [];
  // The low 8 bits as a number: one BigInt operation instead of two per bit.
  const low = Number(sa.replayBitmap & 0xffn);
  for (let i = 0; i < Math.min(sa.replayWindow, 8); i++) if ((low >> i) & 1) seen.push(sa.seqIn - i);
  return `highest ${sa.seqIn}, window ${sa.replayWindow}${seen.length ? `, recent ${seen.join(" ")}` : ""}`;
}

/**
 * The sender's half, shared by esp_output and ah_output (FAST_IPSEC xform_esp.c / xform_ah.c):
 * the counter moves only `if (sav->replay)` — an SA without a window sends sequence number 0 —
 * and the first packet sent carries 1 (RFC 4303 §3.3.3, RFC 4302 §3.3.2). Returns the full
 * (on an ESN SA, 64-bit) number; the caller writes its low half into the header.
 */
export function takeOutboundSeq(site: Site, m: Mbuf, sa: SecAssoc, fn: "esp_output" | "ah_output"): number {
  if (sa.replayWindow === 0) return 0;
  sa.seqOut += 1;
  const seq = sa.seqOut;
  // ESN: the step shows the 64-bit counter and its halves, since only the low half is in the header.
  const esnText = sa.esn ? ` (ESN: seq-hi ${seqHiOf(seq)} kept in the SA, ${seqLoOf(seq)} on the wire)` : "";
  site.emit(
    m,
    { kind: "sa.update", sa: sa.id, field: "seq", value: String(seq) },
    `${fn} takes the next sequence number of ${sa.id}: ${seq}${esnText}.`,
  );
  return seq;
}
