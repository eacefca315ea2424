/**
 * IPv4 header, RFC 791 §3.1 (Figure 4):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |Version|  IHL  |Type of Service|          Total Length         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         Identification        |Flags|      Fragment Offset    |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  Time to Live |    Protocol   |         Header Checksum       |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                       Source Address                          |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Destination Address                        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Options                    |    Padding    |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags (RFC 791 §3.1): bit 0 reserved, must be zero; bit 1 DF (Don't Fragment); bit 2 MF (More
 * Fragments). Fragment Offset is in units of 8 octets. IHL is in 32-bit words (minimum 5).
 */

import { checksumOk, internetChecksum } from "./checksum";
import {
  FIELD_FORMAT,
  defineFields,
  fieldsByName,
  formatIpv4Addr,
  ipv4AddrOrThrow,
  readField,
  wireError,
  wireOk,
  writeField,
  type WireResult,
} from "./fields";

/** Length of an IPv4 header without options (IHL = 5). */
export const IPV4_MIN_HEADER_LEN = 20;
/** Longest IPv4 header: IHL is 4 bits, so 15 words. */
export const IPV4_MAX_HEADER_LEN = 60;

/** IPv4 header fields, in wire order; options follow at offset 20 as a variable-length region. */
export const IPV4_FIELDS = defineFields([
  { name: "version", label: "Version", offset: 0, size: 1, bitOffset: 0, bitWidth: 4 },
  { name: "ihl", label: "Header length (words)", offset: 0, size: 1, bitOffset: 4, bitWidth: 4 },
  { name: "tos", label: "Type of service", offset: 1, size: 1, format: FIELD_FORMAT.HEX },
  { name: "totalLength", label: "Total length", offset: 2, size: 2 },
  { name: "id", label: "Identification", offset: 4, size: 2, format: FIELD_FORMAT.HEX },
  { name: "reserved", label: "Reserved flag", offset: 6, size: 2, bitOffset: 0, bitWidth: 1, format: FIELD_FORMAT.FLAG },
  { name: "df", label: "Don't fragment", offset: 6, size: 2, bitOffset: 1, bitWidth: 1, format: FIELD_FORMAT.FLAG },
  { name: "mf", label: "More fragments", offset: 6, size: 2, bitOffset: 2, bitWidth: 1, format: FIELD_FORMAT.FLAG },
  { name: "fragOffset", label: "Fragment offset (8-byte units)", offset: 6, size: 2, bitOffset: 3, bitWidth: 13 },
  { name: "ttl", label: "Time to live", offset: 8, size: 1 },
  { name: "protocol", label: "Protocol", offset: 9, size: 1 },
  { name: "checksum", label: "Header checksum", offset: 10, size: 2, format: FIELD_FORMAT.HEX },
  { name: "src", label: "Source address", offset: 12, size: 4, format: FIELD_FORMAT.IPV4 },
  { name: "dst", label: "Destination address", offset: 16, size: 4, format: FIELD_FORMAT.IPV4 },
]);

/** Name of a field in `IPV4_FIELDS`. */
export type Ipv4FieldName = (typeof IPV4_FIELDS)[number]["name"];

const F = fieldsByName(IPV4_FIELDS);

/**
 * Fields an AH ICV computation zeroes because routers may change them in transit
 * (RFC 4302 §3.3.3.1.1.1): TOS, all three flag bits, fragment offset, TTL and header checksum.
 */
export const IPV4_MUTABLE_FIELDS: readonly Ipv4FieldName[] = ["tos", "reserved", "df", "mf", "fragOffset", "ttl", "checksum"];

/** A decoded IPv4 header. Version is always 4 and IHL follows from `options.length`. */
export interface Ipv4Repr {
  /** Type of service octet (DSCP + ECN today). */
  tos: number;
  /** Header plus payload, in bytes. */
  totalLength: number;
  /** Identification, for reassembly. */
  id: number;
  /** Don't Fragment. */
  df: boolean;
  /** More Fragments. */
  mf: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset: number;
  /** Time to live. */
  ttl: number;
  /** Payload protocol (`IP_PROTO`). */
  protocol: number;
  /** Header checksum as found (parse) or as to write when `fillChecksum` is false (emit). */
  checksum: number;
  /** Source address, dotted quad. */
  src: string;
  /** Destination address, dotted quad. */
  dst: string;
  /** Raw option bytes, padding included; length is a multiple of 4, at most 40. */
  options: Uint8Array;
}

/** Header length in bytes that `emitIpv4` writes for `repr`. */
export function ipv4HeaderLen(repr: Pick<Ipv4Repr, "options">): number {
  return IPV4_MIN_HEADER_LEN + repr.options.length;
}

/**
 * Decode the IPv4 header at `bytes[offset]`; the packet is taken to end at `bytes.length`.
 * A bad checksum is not an error here: `ip_input` decides (see `ipv4ChecksumOk`), and the
 * inspector must still show a corrupted header.
 */
