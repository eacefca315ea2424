import { describe, expect, it } from "vitest";
import { aesCbcDecrypt, aesCbcEncrypt, espDefaultPadding, espOpen, espSeal } from "../../../src/engine/crypto";
import type { EspSaKeys } from "../../../src/engine/crypto";
import { rfc3602 } from "../../helpers/vectors";
import { hex, spiOf, toHex } from "./vectors";

const file = rfc3602();

/** RFC 791 header checksum: the one's-complement sum over a valid header is 0xffff. */
function ipv4ChecksumOk(header: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] ?? 0) << 8) | (header[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

function ipv4TotalLength(header: Uint8Array): number {
  return ((header[2] ?? 0) << 8) | (header[3] ?? 0);
}

describe("RFC 3602 §4 raw AES-CBC cases", () => {
  it("has the four published cases", () => {
    expect(file.cbc_cases).toHaveLength(4);
  });

  it.each(file.cbc_cases)("$id encrypts and decrypts without padding", (c) => {
    expect(toHex(aesCbcEncrypt(hex(c.key), hex(c.iv), hex(c.plaintext)))).toBe(c.ciphertext);
    expect(toHex(aesCbcDecrypt(hex(c.key), hex(c.iv), hex(c.ciphertext)))).toBe(c.plaintext);
  });
});

describe("RFC 3602 §4 ESP cases (AES-128-CBC, no integrity)", () => {
  it("has the four published ESP packets", () => {
    expect(file.esp_cases).toHaveLength(4);
  });

  it.each(file.esp_cases)("$id: espSeal reproduces the packet and espOpen recovers every field", (c) => {
    const keys: EspSaKeys = { enc: "aes-cbc", encKey: hex(c.key), auth: "none", authKey: new Uint8Array(0) };
    const iv = hex(c.iv);
    const payload = hex(c.plaintext_payload);
    const input = { spi: spiOf(c.spi), seq: c.seq, iv, payload, nextHeader: c.next_header };

    // With the vector's own padding where it gives one.
    const sealed = espSeal(keys, c.padding === undefined ? input : { ...input, padding: hex(c.padding) });
    expect(toHex(sealed.bytes)).toBe(c.esp);
    // The default RFC 4303 §2.4 padding is what these senders used too.
    expect(toHex(espSeal(keys, input).bytes)).toBe(c.esp);

    expect(toHex(sealed.bytes.subarray(0, 4))).toBe(c.spi);
    expect(toHex(sealed.bytes.subarray(sealed.ivOffset, sealed.ciphertextOffset))).toBe(c.iv);
    expect(sealed.icvOffset).toBe(sealed.bytes.length);
    expect(sealed.plaintext.length % 16).toBe(0);

    const opened = espOpen(keys, hex(c.esp));
    if (!opened.ok) throw new Error(`${c.id}: ${opened.reason}: ${opened.detail}`);
    expect(opened.spi).toBe(spiOf(c.spi));
    expect(opened.seq).toBe(c.seq);
    expect(toHex(opened.iv)).toBe(c.iv);
    expect(toHex(opened.payload)).toBe(c.plaintext_payload);
    expect(opened.nextHeader).toBe(c.next_header);
    expect(toHex(opened.plaintext)).toBe(toHex(sealed.plaintext));
    expect(opened.icv).toHaveLength(0);
    expect(opened.padLength).toBe(sealed.padLength);
    expect(toHex(opened.padding)).toBe(toHex(espDefaultPadding(payload.length, 16)));
    if (c.padding !== undefined) expect(toHex(opened.padding)).toBe(c.padding);
    if (c.pad_length !== undefined) {
      expect(opened.padLength).toBe(c.pad_length);
      expect(sealed.padLength).toBe(c.pad_length);
    }
  });

  it.each(file.esp_cases)("$id: the payload is what its mode says", (c) => {
    const payload = hex(c.plaintext_payload);
    if (c.mode === "tunnel") {
      // Tunnel mode carries a whole IPv4 packet (next header 4, IP-in-IP).
      expect(c.next_header).toBe(4);
      expect((payload[0] ?? 0) >> 4).toBe(4);
      expect(ipv4TotalLength(payload)).toBe(payload.length);
      expect(ipv4ChecksumOk(payload.subarray(0, 20))).toBe(true);
    } else {
      // Transport-mode pings: ICMP (next header 1), echo request.
      expect(c.next_header).toBe(1);
      expect(payload[0]).toBe(8);
    }
  });

  it.each(file.esp_cases.filter((c) => c.original_ip_header !== undefined))("$id: the original header described the unprotected packet", (c) => {
    const original = hex(c.original_ip_header ?? "");
    expect(ipv4ChecksumOk(original)).toBe(true);
    expect(original[9]).toBe(c.next_header);
    expect(ipv4TotalLength(original)).toBe(original.length + hex(c.plaintext_payload).length);
  });

  it.each(file.esp_cases)("$id: the outer header, when given, carries exactly this ESP packet", (c) => {
    if (c.outer_ip_header === null) {
      expect(c.derived_full_ipv4_packet).toBeUndefined();
      return;
    }
    const outer = hex(c.outer_ip_header);
    const esp = hex(c.esp);
    expect(ipv4ChecksumOk(outer)).toBe(true);
    expect(outer[9]).toBe(50); // ESP
    expect(ipv4TotalLength(outer)).toBe(outer.length + esp.length);
    expect(c.derived_full_ipv4_packet).toBe(c.outer_ip_header + c.esp);
    if (c.mode === "transport" && c.original_ip_header !== undefined) {
      const original = hex(c.original_ip_header);
      // Same addresses and identification; only length, protocol and checksum change.
      expect(toHex(outer.subarray(12, 20))).toBe(toHex(original.subarray(12, 20)));
      expect(toHex(outer.subarray(4, 6))).toBe(toHex(original.subarray(4, 6)));
    }
  });
});
