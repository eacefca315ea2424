import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AUTH_ALGS, ENC_ALGS, aeadEncrypt, authCompute, espOpen, espSeal, validateKeys } from "../../../src/engine/crypto";
import type { AuthAlgId, EncAlgId, EspOpenResult, EspSaKeys } from "../../../src/engine/crypto";
import { toHex } from "./vectors";

interface Suite {
  enc: EncAlgId;
  encKeyBytes: number;
  auth: AuthAlgId;
}

/** Every valid enc × auth pairing, at every allowed KEYMAT length. */
const SUITES: Suite[] = (Object.keys(ENC_ALGS) as EncAlgId[]).flatMap((enc) =>
  (Object.keys(AUTH_ALGS) as AuthAlgId[])
    .filter((auth) => !ENC_ALGS[enc].aead || auth === "none")
    .flatMap((auth) => ENC_ALGS[enc].keyBytes.map((encKeyBytes) => ({ enc, encKeyBytes, auth }))),
);
const name = (s: Suite) => `${s.enc}(${s.encKeyBytes})/${s.auth}`;
/** Suites whose packets carry an ICV. */
const WITH_INTEGRITY = SUITES.filter((s) => ENC_ALGS[s.enc].aead || s.auth !== "none");

/** Deterministic, distinct-looking key bytes. */
function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7 + 1) & 0xff);
}

function keysFor(s: Suite, seed = 1): EspSaKeys {
  return { enc: s.enc, encKey: pattern(s.encKeyBytes, seed), auth: s.auth, authKey: pattern(AUTH_ALGS[s.auth].keyBytes, seed + 100) };
}

function sealShort(s: Suite, keys = keysFor(s)) {
  return espSeal(keys, {
    spi: 0x1234,
    seq: 7,
    iv: pattern(ENC_ALGS[s.enc].ivBytes, 9),
    payload: Uint8Array.of(0x45, 0x00, 0x00, 0x05, 0xaa),
    nextHeader: 4,
  });
}

function reason(r: EspOpenResult): string {
  return r.ok ? "ok" : r.reason;
}

describe("the suites under test", () => {
  it("cover every encryption and integrity transform, and all are valid", () => {
    expect(SUITES.map(name)).toEqual([
      "aes-gcm-16(20)/none",
      "aes-gcm-16(28)/none",
      "aes-gcm-16(36)/none",
      "chacha20-poly1305(36)/none",
      "aes-cbc(16)/hmac-sha1-96",
      "aes-cbc(24)/hmac-sha1-96",
      "aes-cbc(32)/hmac-sha1-96",
      "aes-cbc(16)/hmac-sha256-128",
      "aes-cbc(24)/hmac-sha256-128",
      "aes-cbc(32)/hmac-sha256-128",
      "aes-cbc(16)/none",
      "aes-cbc(24)/none",
      "aes-cbc(32)/none",
      "aes-cbc(16)/hmac-md5-96",
      "aes-cbc(24)/hmac-md5-96",
      "aes-cbc(32)/hmac-md5-96",
      "null(0)/hmac-sha1-96",
      "null(0)/hmac-sha256-128",
      "null(0)/none",
      "null(0)/hmac-md5-96",
      "3des-cbc(24)/hmac-sha1-96",
      "3des-cbc(24)/hmac-sha256-128",
      "3des-cbc(24)/none",
      "3des-cbc(24)/hmac-md5-96",
    ]);
    for (const s of SUITES) {
      const k = keysFor(s);
      expect(validateKeys(k.enc, k.encKey, k.auth, k.authKey)).toEqual([]);
    }
  });
});

