/**
 * Key lengths for an SA, read from the engine's algorithm table (crypto/registry.ts ENC_ALGS /
 * AUTH_ALGS, the same table the validator's keyProblems checks against), and fresh keys from
 * the browser's CSPRNG. Pure apart from the random source, which is passed in.
 */
import { AUTH_ALGS, ENC_ALGS, type AuthAlgId, type EncAlgId } from "../../engine/index";

/** What a key field must hold: allowed lengths in bytes and a sentence saying so. */
export interface KeyRule {
  readonly bytes: readonly number[];
  readonly text: string;
}

const or = (xs: readonly number[]) => (xs.length <= 1 ? String(xs[0] ?? 0) : `${xs.slice(0, -1).join(", ")} or ${xs[xs.length - 1]!}`);

/** The rule for an encryption key: e.g. AES-GCM's 20, 28 or 36 bytes, the last 4 the salt (RFC 4106 §8.1). */
export function encKeyRule(id: string): KeyRule | undefined {
  const alg = (ENC_ALGS as Readonly<Record<string, (typeof ENC_ALGS)[EncAlgId]>>)[id];
  if (!alg) return undefined;
  const bytes = alg.keyBytes;
  if (bytes.length === 1 && bytes[0] === 0) return { bytes, text: `${alg.title} takes no key (${alg.rfc}): leave it empty` };
  const salt = alg.saltBytes > 0 ? `, the last ${alg.saltBytes} being the nonce salt` : "";
  return {
    bytes,
    text: `${alg.title}: ${or(bytes)} bytes (${or(bytes.map((b) => b * 2))} hex digits)${salt} — ${alg.rfc}`,
  };
}

/** The rule for an authentication key: e.g. HMAC-SHA-256-128's 32 bytes (RFC 4868). */
export function authKeyRule(id: string): KeyRule | undefined {
  const alg = (AUTH_ALGS as Readonly<Record<string, (typeof AUTH_ALGS)[AuthAlgId]>>)[id];
  if (!alg) return undefined;
  if (alg.keyBytes === 0) return { bytes: [0], text: "no authentication algorithm: leave the key empty" };
  return { bytes: [alg.keyBytes], text: `${alg.title}: ${alg.keyBytes} bytes (${alg.keyBytes * 2} hex digits) — ${alg.rfc}` };
}

/** Bytes of a hex key as written ("0x…" or bare), or undefined when it is not whole hex bytes. */
export function keyLength(key: string): number | undefined {
  const hex = key.startsWith("0x") ? key.slice(2) : key;
  return /^([0-9a-fA-F]{2})*$/.test(hex) ? hex.length / 2 : undefined;
}

/** The length a generated key gets: the current one when allowed, else the longest allowed. */
export function generatedLength(rule: KeyRule, current: string): number {
  const now = keyLength(current);
  return now !== undefined && rule.bytes.includes(now) && now > 0 ? now : Math.max(...rule.bytes);
}

/** A random source: fills the array (the browser's crypto.getRandomValues). */
export type RandomFill = (bytes: Uint8Array<ArrayBuffer>) => void;

/** The browser's CSPRNG: crypto.getRandomValues (Web Crypto). */
export const cryptoFill: RandomFill = (bytes) => void crypto.getRandomValues(bytes);

/** A "0x…" key of `length` random bytes; "" for none. */
export function generateKey(length: number, fill: RandomFill = cryptoFill): string {
  if (length <= 0) return "";
  const bytes = new Uint8Array(length);
  fill(bytes);
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
