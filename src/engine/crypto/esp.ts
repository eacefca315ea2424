/**
 * ESP packet protection and verification (RFC 4303 §2):
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 * |               Security Parameters Index (SPI)                 | ^Int.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 * |                      Sequence Number                          | |ered
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 * |                    IV (0, 8 or 16 bytes)                      | |   ^
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 * ~                    Payload Data (variable)                    ~ |Conf.
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 * |               |     Padding (0-255 bytes: 1, 2, 3, ...)       | |ered*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 * |                               |  Pad Length   | Next Header   | v   v
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 * |         Integrity Check Value (ICV, variable)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * - AES-GCM-16 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634): nonce = salt|IV, AAD = SPI|seq
 *   (8 bytes), or SPI|seq-hi|seq-lo (12 bytes) on an SA with extended sequence numbers
 *   (RFC 4106 §5, RFC 7634 §2.1); the 16-byte tag is the ICV.
 * - AES-CBC (RFC 3602), 3DES-CBC (RFC 2451) and NULL (RFC 2410) with HMAC: encrypt-then-MAC, the ICV is the truncated
 *   HMAC over SPI|seq|IV|ciphertext (RFC 4303 §3.3.4), followed by seq-hi with ESN: the high 32
 *   bits are never sent but are appended to the ICV input (RFC 4303 §2.2.1).
 */
import { concatBytes, isU32, readU32be, u32be } from "./bytes";
import { aeadDecrypt, aeadEncrypt, aesCbcDecrypt, aesCbcEncrypt, tdesCbcDecrypt, tdesCbcEncrypt } from "./cipher";
import { authCompute, authVerify } from "./auth";
import type { AuthAlgId, EncAlgId } from "./registry";
import { authAlg, encAlg, validateKeys } from "./registry";

/** SPI (4) + sequence number (4). */
export const ESP_HEADER_BYTES = 8;
/** Pad Length (1) + Next Header (1). */
export const ESP_TRAILER_BYTES = 2;

/** The keys of one SA. `encKey` is the full KEYMAT (salt included for the AEAD algorithms). */
export interface EspSaKeys {
  enc: EncAlgId;
  encKey: Uint8Array;
  auth: AuthAlgId;
  authKey: Uint8Array;
}

/** One packet to protect. The engine derives the IV; nothing here is random. */
export interface EspSealInput {
  spi: number;
  seq: number;
  /** Exactly `ENC_ALGS[enc].ivBytes` long. */
  iv: Uint8Array;
  payload: Uint8Array;
  nextHeader: number;
  /** Overrides the padding bytes (for vectors); default RFC 4303 §2.4 monotonic 1, 2, 3, … to reach alignment. */
  padding?: Uint8Array;
  /**
   * The high 32 bits of a 64-bit extended sequence number (RFC 4303 §2.2.1), on an ESN SA only;
   * `seq` is then the low 32 bits, the only half on the wire. Undefined: a 32-bit SA.
   */
  seqHi?: number;
}

/** A protected packet, with the offsets the inspector highlights. */
export interface EspSealed {
  /** The whole ESP packet, SPI..ICV. */
  bytes: Uint8Array;
  ivOffset: number;
  ciphertextOffset: number;
  /** Start of the ICV (the AEAD tag for combined-mode algorithms); equals `bytes.length` without one. */
  icvOffset: number;
  padLength: number;
  /** What was encrypted: payload|padding|padLength|nextHeader. */
  plaintext: Uint8Array;
}

/** Why `espOpen` rejected a packet. */
export type EspOpenFailure = "truncated" | "icv-mismatch" | "bad-padding" | "bad-length";

/** The result of `espOpen`: the decrypted fields, or why the packet was dropped. */
export type EspOpenResult =
  | {
      ok: true;
      spi: number;
      seq: number;
      iv: Uint8Array;
      payload: Uint8Array;
      nextHeader: number;
      padLength: number;
      padding: Uint8Array;
      plaintext: Uint8Array;
      icv: Uint8Array;
    }
  | { ok: false; reason: EspOpenFailure; detail: string };

/** RFC 4303 §2.4 default padding: 1, 2, 3, … until payload|padding|trailer is a multiple of `align`. */
export function espDefaultPadding(payloadLength: number, align: number): Uint8Array {
  const padLength = (align - ((payloadLength + ESP_TRAILER_BYTES) % align)) % align;
  return Uint8Array.from({ length: padLength }, (_, i) => i + 1);
}

function assertKeys(keys: EspSaKeys): void {
  const problems = validateKeys(keys.enc, keys.encKey, keys.auth, keys.authKey);
  if (problems.length > 0) throw new Error(`invalid ESP SA: ${problems.join("; ")}`);
}

