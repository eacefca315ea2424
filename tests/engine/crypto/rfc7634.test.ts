import { describe, expect, it } from "vitest";
import { aeadDecrypt, aeadEncrypt, espOpen, espSeal } from "../../../src/engine/crypto";
import type { EspSaKeys } from "../../../src/engine/crypto";
import { hex, loadVectors, spiOf, toHex } from "./vectors";

interface Rfc7634File {
  source: string;
  conventions: { nonce: string; aad: string; keymat: string };
  case: {
    id: string;
    keymat: string;
    key: string;
    salt: string;
    spi: string;
    seq: number;
    iv: string;
    inner_ipv4_packet: string;
    padding: string;
    pad_length: number;
    next_header: number;
    plaintext: string;
    aad: string;
    ciphertext: string;
    tag: string;
    outer_ip_header: string | null;
    derived_esp: string;
  };
}

const file = loadVectors<Rfc7634File>("rfc7634-chacha20poly1305-esp.json");
const c = file.case;
const keys: EspSaKeys = { enc: "chacha20-poly1305", encKey: hex(c.keymat), auth: "none", authKey: new Uint8Array(0) };
const input = { spi: spiOf(c.spi), seq: c.seq, iv: hex(c.iv), payload: hex(c.inner_ipv4_packet), nextHeader: c.next_header };

describe("RFC 7634 Appendix A: ChaCha20-Poly1305 ESP, tunnel mode", () => {
  it("uses the conventions tagflow implements", () => {
    expect(file.conventions).toEqual({ nonce: "salt(4) | iv(8)", aad: "spi | seq (32-bit seq, no ESN)", keymat: "key(32) | salt(4)" });
    expect(c.keymat).toBe(c.key + c.salt);
    expect(c.aad).toBe(c.spi + c.seq.toString(16).padStart(8, "0"));
    expect(c.outer_ip_header).toBeNull();
  });

  it("espSeal reproduces derived_esp byte for byte", () => {
    const sealed = espSeal(keys, input);
    expect(toHex(sealed.bytes)).toBe(c.derived_esp);
    expect(toHex(espSeal(keys, { ...input, padding: hex(c.padding) }).bytes)).toBe(c.derived_esp);
    expect(toHex(sealed.plaintext)).toBe(c.plaintext);
    expect(sealed.padLength).toBe(c.pad_length);
    expect(toHex(sealed.bytes.subarray(0, 8))).toBe(c.aad);
    expect(toHex(sealed.bytes.subarray(sealed.ivOffset, sealed.ciphertextOffset))).toBe(c.iv);
    expect(toHex(sealed.bytes.subarray(sealed.ciphertextOffset, sealed.icvOffset))).toBe(c.ciphertext);
    expect(toHex(sealed.bytes.subarray(sealed.icvOffset))).toBe(c.tag);
  });

  it("the raw AEAD path splits KEYMAT into key and salt", () => {
    const sealed = aeadEncrypt("chacha20-poly1305", hex(c.keymat), hex(c.iv), hex(c.aad), hex(c.plaintext));
    expect(toHex(sealed)).toBe(c.ciphertext + c.tag);
    const opened = aeadDecrypt("chacha20-poly1305", hex(c.keymat), hex(c.iv), hex(c.aad), sealed);
    expect(opened && toHex(opened)).toBe(c.plaintext);
  });

  it("espOpen returns the inner IPv4 packet, next header 4 and the padding", () => {
    const opened = espOpen(keys, hex(c.derived_esp));
    if (!opened.ok) throw new Error(`${opened.reason}: ${opened.detail}`);
    expect(toHex(opened.payload)).toBe(c.inner_ipv4_packet);
    expect(opened.nextHeader).toBe(4);
    expect(opened.nextHeader).toBe(c.next_header);
    expect(toHex(opened.padding)).toBe(c.padding);
    expect(opened.padLength).toBe(c.pad_length);
    expect(toHex(opened.plaintext)).toBe(c.plaintext);
    expect(toHex(opened.icv)).toBe(c.tag);
    expect(toHex(opened.iv)).toBe(c.iv);
    expect(opened.spi).toBe(spiOf(c.spi));
    expect(opened.seq).toBe(c.seq);
  });
});
