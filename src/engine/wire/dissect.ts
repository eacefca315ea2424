/**
 * The inspector's view of a packet: the byte ranges of every header and field, with display values.
 *
 *    IPv4 ─┬─ ICMP ── echo data | quoted IPv4 header + 8 bytes
 *          ├─ ESP ─── IV | ciphertext | ICV   (with a hint for the SPI), else one encrypted region
 *          ├─ AH ──── ICV ── (its next header, walked again)
 *          ├─ UDP ─── ESP (port 4500, RFC 3948 §2.2) | payload
 *          └─ IPIP ── inner IPv4 (walked again)
 *
 * Spans come from the same `*_FIELDS` tables the emitters write through, so a highlighted range
 * is exactly the range that was written. Offsets are absolute into the dissected bytes. Bad bytes
 * never throw: the walk stops with one final `undecoded` span that says why.
 */

import { AH_FIELDS, AH_FIXED_LEN, parseAh } from "./ah";
import { ESP_FIELDS, ESP_HEADER_LEN, parseEsp } from "./esp";
import { IP_PROTO, fieldsByName, formatFieldValue, ipProtoName, readField, toHex, type FieldSpec, type FieldTable } from "./fields";
import {
  ICMP_COMMON_FIELDS,
  ICMP_ECHO_FIELDS,
  ICMP_ERROR_FIELDS,
  ICMP_TYPE,
  ICMP_UNREACH,
  icmpCodeLabel,
  icmpTypeLabel,
  icmpTypeName,
  parseIcmp,
} from "./icmp";
import { IPV4_FIELDS, IPV4_MIN_HEADER_LEN, parseIpv4 } from "./ipv4";
import { UDP_FIELDS, UDP_HEADER_LEN, UDP_NAT_T_PORT, parseUdp } from "./udp";

/** What a span of bytes is. */
export type HeaderName =
  "ipv4" | "icmp" | "esp" | "ah" | "udp" | "payload" | "esp-iv" | "esp-ciphertext" | "esp-icv" | "esp-encrypted" | "ah-icv" | "undecoded";

/** One field inside a header span, with absolute byte offsets. */
export interface FieldSpan {
  /** The field's name in its `*_FIELDS` table (or "options" / "rest" for variable regions). */
  name: string;
  label: string;
  /** First byte (absolute). */
  start: number;
  /** One past the last byte (absolute). */
  end: number;
  /** For bitfields: first bit from the MSB of the `start..end` word. */
  bitOffset?: number;
  /** For bitfields: number of bits. */
  bitWidth?: number;
  /** Display value: "64", "127.0.0.1", "0x1000", "echo request (8)". */
  value: string;
}

/** One header or region, with absolute byte offsets. */
export interface HeaderSpan {
  header: HeaderName;
  start: number;
  end: number;
  fields: FieldSpan[];
  /** Why the span is what it is, when that is not obvious ("quoted by ICMP", "non-first fragment", the parse error). */
  note?: string;
}

/** What the dissector cannot know from the bytes: per-SPI ESP layout, from the SA. */
export interface DissectHints {
  /** IV and ICV lengths for an SPI, or undefined when the SA is unknown. */
  esp?: (spi: number) => { ivLen: number; icvLen: number } | undefined;
}

const IP = fieldsByName(IPV4_FIELDS);

/** Nested headers walked before giving up; stops AH/IPIP chains in crafted packets from recursing without end. */
const MAX_DEPTH = 8;

type Overrides = Readonly<Record<string, (value: number) => string>>;

const withNumber = (name: string) => (v: number) => `${name} (${v})`;
const protoValue = (v: number) => withNumber(ipProtoName(v))(v);

const IPV4_DISPLAY: Overrides = { ihl: (v) => `${v} (${v * 4} bytes)`, protocol: protoValue };
const AH_DISPLAY: Overrides = { nextHeader: protoValue, payloadLen: (v) => `${v} (${(v + 2) * 4} bytes)` };

function icmpDisplay(type: number): Overrides {
  return {
    type: (v) => withNumber(icmpTypeLabel(v))(v),
    code: (v) => {
      const label = icmpCodeLabel(type, v);
      return label === undefined ? String(v) : withNumber(label)(v);
    },
  };
}

