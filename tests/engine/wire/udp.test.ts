import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  UDP_FIELDS,
  UDP_HEADER_LEN,
  emitUdp,
  fieldsByName,
  parseUdp,
  readField,
  udpChecksum,
  udpChecksumOk,
  udpHeaderLen,
  writeField,
  type UdpRepr,
} from "../../../src/engine/wire";
import { UDP_PACKET, sentinel } from "./fixtures";
import { expectKind, failure, garbageFrom, refChecksum, unwrap } from "./support";

/** The DNS query datagram of UDP_PACKET: 54321 → 53, length 37, checksum 0x2bcb. */
const DATAGRAM = UDP_PACKET.subarray(20);
const SRC = "192.0.2.1";
const DST = "192.0.2.53";
const FIELD_VALUES = { srcPort: 54321, dstPort: 53, length: 37, checksum: 0x2bcb };
const REPR: UdpRepr = { ...FIELD_VALUES };

/** RFC 768 pseudo header + datagram with its checksum field zeroed, summed by the reference checksum. */
function refUdpChecksum(src: number[], dst: number[], datagram: Uint8Array): number {
  const zeroed = datagram.slice();
  zeroed[6] = 0;
  zeroed[7] = 0;
  const sum = refChecksum(new Uint8Array([...src, ...dst, 0, 17, datagram.length >> 8, datagram.length & 0xff, ...zeroed]));
  return sum === 0 ? 0xffff : sum;
}

describe("udp", () => {
  it("fixture checksum is right by the reference implementation", () => {
    expect(refUdpChecksum([192, 0, 2, 1], [192, 0, 2, 53], DATAGRAM)).toBe(0x2bcb);
  });

  it("deconstruct: reads every UDP_FIELDS entry", () => {
    expect(Object.fromEntries(UDP_FIELDS.map((f) => [f.name, readField(DATAGRAM, 0, f)]))).toEqual(FIELD_VALUES);
  });

  it("construct: writing every field into sentinel bytes rebuilds the header", () => {
    const buf = sentinel(8);
    const F = fieldsByName(UDP_FIELDS);
    for (const [name, value] of Object.entries(FIELD_VALUES)) writeField(buf, 0, F[name as keyof typeof F], value);
    expect(buf).toEqual(DATAGRAM.subarray(0, 8));
  });

  it("checkLen: every prefix shorter than the datagram is truncated", () => {
    for (let n = 0; n < DATAGRAM.length; n++) expect(failure(parseUdp(DATAGRAM.subarray(0, n)))).toMatchObject({ kind: "truncated", header: "udp" });
    expectKind(parseUdp(UDP_PACKET, 20, 38), "truncated");
  });

  it("parse: decodes the fixture with an absolute payload offset", () => {
    expect(unwrap(parseUdp(DATAGRAM))).toEqual({ ...REPR, payloadOffset: 8 });
    expect(unwrap(parseUdp(UDP_PACKET, 20))).toEqual({ ...REPR, payloadOffset: 28 });
    // Bytes past the UDP length are trimmed, as udp_input does.
    expect(unwrap(parseUdp(new Uint8Array([...DATAGRAM, 0, 0]))).length).toBe(37);
  });

  it("parse: a length below the header is malformed", () => {
    const b = DATAGRAM.slice();
    b[5] = 7;
    expect(failure(parseUdp(b))).toMatchObject({ kind: "malformed", header: "udp" });
  });

  it("emit: writes the header into sentinel bytes", () => {
    const buf = sentinel(10);
    expect(emitUdp(REPR, buf, 1)).toBe(8);
    expect(buf).toEqual(new Uint8Array([0xa5, ...DATAGRAM.subarray(0, 8), 0xa5]));
    expect(() => emitUdp({ ...REPR, srcPort: 65536 }, buf)).toThrow(RangeError);
    expect(() => emitUdp(REPR, sentinel(7))).toThrow(RangeError);
  });

  it("headerLen: 8", () => {
    expect(udpHeaderLen()).toBe(8);
    expect(UDP_HEADER_LEN).toBe(8);
  });

  it("udpChecksum covers the pseudo header and ignores the stored checksum", () => {
    expect(udpChecksum(SRC, DST, DATAGRAM)).toBe(0x2bcb);
    const garbled = DATAGRAM.slice();
    garbled[6] = 0x12;
    expect(udpChecksum(SRC, DST, garbled)).toBe(0x2bcb);
    expect(udpChecksumOk(SRC, DST, DATAGRAM)).toBe(true);
    expect(udpChecksumOk(SRC, "192.0.2.54", DATAGRAM)).toBe(false);
    expect(udpChecksumOk(SRC, DST, garbled)).toBe(false);
    expect(() => udpChecksum("192.0.2", DST, DATAGRAM)).toThrow(RangeError);
    expect(() => udpChecksum(SRC, DST, DATAGRAM.subarray(0, 7))).toThrow(RangeError);
  });

  it("a stored 0 means no checksum; a computed 0 is sent as 0xffff (RFC 768)", () => {
    const none = DATAGRAM.slice();
    none[6] = 0;
    none[7] = 0;
    expect(udpChecksumOk(SRC, DST, none)).toBe(true);
    // Make the datagram sum to all ones by storing the complement of its sum in a data word.
    const d = DATAGRAM.slice();
    d[8] = 0;
    d[9] = 0;
    const fix = udpChecksum(SRC, DST, d);
    d[8] = fix >> 8;
    d[9] = fix & 0xff;
    expect(udpChecksum(SRC, DST, d)).toBe(0xffff);
    d[6] = 0xff;
    d[7] = 0xff;
    expect(udpChecksumOk(SRC, DST, d)).toBe(true);
  });

  it("parse(emit(repr)) == repr, and udpChecksum agrees with the reference", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 64 }),
        fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)),
        (srcPort, dstPort, payload, dst) => {
          const datagram = new Uint8Array(8 + payload.length);
          datagram.set(payload, 8);
          const repr: UdpRepr = { srcPort, dstPort, length: datagram.length, checksum: 0 };
          emitUdp(repr, datagram);
          const sum = udpChecksum(SRC, dst.join("."), datagram);
          expect(sum).toBe(refUdpChecksum([192, 0, 2, 1], dst, datagram));
          emitUdp({ ...repr, checksum: sum }, datagram);
          expect(udpChecksumOk(SRC, dst.join("."), datagram)).toBe(true);
          expect(unwrap(parseUdp(datagram))).toEqual({ ...repr, checksum: sum, payloadOffset: 8 });
        },
      ),
    );
  });

  it("parse never throws on garbage", () => {
    fc.assert(
      fc.property(garbageFrom([DATAGRAM]), fc.integer({ min: -1, max: 40 }), fc.integer({ min: -1, max: 40 }), (b, offset, length) => {
        const r = parseUdp(b, offset, length);
        if (!r.ok) expect(["truncated", "malformed"]).toContain(r.error.kind);
      }),
    );
  });
});
