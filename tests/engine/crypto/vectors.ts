/**
 * Loads the shared published test vectors (`<projectRoot>/../shared/vectors/`) and this folder's
 * own fixtures. Fails loudly when a file is missing rather than letting a suite pass vacuously.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** /work/main, three levels up from tests/engine/crypto. */
export const PROJECT_ROOT = path.resolve(here, "../../..");
/** The shared vector folder next to the project. */
export const SHARED_VECTORS = path.resolve(PROJECT_ROOT, "../shared/vectors");

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) {
    throw new Error(`${what} not found: ${file} (expected the published vectors next to the project, in ../shared/vectors)`);
  }
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Parses `<projectRoot>/../shared/vectors/<name>`. */
export function loadSharedVectors<T>(name: string): T {
  return readJson<T>(path.join(SHARED_VECTORS, name), "shared test vector file");
}

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
