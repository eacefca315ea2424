/**
 * The anti-replay window — RFC 4303 §3.4.3 (and RFC 4302 §3.4.3), as FAST_IPSEC's
 * ipsec_chkreplay() (before the ICV check) and ipsec_updatereplay() (after it).
 * `seqIn` is the highest sequence number accepted; bit i of the bitmap says seqIn − i was seen.
 */
import type { SecAssoc } from "./types";

export type ReplayCheck = { ok: true } | { ok: false; why: string };

/** ipsec_chkreplay: could this sequence number be new? Does not change the SA. */
export function chkreplay(sa: SecAssoc, seq: number): ReplayCheck {
  if (sa.replayWindow === 0) return { ok: true };
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
    const shift = BigInt(seq - sa.seqIn);
    sa.replayBitmap = ((sa.replayBitmap << shift) | 1n) & mask;
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
