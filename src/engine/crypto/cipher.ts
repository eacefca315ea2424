/**
 * Raw cipher primitives over @noble/ciphers, in the shape ESP uses them.
 *
 * No padding and no randomness here: ESP pads its own plaintext (RFC 4303 §2.4) and the caller
 * supplies every IV, so the same inputs always give the same bytes.
 */
import { cbc, gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import des from "des.js";
import { concatBytes } from "./bytes";

/** The combined-mode (AEAD) transforms, whose KEYMAT ends in a 4-byte nonce salt. */
export type AeadAlgId = "aes-gcm-16" | "chacha20-poly1305";

const AES_BLOCK = 16;
const AEAD_SALT = 4;
const AEAD_TAG = 16;

/**
 * AES-CBC encryption without padding (RFC 3602 §2.4: ESP pads). `data` must be a whole number
 * of 16-byte blocks; the key is 16, 24 or 32 bytes and the IV 16. Throws otherwise.
 */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkCbc(iv, data);
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

/** AES-CBC decryption without unpadding; same preconditions as `aesCbcEncrypt`. */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkCbc(iv, data);
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

function checkCbc(iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== AES_BLOCK) throw new Error(`AES-CBC needs a 16-byte IV; got ${iv.length}`);
  if (data.length % AES_BLOCK !== 0) {
    throw new Error(`AES-CBC without padding needs whole 16-byte blocks; got ${data.length} bytes`);
  }
}

/** Splits KEYMAT into cipher key and salt and builds the 12-byte nonce salt|iv (RFC 4106 §4, RFC 7634 §2). */
function aeadInstance(alg: AeadAlgId, keymat: Uint8Array, iv: Uint8Array, aad: Uint8Array) {
  if (keymat.length <= AEAD_SALT) throw new Error(`${alg} KEYMAT must be longer than its 4-byte salt; got ${keymat.length}`);
  if (iv.length !== 8) throw new Error(`${alg} needs an 8-byte IV; got ${iv.length}`);
  const key = keymat.subarray(0, keymat.length - AEAD_SALT);
  const nonce = concatBytes(keymat.subarray(keymat.length - AEAD_SALT), iv);
  return alg === "aes-gcm-16" ? gcm(key, nonce, aad) : chacha20poly1305(key, nonce, aad);
}

/**
 * AEAD encryption as ESP does it: `keymat` = key|salt(4), nonce = salt|iv(8).
 * Returns ciphertext|tag(16). Any AES key length noble accepts (16, 24, 32) works for GCM.
 */
export function aeadEncrypt(alg: AeadAlgId, keymat: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return aeadInstance(alg, keymat, iv, aad).encrypt(plaintext);
}

/**
 * AEAD decryption of ciphertext|tag(16). Returns the plaintext, or `null` when the tag does not
 * verify (nothing is decrypted in that case).
 */
export function aeadDecrypt(alg: AeadAlgId, keymat: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < AEAD_TAG) return null;
  const cipher = aeadInstance(alg, keymat, iv, aad);
  try {
    return cipher.decrypt(sealed);
  } catch {
    // noble throws on a tag mismatch; to the caller that is simply "did not verify".
    return null;
  }
}

const DES_BLOCK = 8;
/** DES-EDE3 in CBC mode, built once (des.js CBC.instantiate over its EDE cipher). */
const EDE3_CBC = des.CBC.instantiate(des.EDE);

/**
 * 3DES-CBC (DES-EDE3, RFC 2451 §2.3) without padding: ESP pads its own plaintext to the 8-byte
 * block. The key is the 24-byte K1|K2|K3 (RFC 2451 §2.2: three independent keys), the IV 8 bytes.
 */
export function tdesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return tdesCbc("encrypt", key, iv, data);
}

/** 3DES-CBC decryption without unpadding; same preconditions as `tdesCbcEncrypt`. */
export function tdesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return tdesCbc("decrypt", key, iv, data);
}

function tdesCbc(type: "encrypt" | "decrypt", key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 24) throw new Error(`3DES-CBC needs a 24-byte key (K1|K2|K3, RFC 2451 §2.2); got ${key.length}`);
  if (iv.length !== DES_BLOCK) throw new Error(`3DES-CBC needs an 8-byte IV; got ${iv.length}`);
  if (data.length % DES_BLOCK !== 0) throw new Error(`3DES-CBC without padding needs whole 8-byte blocks; got ${data.length} bytes`);
  const c = EDE3_CBC.create({ type, key, iv, padding: false });
  const out = new Uint8Array(data.length);
  const head = c.update(data);
  out.set(head, 0);
  // des.js holds the last block back on decrypt until final().
  out.set(c.final(), head.length);
  return out;
}
