/**
 * AH, RFC 4302 §2 (Figure 1):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    | Next Header   |  Payload Len  |          RESERVED             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                 Security Parameters Index (SPI)               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Sequence Number Field                      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                                                               |
 *    +                Integrity Check Value-ICV (variable)           |
 *    |                                                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Len is the AH length in 32-bit words minus 2 (§2.2). For IPv4 the whole header, ICV
 * included, is a multiple of 32 bits; the ICV field carries any padding needed (§2.6).
 */

import { FIELD_FORMAT, defineFields, fieldsByName, readField, wireError, wireOk, writeField, type WireResult } from "./fields";

/** Bytes of AH before the ICV. */
export const AH_FIXED_LEN = 12;
/** SPIs below this are reserved, as for ESP (RFC 4302 §2.4). */
export const AH_MIN_SPI = 256;

/** AH fields before the ICV; the ICV is the variable region from offset 12 to `ahHeaderLen`. */
export const AH_FIELDS = defineFields([
  { name: "nextHeader", label: "Next header", offset: 0, size: 1 },
  { name: "payloadLen", label: "Payload length (words − 2)", offset: 1, size: 1 },
  { name: "reserved", label: "Reserved", offset: 2, size: 2, format: FIELD_FORMAT.HEX },
  { name: "spi", label: "Security parameters index", offset: 4, size: 4, format: FIELD_FORMAT.HEX },
  { name: "seq", label: "Sequence number", offset: 8, size: 4 },
]);

const F = fieldsByName(AH_FIELDS);

/** A decoded AH header. */
export interface AhRepr {
  /** Protocol of what AH protects (`IP_PROTO`). */
  nextHeader: number;
  /** AH length in 32-bit words minus 2; always `ahPayloadLenFor(icv.length)`. */
  payloadLen: number;
  spi: number;
  seq: number;
  /** The ICV field, padding included (a multiple of 4 bytes for IPv4). */
  icv: Uint8Array;
}

/** Bytes of an AH header carrying an ICV of `icvLen` bytes, rounded up to 32 bits for IPv4 (§2.6). */
export function ahHeaderLen(icvLen: number): number {
  if (!Number.isInteger(icvLen) || icvLen < 0) throw new RangeError(`ICV length ${icvLen} is not a byte count`);
  return AH_FIXED_LEN + Math.ceil(icvLen / 4) * 4;
}

/** The Payload Len value for an ICV of `icvLen` bytes: header words minus 2 (§2.2). */
export function ahPayloadLenFor(icvLen: number): number {
  return ahHeaderLen(icvLen) / 4 - 2;
}

/**
 * Decode the AH header in `bytes[offset, offset + length)`; the protected payload starts at
 * `offset + ahHeaderLen(icv.length)`. The reserved field is not checked: §2.3 says the receiver
 * ignores it (it is still covered by the ICV).
 */
export function parseAh(bytes: Uint8Array, offset = 0, length = bytes.length - offset): WireResult<AhRepr> {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
    return wireError("truncated", "ah", `AH packet of ${length} bytes at ${offset} runs past the ${bytes.length}-byte buffer`);
  }
  if (length < AH_FIXED_LEN) return wireError("truncated", "ah", `need ${AH_FIXED_LEN} bytes for an AH header, have ${length}`);
  const payloadLen = readField(bytes, offset, F.payloadLen);
  const headerLen = (payloadLen + 2) * 4;
  // payloadLen 1 is a 12-byte AH with no ICV (the "null" algorithm, §2.2); 0 cannot hold the fixed part.
  if (headerLen < AH_FIXED_LEN) return wireError("malformed", "ah", `payload length ${payloadLen} is shorter than the fixed AH header`);
  if (headerLen > length) return wireError("truncated", "ah", `AH header is ${headerLen} bytes, only ${length} present`);
  const spi = readField(bytes, offset, F.spi);
  if (spi < AH_MIN_SPI)
    return wireError(
      "malformed",
      "ah",
      spi === 0 ? "SPI 0 is reserved and must not be sent (RFC 4302 §2.4)" : `SPI ${spi} is reserved by IANA (RFC 4302 §2.4)`,
    );
  return wireOk({
    nextHeader: readField(bytes, offset, F.nextHeader),
    payloadLen,
    spi,
    seq: readField(bytes, offset, F.seq),
    icv: bytes.slice(offset + AH_FIXED_LEN, offset + headerLen),
  });
}

/**
 * Write `repr` at `buf[offset]`, reserved field zero (§2.3), and return the header length.
 * Throws RangeError if the ICV is not a multiple of 4 bytes, `payloadLen` disagrees with it, the
 * SPI is reserved, a value does not fit, or `buf` is too short.
 */
export function emitAh(repr: AhRepr, buf: Uint8Array, offset = 0): number {
  // Padding is the caller's: it is part of the ICV field and so of what the peer checks.
  if (repr.icv.length % 4 !== 0) throw new RangeError(`AH ICV of ${repr.icv.length} bytes is not a multiple of 4 (RFC 4302 §2.6)`);
  if (repr.payloadLen !== ahPayloadLenFor(repr.icv.length)) {
    throw new RangeError(
      `AH payload length ${repr.payloadLen} disagrees with a ${repr.icv.length}-byte ICV (want ${ahPayloadLenFor(repr.icv.length)})`,
    );
  }
  if (!Number.isInteger(repr.spi) || repr.spi < AH_MIN_SPI) throw new RangeError(`SPI ${repr.spi} is reserved and must not be sent (RFC 4302 §2.4)`);
  const headerLen = ahHeaderLen(repr.icv.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + headerLen > buf.length) {
    throw new RangeError(`AH header of ${headerLen} bytes does not fit at ${offset} in ${buf.length}`);
  }
  writeField(buf, offset, F.nextHeader, repr.nextHeader);
  writeField(buf, offset, F.payloadLen, repr.payloadLen);
  writeField(buf, offset, F.reserved, 0);
  writeField(buf, offset, F.spi, repr.spi);
  writeField(buf, offset, F.seq, repr.seq);
  buf.set(repr.icv, offset + AH_FIXED_LEN);
  return headerLen;
}