/**
 * Builds an ESP packet. Throws on a misconfigured SA (check `validateKeys` first), a wrong IV
 * length, an out-of-range SPI/seq/next header, or a padding override that breaks alignment:
 * those are caller bugs, not packet drops.
 */
export function espSeal(keys: EspSaKeys, input: EspSealInput): EspSealed {
  assertKeys(keys);
  const enc = encAlg(keys.enc);
  const { spi, seq, iv, payload, nextHeader } = input;
  if (!isU32(spi)) throw new Error(`ESP SPI must be a 32-bit unsigned integer; got ${spi}`);
  if (!isU32(seq)) throw new Error(`ESP sequence number must be a 32-bit unsigned integer; got ${seq}`);
  if (!Number.isInteger(nextHeader) || nextHeader < 0 || nextHeader > 255) {
    throw new Error(`ESP next header must be 0..255; got ${nextHeader}`);
  }
  if (iv.length !== enc.ivBytes) throw new Error(`${keys.enc} needs a ${enc.ivBytes}-byte IV; got ${iv.length}`);

  const padding = input.padding ?? espDefaultPadding(payload.length, enc.blockBytes);
  if (padding.length > 255) throw new Error(`ESP padding is at most 255 bytes; got ${padding.length}`);
  const plaintext = concatBytes(payload, padding, Uint8Array.of(padding.length, nextHeader));
  if (plaintext.length % enc.blockBytes !== 0) {
    throw new Error(`${keys.enc} needs payload|padding|trailer to be a multiple of ${enc.blockBytes} bytes; got ${plaintext.length}`);
  }

  const { seqHi } = input;
  if (seqHi !== undefined && !isU32(seqHi)) throw new Error(`ESP seq-hi must be a 32-bit unsigned integer; got ${seqHi}`);
  const header = concatBytes(u32be(spi), u32be(seq));
  let body: Uint8Array;
  switch (keys.enc) {
    case "aes-gcm-16":
    case "chacha20-poly1305":
      body = aeadEncrypt(keys.enc, keys.encKey, iv, aeadAad(header, seqHi), plaintext);
      break;
    case "aes-cbc":
      body = aesCbcEncrypt(keys.encKey, iv, plaintext);
      break;
    case "3des-cbc":
      body = tdesCbcEncrypt(keys.encKey, iv, plaintext);
      break;
    case "null":
      body = plaintext.slice();
      break;
    default:
      return unreachable(keys.enc);
  }
  // Encrypt-then-MAC (RFC 4303 §3.3.4); empty for "none", which AEAD SAs always use.
  const covered = concatBytes(header, iv, body);
  const icv = authCompute(keys.auth, keys.authKey, icvInput(covered, seqHi));
  const ciphertextOffset = ESP_HEADER_BYTES + iv.length;
  return {
    bytes: concatBytes(covered, icv),
    ivOffset: ESP_HEADER_BYTES,
    ciphertextOffset,
    icvOffset: ciphertextOffset + plaintext.length,
    padLength: padding.length,
    plaintext,
  };
}

/**
 * Verifies and decrypts an ESP packet (SPI..ICV). The integrity check runs before any
 * decryption (RFC 4303 §3.4.4) and compares in constant time. Throws only on a misconfigured SA;
 * every property of the packet itself is reported as `{ ok: false }`.
 */
