import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ESP_FIELDS,
  ESP_HEADER_LEN,
  emitEsp,
  espHeaderLen,
  espTrailer,
  fieldsByName,
  parseEsp,
  parseEspTrailer,
  readField,
  writeField,
  type EspRepr,
} from "../../../src/engine/wire";
import { bytes, case5, espVectors, sentinel } from "./fixtures";
import { expectKind, failure, garbageFrom, unwrap } from "./support";

/** RFC 3602 case 5 as sent: outer IPv4 header, then ESP SPI 0x4321 seq 1, IV, ciphertext. */
const PACKET = bytes(case5().derived_full_ipv4_packet ?? "");
const ESP = PACKET.subarray(20);
const HEADER = ESP.subarray(0, 8);
const REPR: EspRepr = { spi: 0x4321, seq: 1 };

describe("esp header", () => {
  it("fixture is the RFC 3602 case 5 packet", () => {
    expect(Array.from(HEADER)).toEqual([0, 0, 0x43, 0x21, 0, 0, 0, 1]);
    expect(ESP.length).toBe(104);
  });

  it("deconstruct: reads every ESP_FIELDS entry", () => {
    expect(Object.fromEntries(ESP_FIELDS.map((f) => [f.name, readField(ESP, 0, f)]))).toEqual({ spi: 0x4321, seq: 1 });
  });

  it("construct: writing every field into sentinel bytes rebuilds the header", () => {
    const buf = sentinel(8);
    const F = fieldsByName(ESP_FIELDS);
    writeField(buf, 0, F.spi, 0x4321);
    writeField(buf, 0, F.seq, 1);
    expect(buf).toEqual(HEADER);
  });

  it("checkLen: fewer than 8 bytes, or a length past the buffer, is truncated", () => {
    for (let n = 0; n < 8; n++) expect(failure(parseEsp(HEADER.subarray(0, n)))).toMatchObject({ kind: "truncated", header: "esp" });
    expectKind(parseEsp(PACKET, 20, 105), "truncated");
  });

  it("parse: decodes the header and points past it, in absolute offsets", () => {
    expect(unwrap(parseEsp(ESP))).toEqual({ ...REPR, payloadOffset: 8 });
    expect(unwrap(parseEsp(PACKET, 20, 104))).toEqual({ ...REPR, payloadOffset: 28 });
    expect(unwrap(parseEsp(PACKET, 20))).toEqual({ ...REPR, payloadOffset: 28 });
  });

  it("parse: SPIs 0..255 are malformed (RFC 4303 §2.1)", () => {
    expect(failure(parseEsp(bytes("0000000000000001")))).toMatchObject({ kind: "malformed", header: "esp" });
    expectKind(parseEsp(bytes("000000ff00000001")), "malformed");
    expect(unwrap(parseEsp(bytes("0000010000000001"))).spi).toBe(256);
  });

  it("emit: writes the header into sentinel bytes", () => {
    const buf = sentinel(12);
    expect(emitEsp(REPR, buf, 2)).toBe(8);
    expect(buf).toEqual(new Uint8Array([0xa5, 0xa5, ...HEADER, 0xa5, 0xa5]));
  });

  it("emit: refuses reserved SPIs, out-of-range values and short buffers", () => {
    expect(() => emitEsp({ spi: 0, seq: 1 }, sentinel(8))).toThrow(RangeError);
    expect(() => emitEsp({ spi: 255, seq: 1 }, sentinel(8))).toThrow(RangeError);
    expect(() => emitEsp({ spi: 2 ** 32, seq: 1 }, sentinel(8))).toThrow(RangeError);
    expect(() => emitEsp({ spi: 256, seq: -1 }, sentinel(8))).toThrow(RangeError);
    expect(() => emitEsp(REPR, sentinel(7))).toThrow(RangeError);
  });

  it("headerLen: 8", () => {
    expect(espHeaderLen()).toBe(8);
    expect(ESP_HEADER_LEN).toBe(8);
  });

  it("parse(emit(repr)) == repr for any valid header", () => {
    fc.assert(
      fc.property(fc.integer({ min: 256, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (spi, seq) => {
        const buf = new Uint8Array(8);
        emitEsp({ spi, seq }, buf);
        expect(unwrap(parseEsp(buf))).toEqual({ spi, seq, payloadOffset: 8 });
      }),
    );
  });

  it("parse never throws on garbage", () => {
    fc.assert(
      fc.property(garbageFrom([HEADER]), fc.integer({ min: -1, max: 12 }), fc.integer({ min: -1, max: 12 }), (b, offset, length) => {
        const r = parseEsp(b, offset, length);
        if (!r.ok) expect(["truncated", "malformed"]).toContain(r.error.kind);
      }),
    );
  });
});

describe("esp trailer", () => {
  it("builds the RFC 3602 case 5 trailer: 14 bytes of 1..14, pad length 14, next header ICMP", () => {
    const v = case5();
    const trailer = espTrailer(bytes(v.plaintext_payload).length, 16, v.next_header);
    expect(trailer).toEqual(bytes(`${v.padding ?? ""}0e01`));
    expect(v.pad_length).toBe(14);
  });

  it("fills every RFC 3602 ESP case to exactly its ciphertext length", () => {
    for (const v of espVectors()) {
      const payload = bytes(v.plaintext_payload);
      const ciphertextLen = bytes(v.esp).length - 8 - 16; // SPI, seq, 16-byte IV, no ICV
      expect(payload.length + espTrailer(payload.length, 16, v.next_header).length, v.id).toBe(ciphertextLen);
    }
  });

  it("aligns payload + trailer to the alignment with the fewest pad bytes", () => {
    expect(Array.from(espTrailer(2, 4, 4))).toEqual([0, 4]);
    expect(Array.from(espTrailer(0, 4, 50))).toEqual([1, 2, 2, 50]);
    expect(Array.from(espTrailer(3, 4, 1))).toEqual([1, 2, 3, 3, 1]);
    expect(espTrailer(14, 16, 1)).toEqual(Uint8Array.of(0, 1));
    expect(espTrailer(15, 16, 1).length).toBe(17);
  });

  it("refuses an alignment that is not a multiple of 4 in 4..256, and bad lengths or next headers", () => {
    for (const a of [0, 1, 2, 3, 6, 260, 4.5]) expect(() => espTrailer(10, a, 1)).toThrow(RangeError);
    expect(() => espTrailer(-1, 4, 1)).toThrow(RangeError);
    expect(() => espTrailer(1, 4, 256)).toThrow(RangeError);
  });

  it("parseEspTrailer splits the RFC 3602 case 5 plaintext", () => {
    const v = case5();
    const plaintext = bytes(`${v.plaintext_payload}${v.padding ?? ""}0e01`);
    expect(unwrap(parseEspTrailer(plaintext))).toEqual({
      payload: bytes(v.plaintext_payload),
      padLength: 14,
      nextHeader: 1,
      padding: bytes(v.padding ?? ""),
    });
  });

  it("parseEspTrailer rejects a wrong padding pattern, an overlong pad length and a short input", () => {
    expect(failure(parseEspTrailer(bytes("aabb0102040301")))).toMatchObject({ kind: "malformed", header: "esp-trailer" });
    expectKind(parseEspTrailer(bytes("0102030401")), "malformed");
    expectKind(parseEspTrailer(bytes("01")), "truncated");
    expectKind(parseEspTrailer(new Uint8Array(0)), "truncated");
    expect(unwrap(parseEspTrailer(bytes("0004")))).toEqual({ payload: new Uint8Array(0), padLength: 0, nextHeader: 4, padding: new Uint8Array(0) });
  });

  it("parseEspTrailer(payload ‖ espTrailer(payload)) gives the payload back", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 255 }),
        (payload, words, nextHeader) => {
          const alignment = words * 4;
          const trailer = espTrailer(payload.length, alignment, nextHeader);
          const plaintext = new Uint8Array([...payload, ...trailer]);
          expect(plaintext.length % alignment).toBe(0);
          expect(trailer.length).toBeLessThanOrEqual(alignment + 1);
          const parts = unwrap(parseEspTrailer(plaintext));
          expect(parts.payload).toEqual(payload);
          expect(parts.nextHeader).toBe(nextHeader);
          expect(parts.padLength).toBe(trailer.length - 2);
        },
      ),
    );
  });

  it("parseEspTrailer never throws on garbage", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = parseEspTrailer(b);
        if (!r.ok) expect(["truncated", "malformed"]).toContain(r.error.kind);
      }),
    );
  });
});