function fieldSpans(bytes: Uint8Array, base: number, table: FieldTable, display: Overrides = {}): FieldSpan[] {
  return table.map((spec: FieldSpec) => {
    const value = readField(bytes, base, spec);
    const span: FieldSpan = {
      name: spec.name,
      label: spec.label,
      start: base + spec.offset,
      end: base + spec.offset + spec.size,
      value: display[spec.name]?.(value) ?? formatFieldValue(spec, value),
    };
    if (spec.bitWidth !== undefined) {
      span.bitOffset = spec.bitOffset ?? 0;
      span.bitWidth = spec.bitWidth;
    }
    return span;
  });
}

function bytesField(bytes: Uint8Array, name: string, label: string, start: number, end: number): FieldSpan {
  return { name, label, start, end, value: toHex(bytes.subarray(start, end)) };
}

/** Accumulates spans; each walker pushes what it decoded and hands the rest on. */
class Walk {
  readonly spans: HeaderSpan[] = [];

  constructor(
    readonly bytes: Uint8Array,
    readonly hints: DissectHints,
  ) {}

  push(header: HeaderName, start: number, end: number, fields: FieldSpan[] = [], note?: string): void {
    // Empty regions (no echo data, no ICV) carry nothing to highlight.
    if (end <= start && fields.length === 0) return;
    const span: HeaderSpan = { header, start, end, fields };
    if (note !== undefined) span.note = note;
    this.spans.push(span);
  }

  ipv4(start: number, end: number, depth: number): void {
    // A view ending at `end`, so an inner packet cannot claim bytes of its container.
    const parsed = parseIpv4(this.bytes.subarray(0, end), start);
    if (!parsed.ok) return this.push("undecoded", start, end, [], parsed.error.message);
    const ip = parsed.value;
    const headerEnd = start + IPV4_MIN_HEADER_LEN + ip.options.length;
    const fields = fieldSpans(this.bytes, start, IPV4_FIELDS, IPV4_DISPLAY);
    if (ip.options.length > 0) fields.push(bytesField(this.bytes, "options", "Options", start + IPV4_MIN_HEADER_LEN, headerEnd));
    this.push("ipv4", start, headerEnd, fields);
    const packetEnd = start + ip.totalLength;
    if (ip.fragOffset > 0) {
      // Only the first fragment starts with the next header; the others are opaque until reassembly.
      this.push("payload", headerEnd, packetEnd, [], `non-first fragment of ${ipProtoName(ip.protocol)} at byte ${ip.fragOffset * 8}`);
    } else {
      this.proto(ip.protocol, headerEnd, packetEnd, depth + 1);
    }
    if (packetEnd < end) this.push("undecoded", packetEnd, end, [], `${end - packetEnd} bytes past the IPv4 total length`);
  }

  proto(protocol: number, start: number, end: number, depth: number): void {
    if (depth > MAX_DEPTH) return this.push("undecoded", start, end, [], `more than ${MAX_DEPTH} nested headers`);
    switch (protocol) {
      case IP_PROTO.ICMP:
        return this.icmp(start, end);
      case IP_PROTO.ESP:
        return this.esp(start, end);
      case IP_PROTO.AH:
        return this.ah(start, end, depth);
      case IP_PROTO.UDP:
        return this.udp(start, end);
      case IP_PROTO.IPIP:
        return this.ipv4(start, end, depth);
      default:
        return this.push("payload", start, end, [], ipProtoName(protocol));
    }
  }

  icmp(start: number, end: number): void {
    const parsed = parseIcmp(this.bytes, start, end - start);
    if (!parsed.ok) return this.push("undecoded", start, end, [], parsed.error.message);
    const msg = parsed.value;
    const display = icmpDisplay(msg.type);
    const bodyStart = start + 8;
    switch (msg.kind) {
      case "echo":
        this.push("icmp", start, bodyStart, fieldSpans(this.bytes, start, ICMP_ECHO_FIELDS, display));
        return this.push("payload", bodyStart, end, [], "echo data");
      case "error":
        this.push("icmp", start, bodyStart, fieldSpans(this.bytes, start, ICMP_ERROR_FIELDS, display));
        return this.quoted(bodyStart, end);
      case "other": {
        const fields = fieldSpans(this.bytes, start, ICMP_COMMON_FIELDS, display);
        fields.push(bytesField(this.bytes, "rest", "Message-specific word", start + 4, bodyStart));
        this.push("icmp", start, bodyStart, fields);
        return this.push("payload", bodyStart, end, [], icmpTypeName(msg.type, msg.code));
      }
    }
  }

