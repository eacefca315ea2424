/**
 * Reading and rewriting header fields inside an mbuf chain, through the wire FIELDS tables,
 * with one `field.set` event per change — "nothing changes a packet silently".
 */
import { m_copydata, m_hdr_link, m_poke, type Mbuf } from "../mbuf/mbuf";
import type { Site } from "../trace/recorder";
import { fieldsByName, formatFieldValue, formatIpv4Addr, readField, writeField, type FieldSpec } from "../wire/fields";
import { IPV4_FIELDS, parseIpv4, type Ipv4Repr } from "../wire/ipv4";
import { ICMP_ECHO_FIELDS } from "../wire/icmp";
import { internetChecksum } from "../wire/checksum";

export const IP = fieldsByName(IPV4_FIELDS);
export const ICMP = fieldsByName(ICMP_ECHO_FIELDS);

/** What the layers read from an IPv4 header to route it and look up policies. */
export type IpHeaderSummary = Pick<Ipv4Repr, "tos" | "protocol" | "src" | "dst">;

/**
 * The IPv4 header at the front of `m` (the fields layers route and select on). Layers call this
 * only on packets ip_input accepted or the stack built itself; a malformed header throws with
 * parseIpv4's reason. Reads the bytes in place: no parse result, no option copy.
 */
export function ipHeader(m: Mbuf): IpHeaderSummary {
  const b = m.bytes();
  if (b.length >= 20) {
    const hlen = (b[0]! & 0x0f) * 4;
    const totalLength = (b[2]! << 8) | b[3]!;
    // parseIpv4's checks, in its order of meaning: version 4, a header that fits, ip_len within it.
    if (b[0]! >> 4 === 4 && hlen >= 20 && hlen <= b.length && totalLength >= hlen && totalLength <= b.length) {
      return { tos: b[1]!, protocol: b[9]!, src: addrText(readU32(b, 12)), dst: addrText(readU32(b, 16)) };
    }
  }
  const r = parseIpv4(b, 0);
  if (!r.ok) throw new Error(`packet ${m.id}: ${r.error.message}`);
  return r.value;
}

function readU32(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

const ADDR_TEXT = new Map<number, string>();

/** Dotted-quad text of an address, one string per address (a flood formats the same few). */
export function addrText(n: number): string {
  let text = ADDR_TEXT.get(n);
  if (text === undefined) {
    if (ADDR_TEXT.size >= 4096) ADDR_TEXT.clear();
    text = formatIpv4Addr(n);
    ADDR_TEXT.set(n, text);
  }
  return text;
}

/** Header length in bytes (ip_hl << 2). */
export function ipHeaderLen(m: Mbuf): number {
  return (m.bytes()[0]! & 0x0f) * 4;
}

/** Read one field of the header at byte `base` of the packet (no copy: bytes() is a view or cache). */
export function getField(m: Mbuf, base: number, spec: FieldSpec): number {
  return readField(m.bytes(), base, spec);
}

/**
 * Write one field of the header at `base` and record `field.set` (from → to, formatted as the
 * inspector shows them). The event is recorded even when the value stays the same — "ip_dst =
 * ip_src" on lo0 is still a step of icmp_reflect — but then no new packet version is made.
 */
export function setField(site: Site, m: Mbuf, header: string, base: number, spec: FieldSpec, value: number, note: string): void {
  const before = readField(m.bytes(), base, spec);
  if (before !== value) {
    const word = m_copydata(m, base + spec.offset, spec.size);
    writeField(word, -spec.offset, spec, value);
    m_poke(m, base + spec.offset, word);
  }
  // ip_p now names what follows the header: a header put in behind it is part of the packet (header stack).
  if (spec === IP.protocol) m_hdr_link(m, base, value);
  site.emit(m, { kind: "field.set", header, field: spec.name, from: fieldText(spec, before), to: fieldText(spec, value) }, note);
}

const FIELD_TEXT = new Map<FieldSpec, Map<number, string>>();

/** formatFieldValue, one string per field and value (ip_len, TTL, protocol repeat every packet). */
function fieldText(spec: FieldSpec, value: number): string {
  let byValue = FIELD_TEXT.get(spec);
  if (byValue === undefined) FIELD_TEXT.set(spec, (byValue = new Map()));
  let text = byValue.get(value);
  if (text === undefined) {
    if (byValue.size >= 1024) byValue.clear();
    byValue.set(value, (text = formatFieldValue(spec, value)));
  }
  return text;
}

/** in_cksum over `len` bytes at `off`, written into the 16-bit field at `off + fieldOffset`. */
export function fillChecksum(site: Site, m: Mbuf, header: string, off: number, len: number, spec: FieldSpec, note: string): void {
  const zero = m_copydata(m, off, len);
  zero[spec.offset] = 0;
  zero[spec.offset + 1] = 0;
  setField(site, m, header, off, spec, internetChecksum(zero, 0, len), note);
}
