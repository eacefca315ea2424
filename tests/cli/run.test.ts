/**
 * `tagflow list`, `help`, `--version` and `run`, through the real command in child processes.
 * Every process starts in beforeAll, all at once; the tests read their results.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUILTIN_SCENARIOS,
  DEFAULT_SCENARIO,
  FIX_IDS,
  PERSONALITY_IDS,
  builtinByName,
  loadScenario,
  runScenario,
  type ScenarioInput,
} from "../../src/engine";
import { TAGFLOW_VERSION, espSaTable, traceEspSas, traceFromJson, traceToJson, traceToPcapng } from "../../src/export";
import { wantsColour } from "../../src/cli/main";
import { lastLine, stepRows, tagflow, type CliResult } from "./tagflow";

function trace(name: string, patch: Partial<ScenarioInput> = {}) {
  const loaded = loadScenario({ ...builtinByName(name), ...patch });
  if (!loaded.ok) throw new Error(`${name}: ${JSON.stringify(loaded.problems)}`);
  return runScenario(loaded.scenario);
}

const dir = mkdtempSync(join(tmpdir(), "tagflow-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUNS = {
  list: ["list"],
  help: ["--help"],
  helpCommand: ["help"],
  version: ["--version"],
  ping: ["run", "lo0-ping"],
  esp: ["run", "lo0-esp-ping"],
  espFixed: ["run", "lo0-esp-ping", "--fix", "icmp-reflect-strips-tags", "--pcap", "fixed.pcapng", "--keys", "fixed.keys", "--json", "fixed.json"],
  freebsd: ["run", "lo0-esp-ping", "--personality", "freebsd-7", "--quiet"],
  fileNoFix: ["run", "fixed-esp.json", "--no-fix", "icmp-reflect-strips-tags", "-q"],
  json: ["run", "lo0-esp-ping", "--json", "-"],
  pcapStdout: ["run", "gw-esp-tunnel", "--pcap", "-"],
} as const satisfies Record<string, readonly string[]>;

let results: Record<keyof typeof RUNS, CliResult>;

beforeAll(async () => {
  // A scenario file that turns the fix on, for --no-fix to turn off again.
  writeFileSync(join(dir, "fixed-esp.json"), JSON.stringify({ ...builtinByName("lo0-esp-ping"), fixes: ["icmp-reflect-strips-tags"] }));
  const entries = await Promise.all(Object.entries(RUNS).map(async ([key, args]) => [key, await tagflow(args, { cwd: dir })] as const));
  results = Object.fromEntries(entries) as typeof results;
}, 120_000);

/** Every run in this file completes: exit 0, nothing on stderr but the "wrote" notes. */
describe("a completed run", () => {
  it.each(Object.keys(RUNS) as (keyof typeof RUNS)[])("%s exits 0 without errors or colour", (key) => {
    const r = results[key];
    expect(r.stderr.replace(/^tagflow: wrote .*\n/gm, ""), r.args.join(" ")).toBe("");
    expect(r.code).toBe(0);
    // stdout is a pipe here: no ANSI escapes.
    if (key !== "pcapStdout") expect(r.stdout).not.toContain("\u001b[");
  });
});

describe("tagflow list", () => {
  it("prints each built-in scenario, name and title, one line each, the default marked", () => {
    const lines = results.list.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(BUILTIN_SCENARIOS.length);
    BUILTIN_SCENARIOS.forEach((s, i) => {
      const line = lines[i] ?? "";
      expect(line.split(/\s{2,}/)).toEqual(s.name === DEFAULT_SCENARIO ? [s.name, s.title, "(default)"] : [s.name, s.title]);
    });
    expect(lines.filter((l) => l.endsWith("(default)"))).toHaveLength(1);
  });
});

