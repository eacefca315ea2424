/**
 * Run the real Wireshark (tshark) over a capture file, with ESP decryption on, and return what it
 * dissected. Each run gets an empty temporary profile (HOME and XDG_CONFIG_HOME point into a
 * fresh directory), so the developer's own Wireshark preferences and SA tables never leak in.
 *
 * Preference names checked with `tshark -G defaultprefs` on Wireshark 4.0.17:
 * esp.enable_encryption_decode, esp.enable_authentication_check, ip.check_checksum.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TSHARK, ensureTool, toolVersion } from "./debian";

let resolved: string | undefined;

/** The tshark binary, installed from Debian's archive on first use when we may (see debian.ts). */
export function tsharkPath(): string {
  resolved ??= ensureTool(TSHARK);
  return resolved;
}

/** "TShark (Wireshark) 4.0.17 (…)", for test names and reports. */
export function tsharkVersion(): string {
  return toolVersion(tsharkPath());
}

/** How to run tshark beyond the capture file. */
export interface TsharkOptions {
  /** Lines for the esp_sa UAT, each passed as `-o uat:esp_sa:<line>`. */
  espSaLines?: readonly string[];
  /** Contents of `<profile>/esp_sa`, written before the run (to test the file format itself). */
  espSaFile?: string;
  /** Extra arguments, e.g. a display filter `["-Y", "icmp"]`. */
  args?: readonly string[];
}

/** Lines tshark writes to stderr that are not errors. */
const HARMLESS_STDERR = [/^Running as user "root" and group "root"\. This could be dangerous\.$/];

/** Run tshark; throws with its stderr on a non-zero exit or any unexpected stderr output. */
export function runTshark(pcapPath: string, output: readonly string[], options: TsharkOptions = {}): string {
  const home = mkdtempSync(join(tmpdir(), "tagflow-tshark-"));
  try {
    const config = join(home, ".config");
    mkdirSync(join(config, "wireshark"), { recursive: true });
    if (options.espSaFile !== undefined) writeFileSync(join(config, "wireshark", "esp_sa"), options.espSaFile);
    const args = [
      "-n", // no name resolution: addresses stay literal, and no DNS lookups
      "-r",
      pcapPath,
      "-o",
      "esp.enable_encryption_decode:TRUE",
      "-o",
      "esp.enable_authentication_check:TRUE",
      "-o",
      "ip.check_checksum:TRUE",
      ...(options.espSaLines ?? []).flatMap((line) => ["-o", `uat:esp_sa:${line}`]),
      ...(options.args ?? []),
      ...output,
    ];
    const result = spawnSync(tsharkPath(), args, {
      encoding: "utf8",
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: config, LC_ALL: "C.UTF-8" },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    const stderr = (result.stderr ?? "").split("\n").filter((line) => line.trim() !== "" && !HARMLESS_STDERR.some((re) => re.test(line.trim())));
    if (result.error || result.status !== 0 || stderr.length > 0) {
      throw new Error(`tshark ${args.join(" ")} failed (exit ${result.status ?? result.signal ?? result.error?.message}):\n${stderr.join("\n")}`);
    }
    return result.stdout;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Dissect a capture as `tshark -T json --no-duplicate-keys`: one element per frame, with
 * `_source.layers` mapping protocol names to their fields (repeated keys merged into arrays).
 */
export function tsharkJson(pcapPath: string, espSaLines?: readonly string[], options: TsharkOptions = {}): unknown[] {
  const out = runTshark(pcapPath, ["-T", "json", "--no-duplicate-keys"], {
    ...options,
    espSaLines: [...(espSaLines ?? []), ...(options.espSaLines ?? [])],
  });
  const parsed: unknown = JSON.parse(out);
  if (!Array.isArray(parsed)) throw new Error(`tshark -T json printed ${typeof parsed}, not an array`);
  return parsed;
}

/**
 * `tshark -T fields -e f1 -e f2 …`: one row per frame, one cell per field. A field that occurs
 * several times in a frame (e.g. icmp.type inside and outside a tunnel) has its values joined
 * with ","; an absent field is "".
 */
export function tsharkFields(pcapPath: string, fields: readonly string[], options: TsharkOptions = {}): string[][] {
  const out = runTshark(
    pcapPath,
    ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", ...fields.flatMap((f) => ["-e", f])],
    options,
  );
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}
