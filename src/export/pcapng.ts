/**
 * pcapng writer and strict reader (draft-ietf-opsawg-pcapng).
 *
 * Every block has the same frame (§3.1); the body depends on the type:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *   /                          Block Body                           /
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * We write one section: a Section Header Block (§4.1), one Interface Description Block per
 * interface (§4.2), then one Enhanced Packet Block per packet (§4.3), all little-endian. Options
 * (§3.5) are `code:u16 length:u16 value` padded to 32 bits and closed by opt_endofopt.
 *
 * Timestamps: every IDB carries if_tsresol = 6, so an EPB timestamp counts microseconds. We store
 * the scenario's virtual time t (µs since scenario start) as-is, with no if_tsoffset, so Wireshark
 * shows the epoch plus t: t = 1 is "1970-01-01 00:00:00.000001 UTC". A fixed epoch keeps exports
 * byte-identical across runs; the wall-clock time of a simulation means nothing.
 *
 * Only Uint8Array, DataView and TextEncoder/TextDecoder: this runs in Node and in the browser.
 */

/** Link-layer header types (the tcpdump.org LINKTYPE_ registry) that tagflow writes. */
export const LINKTYPE = {
  /** BSD loopback: a 4-byte address family in the capturing host's byte order, then the packet. */
  NULL: 0,
  /** IEEE 802.3 Ethernet: the packet data must start with the Ethernet header. */
  ETHERNET: 1,
  /** Raw IP: the packet starts with the IPv4 or IPv6 header. */
  RAW: 101,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Seed 004: USER0, for PF_KEY v2 messages (no registered link type exists for them). */
  USER0: 147,
  /** Seed 004: Linux netlink as nlmon records it: a 16-byte cooked header (ARPHRD_NETLINK 824, family), then the netlink message. */
  NETLINK: 253,
} as const;

/** An interface a capture was taken on, written as an Interface Description Block. */
export interface PcapngInterface {
  /** if_name, e.g. "lo0" or "host-a:em0". */
  name: string;
  /** if_description, free text. */
  description?: string;
  /** A {@link LINKTYPE} value, or any other tcpdump.org LINKTYPE_ number. */
  linkType: number;
  /** Bytes kept per packet; longer packets are truncated. Absent (written as 0) means no limit. */
  snapLen?: number;
}

/** One captured packet, written as an Enhanced Packet Block. */
export interface PcapngPacket {
  /** Index into {@link PcapngCapture.interfaces}. */
  interfaceId: number;
  /** Virtual microseconds since scenario start; a safe integer in [0, 2^53). */
  timestampMicros: number;
  /**
   * The IPv4 (or IPv6) packet. For {@link LINKTYPE.NULL} the writer prepends the 4-byte
   * address-family header; for every other link type the bytes are written as given.
   */
  data: Uint8Array;
  /** opt_comment, UTF-8. */
  comment?: string;
}

/** A whole capture: one pcapng section. */
export interface PcapngCapture {
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
  /** opt_comment on the Section Header Block. */
  comment?: string;
  /** shb_userappl, e.g. "tagflow 0.1.0". */
  application?: string;
  /** shb_hardware. */
  hardware?: string;
  /** shb_os. */
  os?: string;
}

/** A packet as {@link readPcapng} returns it: the link header split off, lengths as recorded. */
export interface PcapngReadPacket extends PcapngPacket {
  /** The bytes before the network-layer packet: 4 bytes for LINKTYPE_NULL, else empty. */
  linkHeader: Uint8Array;
  /** The packet's length on the wire, link header included; more than captured when truncated. */
  originalLength: number;
}

/** What {@link readPcapng} returns. */
export interface PcapngReadCapture extends PcapngCapture {
  packets: PcapngReadPacket[];
}

const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Obsolete Packet Block (Appendix A). */
  PB: 0x00000002,
  SPB: 0x00000003,
  EPB: 0x00000006,
} as const;

