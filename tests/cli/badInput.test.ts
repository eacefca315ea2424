/**
 * Bad input (design.md, "Bad input"): every case exits 2 with a message naming the problem,
 * prints no stack trace, writes nothing to stdout and creates no file. Each case runs in its own
 * directory with outputs requested, so "writes nothing" is checked, not assumed.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, FIX_IDS, PERSONALITY_IDS, builtinByName } from "../../src/engine";
import { tagflow, type CliResult } from "./tagflow";

const USAGE_HINT = "Run 'tagflow --help' for usage.";
const OUTPUTS = ["--pcap", "out.pcapng", "--json", "out.json", "--keys", "out.keys"];

/** The files every case directory starts with. */
const FIXTURES: Record<string, string> = {
  "broken.json": '{"version": 1, "name": ',
  "structure.json": JSON.stringify({
    version: 1,
    name: "Bad Name",
    hosts: [],
    traffic: [{ kind: "ping", from: "host", dst: "127.0.0.1", count: 0 }],
  }),
  "keys.json": JSON.stringify({
    ...builtinByName("lo0-esp-ping"),
    hosts: [{ name: "host", sad: [{ spi: "0x1000", src: "127.0.0.1", dst: "127.0.0.1", proto: "esp", enc: "aes-gcm-16", encKey: "0x0011" }] }],
  }),
};

interface Case {
  args: readonly string[];
  /** Every one of these must match some line of stderr. */
  stderr: readonly RegExp[];
  hint?: boolean;
}

const names = BUILTIN_SCENARIOS.map((s) => s.name).join(", ");

const CASES: Record<string, Case> = {
  "unknown scenario": {
    args: ["run", "no-such-scenario", ...OUTPUTS],
    stderr: [new RegExp(`^tagflow: unknown scenario 'no-such-scenario'\\. Built-in scenarios: ${names} `)],
  },
  "missing file": {
    args: ["run", "missing.json", ...OUTPUTS],
    stderr: [/^tagflow: cannot read scenario file missing\.json: no such file or directory$/],
  },
  "a directory as the file": { args: ["run", "./adir", ...OUTPUTS], stderr: [/^tagflow: cannot read scenario file \.\/adir: is a directory$/] },
  "invalid JSON": { args: ["run", "broken.json", ...OUTPUTS], stderr: [/^tagflow: broken\.json is not valid JSON: .+/] },
  "invalid scenario (structure)": {
    args: ["run", "structure.json", ...OUTPUTS],
    stderr: [
      /^tagflow: structure\.json is not a valid scenario \(\d+ problems\):$/,
      /^ {2}\$\.name: .+/,
      /^ {2}\$\.hosts: .+/,
      /^ {2}\$\.traffic\[0\]\.count: .+/,
    ],
  },
  "invalid scenario (key length)": {
    args: ["run", "keys.json", ...OUTPUTS],
    stderr: [/^tagflow: keys\.json is not a valid scenario \(1 problem\):$/, /^ {2}\$\.hosts\[0\]\.sad\[0\]\.encKey: .*\b(20|36)\b/],
  },
  "unknown flag": { args: ["run", "lo0-ping", "--frobnicate", ...OUTPUTS], stderr: [/^tagflow: Unknown option '--frobnicate'/], hint: true },
  "unknown fix": {
    args: ["run", "lo0-esp-ping", "--fix", "strip-everything", ...OUTPUTS],
    stderr: [new RegExp(`^tagflow: unknown fix 'strip-everything' \\(--fix\\)\\. Fixes: ${FIX_IDS.join(", ")}$`)],
  },
  "unknown fix to remove": {
    args: ["run", "lo0-esp-ping", "--no-fix", "nope", ...OUTPUTS],
    stderr: [/^tagflow: unknown fix 'nope' \(--no-fix\)\. Fixes: /],
  },
  "unknown personality": {
    args: ["run", "lo0-esp-ping", "--personality", "openbsd-3", ...OUTPUTS],
    stderr: [new RegExp(`^tagflow: unknown personality 'openbsd-3'\\. Personalities: ${PERSONALITY_IDS.join(", ")}$`)],
  },
  "the same fix on and off": {
    args: ["run", "lo0-esp-ping", "--fix", FIX_IDS[0]!, "--no-fix", FIX_IDS[0]!, ...OUTPUTS],
    stderr: [/--fix and --no-fix both name/],
  },
  "missing scenario": { args: ["run", ...OUTPUTS], stderr: [/^tagflow: run: missing scenario/], hint: true },
  "missing option value": {
    args: ["run", "lo0-ping", "--json", "out.json", "--pcap"],
    stderr: [/^tagflow: Option '--pcap <value>' argument missing$/],
    hint: true,
  },
  "missing command": { args: [], stderr: [/^tagflow: missing command/], hint: true },
  "unknown command": { args: ["frobnicate"], stderr: [/^tagflow: unknown command 'frobnicate'/], hint: true },
  "extra argument": {
    args: ["run", "lo0-ping", "lo0-esp-ping", ...OUTPUTS],
    stderr: [/^tagflow: run: unexpected argument 'lo0-esp-ping'$/],
    hint: true,
  },
  "output in a missing directory": {
    args: ["run", "lo0-esp-ping", "--json", "out.json", "--pcap", "nodir/out.pcapng"],
    stderr: [/^tagflow: cannot write nodir\/out\.pcapng \(--pcap\): directory .*nodir does not exist$/],
  },
  "output onto a directory": {
    args: ["run", "lo0-esp-ping", "--pcap", "out.pcapng", "--keys", "adir"],
    stderr: [/^tagflow: cannot write adir \(--keys\): is a directory$/],
  },
  "two outputs to stdout": { args: ["run", "lo0-esp-ping", "--json", "-", "--pcap", "-"], stderr: [/only one output can go to stdout/] },
};

const root = mkdtempSync(join(tmpdir(), "tagflow-bad-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let results: Record<string, { result: CliResult; files: string[] }>;

beforeAll(async () => {
  const entries = await Promise.all(
    Object.entries(CASES).map(async ([name, c], i) => {
      const cwd = join(root, String(i));
      mkdirSync(join(cwd, "adir"), { recursive: true });
      for (const [file, text] of Object.entries(FIXTURES)) writeFileSync(join(cwd, file), text);
      const result = await tagflow(c.args, { cwd });
      return [name, { result, files: readdirSync(cwd).sort() }] as const;
    }),
  );
  results = Object.fromEntries(entries);
}, 120_000);

describe("bad input", () => {
  it.each(Object.keys(CASES))("%s: exits 2 with a clear message and writes nothing", (name) => {
    const c = CASES[name]!;
    const { result, files } = results[name]!;
    const lines = result.stderr.trimEnd().split("\n");
    expect(result.code, result.stderr).toBe(2);
    for (const re of c.stderr)
      expect(
        lines.some((l) => re.test(l)),
        `${re} in:\n${result.stderr}`,
      ).toBe(true);
    expect(lines.includes(USAGE_HINT)).toBe(c.hint === true);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe("");
    expect(files).toEqual(["adir", ...Object.keys(FIXTURES)].sort());
  });
});
