/**
 * ICMP messages, RFC 792. Every message starts with type, code and checksum; the checksum
 * covers the whole ICMP message (RFC 792, "Checksum").
 *
 * Echo and echo reply (RFC 792 p.14):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Type      |     Code      |          Checksum             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           Identifier          |        Sequence Number        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Data ...
 *    +-+-+-+-+-
 *
 * Destination unreachable (RFC 792 p.4), source quench (p.9) and time exceeded (p.6); for
 * type 3 code 4 the low half of the second word is the next-hop MTU (RFC 1191 §4):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Type      |     Code      |          Checksum             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           unused = 0          |         Next-Hop MTU          |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |      Internet Header + 64 bits of Original Data Datagram      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

import { checksumOk, internetChecksum } from "./checksum";
import { FIELD_FORMAT, defineFields, fieldsByName, readField, wireError, wireOk, writeField, type WireResult } from "./fields";

/** ICMP message types tagflow names (RFC 792). */
export const ICMP_TYPE = {
  ECHO_REPLY: 0,
  DEST_UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
} as const;
/** A named ICMP type. */
export type IcmpType = (typeof ICMP_TYPE)[keyof typeof ICMP_TYPE];

/** Destination-unreachable codes, with BSD `ICMP_UNREACH_*` names (RFC 792 p.4, RFC 1191 §4). */
export const ICMP_UNREACH = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, NEEDFRAG: 4, SRCFAIL: 5 } as const;
/** A named destination-unreachable code. */
export type IcmpUnreachCode = (typeof ICMP_UNREACH)[keyof typeof ICMP_UNREACH];

/** Every ICMP message is at least this long: type, code, checksum and one more word (BSD ICMP_MINLEN). */
export const ICMP_MIN_LEN = 8;

/** The type/code/checksum word every ICMP message starts with. */
export const ICMP_COMMON_FIELDS = defineFields([
  { name: "type", label: "Type", offset: 0, size: 1 },
  { name: "code", label: "Code", offset: 1, size: 1 },
  { name: "checksum", label: "Checksum", offset: 2, size: 2, format: FIELD_FORMAT.HEX },
]);

/** Echo request/reply header fields; the data follows at offset 8. */
export const ICMP_ECHO_FIELDS = defineFields([
  ...ICMP_COMMON_FIELDS,
  { name: "id", label: "Identifier", offset: 4, size: 2, format: FIELD_FORMAT.HEX },
  { name: "seq", label: "Sequence number", offset: 6, size: 2 },
]);

/** Error header fields (unreachable, source quench, time exceeded); the quoted datagram follows at offset 8. */
export const ICMP_ERROR_FIELDS = defineFields([
  ...ICMP_COMMON_FIELDS,
  { name: "unused", label: "Unused", offset: 4, size: 2, format: FIELD_FORMAT.HEX },
  { name: "nextHopMtu", label: "Next-hop MTU", offset: 6, size: 2 },
]);

const C = fieldsByName(ICMP_COMMON_FIELDS);
const E = fieldsByName(ICMP_ECHO_FIELDS);
const X = fieldsByName(ICMP_ERROR_FIELDS);

/** Echo request (8) or echo reply (0). */
export interface IcmpEchoRepr {
  kind: "echo";
  type: 0 | 8;
  code: number;
  checksum: number;
  id: number;
  seq: number;
  /** Echo data, returned unchanged in the reply (RFC 792 p.14). */
  data: Uint8Array;
}

/** An error that quotes the offending datagram: destination unreachable, source quench, time exceeded. */
export interface IcmpErrorRepr {
  kind: "error";
  type: 3 | 4 | 11;
  code: number;
  checksum: number;
  /** RFC 1191 §4 next-hop MTU; 0 unless type 3 code 4 (needfrag). */
  nextHopMtu: number;
  /** The quoted datagram: its IP header and at least its first 64 bits of data. */
  original: Uint8Array;
}

