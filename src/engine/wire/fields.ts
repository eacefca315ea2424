/**
 * Field tables: the one description of a header's layout that both `emit*` and the inspector use.
 *
 * A header is a list of `FieldSpec`s, each naming a byte range (and, for bitfields, a bit range
 * inside a big-endian word), exactly as the RFC diagrams draw them, e.g. RFC 791 §3.1:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |Version|  IHL  |Type of Service|          Total Length         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * is `{ name: "version", offset: 0, size: 1, bitOffset: 0, bitWidth: 4 }`,
 * `{ name: "ihl", offset: 0, size: 1, bitOffset: 4, bitWidth: 4 }`, `{ name: "tos", offset: 1, size: 1 }`
 * and `{ name: "totalLength", offset: 2, size: 2 }`. All multi-byte values are in network byte
 * order (RFC 791 Appendix B). `emit*` writes every field through `writeField`, so a table that
 * forgets a field shows up as an unwritten byte in the tests and in the inspector alike.
 *
 * This file also holds what every wire module shares: `WireResult`, address and hex helpers, and
 * the IP protocol numbers (IANA "Assigned Internet Protocol Numbers", RFC 790 lineage).
 */

/** One header field: a byte range, or a bit range inside a big-endian word of `size` bytes. */
export interface FieldSpec {
  /** RFC name in camelCase (`ttl`, `spi`, `nextHeader`); unique within its table. */
  readonly name: string;
  /** Human label for the inspector ("Time to Live"). */
  readonly label: string;
  /** Byte offset from the start of the header. */
  readonly offset: number;
  /** Size in bytes (1, 2 or 4); for bitfields, the size of the word that holds them. */
  readonly size: number;
  /** For bitfields: the first bit, counted from the most significant bit of the word. */
  readonly bitOffset?: number;
  /** For bitfields: the number of bits. */
  readonly bitWidth?: number;
  /** How the inspector shows the value; decimal when absent. */
  readonly format?: FieldFormat;
}

/** Display formats for `formatFieldValue`. */
export const FIELD_FORMAT = { DEC: "dec", HEX: "hex", IPV4: "ipv4", FLAG: "flag" } as const;
/** One of `FIELD_FORMAT`. */
export type FieldFormat = (typeof FIELD_FORMAT)[keyof typeof FIELD_FORMAT];

/** A header's field table, with its names kept as a literal union for `fieldsByName`. */
export type FieldTable<N extends string = string> = readonly (FieldSpec & { readonly name: N })[];

/** Declare a field table, checking each spec's geometry once, at module load. */
export function defineFields<const N extends string>(specs: readonly (FieldSpec & { readonly name: N })[]): FieldTable<N> {
  const seen = new Set<string>();
  for (const spec of specs) {
    checkSpec(spec);
    // A duplicate name would make fieldsByName silently pick one of the two.
    if (seen.has(spec.name)) throw new RangeError(`duplicate field name ${spec.name}`);
    seen.add(spec.name);
  }
  return specs;
}

/** The specs of a table keyed by name, so emit code reads `F.ttl` rather than searching. */
export function fieldsByName<N extends string>(table: FieldTable<N>): Readonly<Record<N, FieldSpec>> {
  const out: Partial<Record<N, FieldSpec>> = {};
  for (const spec of table) out[spec.name] = spec;
  return out as Readonly<Record<N, FieldSpec>>;
}

/** Number of bits a field holds (its bitWidth, or 8 × size). */
export function fieldBits(spec: FieldSpec): number {
  return spec.bitWidth ?? spec.size * 8;
}

/** Read a field of the header that starts at `buf[base]`; throws RangeError if it is out of bounds. */
export function readField(buf: Uint8Array, base: number, spec: FieldSpec): number {
  const at = fieldStart(buf, base, spec);
  let word = 0;
  // Multiplication, not `<<`: a 32-bit word with its top bit set must stay positive.
  for (let i = 0; i < spec.size; i++) word = word * 256 + (buf[at + i] ?? 0);
  if (spec.bitWidth === undefined) return word;
  const shift = spec.size * 8 - (spec.bitOffset ?? 0) - spec.bitWidth;
  return Math.floor(word / 2 ** shift) % 2 ** spec.bitWidth;
}

/**
 * Write a field of the header that starts at `buf[base]`, touching only the field's own bits.
 * Throws RangeError if the value is not an integer that fits, or the field is out of bounds.
 */
