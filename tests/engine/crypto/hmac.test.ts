import { describe, expect, it } from "vitest";
import { authCompute, authVerify, hmacFull } from "../../../src/engine/crypto";
import type { HmacHash } from "../../../src/engine/crypto";
import { hex, loadVectors, toHex } from "./vectors";

interface Rfc4231Case {
  id: string;
  key: string;
  data: string;
  truncated_bits?: number;
  sha256: string;
  sha384: string;
  sha512: string;
}

interface Rfc2202Case {
  id: string;
  key: string;
  data: string;
  sha1: string;
  sha1_96?: string;
}

interface Rfc4868Case {
  id: string;
  hash: "sha256" | "sha384" | "sha512";
  truncation_bits: number;
  key: string;
  data: string;
  hmac: string | null;
  icv: string;
}

const hmacFile = loadVectors<{ rfc4231_cases: Rfc4231Case[]; rfc2202_sha1_cases: Rfc2202Case[] }>("rfc4231-rfc2202-hmac.json");
const rfc4868 = loadVectors<{ cases: Rfc4868Case[] }>("rfc4868-hmac-sha2-auth.json");

const SHA2: readonly ("sha256" | "sha384" | "sha512")[] = ["sha256", "sha384", "sha512"];

describe("RFC 4231 HMAC-SHA-2", () => {
  it("has cases 1-7", () => {
    expect(hmacFile.rfc4231_cases.map((c) => c.id)).toEqual(["4231-1", "4231-2", "4231-3", "4231-4", "4231-5", "4231-6", "4231-7"]);
  });

  it.each(hmacFile.rfc4231_cases.flatMap((c) => SHA2.map((hash) => ({ ...c, hash }))))("$id $hash", (c) => {
    const full = hmacFull(c.hash, hex(c.key), hex(c.data));
    // Case 5 publishes only the leftmost 128 bits.
    const bytes = c.truncated_bits === undefined ? full : full.subarray(0, c.truncated_bits / 8);
    expect(toHex(bytes)).toBe(c[c.hash]);
  });

  it.each(hmacFile.rfc4231_cases)("$id through hmac-sha256-128 is the leftmost 16 bytes", (c) => {
    const icv = authCompute("hmac-sha256-128", hex(c.key), hex(c.data));
    expect(toHex(icv)).toBe(c.sha256.slice(0, 32));
    expect(authVerify("hmac-sha256-128", hex(c.key), hex(c.data), icv)).toBe(true);
  });
});

describe("RFC 2202 HMAC-SHA-1 (the base of HMAC-SHA1-96, RFC 2404)", () => {
  it("has cases 1-7", () => {
    expect(hmacFile.rfc2202_sha1_cases).toHaveLength(7);
  });

  it.each(hmacFile.rfc2202_sha1_cases)("$id", (c) => {
    expect(toHex(hmacFull("sha1", hex(c.key), hex(c.data)))).toBe(c.sha1);
    const icv = authCompute("hmac-sha1-96", hex(c.key), hex(c.data));
    expect(toHex(icv)).toBe(c.sha1.slice(0, 24));
    if (c.sha1_96 !== undefined) expect(toHex(icv)).toBe(c.sha1_96);
    expect(authVerify("hmac-sha1-96", hex(c.key), hex(c.data), icv)).toBe(true);
  });
});

describe("RFC 4868 §2.7.2 authenticator vectors", () => {
  it("has the eight transcribed cases", () => {
    expect(rfc4868.cases).toHaveLength(8);
  });

  it.each(rfc4868.cases)("$id ($hash, $truncation_bits bits)", (c) => {
    const key = hex(c.key);
    const data = hex(c.data);
    expect(c.icv.length * 4).toBe(c.truncation_bits);
    const full = hmacFull(c.hash as HmacHash, key, data);
    if (c.hmac !== null) expect(toHex(full)).toBe(c.hmac);
    expect(toHex(full.subarray(0, c.truncation_bits / 8))).toBe(c.icv);
    if (c.hash === "sha256") {
      // The one RFC 4868 transform tagflow offers for ESP/AH.
      expect(toHex(authCompute("hmac-sha256-128", key, data))).toBe(c.icv);
      expect(authVerify("hmac-sha256-128", key, data, hex(c.icv))).toBe(true);
      const wrong = hex(c.icv);
      wrong[0] = (wrong[0] ?? 0) ^ 1;
      expect(authVerify("hmac-sha256-128", key, data, wrong)).toBe(false);
    }
  });
});