/** Any other message, kept whole after the checksum so nothing is lost. */
export interface IcmpOtherRepr {
  kind: "other";
  type: number;
  code: number;
  checksum: number;
  /** Bytes 4.. of the message (at least 4). */
  rest: Uint8Array;
}

/** A decoded ICMP message. */
export type IcmpRepr = IcmpEchoRepr | IcmpErrorRepr | IcmpOtherRepr;

/** Types decoded as `kind: "error"`. Redirect and parameter problem carry a gateway or pointer in word 2, so they stay "other". */
function isErrorType(type: number): type is IcmpErrorRepr["type"] {
  return type === ICMP_TYPE.DEST_UNREACH || type === ICMP_TYPE.SOURCE_QUENCH || type === ICMP_TYPE.TIME_EXCEEDED;
}

/** Bytes `emitIcmp` writes for `repr`. */
export function icmpLen(repr: IcmpRepr): number {
  switch (repr.kind) {
    case "echo":
      return ICMP_MIN_LEN + repr.data.length;
    case "error":
      return ICMP_MIN_LEN + repr.original.length;
    case "other":
      return 4 + repr.rest.length;
  }
}

/**
 * Decode the ICMP message in `bytes[offset, offset + length)` (length: the IP payload length).
 * The checksum is not verified here (see `icmpChecksumOk`); icmp_input decides what a bad one means.
 */
export function parseIcmp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): WireResult<IcmpRepr> {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
    return wireError("truncated", "icmp", `message of ${length} bytes at ${offset} runs past the ${bytes.length}-byte buffer`);
  }
  if (length < ICMP_MIN_LEN) return wireError("truncated", "icmp", `need ${ICMP_MIN_LEN} bytes for an ICMP header, have ${length}`);
  const type = readField(bytes, offset, C.type);
  const code = readField(bytes, offset, C.code);
  const checksum = readField(bytes, offset, C.checksum);
  const end = offset + length;
  if (type === ICMP_TYPE.ECHO_REQUEST || type === ICMP_TYPE.ECHO_REPLY) {
    return wireOk({
      kind: "echo",
      type,
      code,
      checksum,
      id: readField(bytes, offset, E.id),
      seq: readField(bytes, offset, E.seq),
      data: bytes.slice(offset + ICMP_MIN_LEN, end),
    });
  }
  if (isErrorType(type)) {
    // The unused bits are ignored, not rejected: RFC 792 gives them no meaning to check, and
    // pre-RFC 1191 routers send needfrag with an MTU of 0, which the receiver must handle.
    const needfrag = type === ICMP_TYPE.DEST_UNREACH && code === ICMP_UNREACH.NEEDFRAG;
    return wireOk({
      kind: "error",
      type,
      code,
      checksum,
      nextHopMtu: needfrag ? readField(bytes, offset, X.nextHopMtu) : 0,
      original: bytes.slice(offset + ICMP_MIN_LEN, end),
    });
  }
  return wireOk({ kind: "other", type, code, checksum, rest: bytes.slice(offset + 4, end) });
}

/**
 * Write `repr` at `buf[offset]` and return its length. With `fillChecksum` (the default) the
 * checksum is computed over the whole message, else `repr.checksum` is stored. Throws RangeError
 * if a value does not fit, a non-needfrag error has a next-hop MTU, an "other" message has
 * fewer than 4 rest bytes, or `buf` is too short.
 */
