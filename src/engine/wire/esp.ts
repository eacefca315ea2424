/**
 * ESP, RFC 4303 §2 (Figure 1). This module handles the cleartext header and the trailer layout;
 * encryption, the IV and the ICV belong to the crypto transforms.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *    |               Security Parameters Index (SPI)                 | ^Int.
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *    |                      Sequence Number                          | |ered
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 *    |                    Payload Data* (variable)                   | |   ^
 *    ~                                                               ~ |   |
 *    |                                                               | |Conf.
 *    +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *    |               |     Padding (0-255 bytes)                     | |ered*
 *    +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 *    |                               |  Pad Length   | Next Header   | v   v
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 *    |         Integrity Check Value-ICV   (variable)                |
 *    ~                                                               ~
 *    |                                                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *    * If included in the Payload field, cryptographic synchronization
 *      data, e.g., an Initialization Vector (IV, see Section 2.3),
 *      usually is not encrypted per se, although it often is referred
 *      to as being part of the ciphertext.
 */

import { FIELD_FORMAT, defineFields, fieldsByName, readField, wireError, wireOk, writeField, type WireResult } from "./fields";

/** Bytes of the cleartext ESP header: SPI and sequence number. */
export const ESP_HEADER_LEN = 8;
/** SPIs below this are reserved: 0 for local use and never sent, 1..255 by IANA (RFC 4303 §2.1). */
export const ESP_MIN_SPI = 256;
/** RFC 4303 §2.6: next header 59 ("no next header") marks a dummy packet to be discarded. */
export const ESP_NEXT_HEADER_DUMMY = 59;

/** ESP header fields; the payload (IV first, if the transform has one) follows at offset 8. */
export const ESP_FIELDS = defineFields([
  { name: "spi", label: "Security parameters index", offset: 0, size: 4, format: FIELD_FORMAT.HEX },
  { name: "seq", label: "Sequence number", offset: 4, size: 4 },
]);

const F = fieldsByName(ESP_FIELDS);

/** The cleartext ESP header (with ESN only the low 32 bits of the sequence number are sent, §2.2.1). */
export interface EspRepr {
  spi: number;
  seq: number;
}

/** Bytes `emitEsp` writes (always `ESP_HEADER_LEN`). */
export function espHeaderLen(): number {
  return ESP_HEADER_LEN;
}

/**
 * Decode the ESP header in `bytes[offset, offset + length)`. `payloadOffset` is absolute: where
 * the IV or ciphertext starts. A reserved SPI (below 256) is "malformed" since no peer may send it.
 */
export function parseEsp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): WireResult<EspRepr & { payloadOffset: number }> {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
    return wireError("truncated", "esp", `ESP packet of ${length} bytes at ${offset} runs past the ${bytes.length}-byte buffer`);
  }
  if (length < ESP_HEADER_LEN) return wireError("truncated", "esp", `need ${ESP_HEADER_LEN} bytes for an ESP header, have ${length}`);
  const spi = readField(bytes, offset, F.spi);
  if (spi < ESP_MIN_SPI) {
    return wireError(
      "malformed",
      "esp",
      spi === 0 ? "SPI 0 is reserved for local use and must not be sent (RFC 4303 §2.1)" : `SPI ${spi} is reserved by IANA (RFC 4303 §2.1)`,
    );
  }
  return wireOk({ spi, seq: readField(bytes, offset, F.seq), payloadOffset: offset + ESP_HEADER_LEN });
}

/** Write the ESP header at `buf[offset]` and return 8. Throws RangeError for a reserved SPI, an out-of-range value or a short buffer. */
export function emitEsp(repr: EspRepr, buf: Uint8Array, offset = 0): number {
  if (!Number.isInteger(repr.spi) || repr.spi < ESP_MIN_SPI) throw new RangeError(`SPI ${repr.spi} is reserved and must not be sent (RFC 4303 §2.1)`);
  if (!Number.isInteger(offset) || offset < 0 || offset + ESP_HEADER_LEN > buf.length) {
    throw new RangeError(`esp header does not fit at ${offset} in ${buf.length}`);
  }
  writeField(buf, offset, F.spi, repr.spi);
  writeField(buf, offset, F.seq, repr.seq);
  return ESP_HEADER_LEN;
}

/**
 * The ESP trailer for `payloadLen` bytes of payload: padding 1, 2, 3, … (the default pattern of
 * RFC 4303 §2.4), then Pad Length (§2.5) and Next Header (§2.6), sized so that payload + trailer
 * is a multiple of `alignment` (the cipher block size, at least 4 so the two last fields end a
 * 32-bit word). Throws RangeError if `alignment` is not a multiple of 4 in 4..256.
 */
export function espTrailer(payloadLen: number, alignment: number, nextHeader: number): Uint8Array {
  if (!Number.isInteger(payloadLen) || payloadLen < 0) throw new RangeError(`payload length ${payloadLen} is not a byte count`);
  // 256 at most: the pad length is one octet, so at most 255 bytes of padding.
  if (!Number.isInteger(alignment) || alignment < 4 || alignment > 256 || alignment % 4 !== 0) {
    throw new RangeError(`alignment ${alignment} must be a multiple of 4 between 4 and 256`);
  }
  if (!Number.isInteger(nextHeader) || nextHeader < 0 || nextHeader > 255) throw new RangeError(`next header ${nextHeader} is not an octet`);
  const padLength = (alignment - ((payloadLen + 2) % alignment)) % alignment;
  const trailer = new Uint8Array(padLength + 2);
  for (let i = 0; i < padLength; i++) trailer[i] = i + 1;
  trailer[padLength] = padLength;
  trailer[padLength + 1] = nextHeader;
  return trailer;
}

/** A decrypted ESP payload split at its trailer (copies, not views). */
export interface EspTrailerParts {
  payload: Uint8Array;
  padLength: number;
  nextHeader: number;
  padding: Uint8Array;
}

/**
 * Split decrypted ESP plaintext (payload ‖ padding ‖ pad length ‖ next header) into its parts.
 * The padding must be 1, 2, 3, …: RFC 4303 §2.4 says a receiver SHOULD check it, and a wrong
 * pattern is the classic sign of a wrong key or a corrupted packet, so it is "malformed".
 */
export function parseEspTrailer(plaintext: Uint8Array): WireResult<EspTrailerParts> {
  const n = plaintext.length;
  if (n < 2) return wireError("truncated", "esp-trailer", `need 2 bytes for pad length and next header, have ${n}`);
  const padLength = plaintext[n - 2] ?? 0;
  const nextHeader = plaintext[n - 1] ?? 0;
  if (padLength + 2 > n) return wireError("malformed", "esp-trailer", `pad length ${padLength} exceeds the ${n - 2} bytes before it`);
  const padStart = n - 2 - padLength;
  for (let i = 0; i < padLength; i++) {
    const got = plaintext[padStart + i] ?? 0;
    if (got !== i + 1) {
      return wireError("malformed", "esp-trailer", `padding byte ${i + 1} is ${got}, expected ${i + 1} (RFC 4303 §2.4)`);
    }
  }
  return wireOk({
    payload: plaintext.slice(0, padStart),
    padLength,
    nextHeader,
    padding: plaintext.slice(padStart, n - 2),
  });
}
