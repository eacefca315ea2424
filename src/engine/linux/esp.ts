/**
 * ESP transport mode on an skb (RFC 4303 §3.1.1), shared by KLIPS (ipsec_xmit.c / ipsec_rcv.c,
 * Openswan 2.0.0 @6a3b72d55) and XFRM (net/ipv4/esp4.c esp_output / esp_input): the IP header
 * moves forward into the headroom to open the gap for SPI|seq|IV, the trailer and ICV go into the
 * tailroom, and the bytes between are real ciphertext from crypto/esp.ts (3DES-CBC + HMAC-MD5-96
 * for the KLIPS of 1999, any registered transform for XFRM).
 */
import { encAlg, authAlg } from "../crypto/registry";
import { espOpen, espSeal, ESP_HEADER_BYTES, type EspOpenFailure } from "../crypto/esp";
import { keysOf } from "../netipsec/xform_esp";
import { chkreplay, inferSeq, seqHiOf, seqLoOf, takeOutboundSeq, updatereplay } from "../netipsec/replay";
import { m_set_cleartext } from "../mbuf/mbuf";
import type { SecAssoc } from "../netipsec/types";
import type { DropReason } from "../trace/events";
import type { Site } from "../trace/recorder";
import { internetChecksum } from "../wire/checksum";
import { IP_PROTO, toHex } from "../wire/fields";
import { m_hdr_consume } from "../mbuf/mbuf";
import type { HdrSpec } from "../mbuf/hdrs";
import { skb_hdrs_rewritten, skb_pull, skb_push, skb_put, skb_store, skb_trim, type Skb } from "./skb";
import type { LinuxHost } from "./world";

/** The bytes ESP adds in front of the payload (SPI, seq, IV): KLIPS's tot_headroom for ESP. */
export function espHeadroom(sa: SecAssoc): number {
  return ESP_HEADER_BYTES + encAlg(sa.enc).ivBytes;
}

/** ESP's trailer for a payload of `pyldsz` bytes: padding + pad length + next header + ICV (KLIPS's tot_tailroom). */
export function espTailroom(sa: SecAssoc, pyldsz: number): number {
  const e = encAlg(sa.enc);
  const block = Math.max(e.blockBytes, 4);
  const icv = e.aead ? e.icvBytes : authAlg(sa.auth).icvBytes;
  return icv + ((block - ((pyldsz + 2) % block)) % block) + 2;
}

/** ESP's ICV length for `sa` (RFC 4303 §2.8: the AEAD's tag, else the authenticator's truncated MAC). */
function icvBytes(sa: SecAssoc): number {
  const e = encAlg(sa.enc);
  return e.aead ? e.icvBytes : authAlg(sa.auth).icvBytes;
}

/** What an ESP payload's next header says it holds, as a header-stack entry of `len` bytes. */
function innerPart(nextHeader: number, len: number, rest: Omit<HdrSpec, "kind" | "len">): HdrSpec {
  return nextHeader === IP_PROTO.ICMP ? { kind: "icmp", len, ...rest } : { kind: "data", len, proto: nextHeader, ...rest };
}

/** The same IPv4 header with a new protocol and total length, its checksum recomputed. */
function rewriteHeader(header: Uint8Array, protocol: number, totalLength: number): Uint8Array {
  const out = header.slice();
  out[2] = totalLength >> 8;
  out[3] = totalLength & 0xff;
  out[9] = protocol;
  out[10] = 0;
  out[11] = 0;
  const sum = internetChecksum(out);
  out[10] = sum >> 8;
  out[11] = sum & 0xff;
  return out;
}

/**
 * Encrypt `skb` in place as transport-mode ESP with `sa`. The caller has made the room
 * (espHeadroom in front, espTailroom behind). Records the header move, the gap, the trailer and
 * the crypto; leaves skb->dev and skb->dst alone.
 */
