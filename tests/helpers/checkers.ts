/**
 * Composable packet checkers in the style of gVisor's pkg/tcpip/checker (style.md, "Tests"):
 *
 *   expectIpv4(bytes, src("127.0.0.1"), ttl(255), esp(spi(0x1000), seq(1), decryptsWith(keys, icmp(echoReply()))))
 *
 * `expectIpv4` always checks what every datagram on a wire must satisfy — version 4, a sane
 * header length, ip_len equal to the bytes carried, a correct header checksum — and `icmp(…)`
 * always checks the ICMP checksum. The checksum is recomputed here (RFC 1071, written out) rather
 * than with the engine's own routine, so a bug there cannot hide itself. Parsing uses the
 * engine's wire parsers, which tests/engine/wire covers on their own.
 *
 * Every assertion carries a label ("ipv4 (decrypted).protocol") so a failure says where it is.
 */
import { expect } from "vitest";
import { ahIcv, espOpen, type EspSaKeys } from "../../src/engine/crypto";
import type { AuthAlgId } from "../../src/engine/crypto/registry";
import { AH_FIXED_LEN, IP_PROTO, parseAh, parseEsp, parseIcmp, parseIpv4, type IcmpRepr, type Ipv4Repr } from "../../src/engine/wire";

/** RFC 1071 §4.1, as the RFC's C example does it: 16-bit big-endian words, carries folded at the end. */
export function rfc1071(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A datagram under inspection: its bytes (exactly ip_len of them), header and payload. */
export interface Ipv4View {
  readonly bytes: Uint8Array;
  readonly header: Ipv4Repr;
  readonly headerLen: number;
  readonly payload: Uint8Array;
  /** Prefix for assertion messages: "ipv4", "ipv4 (decrypted)", "ipv4 (inner)". */
  readonly label: string;
}

/** Checks something about a datagram (gVisor's NetworkChecker). */
export type NetworkChecker = (ip: Ipv4View) => void;

/** An ICMP message under inspection. */
export interface IcmpView {
  readonly repr: IcmpRepr;
  readonly bytes: Uint8Array;
  readonly label: string;
}

/** Checks something about an ICMP message (gVisor's TransportChecker). */
export type IcmpChecker = (icmp: IcmpView) => void;

/** An ESP or AH header under inspection, with the datagram that carries it. */
export interface IpsecView {
  readonly proto: "esp" | "ah";
  readonly spi: number;
  readonly seq: number;
  readonly ip: Ipv4View;
  readonly label: string;
  /** AH only: the decoded header (next header, ICV). */
  readonly ah?: { readonly nextHeader: number; readonly icv: Uint8Array; readonly headerLen: number };
}

/** Checks something about an ESP or AH header. */
export type IpsecChecker = (sec: IpsecView) => void;

/** Parse `bytes` as one whole IPv4 datagram and check the invariants every datagram must meet. */
export function ipv4View(bytes: Uint8Array, label = "ipv4"): Ipv4View {
  const parsed = parseIpv4(bytes, 0);
  if (!parsed.ok) throw new Error(`${label}: not an IPv4 datagram: ${parsed.error.message}`);
  const header = parsed.value;
  const headerLen = 20 + header.options.length;
  expect(header.totalLength, `${label}.totalLength vs bytes carried`).toBe(bytes.length);
  expect(rfc1071(bytes.subarray(0, headerLen)), `${label}: header checksum does not verify (RFC 1071 sum over the header must be 0)`).toBe(0);
  return { bytes, header, headerLen, payload: bytes.subarray(headerLen, header.totalLength), label };
}

/** Assert that `bytes` is a valid IPv4 datagram and satisfies every checker. */
export function expectIpv4(bytes: Uint8Array, ...checkers: NetworkChecker[]): Ipv4View {
  const view = ipv4View(bytes);
  for (const c of checkers) c(view);
  return view;
}

// --- IPv4 header ------------------------------------------------------------------------------

export const src =
  (addr: string): NetworkChecker =>
  (ip) =>
    expect(ip.header.src, `${ip.label}.src`).toBe(addr);
export const dst =
  (addr: string): NetworkChecker =>
  (ip) =>
    expect(ip.header.dst, `${ip.label}.dst`).toBe(addr);
export const ttl =
  (n: number): NetworkChecker =>
  (ip) =>
    expect(ip.header.ttl, `${ip.label}.ttl`).toBe(n);
export const tos =
  (n: number): NetworkChecker =>
  (ip) =>
    expect(ip.header.tos, `${ip.label}.tos`).toBe(n);
export const ipId =
  (n: number): NetworkChecker =>
  (ip) =>
    expect(ip.header.id, `${ip.label}.id`).toBe(n);
export const df =
  (set: boolean): NetworkChecker =>
  (ip) =>
    expect(ip.header.df, `${ip.label}.df`).toBe(set);
export const protocol =
  (p: number): NetworkChecker =>
  (ip) =>
    expect(ip.header.protocol, `${ip.label}.protocol`).toBe(p);
export const totalLength =
  (n: number): NetworkChecker =>
  (ip) =>
    expect(ip.header.totalLength, `${ip.label}.totalLength`).toBe(n);
export const payloadLength =
  (n: number): NetworkChecker =>
  (ip) =>
    expect(ip.payload.length, `${ip.label} payload length`).toBe(n);

/** IP-in-IP (tunnel mode): protocol 4 and the inner datagram satisfies `checkers`. */
export function inner(...checkers: NetworkChecker[]): NetworkChecker {
  return (ip) => {
    expect(ip.header.protocol, `${ip.label}.protocol (IPIP)`).toBe(IP_PROTO.IPIP);
    const view = ipv4View(ip.payload, `${ip.label} (inner)`);
    for (const c of checkers) c(view);
  };
}

// --- ICMP -------------------------------------------------------------------------------------

/** Protocol 1, an ICMP message with a correct checksum, satisfying `checkers`. */
export function icmp(...checkers: IcmpChecker[]): NetworkChecker {
  return (ip) => {
    expect(ip.header.protocol, `${ip.label}.protocol (ICMP)`).toBe(IP_PROTO.ICMP);
    const label = `${ip.label} icmp`;
    expect(rfc1071(ip.payload), `${label}: checksum does not verify`).toBe(0);
    const parsed = parseIcmp(ip.payload, 0);
    if (!parsed.ok) throw new Error(`${label}: ${parsed.error.message}`);
    const view: IcmpView = { repr: parsed.value, bytes: ip.payload, label };
    for (const c of checkers) c(view);
  };
}

export const icmpType =
  (t: number): IcmpChecker =>
  (m) =>
    expect(m.repr.type, `${m.label}.type`).toBe(t);
export const icmpCode =
  (c: number): IcmpChecker =>
  (m) =>
    expect(m.repr.code, `${m.label}.code`).toBe(c);
export const echoRequest = (): IcmpChecker => icmpType(8);
export const echoReply = (): IcmpChecker => icmpType(0);

function echoField(field: "id" | "seq", n: number): IcmpChecker {
  return (m) => {
    if (m.repr.kind !== "echo") throw new Error(`${m.label}: not an echo message (type ${m.repr.type})`);
    expect(m.repr[field], `${m.label}.${field}`).toBe(n);
  };
}
export const echoId = (n: number): IcmpChecker => echoField("id", n);
export const echoSeq = (n: number): IcmpChecker => echoField("seq", n);
/** Echo data of `n` bytes (ping -s). */
export const echoDataLength =
  (n: number): IcmpChecker =>
  (m) => {
    if (m.repr.kind !== "echo") throw new Error(`${m.label}: not an echo message`);
    expect(m.repr.data.length, `${m.label} data length`).toBe(n);
  };

// --- ESP and AH -------------------------------------------------------------------------------

/** Protocol 50 and an ESP header satisfying `checkers`. */
export function esp(...checkers: IpsecChecker[]): NetworkChecker {
  return (ip) => {
    expect(ip.header.protocol, `${ip.label}.protocol (ESP)`).toBe(IP_PROTO.ESP);
    const parsed = parseEsp(ip.payload, 0);
    if (!parsed.ok) throw new Error(`${ip.label} esp: ${parsed.error.message}`);
    const view: IpsecView = { proto: "esp", spi: parsed.value.spi, seq: parsed.value.seq, ip, label: `${ip.label} esp` };
    for (const c of checkers) c(view);
  };
}

/** Protocol 51 and an AH header satisfying `checkers`. */
export function ah(...checkers: IpsecChecker[]): NetworkChecker {
  return (ip) => {
    expect(ip.header.protocol, `${ip.label}.protocol (AH)`).toBe(IP_PROTO.AH);
    const parsed = parseAh(ip.payload, 0);
    if (!parsed.ok) throw new Error(`${ip.label} ah: ${parsed.error.message}`);
    const a = parsed.value;
    const view: IpsecView = {
      proto: "ah",
      spi: a.spi,
      seq: a.seq,
      ip,
      label: `${ip.label} ah`,
      ah: { nextHeader: a.nextHeader, icv: a.icv, headerLen: AH_FIXED_LEN + a.icv.length },
    };
    for (const c of checkers) c(view);
  };
}

export const spi =
  (n: number): IpsecChecker =>
  (s) =>
    expect(s.spi, `${s.label}.spi`).toBe(n);
export const seq =
  (n: number): IpsecChecker =>
  (s) =>
    expect(s.seq, `${s.label}.seq`).toBe(n);

/**
 * The datagram as ipsec4_common_input_cb hands it back to ip_input: the outer header with
 * ip_p = `nextHeader` and ip_len fixed, followed by `payload`; its checksum recomputed.
 */
function reassemble(outer: Ipv4View, nextHeader: number, payload: Uint8Array, label: string): Ipv4View {
  const out = new Uint8Array(outer.headerLen + payload.length);
  out.set(outer.bytes.subarray(0, outer.headerLen), 0);
  out.set(payload, outer.headerLen);
  out[2] = out.length >> 8;
  out[3] = out.length & 0xff;
  out[9] = nextHeader;
  out[10] = 0;
  out[11] = 0;
  const sum = rfc1071(out.subarray(0, outer.headerLen));
  out[10] = sum >> 8;
  out[11] = sum & 0xff;
  return ipv4View(out, label);
}

/**
 * ESP only: the packet verifies and decrypts with `keys` (the engine's espOpen), and the datagram
 * it restores — outer header, ip_p from the trailer's next header — satisfies `checkers`.
 * Also asserts the bytes on the wire are not the plaintext (real ciphertext, unless enc is null).
 */
export function decryptsWith(keys: EspSaKeys, ...checkers: NetworkChecker[]): IpsecChecker {
  return (s) => {
    expect(s.proto, `${s.label}: decryptsWith needs ESP`).toBe("esp");
    const opened = espOpen(keys, s.ip.payload);
    if (!opened.ok) throw new Error(`${s.label}: does not decrypt with the SA's keys: ${opened.reason} (${opened.detail})`);
    if (keys.enc !== "null") {
      const wire = s.ip.payload.subarray(8 + opened.iv.length, 8 + opened.iv.length + opened.plaintext.length);
      expect(Buffer.from(wire).equals(Buffer.from(opened.plaintext)), `${s.label}: the wire carries the plaintext`).toBe(false);
    }
    const view = reassemble(s.ip, opened.nextHeader, opened.payload, `${s.ip.label} (decrypted)`);
    for (const c of checkers) c(view);
  };
}

/** ESP only: the packet does *not* verify with `keys` (wrong key, or modified in transit). */
export function failsIcvWith(keys: EspSaKeys): IpsecChecker {
  return (s) => {
    const opened = espOpen(keys, s.ip.payload);
    expect(opened.ok ? "ok" : opened.reason, `${s.label}: expected an ICV failure`).toBe("icv-mismatch");
  };
}

/**
 * AH only: the ICV verifies — recomputed with the engine's ahIcv over the datagram with the
 * mutable IPv4 fields (TOS, flags + fragment offset, TTL, checksum) and the ICV zeroed, zeroed
 * here by hand as RFC 4302 §3.3.3.1.1.1 lists them.
 */
export function icvValid(alg: AuthAlgId, key: Uint8Array): IpsecChecker {
  return (s) => {
    if (!s.ah) throw new Error(`${s.label}: icvValid needs AH`);
    const copy = s.ip.bytes.slice();
    copy[1] = 0; // TOS
    copy[6] = 0; // flags + fragment offset
    copy[7] = 0;
    copy[8] = 0; // TTL
    copy[10] = 0; // header checksum
    copy[11] = 0;
    const icvAt = s.ip.headerLen + AH_FIXED_LEN;
    copy.fill(0, icvAt, icvAt + s.ah.icv.length);
    const icv = ahIcv(alg, key, copy);
    expect(Buffer.from(s.ah.icv.subarray(0, icv.length)).toString("hex"), `${s.label}: ICV`).toBe(Buffer.from(icv).toString("hex"));
  };
}

/** AH only: the datagram with the AH header removed (ip_p from AH's next header) satisfies `checkers`. */
export function decapsulated(...checkers: NetworkChecker[]): IpsecChecker {
  return (s) => {
    if (!s.ah) throw new Error(`${s.label}: decapsulated needs AH`);
    const view = reassemble(s.ip, s.ah.nextHeader, s.ip.payload.subarray(s.ah.headerLen), `${s.ip.label} (AH removed)`);
    for (const c of checkers) c(view);
  };
}
