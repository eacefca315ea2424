/**
 * The published test vectors in `../shared/vectors/` beside the project (see its README), read
 * by every suite that checks against them. Fails loudly when a file is missing, rather than
 * letting a suite pass vacuously.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root, two levels up from tests/helpers. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The shared vector folder next to the project. */
export const SHARED_VECTORS = path.resolve(PROJECT_ROOT, "../shared/vectors");

/** Parse a JSON file, naming what it is if it is missing. */
export function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) {
    throw new Error(`${what} not found: ${file} (expected the published vectors next to the project, in ../shared/vectors)`);
  }
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Parses `<projectRoot>/../shared/vectors/<name>`. */
export function loadSharedVectors<T>(name: string): T {
  return readJson<T>(path.join(SHARED_VECTORS, name), "shared test vector file");
}

/** RFC 3602 §4 raw AES-CBC case (hex fields). */
export interface Rfc3602CbcCase {
  id: string;
  key: string;
  iv: string;
  plaintext: string;
  ciphertext: string;
}

/** RFC 3602 §4 ESP case (hex fields). */
export interface Rfc3602EspCase {
  id: string;
  mode: "transport" | "tunnel";
  description: string;
  key: string;
  spi: string;
  seq: number;
  iv: string;
  next_header: number;
  original_ip_header?: string;
  plaintext_payload: string;
  padding?: string;
  pad_length?: number;
  outer_ip_header: string | null;
  esp: string;
  derived_full_ipv4_packet?: string;
}

export interface Rfc3602File {
  source: string;
  cbc_cases: Rfc3602CbcCase[];
  esp_cases: Rfc3602EspCase[];
}

/** rfc3602-aes-cbc-esp.json. */
export function rfc3602(): Rfc3602File {
  return loadSharedVectors<Rfc3602File>("rfc3602-aes-cbc-esp.json");
}