export function espTransportOutput(host: LinuxHost, site: Site, skb: Skb, sa: SecAssoc): void {
  const data = skb.bytes();
  const hlen = (data[0]! & 0x0f) * 4;
  const header = data.slice(0, hlen);
  const payload = data.slice(hlen);
  const nextHeader = data[9]!;
  const e = encAlg(sa.enc);
  const iv = e.ivBytes === 0 ? new Uint8Array(0) : host.world.rng.bytes(e.ivBytes);
  // The sender's counter step is the one FAST_IPSEC uses (window-gated, ESN-aware): one concept, one place.
  const full = takeOutboundSeq(site, skb, sa, "esp_output");
  const sealed = espSeal(keysOf(sa), { spi: sa.spi, seq: seqLoOf(full), seqHi: sa.esn ? seqHiOf(full) : undefined, iv, payload, nextHeader });
  const head = espHeadroom(sa);
  skb_push(
    site,
    skb,
    head,
    "ESP",
    site.text`skb_push(${head}): the IP header moves ${head} bytes forward into the headroom, opening the gap for SPI, sequence number and the ${e.ivBytes}-byte IV.`,
    { kind: "esp" },
  );
  const tail = sealed.bytes.length - head - payload.length;
  skb_put(
    site,
    skb,
    new Uint8Array(tail),
    "ESP trailer",
    site.text`skb_put(${tail}): ${sealed.padLength} bytes of padding, pad length, next header and the ICV go into the tailroom.`,
    [
      { kind: "esp-trailer", len: tail - icvBytes(sa), state: "pending", until: "write" },
      { kind: "esp-icv", len: icvBytes(sa), state: "pending", until: "write" },
    ],
  );
  site
    .at("crypto", site.fn)
    .emit(
      skb,
      { kind: "crypto.submit", sa: sa.id, op: "encrypt", bytes: sealed.plaintext.length },
      site.text`${sa.enc} encrypts ${sealed.plaintext.length} bytes (payload, padding, trailer) and ${sa.auth} signs SPI..ciphertext.`,
    );
  const total = hlen + sealed.bytes.length;
  skb_store(skb, 0, rewriteHeader(header, IP_PROTO.ESP, total));
  skb_store(skb, hlen, sealed.bytes);
  // The IP header is at the front again, SPI|seq|IV after it, then the ciphertext and the ICV.
  skb_hdrs_rewritten(skb, [
    { kind: "ipv4", len: hlen, state: "plain" },
    { kind: "esp", len: head, state: "plain" },
    innerPart(nextHeader, payload.length, { state: "encrypted", inEsp: true }),
    { kind: "esp-trailer", len: tail - icvBytes(sa), state: "encrypted", inEsp: true },
    { kind: "esp-icv", len: icvBytes(sa), state: "plain" },
  ]);
  m_set_cleartext(skb, toHex(payload), nextHeader);
  sa.bytes += payload.length;
  sa.packets++;
  site
    .at("crypto", site.fn)
    .emit(
      skb,
      { kind: "crypto.done", sa: sa.id, op: "encrypt", ok: true, detail: `ESP ${total} bytes` },
      site.text`The ESP packet is ${total} bytes: IP header ${hlen} + ESP header and IV ${head} + ciphertext ${sealed.plaintext.length} + ICV ${sealed.bytes.length - sealed.icvOffset}; protocol 50, total length ${total}.`,
    );
}

/** What esp_input found in a verified ESP packet. */
export interface EspOpened {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly nextHeader: number;
}

/**
 * esp_input's crypto half (net/ipv4/esp4.c), shared by transport and tunnel mode: the replay
 * check, the ICV and the decryption of the ESP packet that starts `hlen` bytes into `skb`,
 * recorded as crypto events; the skb's bytes are not changed. A failure is for the caller to drop.
 */
