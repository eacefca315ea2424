/**
 * Loads the published test vectors carried in the repository (`<projectRoot>/tests/vectors/`) and this folder's
 * own fixtures. Fails loudly when a file is missing rather than letting a suite pass vacuously.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadVectors, readJson } from "../../helpers/vectors";

export { loadVectors };

const here = path.dirname(fileURLToPath(import.meta.url));

/** Parses `tests/engine/crypto/fixtures/<name>`. */
export function loadFixture<T>(name: string): T {
  return readJson<T>(path.join(here, "fixtures", name), "fixture");
}

/** Hex (any case, whitespace ignored) to bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`not a hex string: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes to lowercase hex, for readable assertion diffs. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A 32-bit SPI written as 8 hex digits in the vectors. */
export function spiOf(s: string): number {
  return parseInt(s, 16) >>> 0;
}
