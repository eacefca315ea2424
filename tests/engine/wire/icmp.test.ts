import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ICMP_ECHO_FIELDS,
  ICMP_ERROR_FIELDS,
  ICMP_TYPE,
  ICMP_UNREACH,
  emitIcmp,
  fieldsByName,
  icmpChecksumOk,
  icmpLen,
  icmpTypeName,
  parseIcmp,
  readField,
  writeField,
  type IcmpRepr,
} from "../../../src/engine/wire";
import { ECHO_PACKET, NEEDFRAG_PACKET, bytes, espVectors, sentinel } from "./fixtures";
import { expectKind, failure, garbageFrom, refChecksum, unwrap, withZeroWord } from "./support";

/** The ICMP message of ECHO_PACKET: echo request id 0x1234 seq 1, data "tagflow!". */
const ECHO = ECHO_PACKET.subarray(20);
/** The ICMP message of NEEDFRAG_PACKET: needfrag, MTU 1400, quoting 28 bytes. */
const NEEDFRAG = NEEDFRAG_PACKET.subarray(20);

const ECHO_VALUES = { type: 8, code: 0, checksum: 0x2672, id: 0x1234, seq: 1 };
const ECHO_REPR: IcmpRepr = { kind: "echo", type: 8, code: 0, checksum: 0x2672, id: 0x1234, seq: 1, data: bytes("746167666c6f7721") };
const NEEDFRAG_REPR: IcmpRepr = {
  kind: "error",
  type: 3,
  code: 4,
  checksum: 0xe77c,
  nextHopMtu: 1400,
  original: NEEDFRAG.slice(8),
};

