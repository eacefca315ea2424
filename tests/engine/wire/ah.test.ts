import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AH_FIELDS,
  AH_FIXED_LEN,
  ahHeaderLen,
  ahPayloadLenFor,
  emitAh,
  fieldsByName,
  parseAh,
  readField,
  writeField,
  zeroIpv4MutableFields,
  type AhRepr,
} from "../../../src/engine/wire";
import { AH_KEY, AH_PACKET, bytes, sentinel } from "./fixtures";
import { expectKind, failure, garbageFrom, unwrap } from "./support";

/** The 24-byte AH header of AH_PACKET: next header ICMP, SPI 0x1000, seq 1, 12-byte HMAC-SHA1-96 ICV. */
const AH = AH_PACKET.subarray(20, 44);
const ICV = bytes("2dee8bb1fb9ba2ba837349e8");
const FIELD_VALUES = { nextHeader: 1, payloadLen: 4, reserved: 0, spi: 0x1000, seq: 1 };
const REPR: AhRepr = { nextHeader: 1, payloadLen: 4, spi: 0x1000, seq: 1, icv: ICV };

describe("ah", () => {
  it("fixture ICV is HMAC-SHA1-96 over the packet with mutable fields and ICV zeroed (RFC 4302 §3.3.3.1)", () => {
    const zeroed = AH_PACKET.slice();
    zeroIpv4MutableFields(zeroed, 0);
    zeroed.fill(0, 20 + AH_FIXED_LEN, 20 + AH_FIXED_LEN + 12);
    const mac = createHmac("sha1", AH_KEY).update(zeroed).digest().subarray(0, 12);
    expect(new Uint8Array(mac)).toEqual(ICV);
  });

  it("deconstruct: reads every AH_FIELDS entry", () => {
    expect(Object.fromEntries(AH_FIELDS.map((f) => [f.name, readField(AH, 0, f)]))).toEqual(FIELD_VALUES);
  });

  it("construct: writing every field and the ICV into sentinel bytes rebuilds the header", () => {
    const buf = sentinel(24);
    const F = fieldsByName(AH_FIELDS);
    for (const [name, value] of Object.entries(FIELD_VALUES)) writeField(buf, 0, F[name as keyof typeof F], value);
    buf.set(ICV, AH_FIXED_LEN);
    expect(buf).toEqual(AH);
  });

  it("checkLen: every prefix shorter than the header is truncated", () => {
    for (let n = 0; n < AH.length; n++) expect(failure(parseAh(AH.subarray(0, n)))).toMatchObject({ kind: "truncated", header: "ah" });
    expectKind(parseAh(AH_PACKET, 20, 23), "truncated");
    expectKind(parseAh(AH_PACKET, 50, 20), "truncated");
  });

  it("parse: decodes the fixture", () => {
    expect(unwrap(parseAh(AH))).toEqual(REPR);
    expect(unwrap(parseAh(AH_PACKET, 20, 40))).toEqual(REPR);
    // payloadLen 1 is a valid AH with an empty ICV (RFC 4302 §2.2).
    expect(unwrap(parseAh(bytes("3201000000001000" + "00000002")))).toEqual({
      nextHeader: 50,
      payloadLen: 1,
      spi: 0x1000,
      seq: 2,
      icv: new Uint8Array(0),
    });
  });

  it("parse: rejects a payload length below the fixed header and reserved SPIs", () => {
    expect(failure(parseAh(bytes("010000000000100000000001")))).toMatchObject({ kind: "malformed", header: "ah" });
    expectKind(parseAh(bytes("010100000000000000000001")), "malformed");
    expectKind(parseAh(bytes("0101000000000080" + "00000001")), "malformed");
    // The reserved field is ignored on input (§2.3).
    expect(unwrap(parseAh(bytes("01010bad00001000" + "00000001"))).spi).toBe(0x1000);
  });

  it("emit: writes the fixture into sentinel bytes", () => {
    const buf = sentinel(26);
    expect(emitAh(REPR, buf, 1)).toBe(24);
    expect(buf).toEqual(new Uint8Array([0xa5, ...AH, 0xa5]));
  });

  it("emit: refuses an unpadded ICV, a payload length that disagrees with it, reserved SPIs and short buffers", () => {
    const buf = sentinel(64);
    expect(() => emitAh({ ...REPR, icv: new Uint8Array(10), payloadLen: ahPayloadLenFor(10) }, buf)).toThrow(RangeError);
    expect(() => emitAh({ ...REPR, payloadLen: 3 }, buf)).toThrow(RangeError);
    expect(() => emitAh({ ...REPR, spi: 0 }, buf)).toThrow(RangeError);
    expect(() => emitAh({ ...REPR, nextHeader: 256 }, buf)).toThrow(RangeError);
    expect(() => emitAh(REPR, sentinel(23))).toThrow(RangeError);
  });

  it("headerLen: 12 plus the ICV rounded up to 32 bits; payload length is words minus 2", () => {
    expect([0, 12, 16, 10, 32].map(ahHeaderLen)).toEqual([12, 24, 28, 24, 44]);
    expect([0, 12, 16, 10, 32].map(ahPayloadLenFor)).toEqual([1, 4, 5, 4, 9]);
    expect(() => ahHeaderLen(-4)).toThrow(RangeError);
  });

  it("parse(emit(repr)) == repr for any valid header", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 256, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 16 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (nextHeader, spi, seq, words, seed) => {
          const icv = seed.slice(0, words * 4);
          const repr: AhRepr = { nextHeader, payloadLen: ahPayloadLenFor(icv.length), spi, seq, icv };
          const buf = new Uint8Array(ahHeaderLen(icv.length));
          expect(emitAh(repr, buf)).toBe(buf.length);
          expect(unwrap(parseAh(buf))).toEqual(repr);
        },
      ),
    );
  });

  it("parse never throws on garbage", () => {
    fc.assert(
      fc.property(garbageFrom([AH]), fc.integer({ min: -1, max: 30 }), fc.integer({ min: -1, max: 30 }), (b, offset, length) => {
        const r = parseAh(b, offset, length);
        if (!r.ok) expect(["truncated", "malformed"]).toContain(r.error.kind);
      }),
    );
  });
});
