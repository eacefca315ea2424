/**
 * The ESP/AH transforms tagflow implements, one entry per RFC name.
 *
 * KEYMAT lengths follow the IKEv2 conventions of each RFC: the AEAD algorithms take their
 * 4-byte salt from the end of the KEYMAT (RFC 4106 §8.1, RFC 7634 §2), so an SA's `encKey` is
 * exactly what IKE would hand the kernel.
 */

/** Encryption (or combined-mode) transforms for ESP, keyed by RFC name. */
export const ENC_ALGS = {
  "aes-gcm-16": {
    id: "aes-gcm-16",
    rfc: "RFC 4106",
    title: "AES-GCM with a 16-byte ICV",
    aead: true,
    // RFC 4106 §8.1: KEYMAT is an AES-128, -192 or -256 key followed by the 4-byte salt.
    keyBytes: [20, 28, 36],
    saltBytes: 4,
    ivBytes: 8,
    blockBytes: 4,
    icvBytes: 16,
  },
  "chacha20-poly1305": {
    id: "chacha20-poly1305",
    rfc: "RFC 7634",
    title: "ChaCha20-Poly1305",
    aead: true,
    keyBytes: [36],
    saltBytes: 4,
    ivBytes: 8,
    blockBytes: 4,
    icvBytes: 16,
  },
  "aes-cbc": {
    id: "aes-cbc",
    rfc: "RFC 3602",
    title: "AES-CBC",
    aead: false,
    keyBytes: [16, 24, 32],
    saltBytes: 0,
    ivBytes: 16,
    blockBytes: 16,
    icvBytes: 0,
  },
  null: {
    id: "null",
    rfc: "RFC 2410",
    title: "NULL encryption",
    aead: false,
    keyBytes: [0],
    saltBytes: 0,
    ivBytes: 0,
    // RFC 4303 §2.4: even without a cipher the trailer ends on a 4-byte boundary.
    blockBytes: 4,
    icvBytes: 0,
  },
  // The cipher of 1999 (FreeS/WAN KLIPS, seed 002): DES-EDE3 with three keys, an 8-byte
  // explicit IV and an 8-byte block (RFC 2451 §2.2–2.4).
  "3des-cbc": {
    id: "3des-cbc",
    rfc: "RFC 2451",
    title: "3DES-CBC (DES-EDE3)",
    aead: false,
    keyBytes: [24],
    saltBytes: 0,
    ivBytes: 8,
    blockBytes: 8,
    icvBytes: 0,
  },
} as const;

/** Integrity transforms for ESP and AH, keyed by RFC name. */
export const AUTH_ALGS = {
  "hmac-sha1-96": {
    id: "hmac-sha1-96",
    rfc: "RFC 2404",
    title: "HMAC-SHA-1-96",
    keyBytes: 20,
    icvBytes: 12,
  },
  "hmac-sha256-128": {
    id: "hmac-sha256-128",
    rfc: "RFC 4868",
    title: "HMAC-SHA-256-128",
    keyBytes: 32,
    icvBytes: 16,
  },
  none: {
    id: "none",
    rfc: "RFC 4303",
    title: "No separate integrity algorithm",
    keyBytes: 0,
    icvBytes: 0,
  },
  // KLIPS's AHHMAC_HASHLEN 12 with a 16-byte MD5 key (RFC 2403 §2–3).
  "hmac-md5-96": {
    id: "hmac-md5-96",
    rfc: "RFC 2403",
    title: "HMAC-MD5-96",
    keyBytes: 16,
    icvBytes: 12,
  },
} as const;

/** An encryption transform name, e.g. `"aes-gcm-16"`. */
export type EncAlgId = keyof typeof ENC_ALGS;
/** An integrity transform name, e.g. `"hmac-sha256-128"`. */
export type AuthAlgId = keyof typeof AUTH_ALGS;

/** What the engine and the inspector need to know about an encryption transform. */
export interface EncAlgInfo {
  readonly id: EncAlgId;
  /** Defining RFC, e.g. "RFC 4106". */
  readonly rfc: string;
  readonly title: string;
  /** Combined mode: the cipher produces its own ICV and no separate auth algorithm is used. */
  readonly aead: boolean;
  /** Allowed KEYMAT lengths in bytes, salt included. */
  readonly keyBytes: readonly number[];
  /** Bytes at the end of the KEYMAT that form the nonce salt. */
  readonly saltBytes: number;
  /** Length of the IV carried in every packet. */
  readonly ivBytes: number;
  /** The plaintext (payload|padding|padLen|nextHeader) is padded to a multiple of this. */
  readonly blockBytes: number;
  /** Length of the AEAD tag, 0 for plain ciphers. */
  readonly icvBytes: number;
}