describe.each(SUITES)("$enc ($encKeyBytes-byte KEYMAT) with $auth", (s) => {
  const enc = ENC_ALGS[s.enc];
  const icvBytes = enc.aead ? enc.icvBytes : AUTH_ALGS[s.auth].icvBytes;

  it("round-trips any payload of 0..1500 bytes with minimal RFC 4303 padding", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: s.encKeyBytes, maxLength: s.encKeyBytes }),
        fc.uint8Array({ minLength: AUTH_ALGS[s.auth].keyBytes, maxLength: AUTH_ALGS[s.auth].keyBytes }),
        fc.uint8Array({ minLength: enc.ivBytes, maxLength: enc.ivBytes }),
        fc.uint8Array({ minLength: 0, maxLength: 1500 }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 255 }),
        (encKey, authKey, iv, payload, spi, seq, nextHeader) => {
          const keys: EspSaKeys = { enc: s.enc, encKey, auth: s.auth, authKey };
          const sealed = espSeal(keys, { spi, seq, iv, payload, nextHeader });
          const { bytes, plaintext, padLength } = sealed;

          expect(plaintext.length % enc.blockBytes).toBe(0);
          expect(padLength).toBeLessThan(enc.blockBytes);
          expect(plaintext.length).toBe(payload.length + padLength + 2);
          expect(Array.from(plaintext.subarray(payload.length, payload.length + padLength))).toEqual(
            Array.from({ length: padLength }, (_, i) => i + 1),
          );
          expect(bytes.length).toBe(8 + enc.ivBytes + plaintext.length + icvBytes);
          expect(sealed.ivOffset).toBe(8);
          expect(sealed.ciphertextOffset).toBe(8 + enc.ivBytes);
          expect(sealed.icvOffset).toBe(bytes.length - icvBytes);
          expect(toHex(bytes.subarray(sealed.ivOffset, sealed.ciphertextOffset))).toBe(toHex(iv));

          const opened = espOpen(keys, bytes);
          if (!opened.ok) throw new Error(`${opened.reason}: ${opened.detail}`);
          expect(toHex(opened.payload)).toBe(toHex(payload));
          expect(opened.nextHeader).toBe(nextHeader);
          expect(opened.spi).toBe(spi);
          expect(opened.seq).toBe(seq);
          expect(toHex(opened.iv)).toBe(toHex(iv));
          expect(opened.padLength).toBe(padLength);
          expect(toHex(opened.plaintext)).toBe(toHex(plaintext));
          expect(toHex(opened.icv)).toBe(toHex(bytes.subarray(sealed.icvOffset)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("is deterministic: the same input gives the same bytes", () => {
    expect(toHex(sealShort(s).bytes)).toBe(toHex(sealShort(s).bytes));
  });

  it("reports a packet shorter than header, IV and ICV as truncated", () => {
    const minimum = 8 + enc.ivBytes + icvBytes;
    const r = espOpen(keysFor(s), new Uint8Array(minimum - 1));
    expect(reason(r)).toBe("truncated");
    if (!r.ok) expect(r.detail).toContain(`got ${minimum - 1}`);
  });

  it("throws on an IV of the wrong length (a caller bug, not a drop)", () => {
    expect(() => espSeal(keysFor(s), { spi: 1, seq: 1, iv: new Uint8Array(enc.ivBytes + 1), payload: new Uint8Array(4), nextHeader: 4 })).toThrow(
      /IV/,
    );
  });
});

describe.each(WITH_INTEGRITY)("integrity of $enc ($encKeyBytes-byte KEYMAT) with $auth", (s) => {
  it("rejects a flipped bit anywhere in the packet with icv-mismatch", () => {
    const { bytes } = sealShort(s);
    for (let pos = 0; pos < bytes.length; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = bytes.slice();
        tampered[pos] = (tampered[pos] ?? 0) ^ (1 << bit);
        const r = espOpen(keysFor(s), tampered);
        if (reason(r) !== "icv-mismatch") throw new Error(`byte ${pos} bit ${bit}: ${reason(r)}`);
      }
    }
  });

  it("rejects a packet sealed under another key with icv-mismatch", () => {
    const { bytes } = sealShort(s, keysFor(s, 1));
    expect(reason(espOpen(keysFor(s, 2), bytes))).toBe("icv-mismatch");
  });

  it("rejects a packet cut short by one byte with icv-mismatch", () => {
    const { bytes } = sealShort(s);
    expect(reason(espOpen(keysFor(s), bytes.subarray(0, bytes.length - 1)))).toBe("icv-mismatch");
  });
});

