/**
 * Packets for the wire tests, as hex, with where each came from. Checksums and the AH ICV were
 * computed outside this code base (Python: struct + hmac) and are re-derived in the tests by the
 * reference checksum in `support.ts`, never by the code under test.
 */

import { rfc3602, type Rfc3602EspCase } from "../../helpers/vectors";

/** Hex to bytes through Node, so fixtures do not depend on the `fromHex` under test. */
export function bytes(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`bad fixture hex: ${hex}`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** A buffer of `n` sentinel bytes: anything emit forgets to write stays 0xa5 and breaks the comparison. */
export function sentinel(n: number, fill = 0xa5): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

/**
 * `ping -c 1 -p 74616766 127.0.0.1` shape: IPv4 127.0.0.1 → 127.0.0.1, id 0x1234, TTL 64, no DF,
 * ICMP echo request id 0x1234 seq 1 with 8 bytes of data "tagflow!". IP checksum 0x6aa3, ICMP 0x2672.
 */
export const ECHO_PACKET = bytes(
  "45000024123400004001" +
    "6aa3" +
    "7f000001" +
    "7f000001" + // IPv4, 20 bytes
    "0800" +
    "2672" +
    "1234" +
    "0001" + // ICMP echo header
    "746167666c6f7721", // "tagflow!"
);
/** The same datagram with a 4-byte Router Alert option (RFC 2113: 0x94 0x04 0x00 0x00), IHL 6. */
export const ECHO_PACKET_WITH_OPTIONS = bytes("46000028123400004001d59a7f0000017f000001" + "94040000" + "0800267212340001746167666c6f7721");

/**
 * AH transport mode, 127.0.0.1 → 127.0.0.1, IP id 0x1235, SPI 0x1000, seq 1, next header ICMP,
 * ICV = HMAC-SHA1-96 (RFC 2404) with key 0x0b × 20 over the packet with the IPv4 mutable fields
 * and the ICV zeroed (RFC 4302 §3.3.3.1), protecting the echo request of `ECHO_PACKET`.
 */
export const AH_PACKET = bytes(
  "4500003c1235000040336a587f0000017f000001" + // IPv4, protocol 51
    "0104" +
    "0000" +
    "00001000" +
    "00000001" + // next header 1, payload len 4, reserved, SPI, seq
    "2dee8bb1fb9ba2ba837349e8" + // ICV, 12 bytes
    "0800267212340001746167666c6f7721", // ICMP echo request
);
/** The AH key used for `AH_PACKET`. */
export const AH_KEY = new Uint8Array(20).fill(0x0b);

/** DNS query for example.com A, 192.0.2.1:54321 → 192.0.2.53:53, DF, UDP checksum 0x2bcb. */
export const UDP_PACKET = bytes(
  "45000039004240004011b63bc0000201c0000235" + // IPv4, protocol 17
    "d431" +
    "0035" +
    "0025" +
    "2bcb" + // UDP: ports 54321 → 53, length 37, checksum
    "abcd01000001000000000000076578616d706c6503636f6d0000010001", // DNS query
);

/**
 * ICMP destination unreachable, fragmentation needed (RFC 1191 §4), router 10.0.0.1 → host
 * 10.0.0.2, next-hop MTU 1400, quoting a 1500-byte DF ESP packet 10.0.0.2 → 192.0.2.9 (SPI 0x1000,
 * seq 7): its IPv4 header and the first 8 bytes after it.
 */
export const NEEDFRAG_PACKET = bytes(
  "4500003801000000ff01a6c20a0000010a000002" + // IPv4, TTL 255, protocol 1
    "0304" +
    "e77c" +
    "0000" +
    "0578" + // type 3 code 4, checksum, unused, MTU 1400
    "450005dc077740004032616e0a000002c0000209" + // quoted IPv4 header
    "0000100000000007", // quoted ESP SPI and sequence number
);

/** One ESP case of RFC 3602 §4 as stored in tests/vectors (hex fields). */
export type EspVector = Rfc3602EspCase;

/** The RFC 3602 ESP cases, read from tests/vectors/ (see its README). */
export function espVectors(): EspVector[] {
  return rfc3602().esp_cases;
}

/** RFC 3602 case 5: a real ping 192.168.123.3 → 192.168.123.100 in transport-mode ESP. */
export function case5(): EspVector {
  const v = espVectors().find((c) => c.id === "rfc3602-case5");
  if (!v) throw new Error("rfc3602-case5 missing from tests/vectors");
  return v;
}
