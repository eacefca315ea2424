/**
 * The cipher alone: the AEAD operations an ESP flood performs, done directly with @noble/ciphers,
 * one cipher instance per packet as ESP must (each packet has its own nonce), same key sizes,
 * same 8-byte AAD (SPI|seq), same byte counts. This is the engine's speed limit.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import type { FloodCipher } from "./scenarios";

/** How many operations of each kind and size a run performed (from its crypto.submit events). */
export interface CryptoOps {
  /** Plaintext bytes (payload, padding and ESP trailer) → number of encryptions. */
  readonly encrypt: Readonly<Record<number, number>>;
  /** Ciphertext-and-tag bytes → number of decryptions. */
  readonly decrypt: Readonly<Record<number, number>>;
}

const TAG = 16;
/** SPI + sequence number + IV, in front of the ciphertext in a submitted ESP packet. */
const ESP_HEAD = 16;

/** CryptoOps from (op, bytes) pairs as crypto.submit records them (ESP AEAD only). */
export function opsOf(submits: Iterable<{ readonly op: string; readonly bytes: number }>): CryptoOps {
  const encrypt: Record<number, number> = {};
  const decrypt: Record<number, number> = {};
  for (const s of submits) {
    // esp_output submits payload|trailer|room for the ICV; esp_input the whole ESP packet.
    if (s.op === "encrypt") encrypt[s.bytes - TAG] = (encrypt[s.bytes - TAG] ?? 0) + 1;
    else if (s.op === "decrypt") decrypt[s.bytes - ESP_HEAD] = (decrypt[s.bytes - ESP_HEAD] ?? 0) + 1;
  }
  return { encrypt, decrypt };
}

export function opCount(ops: CryptoOps): number {
  let n = 0;
  for (const table of [ops.encrypt, ops.decrypt]) for (const k of Object.keys(table)) n += table[Number(k)]!;
  return n;
}

type Aead = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) => { encrypt(p: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array };

function cipherOf(cipher: FloodCipher): { make: Aead; key: Uint8Array } {
  return cipher === "aes-gcm-16"
    ? { make: gcm as Aead, key: new Uint8Array(16).fill(0x42) }
    : { make: chacha20poly1305 as Aead, key: new Uint8Array(32).fill(0x42) };
}

/** Perform `ops` once; returns the elapsed milliseconds. */
export function runCipherAlone(cipher: FloodCipher, ops: CryptoOps): number {
  const { make, key } = cipherOf(cipher);
  const aad = new Uint8Array(8);
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  // Sealed inputs for the decryptions, made before the clock starts.
  const sealed = new Map<number, Uint8Array>();
  for (const k of Object.keys(ops.decrypt)) {
    const n = Number(k);
    sealed.set(n, make(key, nonce, aad).encrypt(new Uint8Array(Math.max(0, n - TAG))));
  }
  const start = performance.now();
  let counter = 0;
  let sink = 0;
  for (const [k, count] of Object.entries(ops.encrypt)) {
    const plaintext = new Uint8Array(Number(k));
    for (let i = 0; i < count; i++) {
      view.setUint32(8, ++counter);
      sink ^= make(key, nonce, aad).encrypt(plaintext)[0]!;
    }
  }
  view.setUint32(8, 0);
  for (const [k, count] of Object.entries(ops.decrypt)) {
    const input = sealed.get(Number(k))!;
    for (let i = 0; i < count; i++) sink ^= make(key, nonce, aad).decrypt(input).length;
  }
  const elapsed = performance.now() - start;
  if (sink === 0.5) console.log(sink); // keeps the results observable
  return elapsed;
}