/** What the engine and the inspector need to know about an integrity transform. */
export interface AuthAlgInfo {
  readonly id: AuthAlgId;
  readonly rfc: string;
  readonly title: string;
  readonly keyBytes: number;
  /** Length of the truncated ICV. */
  readonly icvBytes: number;
}

// Type-level checks: every entry is a well-formed info whose id matches its key.
const _encCheck: { readonly [K in EncAlgId]: EncAlgInfo & { readonly id: K } } = ENC_ALGS;
const _authCheck: { readonly [K in AuthAlgId]: AuthAlgInfo & { readonly id: K } } = AUTH_ALGS;

/** Looks up an encryption transform. */
export function encAlg(id: EncAlgId): EncAlgInfo {
  return _encCheck[id];
}

/** Looks up an integrity transform. */
export function authAlg(id: AuthAlgId): AuthAlgInfo {
  return _authCheck[id];
}

/** Why each KEYMAT length is what it is, quoted in validation messages. */
const ENC_KEY_REASON: { readonly [K in EncAlgId]: string } = {
  "aes-gcm-16": "a 16-, 24- or 32-byte AES key + 4 bytes of salt, RFC 4106 §8.1",
  "chacha20-poly1305": "32 bytes of ChaCha20 key + 4 bytes of salt, RFC 7634 §2",
  "aes-cbc": "AES-128, AES-192 or AES-256, RFC 3602 §2.2",
  null: "RFC 2410",
  "3des-cbc": "three 8-byte DES keys K1|K2|K3, RFC 2451 §2.2",
};

const AUTH_KEY_REASON: { readonly [K in AuthAlgId]: string } = {
  "hmac-sha1-96": "RFC 2404 §3",
  "hmac-sha256-128": "RFC 4868 §2.1.1",
  none: "RFC 4303",
  "hmac-md5-96": "RFC 2403 §3",
};

/** "20", "20- or 36", "16-, 24- or 32". */
function lengthList(lengths: readonly number[]): string {
  if (lengths.length === 1) return String(lengths[0]);
  const head = lengths.slice(0, -1).map((n) => `${n}-`);
  return `${head.join(", ")} or ${lengths[lengths.length - 1]}`;
}

/**
 * Checks an SA's algorithms and key lengths. Returns one human-readable message per problem,
 * or an empty array when the SA can be used with `espSeal`/`espOpen`.
 */
export function validateKeys(enc: EncAlgId, encKey: Uint8Array, auth: AuthAlgId, authKey: Uint8Array): string[] {
  return keyProblems(enc, encKey, auth, authKey).map((p) => p.message);
}

/** One problem with an SA's algorithms or keys, and the SA field it is about. */
export interface KeyProblem {
  readonly field: "encKey" | "authKey" | "auth";
  readonly message: string;
}

/** `validateKeys`, saying which field each problem belongs to (for scenario validation paths). */
export function keyProblems(enc: EncAlgId, encKey: Uint8Array, auth: AuthAlgId, authKey: Uint8Array): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const e = encAlg(enc);
  const a = authAlg(auth);
  if (!e.keyBytes.includes(encKey.length)) {
    const what = e.keyBytes.length === 1 && e.keyBytes[0] === 0 ? "takes no key" : `needs a ${lengthList(e.keyBytes)}-byte key`;
    problems.push({ field: "encKey", message: `${enc} ${what} (${ENC_KEY_REASON[enc]}); got ${encKey.length}` });
  }
  if (authKey.length !== a.keyBytes) {
    const what = a.keyBytes === 0 ? "takes no key" : `needs a ${a.keyBytes}-byte key`;
    problems.push({ field: "authKey", message: `${auth} ${what} (${AUTH_KEY_REASON[auth]}); got ${authKey.length}` });
  }
  // RFC 4303 §3.2.3: a combined-mode algorithm provides integrity itself; no separate ICV.
  if (e.aead && auth !== "none") {
    problems.push({
      field: "auth",
      message: `${enc} is a combined-mode (AEAD) algorithm with its own ${e.icvBytes}-byte ICV; use auth "none", not "${auth}" (RFC 4303 §3.2.3)`,
    });
  }
  return problems;
}
