/**
 * Hand-built packets for the export tests: IPv4 (RFC 791), ICMP echo (RFC 792) and transport-mode
 * ESP (RFC 4303) with the ciphers tagflow exports keys for. The engine's own wire and crypto
 * modules are deliberately not used, so these tests check the exporter against an independent
 * construction (and against Wireshark), not against the engine's idea of the formats.
 */
import { cbc, gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { createCipheriv } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import type { EspAuthAlg, EspEncAlg, EspSaForExport } from "../../src/export";

export const IPPROTO_ICMP = 1;
export const IPPROTO_ESP = 50;

/** The Internet checksum (RFC 1071): one's complement of the one's complement sum of 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function addr(dotted: string): Uint8Array {
  return Uint8Array.from(dotted.split(".").map(Number));
}

/** Bytes from "0a 0b …": whitespace is ignored, and so is everything from a `#` to the end of its line. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/#.*$/gm, "").replace(/\s/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`hex: not an even run of hex digits: ${digits}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A 20-byte IPv4 header (no options, DF clear, TTL 64) with a correct checksum, then `payload`. */
export function ipv4(opts: { src: string; dst: string; protocol: number; id: number; payload: Uint8Array }): Uint8Array {
  const total = 20 + opts.payload.length;
  const header = new Uint8Array(20);
  const v = new DataView(header.buffer);
  v.setUint8(0, 0x45);
  v.setUint16(2, total);
  v.setUint16(4, opts.id);
  v.setUint8(8, 64);
  v.setUint8(9, opts.protocol);
  header.set(addr(opts.src), 12);
  header.set(addr(opts.dst), 16);
  v.setUint16(10, internetChecksum(header));
  return concat(header, opts.payload);
}

/** An ICMP echo request (type 8) or reply (type 0) with a correct checksum. */
export function icmpEcho(opts: { type: 8 | 0; id: number; seq: number; data: Uint8Array }): Uint8Array {
  const msg = new Uint8Array(8 + opts.data.length);
  const v = new DataView(msg.buffer);
  v.setUint8(0, opts.type);
  v.setUint16(4, opts.id);
  v.setUint16(6, opts.seq);
  msg.set(opts.data, 8);
  v.setUint16(2, internetChecksum(msg));
  return msg;
}

/** Deterministic filler bytes: start, start+1, … (mod 256). */
export function counting(length: number, start = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

/**
 * The ESP trailer for `payload` (RFC 4303 §2.4): padding 1, 2, 3, … so that payload + padding +
 * 2 is a multiple of `align`, then Pad Length and Next Header.
 */
export function espPlaintext(payload: Uint8Array, nextHeader: number, align: number): Uint8Array {
  const padLen = (align - ((payload.length + 2) % align)) % align;
  return concat(
    payload,
    Uint8Array.from({ length: padLen }, (_, i) => i + 1),
    Uint8Array.of(padLen, nextHeader),
  );
}

function be32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
}

/** The SA an ESP test packet is built with; `iv` is the per-packet IV carried on the wire. */
export interface TestSa extends EspSaForExport {
  iv: Uint8Array;
}

const ICV_LEN: Record<EspAuthAlg, number> = { "hmac-sha1-96": 12, "hmac-sha256-128": 16, none: 0, "hmac-md5-96": 12 };
const HMAC_HASH = { "hmac-sha1-96": sha1, "hmac-sha256-128": sha256, "hmac-md5-96": md5 } as const;

/** 3DES-CBC through OpenSSL (node:crypto), not des.js: an independent construction. */
function tdesCbc(key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  const c = createCipheriv("des-ede3-cbc", key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(plain), c.final()]));
}

/**
 * The ESP payload (SPI | seq | IV | ciphertext | ICV) of a transport-mode packet carrying `inner`.
 *
 * - AES-GCM (RFC 4106): nonce = salt (last 4 KEYMAT bytes) ‖ 8-byte IV, AAD = SPI ‖ seq,
 *   trailer aligned to 4 bytes, 16-byte tag as ICV.
 * - ChaCha20-Poly1305 (RFC 7634): the same layout with a 32-byte key and 4-byte salt.
 * - AES-CBC (RFC 3602) + HMAC (RFC 2404 / RFC 4868): 16-byte IV, trailer aligned to the block,
 *   ICV = truncated HMAC over SPI ‖ seq ‖ IV ‖ ciphertext.
 * - 3DES-CBC (RFC 2451) + HMAC-MD5-96 (RFC 2403): the same with an 8-byte IV and block.
 */
export function espPayload(sa: TestSa, seq: number, inner: Uint8Array, nextHeader = IPPROTO_ICMP): Uint8Array {
  const header = concat(be32(sa.spi), be32(seq));
  const aead = (enc: EspEncAlg): Uint8Array => {
    const keyLen = sa.encKey.length - 4;
    const key = sa.encKey.subarray(0, keyLen);
    const nonce = concat(sa.encKey.subarray(keyLen), sa.iv);
    const plain = espPlaintext(inner, nextHeader, 4);
    const sealed = enc === "aes-gcm-16" ? gcm(key, nonce, header).encrypt(plain) : chacha20poly1305(key, nonce, header).encrypt(plain);
    return concat(header, sa.iv, sealed);
  };
  switch (sa.enc) {
    case "aes-gcm-16":
    case "chacha20-poly1305":
      return aead(sa.enc);
    case "aes-cbc":
    case "3des-cbc":
    case "null": {
      const plain = espPlaintext(inner, nextHeader, sa.enc === "aes-cbc" ? 16 : sa.enc === "3des-cbc" ? 8 : 4);
      const body =
        sa.enc === "aes-cbc"
          ? concat(sa.iv, cbc(sa.encKey, sa.iv, { disablePadding: true }).encrypt(plain))
          : sa.enc === "3des-cbc"
            ? concat(sa.iv, tdesCbc(sa.encKey, sa.iv, plain))
            : plain;
      const signed = concat(header, body);
      if (sa.auth === "none") return signed;
      const mac = hmac(HMAC_HASH[sa.auth], sa.authKey, signed);
      return concat(signed, mac.subarray(0, ICV_LEN[sa.auth]));
    }
  }
}
