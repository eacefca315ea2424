import { describe, expect, it } from "vitest";
import { aeadDecrypt, aeadEncrypt, espOpen, espSeal, validateKeys } from "../../../src/engine/crypto";
import type { EspSaKeys } from "../../../src/engine/crypto";
import { hex, loadFixture, spiOf, toHex } from "./vectors";

interface SpecCase {
  id: string;
  test_case: number;
  key_bits: number;
  key: string;
  iv: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

interface EspCase {
  id: string;
  key_bits: number;
  key: string;
  salt: string;
  keymat: string;
  spi: string;
  seq: string;
  esn: boolean;
  iv: string;
  nonce: string;
  aad: string;
  plaintext: string;
  payload: string;
  padding: string;
  pad_length: number;
  next_header: number;
  ciphertext: string;
  tag: string;
  packet: string;
}

const file = loadFixture<{ source: string; transcription_note: string; spec_cases: SpecCase[]; esp_cases: EspCase[] }>("gcm-vectors.json");

/**
 * Every case goes through espSeal/espOpen: AES-128/192/256 (RFC 4106 §8.1) and, for the ESN cases,
 * the high 32 bits of the 64-bit sequence number passed as the SA's seq-hi (RFC 4106 §5).
 */
const espBuildable = file.esp_cases;

/** The vector's sequence number as the wire's low 32 bits and, with ESN, the SA-held high 32 bits. */
function seqParts(c: EspCase): { seq: number; seqHi: number | undefined } {
  return { seq: spiOf(c.seq.slice(-8)), seqHi: c.esn ? spiOf(c.seq.slice(0, 8)) : undefined };
}

describe("GCM specification (McGrew & Viega) test cases through the ESP nonce split", () => {
  it("has test cases 2-4 and 14-16", () => {
    expect(file.spec_cases.map((c) => c.test_case)).toEqual([2, 3, 4, 14, 15, 16]);
  });

  it.each(file.spec_cases)("$id (AES-$key_bits)", (c) => {
    // The 12-byte nonce becomes salt (end of KEYMAT) | 8-byte IV, as RFC 4106 §4 builds it.
    const nonce = hex(c.iv);
    const keymat = new Uint8Array([...hex(c.key), ...nonce.subarray(0, 4)]);
    const iv = nonce.subarray(4);
    const sealed = aeadEncrypt("aes-gcm-16", keymat, iv, hex(c.aad), hex(c.plaintext));
    expect(toHex(sealed)).toBe(c.ciphertext + c.tag);
    const opened = aeadDecrypt("aes-gcm-16", keymat, iv, hex(c.aad), sealed);
    expect(opened && toHex(opened)).toBe(c.plaintext);
    const forged = sealed.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0x80;
    expect(aeadDecrypt("aes-gcm-16", keymat, iv, hex(c.aad), forged)).toBeNull();
  });
});

describe("draft-mcgrew-gcm-test-01 ESP packets", () => {
  it("has 14 cases: 9 with ESN, one AES-192, all of which fit tagflow's SAs", () => {
    expect(file.esp_cases).toHaveLength(14);
    expect(file.esp_cases.filter((c) => c.esn)).toHaveLength(9);
    expect(file.esp_cases.filter((c) => c.key_bits === 192).map((c) => c.id)).toEqual(["mcgrew-gcm-test-01-7"]);
  });

  it.each(file.esp_cases)("$id: the raw GCM path matches (AES-$key_bits, esn=$esn)", (c) => {
    expect(c.keymat).toBe(c.key + c.salt);
    expect(c.nonce).toBe(c.salt + c.iv);
    expect(c.aad).toBe(c.spi + c.seq);
    expect(c.plaintext).toBe(c.payload + c.padding + c.pad_length.toString(16).padStart(2, "0") + c.next_header.toString(16).padStart(2, "0"));
    expect(c.packet).toBe(c.spi + c.seq.slice(-8) + c.iv + c.ciphertext + c.tag);
    const sealed = aeadEncrypt("aes-gcm-16", hex(c.keymat), hex(c.iv), hex(c.aad), hex(c.plaintext));
    expect(toHex(sealed)).toBe(c.ciphertext + c.tag);
    const opened = aeadDecrypt("aes-gcm-16", hex(c.keymat), hex(c.iv), hex(c.aad), sealed);
    expect(opened && toHex(opened)).toBe(c.plaintext);
  });

  it.each(espBuildable)("$id: espSeal builds the packet and espOpen takes it apart (AES-$key_bits, esn=$esn)", (c) => {
    const keys: EspSaKeys = { enc: "aes-gcm-16", encKey: hex(c.keymat), auth: "none", authKey: new Uint8Array(0) };
    const { seq, seqHi } = seqParts(c);
    const input = { spi: spiOf(c.spi), seq, seqHi, iv: hex(c.iv), payload: hex(c.payload), nextHeader: c.next_header };
    const sealed = espSeal(keys, input);
    expect(toHex(sealed.bytes)).toBe(c.packet);
    expect(toHex(espSeal(keys, { ...input, padding: hex(c.padding) }).bytes)).toBe(c.packet);
    expect(toHex(sealed.plaintext)).toBe(c.plaintext);
    expect(toHex(sealed.bytes.subarray(sealed.icvOffset))).toBe(c.tag);

    const opened = espOpen(keys, hex(c.packet), seqHi);
    if (!opened.ok) throw new Error(`${c.id}: ${opened.reason}: ${opened.detail}`);
    expect(toHex(opened.payload)).toBe(c.payload);
    expect(toHex(opened.padding)).toBe(c.padding);
    expect(opened.padLength).toBe(c.pad_length);
    expect(opened.nextHeader).toBe(c.next_header);
    expect(toHex(opened.icv)).toBe(c.tag);
    expect(opened.spi).toBe(spiOf(c.spi));
    expect(opened.seq).toBe(seq);
  });

  it.each(file.esp_cases.filter((c) => c.esn))("$id: without ESN support the packet does not verify", (c) => {
    // An ESN SA authenticates a 12-byte AAD, SPI|seq-high|seq-low (RFC 4106 §5); the high half is
    // not on the wire, and even when it is zero the AAD differs from the 8-byte SPI|seq.
    const keys: EspSaKeys = { enc: "aes-gcm-16", encKey: hex(c.keymat), auth: "none", authKey: new Uint8Array(0) };
    expect(validateKeys(keys.enc, keys.encKey, keys.auth, keys.authKey)).toEqual([]);
    const opened = espOpen(keys, hex(c.packet));
    expect(opened.ok ? "ok" : opened.reason).toBe("icv-mismatch");
  });

  it.each(file.esp_cases.filter((c) => c.esn))("$id: a wrong seq-hi (the receiver guessed the wrong epoch) does not verify", (c) => {
    const keys: EspSaKeys = { enc: "aes-gcm-16", encKey: hex(c.keymat), auth: "none", authKey: new Uint8Array(0) };
    const { seqHi = 0 } = seqParts(c);
    const opened = espOpen(keys, hex(c.packet), (seqHi + 1) >>> 0);
    expect(opened.ok ? "ok" : opened.reason).toBe("icv-mismatch");
  });

  it("an AES-192 KEYMAT (28 bytes, RFC 4106 §8.1) is a valid aes-gcm-16 key; other lengths list all three", () => {
    const c = file.esp_cases.find((x) => x.key_bits === 192);
    expect(c).toBeDefined();
    expect(validateKeys("aes-gcm-16", hex(c?.keymat ?? ""), "none", new Uint8Array(0))).toEqual([]);
    expect(validateKeys("aes-gcm-16", new Uint8Array(24), "none", new Uint8Array(0))).toEqual([
      "aes-gcm-16 needs a 20-, 28- or 36-byte key (a 16-, 24- or 32-byte AES key + 4 bytes of salt, RFC 4106 §8.1); got 24",
    ]);
  });
});
