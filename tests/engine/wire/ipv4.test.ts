import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IPV4_FIELDS,
  IPV4_MUTABLE_FIELDS,
  emitIpv4,
  fieldsByName,
  ipv4ChecksumOk,
  ipv4HeaderLen,
  parseIpv4,
  readField,
  writeField,
  zeroIpv4MutableFields,
  type Ipv4Repr,
} from "../../../src/engine/wire";
import { AH_PACKET, ECHO_PACKET, ECHO_PACKET_WITH_OPTIONS, NEEDFRAG_PACKET, UDP_PACKET, bytes, case5, sentinel } from "./fixtures";
import { expectKind, failure, garbageFrom, refChecksum, unwrap, withZeroWord } from "./support";

const HEADER = ECHO_PACKET.subarray(0, 20);

/** Every field of `HEADER`, as the RFC 791 diagram reads it. */
const FIELD_VALUES = {
  version: 4,
  ihl: 5,
  tos: 0,
  totalLength: 36,
  id: 0x1234,
  reserved: 0,
  df: 0,
  mf: 0,
  fragOffset: 0,
  ttl: 64,
  protocol: 1,
  checksum: 0x6aa3,
  src: 0x7f000001,
  dst: 0x7f000001,
};

const REPR: Ipv4Repr = {
  tos: 0,
  totalLength: 36,
  id: 0x1234,
  df: false,
  mf: false,
  fragOffset: 0,
  ttl: 64,
  protocol: 1,
  checksum: 0x6aa3,
  src: "127.0.0.1",
  dst: "127.0.0.1",
  options: new Uint8Array(0),
};

