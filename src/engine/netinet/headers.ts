/**
 * Reading and rewriting header fields inside an mbuf chain, through the wire FIELDS tables,
 * with one `field.set` event per change — "nothing changes a packet silently".
 */
import { m_copydata, m_poke, type Mbuf } from "../mbuf/mbuf";
import type { Site } from "../trace/recorder";
import { fieldsByName, formatFieldValue, readField, writeField, type FieldSpec } from "../wire/fields";
import { IPV4_FIELDS, parseIpv4, type Ipv4Repr } from "../wire/ipv4";
import { ICMP_ECHO_FIELDS } from "../wire/icmp";
import { internetChecksum } from "../wire/checksum";

export const IP = fieldsByName(IPV4_FIELDS);
export const ICMP = fieldsByName(ICMP_ECHO_FIELDS);

/** The IPv4 header at the front of `m`. Layers call this only on packets ip_input accepted. */
export function ipHeader(m: Mbuf): Ipv4Repr {
  const r = parseIpv4(m.bytes(), 0);
  if (!r.ok) throw new Error(`packet ${m.id}: ${r.error.message}`);
  return r.value;
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
export function setField(site: Site, m: Mbuf, header: string, base: number, spec: FieldSpec, value: number, note: string, story?: number): void {
  const before = readField(m.bytes(), base, spec);
  if (before !== value) {
    const word = m_copydata(m, base + spec.offset, spec.size);
    writeField(word, -spec.offset, spec, value);
    m_poke(m, base + spec.offset, word);
  }
  site.emit(m, { kind: "field.set", header, field: spec.name, from: formatFieldValue(spec, before), to: formatFieldValue(spec, value) }, note, story);
}

/** in_cksum over `len` bytes at `off`, written into the 16-bit field at `off + fieldOffset`. */
export function fillChecksum(site: Site, m: Mbuf, header: string, off: number, len: number, spec: FieldSpec, note: string): void {
  const zero = m_copydata(m, off, len);
  zero[spec.offset] = 0;
  zero[spec.offset + 1] = 0;
  setField(site, m, header, off, spec, internetChecksum(zero, 0, len), note);
}
