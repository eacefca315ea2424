import { describe, expect, it } from "vitest";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ahIcv, constantTimeEqual } from "../../../src/engine/crypto";
import { hex, toHex } from "./vectors";

/** RFC 2104 by hand, H((K ^ opad) | H((K ^ ipad) | m)) with a 64-byte block, independent of the engine's HMAC. */
function handHmac(hash: (m: Uint8Array) => Uint8Array, key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? hash(key) : key);
  const ipad = block.map((b) => b ^ 0x36);
  const opad = block.map((b) => b ^ 0x5c);
  return hash(new Uint8Array([...opad, ...hash(new Uint8Array([...ipad, ...message]))]));
}

/**
 * IPv4 | AH | ICMP echo request, with TOS, flags/offset, TTL, checksum and the ICV zeroed as
 * RFC 4302 §3.3.3.1 requires before computing the ICV.
 */
function zeroedPacket(icvBytes: number): Uint8Array {
  const ahLen = (12 + icvBytes) / 4 - 2; // RFC 4302 §2.2: length in 32-bit words, minus 2
  const total = 20 + 12 + icvBytes + 12;
  const ip = hex("4500" + total.toString(16).padStart(4, "0") + "1c46" + "0000" + "00" + "33" + "0000" + "c0a80001" + "c0a80002");
  const ah = new Uint8Array([1, ahLen, 0, 0, ...hex("00001000"), ...hex("00000001"), ...new Uint8Array(icvBytes)]);
  const icmp = hex("0800f7ff0000000001020304");
  return new Uint8Array([...ip, ...ah, ...icmp]);
}

describe("AH ICV (RFC 4302 §3.3.3)", () => {
  it("is HMAC-SHA-1 over the zeroed packet, truncated to 96 bits", () => {
    const key = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    const packet = zeroedPacket(12);
    const icv = ahIcv("hmac-sha1-96", key, packet);
    expect(icv).toHaveLength(12);
    expect(toHex(icv)).toBe(toHex(handHmac(sha1, key, packet).subarray(0, 12)));
  });

  it("is HMAC-SHA-256 over the zeroed packet, truncated to 128 bits", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
    const packet = zeroedPacket(16);
    const icv = ahIcv("hmac-sha256-128", key, packet);
    expect(icv).toHaveLength(16);
    expect(toHex(icv)).toBe(toHex(handHmac(sha256, key, packet).subarray(0, 16)));
  });

  it("changes when a field the caller forgot to zero changes (e.g. the TTL)", () => {
    const key = new Uint8Array(20).fill(7);
    const packet = zeroedPacket(12);
    const withTtl = packet.slice();
    withTtl[8] = 64;
    expect(constantTimeEqual(ahIcv("hmac-sha1-96", key, packet), ahIcv("hmac-sha1-96", key, withTtl))).toBe(false);
  });

  it('refuses "none": AH always authenticates', () => {
    expect(() => ahIcv("none", new Uint8Array(0), zeroedPacket(0))).toThrow(/AH needs an integrity algorithm/);
  });
});

describe("constantTimeEqual", () => {
  it("compares contents, and arrays of different length are unequal", () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(0x80, 2, 3), Uint8Array.of(0, 2, 3))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
