/**
 * The published test vectors carried in the repository under `tests/vectors/` (see its README for
 * each file's RFC and section), read by every suite that checks against them. They live inside the
 * project so a lone clone passes `npm test` (issue 10): nothing here reads outside the repository.
 * Fails loudly when a file is missing, rather than letting a suite pass vacuously.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root, two levels up from tests/helpers. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The vector folder inside the project. */
export const VECTORS_DIR = path.resolve(PROJECT_ROOT, "tests/vectors");

/** Parse a JSON file, naming what it is if it is missing. */
export function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) {
    throw new Error(`${what} not found: ${file} (the published vectors live in tests/vectors/, see its README)`);
  }
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Parses `<projectRoot>/tests/vectors/<name>`. */
export function loadVectors<T>(name: string): T {
  return readJson<T>(path.join(VECTORS_DIR, name), "test vector file");
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
  return loadVectors<Rfc3602File>("rfc3602-aes-cbc-esp.json");
}
