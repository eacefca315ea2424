/**
 * The algorithms of 1999 (seed 002, FreeS/WAN KLIPS): 3DES-CBC (RFC 2451) over des.js and
 * HMAC-MD5-96 (RFC 2403) over @noble/hashes, against NIST SP 800-67 and RFC 2202 vectors
 * (tests/vectors/sp800-67-tdes-rfc2202-md5.json), then through espSeal/espOpen.
 */
import { createDecipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { authCompute, authVerify, hmacFull } from "../../../src/engine/crypto/auth";
import { tdesCbcDecrypt, tdesCbcEncrypt } from "../../../src/engine/crypto/cipher";
import { espOpen, espSeal, type EspSaKeys } from "../../../src/engine/crypto/esp";
import { loadVectors } from "../../helpers/vectors";

interface Repeat {
  byte: string;
  count: number;
}
interface Md5Case {
  id: string;
  key?: string;
  key_repeat?: Repeat;
  data?: string;
  data_ascii?: string;
  data_repeat?: Repeat;
  digest: string;
  digest_96?: string;
}
interface TdesCase {
  id: string;
  key1: string;
  key2: string;
  key3: string;
  plaintext: string;
  ciphertext: string;
}
const V = loadVectors<{ tdea_ecb: TdesCase[]; hmac_md5: Md5Case[] }>("sp800-67-tdes-rfc2202-md5.json");

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const rep = (r: Repeat): Uint8Array => new Uint8Array(r.count).fill(parseInt(r.byte, 16));
const bytesOf = (plain: string | undefined, ascii: string | undefined, r: Repeat | undefined): Uint8Array =>
  plain !== undefined ? hex(plain) : ascii !== undefined ? new TextEncoder().encode(ascii) : rep(r!);

describe("3DES-CBC (RFC 2451) over des.js", () => {
  it("has the vectors to check", () => {
    expect(V.tdea_ecb.length).toBeGreaterThan(0);
    expect(V.hmac_md5).toHaveLength(7);
  });

  for (const c of V.tdea_ecb) {
    it(`encrypts the SP 800-67 example block by block (${c.id})`, () => {
      const key = hex(c.key1 + c.key2 + c.key3);
      const plain = hex(c.plaintext);
      const want = hex(c.ciphertext);
      // CBC with a zero IV on one block is ECB on that block: check each block of the ECB example.
      for (let i = 0; i < plain.length; i += 8) {
        const block = tdesCbcEncrypt(key, new Uint8Array(8), plain.subarray(i, i + 8));
        expect(toHex(block)).toBe(toHex(want.subarray(i, i + 8)));
        expect(toHex(tdesCbcDecrypt(key, new Uint8Array(8), block))).toBe(toHex(plain.subarray(i, i + 8)));
      }
    });
  }

  it("chains blocks as OpenSSL's des-ede3-cbc does, and decrypts back", () => {
    const key = hex("0123456789abcdef23456789abcdef01456789abcdef0123");
    const iv = hex("1234567890abcdef");
    const plain = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 5) & 0xff);
    const ours = tdesCbcEncrypt(key, iv, plain);
    const d = createDecipheriv("des-ede3-cbc", key, iv).setAutoPadding(false);
    expect(toHex(Buffer.concat([d.update(ours), d.final()]))).toBe(toHex(plain));
    expect(toHex(tdesCbcDecrypt(key, iv, ours))).toBe(toHex(plain));
    // CBC, not ECB: equal plaintext blocks give different ciphertext blocks.
    const same = tdesCbcEncrypt(key, iv, new Uint8Array(16));
    expect(toHex(same.subarray(0, 8))).not.toBe(toHex(same.subarray(8, 16)));
  });

  it("refuses keys, IVs and lengths ESP never hands it", () => {
    expect(() => tdesCbcEncrypt(new Uint8Array(16), new Uint8Array(8), new Uint8Array(8))).toThrow(/24-byte key/);
    expect(() => tdesCbcEncrypt(new Uint8Array(24), new Uint8Array(16), new Uint8Array(8))).toThrow(/8-byte IV/);
    expect(() => tdesCbcEncrypt(new Uint8Array(24), new Uint8Array(8), new Uint8Array(12))).toThrow(/whole 8-byte blocks/);
  });
});

describe("HMAC-MD5-96 (RFC 2403) over @noble/hashes", () => {
  for (const c of V.hmac_md5) {
    it(`matches RFC 2202 ${c.id}`, () => {
      const key = c.key !== undefined ? hex(c.key) : rep(c.key_repeat!);
      const data = bytesOf(c.data, c.data_ascii, c.data_repeat);
      expect(toHex(hmacFull("md5", key, data))).toBe(c.digest);
      const icv = authCompute("hmac-md5-96", key, data);
      expect(toHex(icv)).toBe(c.digest.slice(0, 24));
      if (c.digest_96 !== undefined) expect(toHex(icv)).toBe(c.digest_96);
    });
  }
});

describe("ESP with 3DES-CBC + HMAC-MD5-96", () => {
  const keys: EspSaKeys = {
    enc: "3des-cbc",
    encKey: Uint8Array.from({ length: 24 }, (_, i) => 0x30 + i),
    auth: "hmac-md5-96",
    authKey: Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i),
  };

  it("lays out a 1480-byte transport payload as kernel-notes §8.4 counts: 1516 bytes of ESP", () => {
    const sealed = espSeal(keys, { spi: 0x1001, seq: 1, iv: new Uint8Array(8).fill(7), payload: new Uint8Array(1480), nextHeader: 6 });
    // 8 SPI|seq + 8 IV + 1488 ciphertext (1480 + 6 pad + 2 = 186 blocks) + 12 ICV; with 20 of IP, 1536.
    expect(sealed.padLength).toBe(6);
    expect(sealed.icvOffset - sealed.ciphertextOffset).toBe(1488);
    expect(sealed.bytes.length + 20).toBe(1536);
  });

  it("opens what it seals and rejects one flipped ciphertext bit by the MD5 ICV", () => {
    const payload = new TextEncoder().encode("IPSEC transport mode w/2.2.x kernels and large packets");
    const sealed = espSeal(keys, { spi: 0x1001, seq: 9, iv: hex("0102030405060708"), payload, nextHeader: 17 });
    const opened = espOpen(keys, sealed.bytes);
    expect(opened.ok && toHex(opened.payload)).toBe(toHex(payload));
    expect(opened.ok && opened.nextHeader).toBe(17);
    const icvOk = authVerify("hmac-md5-96", keys.authKey, sealed.bytes.subarray(0, sealed.icvOffset), sealed.bytes.subarray(sealed.icvOffset));
    expect(icvOk).toBe(true);
    const bad = sealed.bytes.map((b, i) => (i === sealed.ciphertextOffset ? b ^ 1 : b));
    const rejected = espOpen(keys, bad);
    expect(rejected.ok).toBe(false);
    expect(!rejected.ok && rejected.reason).toBe("icv-mismatch");
  });
});