describe("confidentiality without integrity", () => {
  const none: Suite = { enc: "null", encKeyBytes: 0, auth: "none" };

  it("NULL with no integrity is the plaintext in the clear, and opens trivially", () => {
    const keys = keysFor(none);
    const payload = Uint8Array.of(1, 2, 3, 4);
    const sealed = espSeal(keys, { spi: 0x100, seq: 1, iv: new Uint8Array(0), payload, nextHeader: 17 });
    // SPI | seq | payload | padding 1 2 | pad length 2 | next header 17
    expect(toHex(sealed.bytes)).toBe("00000100" + "00000001" + "01020304" + "0102" + "02" + "11");
    expect(sealed.ciphertextOffset).toBe(8);
    expect(sealed.icvOffset).toBe(sealed.bytes.length);
    const r = espOpen(keys, sealed.bytes);
    if (!r.ok) throw new Error(r.detail);
    expect(toHex(r.payload)).toBe("01020304");
    expect(r.nextHeader).toBe(17);
    expect(r.icv).toHaveLength(0);
  });

  it("NULL with no integrity accepts a modified payload: nothing protects it", () => {
    const keys = keysFor(none);
    const { bytes } = espSeal(keys, { spi: 0x100, seq: 1, iv: new Uint8Array(0), payload: Uint8Array.of(9, 9), nextHeader: 6 });
    const tampered = bytes.slice();
    tampered[8] = 0x42;
    const r = espOpen(keys, tampered);
    expect(r.ok && toHex(r.payload)).toBe("4209");
  });
});

describe("trailer and length checks after a good ICV", () => {
  it("reports non-monotonic padding as bad-padding (RFC 4303 §2.4)", () => {
    const keys: EspSaKeys = { enc: "null", encKey: new Uint8Array(0), auth: "hmac-sha1-96", authKey: pattern(20, 3) };
    const sealed = espSeal(keys, {
      spi: 1,
      seq: 1,
      iv: new Uint8Array(0),
      payload: Uint8Array.of(7, 7),
      nextHeader: 4,
      padding: Uint8Array.of(1, 9, 3, 4),
    });
    const r = espOpen(keys, sealed.bytes);
    expect(reason(r)).toBe("bad-padding");
    if (!r.ok) expect(r.detail).toContain("padding byte 2 of 4 is 9");
  });

  it("reports a pad length longer than the payload as bad-padding", () => {
    const keys: EspSaKeys = { enc: "null", encKey: new Uint8Array(0), auth: "hmac-sha256-128", authKey: pattern(32, 3) };
    const header = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1);
    const body = Uint8Array.of(1, 2, 200, 4); // pad length 200 with two bytes before the trailer
    const covered = new Uint8Array([...header, ...body]);
    const packet = new Uint8Array([...covered, ...authCompute(keys.auth, keys.authKey, covered)]);
    const r = espOpen(keys, packet);
    expect(reason(r)).toBe("bad-padding");
    if (!r.ok) expect(r.detail).toBe("pad length 200 is more than the 2 bytes before the trailer");
  });

  it("reports AES-CBC ciphertext that is not whole blocks as bad-length", () => {
    const keys: EspSaKeys = { enc: "aes-cbc", encKey: pattern(16, 1), auth: "hmac-sha1-96", authKey: pattern(20, 2) };
    const covered = new Uint8Array([...Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1), ...pattern(16, 5), ...pattern(15, 6)]);
    const packet = new Uint8Array([...covered, ...authCompute(keys.auth, keys.authKey, covered)]);
    expect(reason(espOpen(keys, packet))).toBe("bad-length");
  });

  it("reports an authenticated but empty AEAD payload as bad-length", () => {
    const keys: EspSaKeys = { enc: "aes-gcm-16", encKey: pattern(20, 1), auth: "none", authKey: new Uint8Array(0) };
    const header = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1);
    const iv = pattern(8, 2);
    // A valid tag over zero bytes of plaintext: no room for pad length and next header.
    const packet = new Uint8Array([...header, ...iv, ...aeadEncrypt("aes-gcm-16", keys.encKey, iv, header, new Uint8Array(0))]);
    const r = espOpen(keys, packet);
    expect(reason(r)).toBe("bad-length");
  });
});