export function parseIpv4(bytes: Uint8Array, offset = 0): WireResult<Ipv4Repr> {
  const available = bytes.length - offset;
  if (!Number.isInteger(offset) || offset < 0 || available < IPV4_MIN_HEADER_LEN) {
    return wireError("truncated", "ipv4", `need ${IPV4_MIN_HEADER_LEN} bytes for an IPv4 header, have ${Math.max(0, available)}`);
  }
  const version = readField(bytes, offset, F.version);
  if (version !== 4) return wireError("malformed", "ipv4", `version is ${version}, not 4`);
  const headerLen = readField(bytes, offset, F.ihl) * 4;
  if (headerLen < IPV4_MIN_HEADER_LEN) return wireError("malformed", "ipv4", `header length ${headerLen} is below 20`);
  if (available < headerLen) return wireError("truncated", "ipv4", `header length is ${headerLen}, only ${available} bytes present`);
  const totalLength = readField(bytes, offset, F.totalLength);
  if (totalLength < headerLen) {
    return wireError("malformed", "ipv4", `total length ${totalLength} is shorter than the ${headerLen}-byte header`);
  }
  if (totalLength > available) return wireError("truncated", "ipv4", `total length is ${totalLength}, only ${available} bytes present`);
  // The reserved flag is not checked: BSD ip_input ignores it too, and the inspector shows it.
  // Any TTL is accepted; whether 0 means "drop" is ip_input's routing decision, not a format error.
  return wireOk({
    tos: readField(bytes, offset, F.tos),
    totalLength,
    id: readField(bytes, offset, F.id),
    df: readField(bytes, offset, F.df) === 1,
    mf: readField(bytes, offset, F.mf) === 1,
    fragOffset: readField(bytes, offset, F.fragOffset),
    ttl: readField(bytes, offset, F.ttl),
    protocol: readField(bytes, offset, F.protocol),
    checksum: readField(bytes, offset, F.checksum),
    src: formatIpv4Addr(readField(bytes, offset, F.src)),
    dst: formatIpv4Addr(readField(bytes, offset, F.dst)),
    options: bytes.slice(offset + IPV4_MIN_HEADER_LEN, offset + headerLen),
  });
}

/**
 * Write `repr` as an IPv4 header at `buf[offset]` and return its length. With `fillChecksum`
 * (the default) the checksum is computed over the written header, else `repr.checksum` is stored.
 * Throws RangeError if a value does not fit its field, an address is not a dotted quad, the
 * options are not a multiple of 4 bytes up to 40, or the header does not fit in `buf`.
 */
export function emitIpv4(repr: Ipv4Repr, buf: Uint8Array, offset = 0, opts?: { fillChecksum?: boolean }): number {
  const headerLen = ipv4HeaderLen(repr);
  if (repr.options.length % 4 !== 0 || headerLen > IPV4_MAX_HEADER_LEN) {
    throw new RangeError(`ipv4 options must be a multiple of 4 bytes up to 40, got ${repr.options.length}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + headerLen > buf.length) {
    throw new RangeError(`ipv4 header of ${headerLen} bytes does not fit at ${offset} in ${buf.length}`);
  }
  const fill = opts?.fillChecksum ?? true;
  writeField(buf, offset, F.version, 4);
  writeField(buf, offset, F.ihl, headerLen / 4);
  writeField(buf, offset, F.tos, repr.tos);
  writeField(buf, offset, F.totalLength, repr.totalLength);
  writeField(buf, offset, F.id, repr.id);
  writeField(buf, offset, F.reserved, 0);
  writeField(buf, offset, F.df, repr.df ? 1 : 0);
  writeField(buf, offset, F.mf, repr.mf ? 1 : 0);
  writeField(buf, offset, F.fragOffset, repr.fragOffset);
  writeField(buf, offset, F.ttl, repr.ttl);
  writeField(buf, offset, F.protocol, repr.protocol);
  writeField(buf, offset, F.checksum, fill ? 0 : repr.checksum);
  writeField(buf, offset, F.src, ipv4AddrOrThrow(repr.src, "ipv4 src"));
  writeField(buf, offset, F.dst, ipv4AddrOrThrow(repr.dst, "ipv4 dst"));
  buf.set(repr.options, offset + IPV4_MIN_HEADER_LEN);
  if (fill) writeField(buf, offset, F.checksum, internetChecksum(buf, offset, offset + headerLen));
  return headerLen;
}

/** True if the IPv4 header at `bytes[offset]` is complete and its checksum verifies. */
export function ipv4ChecksumOk(bytes: Uint8Array, offset = 0): boolean {
  if (!Number.isInteger(offset) || offset < 0 || bytes.length - offset < IPV4_MIN_HEADER_LEN) return false;
  const headerLen = readField(bytes, offset, F.ihl) * 4;
  if (headerLen < IPV4_MIN_HEADER_LEN || offset + headerLen > bytes.length) return false;
  return checksumOk(bytes, offset, offset + headerLen);
}

/**
 * Zero the mutable fields (`IPV4_MUTABLE_FIELDS`) of the IPv4 header at `bytes[offset]` in place,
 * as AH does before computing or checking its ICV (RFC 4302 §3.3.3.1.1.1). Options are left as
 * they are: callers that emit mutable options must zero those themselves (§3.3.3.1.1.2).
 */
export function zeroIpv4MutableFields(bytes: Uint8Array, offset = 0): void {
  for (const name of IPV4_MUTABLE_FIELDS) writeField(bytes, offset, F[name], 0);
}
