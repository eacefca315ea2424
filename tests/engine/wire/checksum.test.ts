import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checksumOk, internetChecksum, onesComplementSum } from "../../../src/engine/wire";
import { ECHO_PACKET, bytes, espVectors } from "./fixtures";
import { refChecksum, withZeroWord } from "./support";

describe("internetChecksum (RFC 1071)", () => {
  it("matches the RFC 1071 §3 numerical example", () => {
    // §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (after the end-around carry); the field holds its complement.
    const data = bytes("0001f203f4f5f6f7");
    expect(onesComplementSum(data)).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
  });

  it("pads an odd last byte with zero", () => {
    expect(internetChecksum(Uint8Array.of(0x01))).toBe(0xfeff);
    expect(internetChecksum(bytes("0001f203f4"))).toBe(refChecksum(bytes("0001f203f400")));
  });

  it("sums only the range it is given", () => {
    const data = bytes("ffff0001f203f4f5f6f7ffff");
    expect(internetChecksum(data, 2, 10)).toBe(0x220d);
    expect(checksumOk(ECHO_PACKET, 0, 20)).toBe(true);
    expect(checksumOk(ECHO_PACKET, 20, 36)).toBe(true);
  });

  it("verifies and recomputes the IPv4 header checksums of the RFC 3602 packets", () => {
    const headers = espVectors()
      .flatMap((v) => [v.original_ip_header, v.outer_ip_header])
      .filter((h): h is string => typeof h === "string");
    expect(headers.length).toBe(3);
    for (const hex of headers) {
      const header = bytes(hex);
      expect(checksumOk(header, 0, 20)).toBe(true);
      const stored = ((header[10] ?? 0) << 8) | (header[11] ?? 0);
      expect(internetChecksum(withZeroWord(header, 10))).toBe(stored);
    }
  });

  it("continues from a partial sum, as the UDP pseudo header needs", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.uint8Array({ maxLength: 32 }), (a0, b) => {
        const a = a0.length % 2 === 0 ? a0 : a0.subarray(1); // words of b must stay aligned
        const joined = new Uint8Array([...a, ...b]);
        expect(internetChecksum(b, 0, b.length, onesComplementSum(a))).toBe(refChecksum(joined));
      }),
    );
  });

  it("agrees with the reference implementation and makes data verify once stored", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat(), (data0, pos) => {
        expect(internetChecksum(data0)).toBe(refChecksum(data0));
        const at = 2 * (pos % Math.floor(data0.length / 2));
        const data = withZeroWord(data0, at);
        const sum = internetChecksum(data);
        data[at] = sum >> 8;
        data[at + 1] = sum & 0xff;
        expect(checksumOk(data)).toBe(true);
        data[at] = (data[at] ?? 0) ^ 0x40;
        expect(checksumOk(data)).toBe(false);
      }),
    );
  });

  it("rejects ranges outside the buffer and a non-16-bit initial sum", () => {
    const data = new Uint8Array(4);
    expect(() => internetChecksum(data, 0, 5)).toThrow(RangeError);
    expect(() => internetChecksum(data, 3, 2)).toThrow(RangeError);
    expect(() => internetChecksum(data, -1)).toThrow(RangeError);
    expect(() => internetChecksum(data, 0, 4, 0x10000)).toThrow(RangeError);
  });
});
