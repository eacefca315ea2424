/**
 * UDP, RFC 768 (here for NAT traversal, RFC 3948: ESP in UDP on port 4500).
 *
 *     0      7 8     15 16    23 24    31
 *    +--------+--------+--------+--------+
 *    |     Source      |   Destination   |
 *    |      Port       |      Port       |
 *    +--------+--------+--------+--------+
 *    |                 |                 |
 *    |     Length      |    Checksum     |
 *    +--------+--------+--------+--------+
 *    |
 *    |          data octets ...
 *    +---------------- ...
 *
 * The checksum covers this pseudo header, the UDP header and the data; a computed 0 is sent as
 * 0xffff, and a transmitted 0 means "no checksum", which IPv4 allows (RFC 768, "Fields"):
 *
 *    +--------+--------+--------+--------+
 *    |          source address           |
 *    +--------+--------+--------+--------+
 *    |        destination address        |
 *    +--------+--------+--------+--------+
 *    |  zero  |protocol|   UDP length    |
 *    +--------+--------+--------+--------+
 */

import { onesComplementSum, pseudoHeaderSum } from "./checksum";
import { FIELD_FORMAT, IP_PROTO, defineFields, fieldsByName, readField, wireError, wireOk, writeField, type WireResult } from "./fields";

/** Bytes of the UDP header. */
export const UDP_HEADER_LEN = 8;
/** IKE and ESP-in-UDP port (RFC 3948 §2). */
export const UDP_NAT_T_PORT = 4500;

/** UDP header fields; data follows at offset 8. */
export const UDP_FIELDS = defineFields([
  { name: "srcPort", label: "Source port", offset: 0, size: 2 },
  { name: "dstPort", label: "Destination port", offset: 2, size: 2 },
  { name: "length", label: "Length", offset: 4, size: 2 },
  { name: "checksum", label: "Checksum", offset: 6, size: 2, format: FIELD_FORMAT.HEX },
]);

const F = fieldsByName(UDP_FIELDS);

/** A decoded UDP header. */
export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** Header plus data, in bytes. */
  length: number;
  /** As found (parse) or as to write (emit); 0 means none was computed. */
  checksum: number;
}

/** Bytes `emitUdp` writes (always `UDP_HEADER_LEN`). */
export function udpHeaderLen(): number {
  return UDP_HEADER_LEN;
}

/**
 * Decode the UDP header in `bytes[offset, offset + length)` (length: the IP payload length).
 * `payloadOffset` is absolute; the data ends at `offset + repr.length`, and bytes after that are
 * ignored as BSD udp_input trims them. The checksum is not verified here (see `udpChecksumOk`).
 */
export function parseUdp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): WireResult<UdpRepr & { payloadOffset: number }> {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
    return wireError("truncated", "udp", `datagram of ${length} bytes at ${offset} runs past the ${bytes.length}-byte buffer`);
  }
  if (length < UDP_HEADER_LEN) return wireError("truncated", "udp", `need ${UDP_HEADER_LEN} bytes for a UDP header, have ${length}`);
  const udpLength = readField(bytes, offset, F.length);
  if (udpLength < UDP_HEADER_LEN) return wireError("malformed", "udp", `length ${udpLength} is shorter than the UDP header`);
  if (udpLength > length) return wireError("truncated", "udp", `length is ${udpLength}, only ${length} bytes present`);
  return wireOk({
    srcPort: readField(bytes, offset, F.srcPort),
    dstPort: readField(bytes, offset, F.dstPort),
    length: udpLength,
    checksum: readField(bytes, offset, F.checksum),
    payloadOffset: offset + UDP_HEADER_LEN,
  });
}

/** Write the UDP header at `buf[offset]` with `repr.checksum` as given (see `udpChecksum`); returns 8. Throws RangeError on a bad value or short buffer. */
export function emitUdp(repr: UdpRepr, buf: Uint8Array, offset = 0): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + UDP_HEADER_LEN > buf.length) {
    throw new RangeError(`udp header does not fit at ${offset} in ${buf.length}`);
  }
  writeField(buf, offset, F.srcPort, repr.srcPort);
  writeField(buf, offset, F.dstPort, repr.dstPort);
  writeField(buf, offset, F.length, repr.length);
  writeField(buf, offset, F.checksum, repr.checksum);
  return UDP_HEADER_LEN;
}

/**
 * The checksum to store for the datagram `bytes` (header and data, exactly `length` bytes) sent
 * from `srcAddr` to `dstAddr`. The checksum field in `bytes` is skipped, so it may hold anything.
 * Never returns 0: a computed 0 is sent as 0xffff, since 0 means "no checksum" (RFC 768).
 * Throws RangeError if an address is not a dotted quad or `bytes` is not 8..65535 bytes long.
 */
export function udpChecksum(srcAddr: string, dstAddr: string, bytes: Uint8Array): number {
  if (bytes.length < UDP_HEADER_LEN || bytes.length > 0xffff) throw new RangeError(`udp datagram of ${bytes.length} bytes`);
  let sum = pseudoHeaderSum(srcAddr, dstAddr, IP_PROTO.UDP, bytes.length);
  sum = onesComplementSum(bytes, 0, 6, sum);
  sum = onesComplementSum(bytes, 8, bytes.length, sum);
  const field = ~sum & 0xffff;
  return field === 0 ? 0xffff : field;
}

/** True if the datagram `bytes` has no checksum (0, allowed over IPv4) or one that verifies; throws RangeError on a bad address. */
export function udpChecksumOk(srcAddr: string, dstAddr: string, bytes: Uint8Array): boolean {
  if (bytes.length < UDP_HEADER_LEN || bytes.length > 0xffff) return false;
  if (readField(bytes, 0, F.checksum) === 0) return true;
  return onesComplementSum(bytes, 0, bytes.length, pseudoHeaderSum(srcAddr, dstAddr, IP_PROTO.UDP, bytes.length)) === 0xffff;
}
