/**
 * Truncated HMAC integrity transforms: HMAC-SHA-1-96 (RFC 2404) and HMAC-SHA-256-128
 * (RFC 4868), and HMAC-MD5-96 (RFC 2403). The ICV is the leftmost `icvBytes` of the full HMAC (RFC 2404 §2, RFC 4868 §2.3).
 */
import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { AuthAlgId } from "./registry";
import { authAlg } from "./registry";

/** Hash functions `hmacFull` accepts. */
export type HmacHash = "md5" | "sha1" | "sha256" | "sha384" | "sha512";

const HASHES = { md5, sha1, sha256, sha384, sha512 } as const;

const AUTH_HASH: { readonly [K in AuthAlgId]: HmacHash | null } = {
  "hmac-sha1-96": "sha1",
  "hmac-sha256-128": "sha256",
  none: null,
  "hmac-md5-96": "md5",
};

/** Untruncated HMAC (RFC 2104) with the named hash. */
export function hmacFull(hash: HmacHash, key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(HASHES[hash], key, data);
}

/** The truncated ICV of `data`; empty for `"none"`. */
export function authCompute(alg: AuthAlgId, key: Uint8Array, data: Uint8Array): Uint8Array {
  const hash = AUTH_HASH[alg];
  if (hash === null) return new Uint8Array(0);
  return hmacFull(hash, key, data).slice(0, authAlg(alg).icvBytes);
}

/** Recomputes the ICV of `data` and compares it with `icv` in constant time. */
export function authVerify(alg: AuthAlgId, key: Uint8Array, data: Uint8Array, icv: Uint8Array): boolean {
  return constantTimeEqual(authCompute(alg, key, data), icv);
}

/**
 * Compares two byte arrays without an early exit, so the time taken does not reveal where they
 * differ. Arrays of different length are unequal (lengths are public in ESP).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