export function emitIcmp(repr: IcmpRepr, buf: Uint8Array, offset = 0, opts?: { fillChecksum?: boolean }): number {
  const len = icmpLen(repr);
  if (len < ICMP_MIN_LEN) throw new RangeError(`icmp message of ${len} bytes is shorter than ${ICMP_MIN_LEN}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + len > buf.length) {
    throw new RangeError(`icmp message of ${len} bytes does not fit at ${offset} in ${buf.length}`);
  }
  // parseIcmp reads the MTU only for needfrag; refusing it elsewhere keeps parse(emit(r)) == r.
  if (repr.kind === "error" && repr.nextHopMtu !== 0 && !(repr.type === ICMP_TYPE.DEST_UNREACH && repr.code === ICMP_UNREACH.NEEDFRAG)) {
    throw new RangeError(`icmp ${icmpTypeName(repr.type, repr.code)} has no next-hop MTU field`);
  }
  const fill = opts?.fillChecksum ?? true;
  writeField(buf, offset, C.type, repr.type);
  writeField(buf, offset, C.code, repr.code);
  writeField(buf, offset, C.checksum, fill ? 0 : repr.checksum);
  switch (repr.kind) {
    case "echo":
      writeField(buf, offset, E.id, repr.id);
      writeField(buf, offset, E.seq, repr.seq);
      buf.set(repr.data, offset + ICMP_MIN_LEN);
      break;
    case "error":
      writeField(buf, offset, X.unused, 0);
      writeField(buf, offset, X.nextHopMtu, repr.nextHopMtu);
      buf.set(repr.original, offset + ICMP_MIN_LEN);
      break;
    case "other":
      buf.set(repr.rest, offset + 4);
      break;
  }
  if (fill) writeField(buf, offset, C.checksum, internetChecksum(buf, offset, offset + len));
  return len;
}

/** True if the ICMP message in `bytes[offset, offset + length)` is in bounds and its checksum verifies. */
export function icmpChecksumOk(bytes: Uint8Array, offset = 0, length = bytes.length - offset): boolean {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) return false;
  return checksumOk(bytes, offset, offset + length);
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ICMP_TYPE.ECHO_REPLY]: "echo reply",
  [ICMP_TYPE.DEST_UNREACH]: "destination unreachable",
  [ICMP_TYPE.SOURCE_QUENCH]: "source quench",
  [ICMP_TYPE.REDIRECT]: "redirect",
  [ICMP_TYPE.ECHO_REQUEST]: "echo request",
  [ICMP_TYPE.TIME_EXCEEDED]: "time exceeded",
  [ICMP_TYPE.PARAM_PROBLEM]: "parameter problem",
};

const UNREACH_NAMES: Readonly<Record<number, string>> = {
  [ICMP_UNREACH.NET]: "net",
  [ICMP_UNREACH.HOST]: "host",
  [ICMP_UNREACH.PROTOCOL]: "protocol",
  [ICMP_UNREACH.PORT]: "port",
  [ICMP_UNREACH.NEEDFRAG]: "needfrag",
  [ICMP_UNREACH.SRCFAIL]: "srcfail",
};

/** Time-exceeded codes (RFC 792 p.6): 0 TTL exceeded in transit, 1 reassembly time exceeded. */
const TIMXCEED_NAMES: Readonly<Record<number, string>> = { 0: "in transit", 1: "reassembly" };

/** Plain name of an ICMP type alone ("destination unreachable"), or `type ${type}`. */
export function icmpTypeLabel(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** Plain name of a code where the type defines names for its codes ("needfrag", "in transit"), else undefined. */
export function icmpCodeLabel(type: number, code: number): string | undefined {
  if (type === ICMP_TYPE.DEST_UNREACH) return UNREACH_NAMES[code];
  if (type === ICMP_TYPE.TIME_EXCEEDED) return TIMXCEED_NAMES[code];
  return undefined;
}

/** Plain name of an ICMP type and code: "echo request", "destination unreachable (needfrag)", `type 42 code 0`. */
export function icmpTypeName(type: number, code: number): string {
  const name = TYPE_NAMES[type];
  if (name === undefined) return `type ${type} code ${code}`;
  const codeName = icmpCodeLabel(type, code);
  if (codeName !== undefined) return `${name} (${codeName})`;
  // Show a nonzero code rather than hide it, even where RFC 792 defines only code 0.
  return code === 0 ? name : `${name} (code ${code})`;
}