  /** The datagram an ICMP error quotes: an IP header and the first 8 bytes after it (RFC 792), which cannot pass parseIpv4's length checks. */
  quoted(start: number, end: number): void {
    const b = this.bytes;
    const whole = end - start >= IPV4_MIN_HEADER_LEN;
    const headerLen = whole ? readField(b, start, IP.ihl) * 4 : 0;
    if (!whole || readField(b, start, IP.version) !== 4 || headerLen < IPV4_MIN_HEADER_LEN || start + headerLen > end) {
      return this.push("payload", start, end, [], "quoted datagram");
    }
    const fields = fieldSpans(b, start, IPV4_FIELDS, IPV4_DISPLAY);
    if (headerLen > IPV4_MIN_HEADER_LEN) fields.push(bytesField(b, "options", "Options", start + IPV4_MIN_HEADER_LEN, start + headerLen));
    this.push("ipv4", start, start + headerLen, fields, "quoted by ICMP");
    const at = start + headerLen;
    const left = end - at;
    const protocol = readField(b, start, IP.protocol);
    const fragOffset = readField(b, start, IP.fragOffset);
    let used = 0;
    if (fragOffset === 0 && protocol === IP_PROTO.ESP && left >= ESP_HEADER_LEN) {
      // The SPI in the quote is how ipsec4_common_ctlinput finds the SA for a PMTU update.
      this.push("esp", at, at + ESP_HEADER_LEN, fieldSpans(b, at, ESP_FIELDS), "quoted by ICMP");
      used = ESP_HEADER_LEN;
    } else if (fragOffset === 0 && protocol === IP_PROTO.UDP && left >= UDP_HEADER_LEN) {
      this.push("udp", at, at + UDP_HEADER_LEN, fieldSpans(b, at, UDP_FIELDS), "quoted by ICMP");
      used = UDP_HEADER_LEN;
    } else if (fragOffset === 0 && protocol === IP_PROTO.ICMP && left >= 8) {
      const type = b[at] ?? 0;
      const echo = type === ICMP_TYPE.ECHO_REQUEST || type === ICMP_TYPE.ECHO_REPLY;
      this.push("icmp", at, at + 8, fieldSpans(b, at, echo ? ICMP_ECHO_FIELDS : ICMP_COMMON_FIELDS, icmpDisplay(type)), "quoted by ICMP");
      used = 8;
    } else if (fragOffset === 0 && protocol === IP_PROTO.AH && left >= AH_FIXED_LEN) {
      this.push("ah", at, at + AH_FIXED_LEN, fieldSpans(b, at, AH_FIELDS, AH_DISPLAY), "quoted by ICMP");
      used = AH_FIXED_LEN;
    }
    this.push("payload", at + used, end, [], "quoted original data");
  }

  esp(start: number, end: number): void {
    const parsed = parseEsp(this.bytes, start, end - start);
    if (!parsed.ok) return this.push("undecoded", start, end, [], parsed.error.message);
    const { spi, payloadOffset } = parsed.value;
    this.push("esp", start, payloadOffset, fieldSpans(this.bytes, start, ESP_FIELDS));
    const layout = this.hints.esp?.(spi);
    const ivLen = layout?.ivLen ?? -1;
    const icvLen = layout?.icvLen ?? -1;
    const fits = Number.isInteger(ivLen) && Number.isInteger(icvLen) && ivLen >= 0 && icvLen >= 0 && ivLen + icvLen <= end - payloadOffset;
    if (layout === undefined || !fits) {
      const why = layout === undefined ? "no SA known for this SPI" : `shorter than the SA's ${ivLen}-byte IV and ${icvLen}-byte ICV`;
      return this.push("esp-encrypted", payloadOffset, end, [], why);
    }
    const ctStart = payloadOffset + ivLen;
    const icvStart = end - icvLen;
    this.push("esp-iv", payloadOffset, ctStart);
    this.push("esp-ciphertext", ctStart, icvStart, [], "payload, padding, pad length and next header, encrypted");
    this.push("esp-icv", icvStart, end);
  }