export function espOpen(keys: EspSaKeys, esp: Uint8Array, seqHi?: number): EspOpenResult {
  assertKeys(keys);
  // seq-hi is the receiver's inference from its window (RFC 4303 Appendix A2.2), never read off the packet.
  if (seqHi !== undefined && !isU32(seqHi)) throw new Error(`ESP seq-hi must be a 32-bit unsigned integer; got ${seqHi}`);
  const enc = encAlg(keys.enc);
  const icvBytes = enc.aead ? enc.icvBytes : authAlg(keys.auth).icvBytes;
  const minimum = ESP_HEADER_BYTES + enc.ivBytes + icvBytes;
  if (esp.length < minimum) {
    return fail(
      "truncated",
      `${keys.enc}/${keys.auth} ESP needs at least ${minimum} bytes (${ESP_HEADER_BYTES} header + ${enc.ivBytes} IV + ${icvBytes} ICV); got ${esp.length}`,
    );
  }
  const header = esp.subarray(0, ESP_HEADER_BYTES);
  const ciphertextOffset = ESP_HEADER_BYTES + enc.ivBytes;
  const icvOffset = esp.length - icvBytes;
  const iv = esp.slice(ESP_HEADER_BYTES, ciphertextOffset);
  const body = esp.subarray(ciphertextOffset, icvOffset);
  const icv = esp.slice(icvOffset);

  let plaintext: Uint8Array;
  switch (keys.enc) {
    case "aes-gcm-16":
    case "chacha20-poly1305": {
      // The AEAD open verifies the tag over AAD and ciphertext before releasing any plaintext.
      const opened = aeadDecrypt(keys.enc, keys.encKey, iv, aeadAad(header, seqHi), esp.subarray(ciphertextOffset));
      if (opened === null) return fail("icv-mismatch", `${keys.enc} tag does not verify (wrong key, or the packet was modified)`);
      plaintext = opened;
      break;
    }
    case "aes-cbc":
    case "3des-cbc":
    case "null": {
      if (icvBytes > 0 && !authVerify(keys.auth, keys.authKey, icvInput(esp.subarray(0, icvOffset), seqHi), icv)) {
        return fail("icv-mismatch", `${keys.auth} ICV does not verify (wrong key, or the packet was modified)`);
      }
      // Only CBC needs whole blocks to decrypt; like most stacks we do not reject a NULL
      // payload for missing 4-byte alignment, which RFC 4303 §2.4 asks of the sender.
      if (keys.enc !== "null" && (body.length === 0 || body.length % enc.blockBytes !== 0)) {
        return fail("bad-length", `${keys.enc} ciphertext must be a non-zero multiple of ${enc.blockBytes} bytes; got ${body.length}`);
      }
      plaintext =
        keys.enc === "aes-cbc"
          ? aesCbcDecrypt(keys.encKey, iv, body)
          : keys.enc === "3des-cbc"
            ? tdesCbcDecrypt(keys.encKey, iv, body)
            : body.slice();
      break;
    }
    default:
      return unreachable(keys.enc);
  }

  const trailer = espParseTrailer(plaintext);
  if (!trailer.ok) return trailer;
  return { ...trailer, spi: readU32be(esp, 0), seq: readU32be(esp, 4), iv, plaintext, icv };
}

/** The decrypted payload's parts: what `espParseTrailer` reads off the trailer. */
export type EspTrailer =
  | { ok: true; payload: Uint8Array; nextHeader: number; padLength: number; padding: Uint8Array }
  | { ok: false; reason: EspOpenFailure; detail: string };

/**
 * Read pad length and next header off a decrypted payload|padding|padLength|nextHeader and check
 * the padding (RFC 4303 §2.4) — what esp_input_cb does after the cipher, or after a NIC decrypted
 * the packet for it (FreeBSD xform_esp.c: "Verify pad length", "Verify correct decryption by
 * checking the last padding bytes").
 */
export function espParseTrailer(plaintext: Uint8Array): EspTrailer {
  if (plaintext.length < ESP_TRAILER_BYTES) {
    return fail("bad-length", `decrypted ESP payload is ${plaintext.length} bytes, shorter than the 2-byte trailer`);
  }
  const padLength = plaintext[plaintext.length - 2] ?? 0;
  const nextHeader = plaintext[plaintext.length - 1] ?? 0;
  const padEnd = plaintext.length - ESP_TRAILER_BYTES;
  if (padLength > padEnd) {
    return fail("bad-padding", `pad length ${padLength} is more than the ${padEnd} bytes before the trailer`);
  }
  const padding = plaintext.slice(padEnd - padLength, padEnd);
  // RFC 4303 §2.4: the receiver SHOULD check the default 1, 2, 3, … padding.
  for (let i = 0; i < padding.length; i++) {
    if (padding[i] !== i + 1) {
      return fail("bad-padding", `padding byte ${i + 1} of ${padLength} is ${padding[i]}, expected ${i + 1} (RFC 4303 §2.4 monotonic padding)`);
    }
  }
  return { ok: true, payload: plaintext.slice(0, padEnd - padLength), nextHeader, padLength, padding };
}

/** RFC 4106 §5 / RFC 7634 §2.1: AAD is SPI|seq (8 bytes), or SPI|seq-hi|seq-lo (12 bytes) with ESN. */
function aeadAad(header: Uint8Array, seqHi: number | undefined): Uint8Array {
  if (seqHi === undefined) return header;
  return concatBytes(header.subarray(0, 4), u32be(seqHi), header.subarray(4, 8));
}

/** RFC 4303 §2.2.1: with ESN the (unsent) high 32 bits follow the packet in the ICV computation. */
function icvInput(covered: Uint8Array, seqHi: number | undefined): Uint8Array {
  return seqHi === undefined ? covered : concatBytes(covered, u32be(seqHi));
}

function fail(reason: EspOpenFailure, detail: string): { ok: false; reason: EspOpenFailure; detail: string } {
  return { ok: false, reason, detail };
}

function unreachable(value: never): never {
  throw new Error(`unknown ESP transform: ${String(value)}`);
}