describe("icmp", () => {
  it("fixture checksums are right by the reference implementation", () => {
    expect(refChecksum(withZeroWord(ECHO, 2))).toBe(0x2672);
    expect(refChecksum(withZeroWord(NEEDFRAG, 2))).toBe(0xe77c);
  });

  it("deconstruct: reads every ICMP_ECHO_FIELDS and ICMP_ERROR_FIELDS entry", () => {
    expect(Object.fromEntries(ICMP_ECHO_FIELDS.map((f) => [f.name, readField(ECHO, 0, f)]))).toEqual(ECHO_VALUES);
    expect(Object.fromEntries(ICMP_ERROR_FIELDS.map((f) => [f.name, readField(NEEDFRAG, 0, f)]))).toEqual({
      type: 3,
      code: 4,
      checksum: 0xe77c,
      unused: 0,
      nextHopMtu: 1400,
    });
  });

  it("construct: writing every echo field into sentinel bytes rebuilds the header", () => {
    const buf = sentinel(8);
    const F = fieldsByName(ICMP_ECHO_FIELDS);
    for (const [name, value] of Object.entries(ECHO_VALUES)) writeField(buf, 0, F[name as keyof typeof F], value);
    expect(buf).toEqual(ECHO.subarray(0, 8));
  });

  it("checkLen: fewer than 8 bytes, or a length past the buffer, is truncated", () => {
    for (let n = 0; n < 8; n++) expect(failure(parseIcmp(ECHO.subarray(0, n)))).toMatchObject({ kind: "truncated", header: "icmp" });
    for (let n = 0; n < 8; n++) expectKind(parseIcmp(ECHO, 0, n), "truncated");
    expectKind(parseIcmp(ECHO, 1, ECHO.length), "truncated");
    expectKind(parseIcmp(ECHO, -1, 8), "truncated");
  });

  it("parse: decodes the echo request and the needfrag error", () => {
    expect(unwrap(parseIcmp(ECHO))).toEqual(ECHO_REPR);
    expect(unwrap(parseIcmp(ECHO_PACKET, 20, 16))).toEqual(ECHO_REPR);
    expect(unwrap(parseIcmp(NEEDFRAG))).toEqual(NEEDFRAG_REPR);
  });

  it("parse: decodes the real pings of RFC 3602 and verifies their checksums", () => {
    const pings = espVectors().map((v) => {
      const p = bytes(v.plaintext_payload);
      // Tunnel mode carries the whole inner IPv4 packet.
      return v.mode === "tunnel" ? p.subarray(20) : p;
    });
    const decoded = pings.map((p) => {
      expect(icmpChecksumOk(p)).toBe(true);
      const m = unwrap(parseIcmp(p));
      if (m.kind !== "echo") throw new Error("expected an echo");
      return [m.type, m.id, m.seq, m.data.length];
    });
    expect(decoded).toEqual([
      [8, 0xa70a, 0x0000, 56],
      [8, 0xa80a, 0x0500, 20],
      [8, 0xa90a, 0x0100, 56],
      [8, 0xaa0a, 0x0200, 40],
    ]);
  });

  it("parse: other types keep everything after the checksum", () => {
    const redirect = bytes("0501" + "0000" + "0a000001" + "450000");
    expect(unwrap(parseIcmp(redirect))).toEqual({ kind: "other", type: 5, code: 1, checksum: 0, rest: bytes("0a000001450000") });
    // Time exceeded is an error; its MTU is 0 whatever the unused word holds.
    expect(unwrap(parseIcmp(bytes("0b000000deadbeef")))).toEqual({
      kind: "error",
      type: 11,
      code: 0,
      checksum: 0,
      nextHopMtu: 0,
      original: new Uint8Array(0),
    });
  });

  it("emit: writes the fixtures into sentinel bytes and fills the checksum", () => {
    const buf = sentinel(16);
    expect(emitIcmp({ ...ECHO_REPR, checksum: 0 }, buf)).toBe(16);
    expect(buf).toEqual(ECHO);

    const err = sentinel(38);
    expect(emitIcmp({ ...NEEDFRAG_REPR, checksum: 0 }, err, 2)).toBe(36);
    expect(err.subarray(2)).toEqual(NEEDFRAG);
    expect(Array.from(err.subarray(0, 2))).toEqual([0xa5, 0xa5]);

    const kept = sentinel(16);
    emitIcmp({ ...ECHO_REPR, checksum: 0xbeef }, kept, 0, { fillChecksum: false });
    expect(kept).toEqual(new Uint8Array([8, 0, 0xbe, 0xef, ...ECHO.subarray(4)]));
  });

  it("emit: refuses what it cannot write", () => {
    const buf = sentinel(64);
    expect(() => emitIcmp(ECHO_REPR, sentinel(15))).toThrow(RangeError);
    expect(() => emitIcmp({ ...ECHO_REPR, id: 0x10000 }, buf)).toThrow(RangeError);
    expect(() => emitIcmp({ kind: "other", type: 13, code: 0, checksum: 0, rest: new Uint8Array(3) }, buf)).toThrow(RangeError);
    expect(() => emitIcmp({ ...NEEDFRAG_REPR, code: ICMP_UNREACH.PORT }, buf)).toThrow(RangeError);
  });

  it("icmpLen: header plus data, quote or rest", () => {
    expect(icmpLen(ECHO_REPR)).toBe(16);
    expect(icmpLen(NEEDFRAG_REPR)).toBe(36);
    expect(icmpLen({ kind: "other", type: 13, code: 0, checksum: 0, rest: new Uint8Array(16) })).toBe(20);
  });

  it("icmpChecksumOk rejects a flipped bit and an out-of-bounds range", () => {
    expect(icmpChecksumOk(NEEDFRAG)).toBe(true);
    const flipped = ECHO.slice();
    flipped[15] = 0;
    expect(icmpChecksumOk(flipped)).toBe(false);
    expect(icmpChecksumOk(ECHO, 0, 17)).toBe(false);
  });

  it("icmpTypeName names types and codes", () => {
    expect(icmpTypeName(ICMP_TYPE.ECHO_REQUEST, 0)).toBe("echo request");
    expect(icmpTypeName(ICMP_TYPE.ECHO_REPLY, 0)).toBe("echo reply");
    expect(icmpTypeName(ICMP_TYPE.DEST_UNREACH, ICMP_UNREACH.NEEDFRAG)).toBe("destination unreachable (needfrag)");
    expect(icmpTypeName(ICMP_TYPE.DEST_UNREACH, ICMP_UNREACH.PORT)).toBe("destination unreachable (port)");
    expect(icmpTypeName(ICMP_TYPE.DEST_UNREACH, 13)).toBe("destination unreachable (code 13)");
    expect(icmpTypeName(ICMP_TYPE.TIME_EXCEEDED, 0)).toBe("time exceeded (in transit)");
    expect(icmpTypeName(ICMP_TYPE.ECHO_REQUEST, 1)).toBe("echo request (code 1)");
    expect(icmpTypeName(42, 0)).toBe("type 42 code 0");
  });

  it("parse(emit(repr)) == repr for any valid message", () => {
    fc.assert(
      fc.property(arbIcmpRepr(), fc.boolean(), (repr, fill) => {
        const buf = new Uint8Array(icmpLen(repr));
        expect(emitIcmp(repr, buf, 0, { fillChecksum: fill })).toBe(buf.length);
        const parsed = unwrap(parseIcmp(buf));
        if (fill) expect(icmpChecksumOk(buf)).toBe(true);
        expect(parsed).toEqual(fill ? { ...repr, checksum: parsed.checksum } : repr);
      }),
    );
  });

  it("parse never throws on garbage", () => {
    fc.assert(
      fc.property(garbageFrom([ECHO, NEEDFRAG]), fc.nat(20), fc.integer({ min: -2, max: 40 }), (b, offset, length) => {
        const r = parseIcmp(b, offset, length);
        if (!r.ok) expect(r.error.kind).toBe("truncated");
        expect(typeof icmpChecksumOk(b, offset, length)).toBe("boolean");
      }),
    );
  });
});

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });

function arbIcmpRepr(): fc.Arbitrary<IcmpRepr> {
  const echo = fc.record({
    kind: fc.constant("echo" as const),
    type: fc.constantFrom(0 as const, 8 as const),
    code: u8,
    checksum: u16,
    id: u16,
    seq: u16,
    data: fc.uint8Array({ maxLength: 64 }),
  });
  const error = fc
    .record({
      type: fc.constantFrom(3 as const, 4 as const, 11 as const),
      code: u8,
      checksum: u16,
      mtu: u16,
      original: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ type, code, checksum, mtu, original }): IcmpRepr => ({
      kind: "error",
      type,
      code,
      checksum,
      nextHopMtu: type === 3 && code === 4 ? mtu : 0,
      original,
    }));
  const other = fc.record({
    kind: fc.constant("other" as const),
    type: u8.filter((t) => ![0, 3, 4, 8, 11].includes(t)),
    code: u8,
    checksum: u16,
    rest: fc.uint8Array({ minLength: 4, maxLength: 64 }),
  });
  return fc.oneof(echo, error, other);
}