  ah(start: number, end: number, depth: number): void {
    const parsed = parseAh(this.bytes, start, end - start);
    if (!parsed.ok) return this.push("undecoded", start, end, [], parsed.error.message);
    const icvStart = start + AH_FIXED_LEN;
    const icvEnd = icvStart + parsed.value.icv.length;
    this.push("ah", start, icvStart, fieldSpans(this.bytes, start, AH_FIELDS, AH_DISPLAY));
    this.push("ah-icv", icvStart, icvEnd);
    this.proto(parsed.value.nextHeader, icvEnd, end, depth + 1);
  }

  udp(start: number, end: number): void {
    const parsed = parseUdp(this.bytes, start, end - start);
    if (!parsed.ok) return this.push("undecoded", start, end, [], parsed.error.message);
    const udp = parsed.value;
    const dataEnd = start + udp.length;
    this.push("udp", start, udp.payloadOffset, fieldSpans(this.bytes, start, UDP_FIELDS));
    const natT = udp.srcPort === UDP_NAT_T_PORT || udp.dstPort === UDP_NAT_T_PORT;
    if (natT && isEspInUdp(this.bytes, udp.payloadOffset, dataEnd)) this.esp(udp.payloadOffset, dataEnd);
    else this.push("payload", udp.payloadOffset, dataEnd, [], natT ? "IKE or NAT keepalive (RFC 3948 §2)" : undefined);
    if (dataEnd < end) this.push("undecoded", dataEnd, end, [], `${end - dataEnd} bytes past the UDP length`);
  }
}

/** RFC 3948 §2.2: on port 4500 a nonzero first word is an ESP SPI; four zero bytes are the non-ESP marker, one 0xff a keepalive. */
function isEspInUdp(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < ESP_HEADER_LEN) return false;
  return (bytes[start] ?? 0) !== 0 || (bytes[start + 1] ?? 0) !== 0 || (bytes[start + 2] ?? 0) !== 0 || (bytes[start + 3] ?? 0) !== 0;
}

/**
 * The spans of bytes [start, end) read as IP protocol `proto` (4 an IPv4 datagram, 1 ICMP, 50 ESP,
 * 51 AH, 17 UDP, anything else one payload span) — a walk that starts at any header, as a packet
 * version's header stack says where each one begins. Absolute offsets; never throws.
 */
export function dissectAt(bytes: Uint8Array, proto: number, start: number, end = bytes.length, hints: DissectHints = {}): HeaderSpan[] {
  const walk = new Walk(bytes.subarray(0, end), hints);
  walk.proto(proto, start, end, 0);
  return walk.spans;
}

/**
 * One header alone, `len` bytes at `start`, when what follows it is described elsewhere (by the
 * header stack): an IPv4 header (its options included), an ESP header with `len - 8` bytes of IV,
 * or an AH header with its ICV. The IPv4 total length is shown, not checked. Never throws.
 */
export function dissectHeader(bytes: Uint8Array, kind: "ipv4" | "esp" | "ah", start: number, len: number): HeaderSpan[] {
  const end = start + len;
  if (end > bytes.length || len <= 0)
    return [{ header: "undecoded", start, end: Math.min(end, bytes.length), fields: [], note: `${kind} header past the end` }];
  switch (kind) {
    case "ipv4": {
      if (len < IPV4_MIN_HEADER_LEN) return [{ header: "undecoded", start, end, fields: [], note: `${len}-byte IPv4 header` }];
      const fields = fieldSpans(bytes, start, IPV4_FIELDS, IPV4_DISPLAY);
      if (len > IPV4_MIN_HEADER_LEN) fields.push(bytesField(bytes, "options", "Options", start + IPV4_MIN_HEADER_LEN, end));
      return [{ header: "ipv4", start, end, fields }];
    }
    case "esp": {
      if (len < ESP_HEADER_LEN) return [{ header: "undecoded", start, end, fields: [], note: `${len}-byte ESP header` }];
      const spans: HeaderSpan[] = [{ header: "esp", start, end: start + ESP_HEADER_LEN, fields: fieldSpans(bytes, start, ESP_FIELDS) }];
      if (len > ESP_HEADER_LEN) spans.push({ header: "esp-iv", start: start + ESP_HEADER_LEN, end, fields: [] });
      return spans;
    }
    case "ah": {
      const walk = new Walk(bytes.subarray(0, end), {});
      walk.ah(start, end, MAX_DEPTH);
      return walk.spans.filter((sp) => sp.header === "ah" || sp.header === "ah-icv" || sp.header === "undecoded");
    }
  }
}