export function writeField(buf: Uint8Array, base: number, spec: FieldSpec, value: number): void {
  const bits = fieldBits(spec);
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${spec.name}: ${value} does not fit in ${bits} bits`);
  }
  const at = fieldStart(buf, base, spec);
  let word = value;
  if (spec.bitWidth !== undefined) {
    // Read-modify-write: neighbouring bitfields (IHL next to version, DF next to MF) share the word.
    const shift = spec.size * 8 - (spec.bitOffset ?? 0) - spec.bitWidth;
    let old = 0;
    for (let i = 0; i < spec.size; i++) old = old * 256 + (buf[at + i] ?? 0);
    const unit = 2 ** shift;
    const span = 2 ** spec.bitWidth;
    const below = old % unit;
    const above = old - (old % (unit * span));
    word = above + value * unit + below;
  }
  for (let i = spec.size - 1; i >= 0; i--) {
    buf[at + i] = word % 256;
    word = Math.floor(word / 256);
  }
}

/** Show a field value the way the inspector does ("64", "0x0a1b", "127.0.0.1", "1"). */
export function formatFieldValue(spec: FieldSpec, value: number): string {
  switch (spec.format ?? FIELD_FORMAT.DEC) {
    case FIELD_FORMAT.HEX:
      return `0x${value.toString(16).padStart(Math.ceil(fieldBits(spec) / 4), "0")}`;
    case FIELD_FORMAT.IPV4:
      return formatIpv4Addr(value);
    case FIELD_FORMAT.FLAG:
    case FIELD_FORMAT.DEC:
      return String(value);
  }
}

function checkSpec(spec: FieldSpec): void {
  const { name, offset, size, bitOffset, bitWidth } = spec;
  // Up to 4 bytes: every value is then exactly representable and fits writeField's arithmetic.
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`${name}: bad offset ${offset}`);
  if (!Number.isInteger(size) || size < 1 || size > 4) throw new RangeError(`${name}: bad size ${size}`);
  if (bitOffset !== undefined && bitWidth === undefined) throw new RangeError(`${name}: bitOffset without bitWidth`);
  if (bitWidth !== undefined) {
    const from = bitOffset ?? 0;
    if (!Number.isInteger(from) || !Number.isInteger(bitWidth) || from < 0 || bitWidth < 1 || from + bitWidth > size * 8) {
      throw new RangeError(`${name}: bits ${from}+${bitWidth} do not fit in ${size} bytes`);
    }
  }
}

function fieldStart(buf: Uint8Array, base: number, spec: FieldSpec): number {
  const at = base + spec.offset;
  if (!Number.isInteger(at) || at < 0 || at + spec.size > buf.length) {
    throw new RangeError(`${spec.name}: bytes ${at}..${at + spec.size} out of bounds (length ${buf.length})`);
  }
  return at;
}

/** What went wrong decoding a header: the failure path of every `parse*`. */
export interface WireError {
  /** truncated: fewer bytes than the header says; malformed: a value the RFC forbids; checksum: bad sum; unsupported: valid but not modelled. */
  readonly kind: "truncated" | "malformed" | "checksum" | "unsupported";
  /** Which header failed ("ipv4", "esp", …). */
  readonly header: string;
  /** One plain sentence for the trace and the inspector. */
  readonly message: string;
}

/** Either a decoded value or a typed error; parsers return this and never throw on bad bytes. */
export type WireResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** Wrap a decoded value. */
export function wireOk<T>(value: T): WireResult<T> {
  return { ok: true, value };
}

/** Build a failed `WireResult`. */
export function wireError<T = never>(kind: WireError["kind"], header: string, message: string): WireResult<T> {
  return { ok: false, error: { kind, header, message } };
}

/** Dotted-quad text of a 32-bit IPv4 address; throws RangeError if `n` is not a u32. */
export function formatIpv4Addr(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not an IPv4 address: ${n}`);
  return `${Math.floor(n / 0x1000000)}.${Math.floor(n / 0x10000) % 256}.${Math.floor(n / 0x100) % 256}.${n % 256}`;
}

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** The u32 of a strict dotted quad ("10.0.0.1"; no leading zeros, no shorthand), else undefined. */
export function parseIpv4Addr(s: string): number | undefined {
  // Strict on purpose: inet_aton accepts "010.1" (octal, two parts), which a URL should never smuggle in.
  const m = DOTTED_QUAD.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** Parse a dotted quad or throw RangeError naming `what`; for emit paths where bad input is a bug. */
export function ipv4AddrOrThrow(s: string, what: string): number {
  const n = parseIpv4Addr(s);
  if (n === undefined) throw new RangeError(`${what}: not a dotted-quad IPv4 address: ${JSON.stringify(s)}`);
  return n;
}

/** Lowercase hex of `bytes`, no separators. */
export function toHex(bytes: Uint8Array): string {
  // One flat string from one buffer: `s +=` per byte would leave a rope of ~n/2 nodes per packet,
  // which in a 10,000-echo trace costs gigabytes of heap. The digits go into a scratch buffer
  // reused from call to call (a packet version is taken ~50 times per echo).
  const n = bytes.length * 2;
  if (hexScratch.length < n) hexScratch = new Uint8Array(Math.max(n, hexScratch.length * 2));
  const out = hexScratch;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[2 * i] = HEX_DIGITS[b >> 4]!;
    out[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return ASCII.decode(out.subarray(0, n));
}

let hexScratch = new Uint8Array(512);

const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const ASCII = new TextDecoder("latin1");

/** Bytes of a hex string (either case, no separators); throws RangeError on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new RangeError(`hex string has odd length ${hex.length}`);
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError("hex string has a non-hex character");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** IP protocol numbers tagflow decodes (IANA protocol-numbers registry). */
export const IP_PROTO = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, ESP: 50, AH: 51 } as const;
/** A known IP protocol number. */
export type IpProto = (typeof IP_PROTO)[keyof typeof IP_PROTO];

const IP_PROTO_NAMES: Readonly<Record<number, string>> = {
  [IP_PROTO.ICMP]: "icmp",
  [IP_PROTO.IPIP]: "ipip",
  [IP_PROTO.TCP]: "tcp",
  [IP_PROTO.UDP]: "udp",
  [IP_PROTO.ESP]: "esp",
  [IP_PROTO.AH]: "ah",
};

/** Lowercase name of an IP protocol number ("icmp", "esp"), or `proto ${n}`. */
export function ipProtoName(n: number): string {
  return IP_PROTO_NAMES[n] ?? `proto ${n}`;
}