const OPT = {
  ENDOFOPT: 0,
  COMMENT: 1,
  SHB_HARDWARE: 2,
  SHB_OS: 3,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_DESCRIPTION: 3,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** if_tsresol = 6: timestamps in 10^-6 s. */
const TSRESOL_MICROS = 6;
/** The address family the BSD loopback header carries (sys/socket.h). */
const AF_INET = 2;
/** AF_INET6 on OpenBSD and NetBSD; Wireshark also accepts FreeBSD's 28 and macOS's 30. */
const AF_INET6 = 24;
const NULL_HEADER_LEN = 4;
const MAX_OPTION_LEN = 0xffff;
const TWO_32 = 0x1_0000_0000;

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in a comment instead of silently dropping it.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Arithmetic, not `& ~3`: lengths read from a file may exceed 2^31, where bitwise ops wrap.
const pad4 = (n: number): number => n + ((4 - (n % 4)) % 4);

/** A growable little-endian byte buffer. */
class LeWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  setU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  /** Append `bytes` and zero-pad to a 32-bit boundary. */
  padded(bytes: Uint8Array): void {
    const len = pad4(bytes.length);
    this.reserve(len);
    this.buf.set(bytes, this.length);
    this.buf.fill(0, this.length + bytes.length, this.length + len);
    this.length += len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

type Option = readonly [code: number, value: Uint8Array];

function textOption(code: number, text: string | undefined, what: string): Option[] {
  if (text === undefined) return [];
  const value = utf8Encoder.encode(text);
  if (value.length > MAX_OPTION_LEN) {
    throw new Error(`pcapng: ${what} is ${value.length} bytes of UTF-8; an option holds at most ${MAX_OPTION_LEN}`);
  }
  return [[code, value]];
}

/** Write options (§3.5), closed by opt_endofopt; nothing at all when there are none. */
function writeOptions(w: LeWriter, options: readonly Option[]): void {
  if (options.length === 0) return;
  for (const [code, value] of options) {
    w.u16(code);
    w.u16(value.length);
    w.padded(value);
  }
  w.u16(OPT.ENDOFOPT);
  w.u16(0);
}

/** Write one block: `body` appends the body; both length fields are filled in afterwards. */
function writeBlock(w: LeWriter, type: number, body: () => void): void {
  const start = w.length;
  w.u32(type);
  w.u32(0);
  body();
  const total = w.length - start + 4;
  w.u32(total);
  w.setU32(start + 4, total);
}

/** The frame as the link type carries it: the BSD loopback header for LINKTYPE_NULL. */
function linkFrame(linkType: number, data: Uint8Array, where: string): Uint8Array {
  if (linkType !== LINKTYPE.NULL) return data;
  const version = (data[0] ?? 0) >> 4;
  const family = version === 4 ? AF_INET : version === 6 ? AF_INET6 : undefined;
  if (family === undefined) {
    throw new Error(`pcapng: ${where} is on a LINKTYPE_NULL interface but is not an IP packet (version nibble ${version})`);
  }
  const frame = new Uint8Array(NULL_HEADER_LEN + data.length);
  // The capturing host writes its address family in its own byte order; ours is little-endian.
  new DataView(frame.buffer).setUint32(0, family, true);
  frame.set(data, NULL_HEADER_LEN);
  return frame;
}

/**
 * Serialise a capture as one little-endian pcapng section.
 * Throws if a packet names a missing interface, a timestamp is not a safe non-negative integer,
 * or a text option exceeds 65535 bytes of UTF-8.
 */
export function writePcapng(capture: PcapngCapture): Uint8Array {
  const chunks = [...writePcapngChunks(capture)];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Bytes a chunk of writePcapngChunks collects before it is handed out. */
const CHUNK_BYTES = 1 << 20;

/**
 * writePcapng in pieces of about 1 MiB (whole blocks each), for writing a capture to a file as
 * it is produced: one growing buffer peaks at twice the capture while it doubles.
 */
export function* writePcapngChunks(capture: PcapngCapture): Generator<Uint8Array> {
  let w = new LeWriter();

  writeBlock(w, BLOCK.SHB, () => {
    w.u32(BYTE_ORDER_MAGIC);
    w.u16(1); // major version
    w.u16(0); // minor version
    // Section length -1: "not specified" (§4.1); readers walk the blocks instead.
    w.u32(0xffffffff);
    w.u32(0xffffffff);
    writeOptions(w, [
      ...textOption(OPT.COMMENT, capture.comment, "the capture comment"),
      ...textOption(OPT.SHB_HARDWARE, capture.hardware, "shb_hardware"),
      ...textOption(OPT.SHB_OS, capture.os, "shb_os"),
      ...textOption(OPT.SHB_USERAPPL, capture.application, "shb_userappl"),
    ]);
  });

  capture.interfaces.forEach((itf, i) => {
    const snapLen = itf.snapLen ?? 0;
    if (!Number.isInteger(itf.linkType) || itf.linkType < 0 || itf.linkType > 0xffff) {
      throw new Error(`pcapng: interface ${i} (${itf.name}) has link type ${itf.linkType}; expected 0..65535`);
    }
    if (!Number.isInteger(snapLen) || snapLen < 0 || snapLen > 0xffffffff) {
      throw new Error(`pcapng: interface ${i} (${itf.name}) has snapLen ${snapLen}; expected 0..2^32-1`);
    }
    writeBlock(w, BLOCK.IDB, () => {
      w.u16(itf.linkType);
      w.u16(0); // reserved
      w.u32(snapLen);
      writeOptions(w, [
        ...textOption(OPT.IF_NAME, itf.name, `interface ${i}'s if_name`),
        ...textOption(OPT.IF_DESCRIPTION, itf.description, `interface ${i}'s if_description`),
        [OPT.IF_TSRESOL, Uint8Array.of(TSRESOL_MICROS)],
      ]);
    });
  });

  for (const [i, p] of capture.packets.entries()) {
    const itf = capture.interfaces[p.interfaceId];
    if (!itf || !Number.isInteger(p.interfaceId)) {
      throw new Error(`pcapng: packet ${i} names interface ${p.interfaceId}, but the capture has ${capture.interfaces.length}`);
    }
    const t = p.timestampMicros;
    if (!Number.isSafeInteger(t) || t < 0) {
      throw new Error(`pcapng: packet ${i} has timestamp ${t} µs; expected a safe integer ≥ 0`);
    }
    const frame = linkFrame(itf.linkType, p.data, `packet ${i}`);
    const snapLen = itf.snapLen ?? 0;
    const captured = snapLen > 0 && frame.length > snapLen ? frame.subarray(0, snapLen) : frame;
    writeBlock(w, BLOCK.EPB, () => {
      w.u32(p.interfaceId);
      w.u32(Math.floor(t / TWO_32)); // timestamp, upper 32 bits
      w.u32(t % TWO_32); // timestamp, lower 32 bits
      w.u32(captured.length);
      w.u32(frame.length);
      w.padded(captured);
      writeOptions(w, textOption(OPT.COMMENT, p.comment, `packet ${i}'s comment`));
    });
    if (w.length >= CHUNK_BYTES) {
      yield w.finish();
      w = new LeWriter();
    }
  }
  yield w.finish();
}

/** Bounds-checked reads in the section's byte order. */
class Reader {
  readonly view: DataView;
  le = true;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }

  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  /** A 64-bit value as a bigint, written as two 32-bit words, most significant first. */
  u64Words(at: number): bigint {
    return (BigInt(this.u32(at)) << 32n) | BigInt(this.u32(at + 4));
  }
}

const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, "0")}`;

function fail(offset: number, message: string): never {
  throw new Error(`pcapng: malformed input at byte ${offset}: ${message}`);
}

/** Parse the options in [start, end) into code → values, in order of appearance. */
function readOptions(r: Reader, start: number, end: number, where: string): Map<number, Uint8Array[]> {
  const options = new Map<number, Uint8Array[]>();
  let at = start;
  while (at < end) {
    if (end - at < 4) fail(at, `${where}: ${end - at} stray bytes where an option header (4 bytes) should be`);
    const code = r.u16(at);
    const len = r.u16(at + 2);
    if (code === OPT.ENDOFOPT) break;
    if (at + 4 + pad4(len) > end) {
      fail(at, `${where}: option ${code} claims ${len} bytes (padded ${pad4(len)}) but only ${end - at - 4} remain in the block`);
    }
    const value = r.bytes.subarray(at + 4, at + 4 + len);
    const list = options.get(code);
    if (list) list.push(value);
    else options.set(code, [value]);
    at += 4 + pad4(len);
  }
  return options;
}

/** The values of a text option, decoded as UTF-8 and joined with newlines; undefined when absent. */
function textOf(options: Map<number, Uint8Array[]>, code: number, offset: number, where: string): string | undefined {
  const values = options.get(code);
  if (!values) return undefined;
  try {
    return values.map((v) => utf8Decoder.decode(v)).join("\n");
  } catch {
    return fail(offset, `${where}: option ${code} is not valid UTF-8`);
  }
}

interface ReadInterface {
  itf: PcapngInterface;
  /** Ticks per second as a power: 10^-exp (decimal) or 2^-exp (binary). */
  resolution: { base: 10n | 2n; exp: bigint };
  /** if_tsoffset, seconds. */
  offsetSeconds: bigint;
}

function readInterface(r: Reader, body: number, end: number, index: number): ReadInterface {
  if (end - body < 8) fail(body, `Interface Description Block ${index} body is ${end - body} bytes; at least 8 needed`);
  const linkType = r.u16(body);
  const snapLen = r.u32(body + 4);
  const options = readOptions(r, body + 8, end, `interface ${index}`);
  const tsresol = options.get(OPT.IF_TSRESOL)?.[0];
  let resolution: ReadInterface["resolution"] = { base: 10n, exp: BigInt(TSRESOL_MICROS) };
  if (tsresol) {
    if (tsresol.length !== 1) fail(body, `interface ${index}: if_tsresol is ${tsresol.length} bytes; expected 1`);
    const v = tsresol[0] ?? TSRESOL_MICROS;
    resolution = v & 0x80 ? { base: 2n, exp: BigInt(v & 0x7f) } : { base: 10n, exp: BigInt(v) };
  }
  const tsoffset = options.get(OPT.IF_TSOFFSET)?.[0];
  let offsetSeconds = 0n;
  if (tsoffset) {
    if (tsoffset.length !== 8) fail(body, `interface ${index}: if_tsoffset is ${tsoffset.length} bytes; expected 8`);
    offsetSeconds = new DataView(tsoffset.buffer, tsoffset.byteOffset, 8).getBigInt64(0, r.le);
  }
  const itf: PcapngInterface = { name: textOf(options, OPT.IF_NAME, body, `interface ${index}`) ?? "", linkType };
  const description = textOf(options, OPT.IF_DESCRIPTION, body, `interface ${index}`);
  if (description !== undefined) itf.description = description;
  if (snapLen !== 0) itf.snapLen = snapLen;
  return { itf, resolution, offsetSeconds };
}

/** Convert a raw timestamp to microseconds since the epoch, rounding down. */
function toMicros(ticks: bigint, i: ReadInterface, offset: number): number {
  const scale = i.resolution.base ** i.resolution.exp;
  const micros = (ticks * 1_000_000n) / scale + i.offsetSeconds * 1_000_000n;
  if (micros < 0n || micros > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(offset, `timestamp ${micros} µs is outside 0..2^53-1`);
  }
  return Number(micros);
}

function readPacket(r: Reader, body: number, end: number, interfaces: readonly ReadInterface[], index: number): PcapngReadPacket {
  const where = `packet ${index}`;
  if (end - body < 20) fail(body, `Enhanced Packet Block ${index} body is ${end - body} bytes; at least 20 needed`);
  const interfaceId = r.u32(body);
  const itf = interfaces[interfaceId];
  if (!itf) fail(body, `${where} names interface ${interfaceId}, but only ${interfaces.length} were described before it`);
  const ticks = r.u64Words(body + 4);
  const capturedLength = r.u32(body + 12);
  const originalLength = r.u32(body + 16);
  const dataStart = body + 20;
  if (pad4(capturedLength) > end - dataStart) {
    fail(body + 12, `${where} claims ${capturedLength} captured bytes but its block holds ${end - dataStart}`);
  }
  const frame = r.bytes.slice(dataStart, dataStart + capturedLength);
  const options = readOptions(r, dataStart + pad4(capturedLength), end, where);
  const headerLen = itf.itf.linkType === LINKTYPE.NULL ? NULL_HEADER_LEN : 0;
  if (frame.length < headerLen) fail(dataStart, `${where} is ${frame.length} bytes, shorter than its ${headerLen}-byte link header`);
  const packet: PcapngReadPacket = {
    interfaceId,
    timestampMicros: toMicros(ticks, itf, body + 4),
    data: frame.subarray(headerLen),
    linkHeader: frame.subarray(0, headerLen),
    originalLength,
  };
  const comment = textOf(options, OPT.COMMENT, body, where);
  if (comment !== undefined) packet.comment = comment;
  return packet;
}

/**
 * Parse a single-section pcapng file (either byte order) strictly.
 *
 * Validates every block frame (length ≥ 12, a multiple of 4, within the input, trailing length
 * equal to the leading one), the byte-order magic, the major version, option bounds and UTF-8.
 * Skips block types it does not need (name resolution, statistics, custom); rejects a second
 * section and the packet blocks it does not model (Simple and obsolete Packet Blocks).
 * Timestamps are converted to microseconds (rounding down) using if_tsresol and if_tsoffset.
 * Throws an Error naming the byte offset on malformed input; runs in time linear in the input.
 * Multiple comments on one block are joined with "\n".
 */
export function readPcapng(bytes: Uint8Array): PcapngReadCapture {
  const r = new Reader(bytes);
  if (bytes.length < 28) fail(0, `${bytes.length} bytes is too short for a Section Header Block (28)`);
  // The SHB type reads the same in both byte orders; the magic after it decides the order.
  if (r.u32(0) !== BLOCK.SHB) fail(0, `first block type is ${hex32(r.u32(0))}, not a Section Header Block (0x0a0d0d0a)`);
  const magic = r.view.getUint32(8, true);
  if (magic === BYTE_ORDER_MAGIC) r.le = true;
  else if (magic === 0x4d3c2b1a) r.le = false;
  else fail(8, `byte-order magic is ${hex32(magic)}, expected 0x1a2b3c4d`);

  const capture: PcapngReadCapture = { interfaces: [], packets: [] };
  const interfaces: ReadInterface[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 12) fail(offset, `${bytes.length - offset} trailing bytes, too short for a block (12)`);
    const type = r.u32(offset);
    const total = r.u32(offset + 4);
    if (total < 12 || total % 4 !== 0) fail(offset + 4, `block total length ${total} is not a multiple of 4 that is at least 12`);
    if (total > bytes.length - offset)
      fail(offset + 4, `block total length ${total} runs past the end of the input (${bytes.length - offset} bytes left)`);
    const trailing = r.u32(offset + total - 4);
    if (trailing !== total) fail(offset + total - 4, `trailing block length ${trailing} differs from the leading ${total}`);
    const body = offset + 8;
    const end = offset + total - 4;

    switch (type) {
      case BLOCK.SHB: {
        if (offset !== 0) fail(offset, "a second section starts here; only single-section files are supported");
        if (end - body < 16) fail(body, `Section Header Block body is ${end - body} bytes; at least 16 needed`);
        const major = r.u16(body + 4);
        if (major !== 1) fail(body + 4, `major version ${major}; only 1 is supported`);
        const options = readOptions(r, body + 16, end, "section header");
        const fields = [
          ["comment", OPT.COMMENT],
          ["hardware", OPT.SHB_HARDWARE],
          ["os", OPT.SHB_OS],
          ["application", OPT.SHB_USERAPPL],
        ] as const;
        for (const [key, code] of fields) {
          const text = textOf(options, code, body, "section header");
          if (text !== undefined) capture[key] = text;
        }
        break;
      }
      case BLOCK.IDB: {
        const read = readInterface(r, body, end, interfaces.length);
        interfaces.push(read);
        capture.interfaces.push(read.itf);
        break;
      }
      case BLOCK.EPB:
        capture.packets.push(readPacket(r, body, end, interfaces, capture.packets.length));
        break;
      case BLOCK.SPB:
      case BLOCK.PB:
        fail(offset, `block type ${hex32(type)} (Simple/obsolete Packet Block) is not supported`);
        break;
      default:
        // Name resolution, interface statistics, decryption secrets, custom blocks: not needed.
        break;
    }
    offset += total;
  }
  return capture;
}