/** Every header and field span of an IPv4 packet, in order, with absolute offsets; never throws on bad bytes. */
export function dissect(bytes: Uint8Array, hints: DissectHints = {}): HeaderSpan[] {
  const walk = new Walk(bytes, hints);
  walk.ipv4(0, bytes.length, 0);
  return walk.spans;
}

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
const hex16 = (n: number) => `0x${n.toString(16).padStart(4, "0")}`;

function summarizeProto(bytes: Uint8Array, protocol: number, start: number, end: number, depth: number): string {
  if (depth > MAX_DEPTH) return "(nested too deep)";
  switch (protocol) {
    case IP_PROTO.ICMP: {
      const p = parseIcmp(bytes, start, end - start);
      if (!p.ok) return `ICMP (${p.error.message})`;
      const m = p.value;
      const name = icmpTypeName(m.type, m.code);
      if (m.kind === "echo") return `ICMP ${name} id=${hex16(m.id)} seq=${m.seq}`;
      if (m.kind === "error" && m.type === ICMP_TYPE.DEST_UNREACH && m.code === ICMP_UNREACH.NEEDFRAG) return `ICMP ${name} mtu=${m.nextHopMtu}`;
      return `ICMP ${name}`;
    }
    case IP_PROTO.ESP: {
      const p = parseEsp(bytes, start, end - start);
      return p.ok ? `ESP spi=${hex32(p.value.spi)} seq=${p.value.seq}` : `ESP (${p.error.message})`;
    }
    case IP_PROTO.AH: {
      const p = parseAh(bytes, start, end - start);
      return p.ok ? `AH spi=${hex32(p.value.spi)} seq=${p.value.seq} next=${ipProtoName(p.value.nextHeader)}` : `AH (${p.error.message})`;
    }
    case IP_PROTO.UDP: {
      const p = parseUdp(bytes, start, end - start);
      if (!p.ok) return `UDP (${p.error.message})`;
      const u = p.value;
      const line = `UDP ${u.srcPort} → ${u.dstPort} len=${u.length}`;
      const natT = u.srcPort === UDP_NAT_T_PORT || u.dstPort === UDP_NAT_T_PORT;
      const dataEnd = start + u.length;
      return natT && isEspInUdp(bytes, u.payloadOffset, dataEnd)
        ? `${line} ${summarizeProto(bytes, IP_PROTO.ESP, u.payloadOffset, dataEnd, depth + 1)}`
        : line;
    }
    case IP_PROTO.IPIP:
      return `IPIP ${summarizeIpv4(bytes.subarray(0, end), start, depth + 1)}`;
    default: {
      const name = ipProtoName(protocol);
      return `${name.startsWith("proto ") ? name : name.toUpperCase()} len=${end - start}`;
    }
  }
}

function summarizeIpv4(bytes: Uint8Array, start: number, depth: number): string {
  const p = parseIpv4(bytes, start);
  if (!p.ok) return `undecoded ${bytes.length - start} bytes (${p.error.message})`;
  const ip = p.value;
  const payloadStart = start + IPV4_MIN_HEADER_LEN + ip.options.length;
  const payloadEnd = start + ip.totalLength;
  const head = `${ip.src} → ${ip.dst}`;
  if (ip.fragOffset > 0) return `${head} ${ipProtoName(ip.protocol)} fragment off=${ip.fragOffset * 8} len=${payloadEnd - payloadStart}`;
  const rest = summarizeProto(bytes, ip.protocol, payloadStart, payloadEnd, depth);
  return ip.mf ? `${head} ${rest} (first fragment)` : `${head} ${rest}`;
}

/** One short line for a packet: "127.0.0.1 → 127.0.0.1 ICMP echo request id=0x1234 seq=1"; never throws. */
export function summarize(bytes: Uint8Array): string {
  return summarizeIpv4(bytes, 0, 0);
}