describe("tagflow --help, help, --version", () => {
  it("prints usage with every command, flag, fix and personality", () => {
    const help = results.help.stdout;
    for (const word of [
      "tagflow list",
      "tagflow run <scenario|file.json>",
      "--fix ID",
      "--no-fix ID",
      "--personality ID",
      "--json FILE|-",
      "--pcap FILE",
      "--keys FILE",
      "--quiet",
      ...FIX_IDS,
      ...PERSONALITY_IDS,
    ]) {
      expect(help).toContain(word);
    }
    expect(results.helpCommand.stdout).toBe(help);
  });

  it("prints the package version", () => {
    expect(results.version.stdout).toBe(`tagflow ${TAGFLOW_VERSION}\n`);
    expect(TAGFLOW_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("tagflow run lo0-ping", () => {
  const expected = trace("lo0-ping");

  it("prints one line per step: step number, virtual time, host, layer, function, kind, sentence", () => {
    const rows = stepRows(results.ping.stdout);
    expect(rows.map((r) => [r.step, r.t, r.host, r.layer, r.fn, r.kind, r.note])).toEqual(
      expected.events.map((e) => [e.seq + 1, e.t, e.host, e.layer, e.fn, e.kind, e.note]),
    );
  });

  it("walks each echo down through lo0 and back up, reflects it, and delivers the reply, three times", () => {
    const MILESTONES = new Set(["ip_output", "looutput", "ipintr", "ip_input", "icmp_input", "icmp_reflect", "rip_input"]);
    const tokens: string[] = [];
    for (const r of stepRows(results.ping.stdout)) {
      const token = r.kind === "app.send" ? "request" : r.kind === "deliver" ? "delivered" : MILESTONES.has(r.fn) ? r.fn : undefined;
      if (token && tokens[tokens.length - 1] !== token) tokens.push(token);
    }
    const echoes = tokens.join(" ").split(/(?=request )/);
    expect(echoes).toHaveLength(3);
    for (const echo of echoes) {
      // The reply is not reflected again: after the second ip_input only delivery remains
      // (icmp_input hands an echo reply to rip_input, which copies it to ping's socket).
      expect(echo.trim()).toMatch(
        /^request ip_output looutput ipintr ip_input icmp_input icmp_reflect ip_output looutput ipintr ip_input( icmp_input)?( rip_input)? delivered( rip_input)?$/,
      );
    }
  });

  it("ends with the findings and the outcome line", () => {
    const out = results.ping.stdout;
    expect(out).toMatch(/\nfindings: none\necho(es)?: 3 sent, 3 replies delivered\noutcome: secure\n$/);
    expect(out.split("\n")[0]).toBe("lo0-ping: ping 127.0.0.1 — no IPsec");
  });
});

describe("tagflow run lo0-esp-ping", () => {
  const expected = trace("lo0-esp-ping");

  it("narrates the seed story with Stone's steps 1–8 in order, and ends insecure", () => {
    const out = results.esp.stdout;
    const stone = [...out.matchAll(/^ +Stone step (\d): /gm)].map((m) => Number(m[1]));
    expect(stone).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stepRows(out)).toHaveLength(expected.events.length);
    expect(lastLine(out)).toBe("outcome: insecure");
  });

  it("lists every finding with its severity and step", () => {
    const lines = results.esp.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith("findings ("));
    expect(lines[at]).toBe(`findings (${expected.outcome.findings.length}):`);
    expected.outcome.findings.forEach((f, i) => {
      expect(lines[at + 1 + i]?.trim().split(/\s{2,}/)).toEqual([f.severity, `step ${f.step + 1}`, f.sentence]);
    });
    expect(expected.outcome.findings.some((f) => f.severity === "critical")).toBe(true);
  });

  it("--fix icmp-reflect-strips-tags makes it secure", () => {
    expect(lastLine(results.espFixed.stdout)).toBe("outcome: secure");
    expect(results.espFixed.stdout.split("\n")[1]).toContain("fixes: icmp-reflect-strips-tags");
  });

  it("--personality freebsd-7 makes it secure; --quiet prints only findings and outcome", () => {
    const out = results.freebsd.stdout;
    expect(lastLine(out)).toBe("outcome: secure");
    expect(stepRows(out)).toEqual([]);
    expect(out).toMatch(/^findings/);
  });

  it("--no-fix turns off a fix the scenario file turns on", () => {
    expect(lastLine(results.fileNoFix.stdout)).toBe("outcome: insecure");
  });
});

describe("outputs", () => {
  it("--json - writes the trace, and only the trace, to stdout", () => {
    // Format 2 (packet versions as deltas): the reader gives the whole trace back.
    const parsed: unknown = traceFromJson(results.json.stdout);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(trace("lo0-esp-ping"))));
    expect(results.json.stdout).toBe(traceToJson(trace("lo0-esp-ping")));
  });

  it("--pcap, --keys and --json FILE write the same bytes as the export module", () => {
    const fixed = trace("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    expect(new Uint8Array(readFileSync(join(dir, "fixed.pcapng")))).toEqual(traceToPcapng(fixed));
    expect(readFileSync(join(dir, "fixed.json"), "utf8")).toBe(traceToJson(fixed));
    const keys = readFileSync(join(dir, "fixed.keys"), "utf8");
    expect(keys).toBe(espSaTable(traceEspSas(fixed), "ESP SAs of lo0-esp-ping, exported by tagflow " + TAGFLOW_VERSION));
    expect(results.espFixed.stderr.split("\n")).toEqual([
      `tagflow: wrote fixed.json (${fixed.events.length} steps)`,
      "tagflow: wrote fixed.pcapng (6 packets on 1 interface)",
      "tagflow: wrote fixed.keys (1 ESP SA)",
      "",
    ]);
  });

  it("--pcap - writes the capture to stdout", () => {
    expect(new Uint8Array(results.pcapStdout.stdoutBytes)).toEqual(traceToPcapng(trace("gw-esp-tunnel")));
  });
});

describe("colour", () => {
  it("is on only for a terminal without NO_COLOR", () => {
    expect(wantsColour(true, {})).toBe(true);
    expect(wantsColour(true, { NO_COLOR: "" })).toBe(true);
    expect(wantsColour(true, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColour(false, {})).toBe(false);
    expect(wantsColour(undefined, {})).toBe(false);
  });
});
