/**
 * Hostile input through `main` in-process (issue 16): scenario text cannot reach the terminal
 * raw, `outcome:` stays the last line, a failed output leaves nothing on disk, a failing stdout
 * is one line and exit 3, and bad input is exit 2 without a stack trace.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinByName } from "../../src/engine";
import { main } from "../../src/cli/main";
import { escapeTerminal } from "../../src/cli/io";
import { lastLine, tagflow } from "./tagflow";

const dir = mkdtempSync(join(tmpdir(), "tagflow-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A scenario file in a fresh directory of its own; returns that directory. */
function caseDir(name: string, files: Record<string, string> = {}): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

const EVIL = "evil\u001b]0;pwned\u0007\u001b[2J\r\noutcome: secure\u202e\u2066\u0085";

describe("escapeTerminal", () => {
  it("shows every control and bidi character as a visible escape and keeps the rest", () => {
    expect(escapeTerminal("a\u001bb\u0007c\r\nd\u202ee\u2069f\u009bg")).toBe("a\\x1bb\\x07c\\x0d\\x0ad\\u202ee\\u2069f\\x9bg");
    expect(escapeTerminal("ping 127.0.0.1 — no IPsec µs")).toBe("ping 127.0.0.1 — no IPsec µs");
  });
});

describe("a hostile title", () => {
  const cwd = caseDir("title", { "evil.json": JSON.stringify({ ...builtinByName("lo0-esp-ping"), title: EVIL }) });

  it.each([[[]], [["-q"]], [["--compare", "--fix", "icmp-reflect-strips-tags"]]])("never reaches stdout raw (%j)", async (extra) => {
    const r = await tagflow(["run", "evil.json", ...extra], { cwd });
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const outcomes = r.stdout.split("\n").filter((l) => l.startsWith("outcome:"));
    expect(outcomes).toHaveLength(1);
    expect(lastLine(r.stdout)).toBe(extra.includes("--fix") ? "outcome: secure" : "outcome: insecure");
  });

  it("is escaped where it is echoed", async () => {
    const r = await tagflow(["run", "evil.json"], { cwd });
    expect(r.stdout.split("\n")[0]).toBe(`lo0-esp-ping: ${escapeTerminal(EVIL)}`);
  });
});

describe("hostile command-line text on stderr", () => {
  it("an unknown scenario name with controls is one escaped line", async () => {
    const r = await tagflow(["run", "x\u001b[31m\noutcome: secure"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("x\\x1b[31m\\x0aoutcome: secure");
  });
});

describe("input", () => {
  it("a UTF-8 BOM before the JSON is accepted", async () => {
    const cwd = caseDir("bom", { "bom.json": `\ufeff${JSON.stringify(builtinByName("lo0-ping"))}` });
    const r = await tagflow(["run", "bom.json", "-q"], { cwd });
    expect(r.stderr).toBe("");
    expect(lastLine(r.stdout)).toBe("outcome: secure");
  });

  it("an empty file is named as empty", async () => {
    const cwd = caseDir("empty", { "empty.json": "" });
    const r = await tagflow(["run", "empty.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tagflow: cannot read scenario file empty\.json: it is empty/);
  });

  it("a file over the size cap is refused without being parsed", async () => {
    const cwd = caseDir("huge", { "huge.json": " ".repeat(4 * 512 * 1024 + 1) });
    const r = await tagflow(["run", "huge.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tagflow: cannot read scenario file huge\.json: \d+ bytes is too large for a scenario/);
  });

  it.each(["/dev/zero", "/dev/urandom"])("%s is refused as a device, without a read", async (dev) => {
    const r = await tagflow(["run", dev]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tagflow: cannot read scenario file ${dev}: is a character device, not a file\n`);
  });

  it("a three-element ends is exit 2 with its path", async () => {
    const s = builtinByName("gw-esp-tunnel") as unknown as { links: { ends: string[] }[] };
    const links = s.links.map((l, i) => (i === 0 ? { ...l, ends: [...l.ends, l.ends[0]!] } : l));
    const cwd = caseDir("ends", { "ends.json": JSON.stringify({ ...s, links }) });
    const r = await tagflow(["run", "ends.json"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("$.links[0].ends[2]: a link has exactly two ends");
  });
});

describe("outputs are all or nothing", () => {
  it("--json p.json --pcap /dev/full exits 2 and leaves no p.json (nor a temp file)", async () => {
    const cwd = caseDir("full");
    const r = await tagflow(["run", "lo0-esp-ping", "--json", "p.json", "--pcap", "/dev/full"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("tagflow: cannot write /dev/full (--pcap): no space left on the device; nothing was written\n");
    expect(readdirSync(cwd)).toEqual([]);
    expect(r.stdout).toBe("");
  });

  it("every output of a run that succeeds is in place, and no temp file is left", async () => {
    const cwd = caseDir("ok");
    const r = await tagflow(["run", "lo0-esp-ping", "--json", "p.json", "--pcap", "p.pcapng", "--keys", "p.keys", "-q"], { cwd });
    expect(r.code).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(["p.json", "p.keys", "p.pcapng"]);
  });
});

describe("a failing stdout", () => {
  it.each([
    ["EPIPE", "the reader closed the pipe (EPIPE)"],
    ["ENOSPC", "no space left on the device (ENOSPC)"],
    ["EBADF", "stdout is closed (EBADF)"],
  ])("%s is one line and exit 3", async (code, words) => {
    let stderr = "";
    const status = await main(["run", "lo0-ping"], {
      stdout: {
        write: () => {
          throw Object.assign(new Error(`${code}: write`), { code });
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
      colour: false,
      cwd: dir,
    });
    expect(status).toBe(3);
    expect(stderr).toBe(`tagflow: cannot write to stdout: ${words}\n`);
  });
});

describe("streamed outputs", () => {
  it("pcapng and JSON written in pieces are byte for byte the whole-string exports", async () => {
    const { loadScenario, runScenario } = await import("../../src/engine");
    const { traceToJson, traceToJsonChunks, traceToPcapng, traceToPcapngChunks } = await import("../../src/export");
    const loaded = loadScenario({
      ...builtinByName("lo0-esp-ping"),
      traffic: [{ kind: "ping", from: "host", dst: "127.0.0.1", count: 20, size: 30_000 }],
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const trace = runScenario(loaded.scenario);
    const chunks = [...traceToPcapngChunks(trace)];
    expect(chunks.length).toBeGreaterThan(1); // really in pieces: the capture is a few MiB
    expect(Buffer.concat(chunks).equals(Buffer.from(traceToPcapng(trace)))).toBe(true);
    expect([...traceToJsonChunks(trace)].join("")).toBe(traceToJson(trace));
  });
});
