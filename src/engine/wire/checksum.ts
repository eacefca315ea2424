/**
 * The Internet checksum, RFC 1071 §1 and §4.1: the 16-bit one's complement of the one's
 * complement sum of the data taken as big-endian 16-bit words, an odd last byte padded with zero.
 *
 *     byte:   A      B      C      D     ...    Z (odd length)
 *     words: [A,B] + [C,D] + ...          + [Z,0]     (one's complement addition)
 *     field: ~sum & 0xffff
 *
 * Used by IPv4 (RFC 791 §3.1, header only), ICMP (RFC 792, whole message) and UDP (RFC 768,
 * pseudo header + datagram). The sum is order independent and can be built in pieces
 * (RFC 1071 §2(B), §2(C)), which is what `initial` is for.
 */

import { ipv4AddrOrThrow } from "./fields";

/** The folded 16-bit one's complement sum of `bytes[start, end)`, added to the partial sum `initial`. */
export function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > bytes.length) {
    throw new RangeError(`checksum range ${start}..${end} outside 0..${bytes.length}`);
  }
  if (!Number.isInteger(initial) || initial < 0 || initial > 0xffff) throw new RangeError(`initial sum ${initial} is not 16-bit`);
  // Deferred carries (RFC 1071 §2(C)): a JS number holds 2^53, so fold once at the end.
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (i < end) sum += (bytes[i] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The value to store in a checksum field: one's complement of the sum of `bytes[start, end)` plus `initial`. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

/** True if `bytes[start, end)`, checksum field included, sums to all ones (RFC 1071 §1(3)). */
export function checksumOk(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  return onesComplementSum(bytes, start, end) === 0xffff;
}

/**
 * The one's complement sum of the IPv4 pseudo header a transport checksum covers — source,
 * destination, zero, protocol, transport length (RFC 768 for UDP, RFC 793 §3.1 for TCP).
 * Throws RangeError if an address is not a dotted quad.
 */
export function pseudoHeaderSum(src: string, dst: string, proto: number, length: number): number {
  const p = new Uint8Array(12);
  const v = new DataView(p.buffer);
  v.setUint32(0, ipv4AddrOrThrow(src, "pseudo header src"));
  v.setUint32(4, ipv4AddrOrThrow(dst, "pseudo header dst"));
  v.setUint8(9, proto);
  v.setUint16(10, length);
  return onesComplementSum(p);
}