export function espVerifyOpen(site: Site, skb: Skb, sa: SecAssoc, hlen: number): EspOpened | EspInputFailure {
  const esp = skb.bytes().slice(hlen);
  const head = espHeadroom(sa);
  const icv = icvBytes(sa);
  // esp_input has read the ESP header: SPI|seq|IV, then ciphertext, then the ICV (as FAST_IPSEC's esp_input).
  if (esp.length >= head + icv)
    m_hdr_consume(skb, hlen, [
      { kind: "esp", len: head, state: "plain" },
      { kind: "data", len: esp.length - head - icv, state: "encrypted", inEsp: true },
      { kind: "esp-icv", len: icv, state: "plain" },
    ]);
  site
    .at("crypto", site.fn)
    .emit(
      skb,
      { kind: "crypto.submit", sa: sa.id, op: "decrypt", bytes: esp.length },
      sa.auth === "none" ? site.text`${sa.enc} checks the ICV and decrypts (AEAD).` : site.text`${sa.auth} checks the ICV, then ${sa.enc} decrypts.`,
    );
  const seqLo = esp.length >= 8 ? new DataView(esp.buffer, esp.byteOffset + 4, 4).getUint32(0) : 0;
  const seq = inferSeq(sa, seqLo);
  if (sa.replayWindow > 0) {
    const r = chkreplay(sa, seq);
    if (!r.ok) return { reason: "ipsec-replay", detail: r.why };
  }
  const opened = espOpen(keysOf(sa), esp, sa.esn ? seqHiOf(seq) : undefined);
  if (!opened.ok) {
    site
      .at("crypto", site.fn)
      .emit(
        skb,
        { kind: "crypto.done", sa: sa.id, op: "decrypt", ok: false, detail: opened.detail },
        site.text`The ESP packet does not verify: ${opened.detail}.`,
      );
    return { reason: OPEN_DROP[opened.reason], detail: opened.detail };
  }
  if (sa.replayWindow > 0) updatereplay(sa, seq);
  site
    .at("crypto", site.fn)
    .emit(
      skb,
      { kind: "crypto.done", sa: sa.id, op: "decrypt", ok: true, detail: `seq ${opened.seq}` },
      `ICV good; sequence number ${opened.seq}; the payload is ${opened.payload.length} bytes of protocol ${opened.nextHeader}.`,
    );
  return opened;
}

/** Why espTransportInput refused a packet, as a drop. */
export interface EspInputFailure {
  readonly reason: DropReason;
  readonly detail: string;
}

const OPEN_DROP: Readonly<Record<EspOpenFailure, DropReason>> = {
  truncated: "ipsec-bad-length",
  "bad-length": "ipsec-bad-length",
  "icv-mismatch": "ipsec-icv",
  "bad-padding": "ipsec-bad-padding",
};

/**
 * Verify and decrypt transport-mode ESP in place: the ESP header is cut out (the IP header moves
 * back over it), the trailer and ICV trimmed, and the IP header gets the inner protocol and
 * length. Returns a failure for the caller to drop, or undefined.
 */
export function espTransportInput(site: Site, skb: Skb, sa: SecAssoc): EspInputFailure | undefined {
  const data = skb.bytes();
  const hlen = (data[0]! & 0x0f) * 4;
  const opened = espVerifyOpen(site, skb, sa, hlen);
  if ("reason" in opened) return opened;
  const head = espHeadroom(sa);
  const icv = icvBytes(sa);
  const espLength = data.length - hlen;
  const header = rewriteHeader(data.slice(0, hlen), opened.nextHeader, hlen + opened.payload.length);
  skb_store(skb, head, header);
  skb_store(skb, head + hlen, opened.payload);
  // The IP header now sits just before the plaintext; the bytes in front of it are what skb_pull drops.
  const plen = opened.payload.length;
  skb_hdrs_rewritten(skb, [
    { kind: "data", len: head, state: "plain" },
    { kind: "ipv4", len: hlen, state: "plain" },
    innerPart(opened.nextHeader, plen, { state: "plain", inEsp: true, decrypted: true }),
    { kind: "esp-trailer", len: espLength - head - plen - icv, state: "plain", inEsp: true, decrypted: true },
    { kind: "esp-icv", len: icv, state: "plain" },
  ]);
  skb_pull(site, skb, head, "ESP", site.text`The IP header moves back over the ${head}-byte ESP header and IV, and skb_pull drops them.`);
  skb_trim(
    site,
    skb,
    hlen + opened.payload.length,
    "ESP trailer",
    site.text`skb_trim cuts the padding, trailer and ICV: the packet is ${hlen + opened.payload.length} bytes of protocol ${opened.nextHeader} again.`,
  );
  // With the ESP header gone nothing is inside an ESP payload any more (as after m_striphdr).
  skb_hdrs_rewritten(skb, [{ kind: "ipv4", len: hlen, state: "plain" }, innerPart(opened.nextHeader, plen, { state: "plain" })]);
  m_set_cleartext(skb, undefined);
  return undefined;
}