describe("espSeal refuses caller bugs", () => {
  it("throws on keys that validateKeys rejects", () => {
    const keys: EspSaKeys = { enc: "aes-gcm-16", encKey: new Uint8Array(16), auth: "none", authKey: new Uint8Array(0) };
    expect(() => espSeal(keys, { spi: 1, seq: 1, iv: new Uint8Array(8), payload: new Uint8Array(0), nextHeader: 4 })).toThrow(
      /aes-gcm-16 needs a 20-, 28- or 36-byte key/,
    );
    expect(() => espOpen(keys, new Uint8Array(64))).toThrow(/invalid ESP SA/);
  });

  it("throws on a padding override that breaks alignment", () => {
    const keys: EspSaKeys = { enc: "aes-cbc", encKey: new Uint8Array(16), auth: "none", authKey: new Uint8Array(0) };
    expect(() =>
      espSeal(keys, { spi: 1, seq: 1, iv: new Uint8Array(16), payload: new Uint8Array(10), nextHeader: 4, padding: Uint8Array.of(1) }),
    ).toThrow(/multiple of 16/);
  });

  it("throws on out-of-range SPI, sequence number or next header", () => {
    const keys: EspSaKeys = { enc: "null", encKey: new Uint8Array(0), auth: "none", authKey: new Uint8Array(0) };
    const base = { spi: 1, seq: 1, iv: new Uint8Array(0), payload: new Uint8Array(0), nextHeader: 4 };
    expect(() => espSeal(keys, { ...base, spi: 2 ** 32 })).toThrow(/SPI/);
    expect(() => espSeal(keys, { ...base, seq: -1 })).toThrow(/sequence/);
    expect(() => espSeal(keys, { ...base, nextHeader: 256 })).toThrow(/next header/);
  });
});

describe("extended sequence numbers (RFC 4303 §2.2.1, RFC 4106 §5)", () => {
  // No published ESN vector with a separate HMAC was found; these cases are derived from the RFC
  // text: seq-hi is not on the wire, but it is in the AAD (AEAD) or appended to the ICV input (HMAC).
  it.each(WITH_INTEGRITY.map((s) => ({ ...s, id: name(s) })))("$id: an ESN packet opens only with the same seq-hi", (s) => {
    const keys = keysFor(s);
    const iv = pattern(ENC_ALGS[s.enc].ivBytes, 9);
    const input = { spi: 0x1234, seq: 3, iv, payload: pattern(20, 4), nextHeader: 1 };
    const esn = espSeal(keys, { ...input, seqHi: 1 });
    const plain = espSeal(keys, input);
    // The wire header is the same (only the low 32 bits are sent) …
    expect(toHex(esn.bytes.subarray(0, 8))).toBe(toHex(plain.bytes.subarray(0, 8)));
    // … but the ICV is not: the old 32-bit behaviour would have produced the same packet.
    expect(toHex(esn.bytes)).not.toBe(toHex(plain.bytes));
    expect(espOpen(keys, esn.bytes, 1).ok).toBe(true);
    expect(espOpen(keys, esn.bytes, 2).ok).toBe(false);
    expect(espOpen(keys, esn.bytes).ok).toBe(false);
    expect(espOpen(keys, plain.bytes, 0).ok).toBe(false);
  });

  it("HMAC ICV = HMAC(SPI|seq|IV|ciphertext|seq-hi), the high half appended after the packet", () => {
    const s: Suite = { enc: "null", encKeyBytes: 0, auth: "hmac-sha256-128" };
    const keys = keysFor(s);
    const sealed = espSeal(keys, { spi: 0x1234, seq: 5, iv: new Uint8Array(0), payload: pattern(6, 3), nextHeader: 59, seqHi: 0xabcdef01 });
    const body = sealed.bytes.subarray(0, sealed.icvOffset);
    const expected = authCompute("hmac-sha256-128", keys.authKey, new Uint8Array([...body, 0xab, 0xcd, 0xef, 0x01]));
    expect(toHex(sealed.bytes.subarray(sealed.icvOffset))).toBe(toHex(expected));
  });

  it("AEAD AAD is the 12 bytes SPI|seq-hi|seq-lo", () => {
    const s: Suite = { enc: "chacha20-poly1305", encKeyBytes: 36, auth: "none" };
    const keys = keysFor(s);
    const iv = pattern(8, 2);
    const sealed = espSeal(keys, { spi: 0x01020304, seq: 5, iv, payload: pattern(6, 3), nextHeader: 59, seqHi: 7 });
    const aad = Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 7, 0, 0, 0, 5);
    expect(toHex(sealed.bytes.subarray(16))).toBe(toHex(aeadEncrypt("chacha20-poly1305", keys.encKey, iv, aad, sealed.plaintext)));
  });

  it("rejects a seq-hi that is not 32 bits", () => {
    const keys = keysFor({ enc: "null", encKeyBytes: 0, auth: "hmac-sha1-96" });
    expect(() => espSeal(keys, { spi: 1, seq: 1, iv: new Uint8Array(0), payload: new Uint8Array(0), nextHeader: 59, seqHi: 2 ** 32 })).toThrow(
      /seq-hi/,
    );
  });
});