describe("ipv4", () => {
  it("fixture checksum is right by the reference implementation", () => {
    expect(refChecksum(withZeroWord(HEADER, 10))).toBe(0x6aa3);
  });

  it("deconstruct: reads every IPV4_FIELDS entry of the fixture", () => {
    const got = Object.fromEntries(IPV4_FIELDS.map((f) => [f.name, readField(ECHO_PACKET, 0, f)]));
    expect(got).toEqual(FIELD_VALUES);
    expect(IPV4_FIELDS.map((f) => f.name)).toEqual(Object.keys(FIELD_VALUES));
  });

  it("construct: writing every field into sentinel bytes rebuilds the fixture", () => {
    const buf = sentinel(20);
    const F = fieldsByName(IPV4_FIELDS);
    for (const [name, value] of Object.entries(FIELD_VALUES)) writeField(buf, 0, F[name as keyof typeof F], value);
    expect(buf).toEqual(HEADER);
  });

  it("checkLen: every prefix shorter than the packet is truncated", () => {
    for (let n = 0; n < ECHO_PACKET.length; n++) {
      const error = failure(parseIpv4(ECHO_PACKET.subarray(0, n)));
      expect(error).toMatchObject({ kind: "truncated", header: "ipv4" });
    }
    // IHL 6: a 20..23-byte prefix has the fixed header but not the option.
    for (let n = 20; n < 24; n++) expectKind(parseIpv4(ECHO_PACKET_WITH_OPTIONS.subarray(0, n)), "truncated");
    // Offsets count: the same packet at offset 3 of a buffer one byte short.
    const shifted = new Uint8Array(3 + ECHO_PACKET.length);
    shifted.set(ECHO_PACKET, 3);
    expect(unwrap(parseIpv4(shifted, 3))).toEqual(REPR);
    expectKind(parseIpv4(shifted.subarray(0, shifted.length - 1), 3), "truncated");
    expectKind(parseIpv4(ECHO_PACKET, 40), "truncated");
  });

  it("parse: decodes the fixture", () => {
    expect(unwrap(parseIpv4(ECHO_PACKET))).toEqual(REPR);
  });

  it("parse: decodes the RFC 3602 ping header and options", () => {
    const v = case5();
    const packet = bytes(`${v.original_ip_header ?? ""}${v.plaintext_payload}`);
    expect(unwrap(parseIpv4(packet))).toEqual({
      tos: 0,
      totalLength: 84,
      id: 0x08f2,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      protocol: 1,
      checksum: 0xf9fe,
      src: "192.168.123.3",
      dst: "192.168.123.100",
      options: new Uint8Array(0),
    });
    expect(unwrap(parseIpv4(ECHO_PACKET_WITH_OPTIONS))).toEqual({ ...REPR, totalLength: 40, checksum: 0xd59a, options: bytes("94040000") });
    expect(unwrap(parseIpv4(UDP_PACKET))).toMatchObject({ df: true, mf: false, protocol: 17, src: "192.0.2.1", dst: "192.0.2.53" });
  });

  it("parse: rejects a wrong version, a short IHL and a total length shorter than the header", () => {
    const bad = (edit: (b: Uint8Array) => void) => {
      const b = ECHO_PACKET.slice();
      edit(b);
      return parseIpv4(b);
    };
    expect(failure(bad((b) => (b[0] = 0x65)))).toMatchObject({ kind: "malformed", header: "ipv4", message: "version is 6, not 4" });
    expectKind(
      bad((b) => (b[0] = 0x44)),
      "malformed",
    );
    expectKind(
      bad((b) => (b[0] = 0x40)),
      "malformed",
    );
    expectKind(
      bad((b) => (b[3] = 19)),
      "malformed",
    );
    expectKind(
      bad((b) => (b[3] = 37)),
      "truncated",
    );
    // A bad checksum is not a parse error: ip_input decides.
    expect(unwrap(bad((b) => (b[11] = 0)))).toEqual({ ...REPR, checksum: 0x6a00 });
  });

  it("parse: bytes past the total length are not part of the packet", () => {
    const padded = new Uint8Array([...ECHO_PACKET, 0, 0, 0, 0]);
    expect(unwrap(parseIpv4(padded))).toEqual(REPR);
  });

  it("emit: writes the fixture into sentinel bytes and fills the checksum", () => {
    const buf = sentinel(20);
    expect(emitIpv4({ ...REPR, checksum: 0 }, buf)).toBe(20);
    expect(buf).toEqual(HEADER);

    const stored = sentinel(20);
    emitIpv4({ ...REPR, checksum: 0xbeef }, stored, 0, { fillChecksum: false });
    expect(stored).toEqual(new Uint8Array([...HEADER.subarray(0, 10), 0xbe, 0xef, ...HEADER.subarray(12)]));

    const withOptions = sentinel(26);
    expect(emitIpv4({ ...REPR, totalLength: 40, options: bytes("94040000") }, withOptions, 2)).toBe(24);
    expect(withOptions).toEqual(new Uint8Array([0xa5, 0xa5, ...ECHO_PACKET_WITH_OPTIONS.subarray(0, 24)]));
  });

  it("emit: refuses what it cannot write", () => {
    const buf = sentinel(64);
    expect(() => emitIpv4({ ...REPR, options: new Uint8Array(3) }, buf)).toThrow(RangeError);
    expect(() => emitIpv4({ ...REPR, options: new Uint8Array(44) }, buf)).toThrow(RangeError);
    expect(() => emitIpv4({ ...REPR, src: "127.1" }, buf)).toThrow(RangeError);
    expect(() => emitIpv4({ ...REPR, ttl: 256 }, buf)).toThrow(RangeError);
    expect(() => emitIpv4({ ...REPR, fragOffset: 8192 }, buf)).toThrow(RangeError);
    expect(() => emitIpv4(REPR, sentinel(19))).toThrow(RangeError);
    expect(() => emitIpv4(REPR, sentinel(20), 1)).toThrow(RangeError);
  });

  it("headerLen: 20 plus the options", () => {
    expect(ipv4HeaderLen(REPR)).toBe(20);
    expect(ipv4HeaderLen({ options: new Uint8Array(40) })).toBe(60);
  });

  it("ipv4ChecksumOk accepts real headers and rejects a flipped bit or a short buffer", () => {
    for (const p of [ECHO_PACKET, ECHO_PACKET_WITH_OPTIONS, AH_PACKET, UDP_PACKET, NEEDFRAG_PACKET]) expect(ipv4ChecksumOk(p)).toBe(true);
    const flipped = ECHO_PACKET.slice();
    flipped[8] = 63;
    expect(ipv4ChecksumOk(flipped)).toBe(false);
    expect(ipv4ChecksumOk(ECHO_PACKET.subarray(0, 19))).toBe(false);
    expect(ipv4ChecksumOk(ECHO_PACKET_WITH_OPTIONS.subarray(0, 22))).toBe(false);
  });

  it("zeroIpv4MutableFields clears exactly the RFC 4302 §3.3.3.1.1.1 fields", () => {
    expect(IPV4_MUTABLE_FIELDS).toEqual(["tos", "reserved", "df", "mf", "fragOffset", "ttl", "checksum"]);
    const b = bytes("45b8002412347fff4001ffff7f0000017f000001");
    zeroIpv4MutableFields(b);
    expect(b).toEqual(bytes("450000241234000000010000" + "7f0000017f000001"));
  });

  it("parse(emit(repr)) == repr for any valid header", () => {
    fc.assert(
      fc.property(arbIpv4Repr(), fc.boolean(), (repr, fill) => {
        const buf = new Uint8Array(repr.totalLength);
        const len = emitIpv4(repr, buf, 0, { fillChecksum: fill });
        expect(len).toBe(ipv4HeaderLen(repr));
        const parsed = unwrap(parseIpv4(buf));
        if (fill) {
          expect(ipv4ChecksumOk(buf)).toBe(true);
          expect(parsed).toEqual({ ...repr, checksum: parsed.checksum });
        } else {
          expect(parsed).toEqual(repr);
        }
      }),
    );
  });

  it("parse never throws on garbage", () => {
    fc.assert(
      fc.property(garbageFrom([ECHO_PACKET, ECHO_PACKET_WITH_OPTIONS, AH_PACKET]), fc.nat(70), (b, offset) => {
        const r = parseIpv4(b, offset);
        if (!r.ok) expect(["truncated", "malformed"]).toContain(r.error.kind);
        expect(typeof ipv4ChecksumOk(b, offset)).toBe("boolean");
      }),
    );
  });
});

/** Valid IPv4 headers, with a total length the buffer can hold. */
function arbIpv4Repr(): fc.Arbitrary<Ipv4Repr> {
  return fc
    .record({
      tos: fc.integer({ min: 0, max: 255 }),
      extra: fc.integer({ min: 0, max: 64 }),
      id: fc.integer({ min: 0, max: 0xffff }),
      df: fc.boolean(),
      mf: fc.boolean(),
      fragOffset: fc.integer({ min: 0, max: 0x1fff }),
      ttl: fc.integer({ min: 0, max: 255 }),
      protocol: fc.integer({ min: 0, max: 255 }),
      checksum: fc.integer({ min: 0, max: 0xffff }),
      src: fc.ipV4(),
      dst: fc.ipV4(),
      optionWords: fc.integer({ min: 0, max: 10 }),
      optionSeed: fc.uint8Array({ minLength: 40, maxLength: 40 }),
    })
    .map(({ extra, optionWords, optionSeed, ...rest }) => {
      const options = optionSeed.slice(0, optionWords * 4);
      return { ...rest, options, totalLength: 20 + options.length + extra };
    });
}
