import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AUTH_ALGS, ENC_ALGS, validateKeys } from "../../../src/engine/crypto";
import type { AuthAlgId, EncAlgId } from "../../../src/engine/crypto";

const ENC_IDS = Object.keys(ENC_ALGS) as EncAlgId[];
const AUTH_IDS = Object.keys(AUTH_ALGS) as AuthAlgId[];
const bytes = (n: number) => new Uint8Array(n);

describe("the transform registry", () => {
  it("names every transform by its RFC name, with the contract's sizes", () => {
    expect(ENC_IDS).toEqual(["aes-gcm-16", "chacha20-poly1305", "aes-cbc", "null", "3des-cbc"]);
    expect(AUTH_IDS).toEqual(["hmac-sha1-96", "hmac-sha256-128", "none", "hmac-md5-96"]);
    for (const id of ENC_IDS) expect(ENC_ALGS[id].id).toBe(id);
    for (const id of AUTH_IDS) expect(AUTH_ALGS[id].id).toBe(id);
    const sizes = ENC_IDS.map((id) => {
      const a = ENC_ALGS[id];
      return [id, a.rfc, a.aead, [...a.keyBytes], a.saltBytes, a.ivBytes, a.blockBytes, a.icvBytes];
    });
    expect(sizes).toEqual([
      ["aes-gcm-16", "RFC 4106", true, [20, 28, 36], 4, 8, 4, 16],
      ["chacha20-poly1305", "RFC 7634", true, [36], 4, 8, 4, 16],
      ["aes-cbc", "RFC 3602", false, [16, 24, 32], 0, 16, 16, 0],
      ["null", "RFC 2410", false, [0], 0, 0, 4, 0],
      ["3des-cbc", "RFC 2451", false, [24], 0, 8, 8, 0],
    ]);
    expect(AUTH_IDS.map((id) => [id, AUTH_ALGS[id].rfc, AUTH_ALGS[id].keyBytes, AUTH_ALGS[id].icvBytes])).toEqual([
      ["hmac-sha1-96", "RFC 2404", 20, 12],
      ["hmac-sha256-128", "RFC 4868", 32, 16],
      ["none", "RFC 4303", 0, 0],
      ["hmac-md5-96", "RFC 2403", 16, 12],
    ]);
  });
});

describe("validateKeys", () => {
  it("accepts every allowed KEYMAT length with every allowed integrity algorithm", () => {
    for (const enc of ENC_IDS) {
      for (const auth of AUTH_IDS) {
        if (ENC_ALGS[enc].aead && auth !== "none") continue;
        for (const n of ENC_ALGS[enc].keyBytes) {
          expect(validateKeys(enc, bytes(n), auth, bytes(AUTH_ALGS[auth].keyBytes))).toEqual([]);
        }
      }
    }
  });

  it("explains a wrong encryption key length, citing the RFC", () => {
    expect(validateKeys("aes-gcm-16", bytes(16), "none", bytes(0))).toEqual([
      "aes-gcm-16 needs a 20-, 28- or 36-byte key (a 16-, 24- or 32-byte AES key + 4 bytes of salt, RFC 4106 §8.1); got 16",
    ]);
    expect(validateKeys("chacha20-poly1305", bytes(32), "none", bytes(0))).toEqual([
      "chacha20-poly1305 needs a 36-byte key (32 bytes of ChaCha20 key + 4 bytes of salt, RFC 7634 §2); got 32",
    ]);
    expect(validateKeys("aes-cbc", bytes(20), "hmac-sha1-96", bytes(20))).toEqual([
      "aes-cbc needs a 16-, 24- or 32-byte key (AES-128, AES-192 or AES-256, RFC 3602 §2.2); got 20",
    ]);
    expect(validateKeys("null", bytes(4), "hmac-sha1-96", bytes(20))).toEqual(["null takes no key (RFC 2410); got 4"]);
  });

  it("explains a wrong integrity key length", () => {
    expect(validateKeys("aes-cbc", bytes(16), "hmac-sha1-96", bytes(16))).toEqual(["hmac-sha1-96 needs a 20-byte key (RFC 2404 §3); got 16"]);
    expect(validateKeys("aes-cbc", bytes(16), "hmac-sha256-128", bytes(20))).toEqual([
      "hmac-sha256-128 needs a 32-byte key (RFC 4868 §2.1.1); got 20",
    ]);
    expect(validateKeys("aes-cbc", bytes(16), "none", bytes(8))).toEqual(["none takes no key (RFC 4303); got 8"]);
  });

  it("insists that AEAD algorithms are used with auth none", () => {
    expect(validateKeys("aes-gcm-16", bytes(20), "hmac-sha256-128", bytes(32))).toEqual([
      'aes-gcm-16 is a combined-mode (AEAD) algorithm with its own 16-byte ICV; use auth "none", not "hmac-sha256-128" (RFC 4303 §3.2.3)',
    ]);
    expect(validateKeys("chacha20-poly1305", bytes(36), "hmac-sha1-96", bytes(20))[0]).toMatch(/use auth "none"/);
  });

  it("reports every problem at once", () => {
    expect(validateKeys("aes-gcm-16", bytes(3), "hmac-sha1-96", bytes(1))).toHaveLength(3);
  });

  it("is empty exactly when both lengths are allowed and AEAD goes with none", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENC_IDS),
        fc.constantFrom(...AUTH_IDS),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 64 }),
        (enc, auth, encLen, authLen) => {
          const ok =
            (ENC_ALGS[enc].keyBytes as readonly number[]).includes(encLen) &&
            authLen === AUTH_ALGS[auth].keyBytes &&
            (!ENC_ALGS[enc].aead || auth === "none");
          expect(validateKeys(enc, bytes(encLen), auth, bytes(authLen)).length === 0).toBe(ok);
        },
      ),
    );
  });
});
