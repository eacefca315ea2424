/**
 * The trace JSON formats (src/export/traceJson.ts, docs/cli.md "The trace as JSON"): format 2
 * writes packet versions as deltas against the previous version of the same chain; the reader and
 * the line-at-a-time converter give back exactly the format-1 bytes, for every built-in.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PacketVersion } from "../../src/engine";
import { TRACE_JSON_FORMAT, convertTraceLines, traceFromJson, traceToJson } from "../../src/export";
import { packetFromV2, packetToV2 } from "../../src/export/traceJson";
import { tagflow } from "../cli/tagflow";
import { BUILTIN_NAMES, traceOf } from "../helpers/trace";

/** The lines of a JSON text as a file reader gives them (no trailing empty piece kept). */
const linesOf = (text: string) => text.split("\n");

describe("trace JSON format 2", () => {
  it.each(BUILTIN_NAMES)("%s: v1 → v2 → the full trace again, byte for byte, by the reader and by the line converter", (name) => {
    const trace = traceOf(name);
    const v1 = traceToJson(trace, 1);
    const v2 = traceToJson(trace);
    expect(v2.startsWith(`{\n  "format": "${TRACE_JSON_FORMAT}",\n`)).toBe(true);
    // The reader turns v2 back into the trace the engine made, every packet version whole…
    const back = traceFromJson(v2);
    expect(back).toEqual(JSON.parse(JSON.stringify(trace)));
    expect(traceToJson(back, 1)).toBe(v1);
    // …and the converter gives what the writer writes, in both directions, a line at a time.
    expect([...convertTraceLines(linesOf(v1), 2)].join("")).toBe(v2);
    expect([...convertTraceLines(linesOf(v2), 1)].join("")).toBe(v1);
    expect(traceFromJson(v1)).toEqual(back);
    // Never larger: a delta is written only where it is shorter than the bytes whole.
    expect(v2.length).toBeLessThanOrEqual(v1.length);
  });

  it("keeps one event, packet version and link per line, events exactly as format 1 writes them", () => {
    const trace = traceOf("lo0-esp-ping");
    const lines = traceToJson(trace).split("\n");
    const v1Lines = new Set(traceToJson(trace, 1).split("\n"));
    const events = lines.filter((l) => l.startsWith('    {"seq":'));
    expect(events).toHaveLength(trace.events.length);
    expect(events.every((l) => v1Lines.has(l))).toBe(true);
    const packets = lines.filter((l) => /^ {4}\{"id":\d/.test(l));
    expect(packets).toHaveLength(trace.packets.length);
    // The first version of each chain is whole; every later one names the version it is a delta of.
    const seen = new Set<number>();
    for (const l of packets) {
      const o = JSON.parse(l.replace(/,$/, "")) as { chain: number; hex?: string; of?: number };
      if (!seen.has(o.chain)) expect(o.hex).toBeDefined();
      else expect(o.of).toBeDefined();
      seen.add(o.chain);
    }
    expect(traceToJson(trace)).toBe(traceToJson(trace));
  });

  it("writes a changed byte as a splice of the base version: keep, the new bytes, tail", () => {
    const base = traceOf("lo0-ping").packets.at(3)!;
    const hex = `${base.hex.slice(0, 4)}beef${base.hex.slice(8)}`;
    const next: PacketVersion = { ...base, id: base.id + 1, hex, rcvif: "lo0" };
    const line = packetToV2(next, base);
    expect(line).toEqual({ id: base.id + 1, chain: base.chain, of: base.id, bytes: [2, "beef", base.hex.length / 2 - 4], rcvif: "lo0" });
    expect(JSON.stringify(packetFromV2(line, base))).toBe(JSON.stringify(next));
    // An optional field that goes away is listed in "unset" (rcvif null is a value, not an absence).
    const stale: PacketVersion = { ...base, staleTags: [1] };
    const cleared = packetToV2(base, stale);
    expect(cleared["unset"]).toEqual(["staleTags"]);
    expect(packetFromV2(cleared, stale)).toEqual(base);
  });

  it("is several times smaller on the packets of a ping flood", () => {
    const trace = traceOf("lo0-esp-ping");
    const section = (json: string) => {
      const from = json.indexOf('  "packets": [');
      return json.slice(from, json.indexOf("\n  ]", from));
    };
    const p1 = section(traceToJson(trace, 1)).length;
    const p2 = section(traceToJson(trace)).length;
    expect(p1 / p2).toBeGreaterThan(2.5);
  });

  it("refuses an unknown format, a delta whose base is missing and a file cut short", () => {
    const v2 = traceToJson(traceOf("lo0-ping"));
    expect(() => traceFromJson(v2.replace(TRACE_JSON_FORMAT, "tagflow-trace/9"))).toThrow(/unknown format "tagflow-trace\/9"/);
    const lines = linesOf(v2);
    const at = lines.findIndex((l) => l.includes('"of":'));
    const broken = [...lines.slice(0, at - 1), ...lines.slice(at)].join("\n");
    expect(() => traceFromJson(broken)).toThrow(/is a delta of version/);
    expect(() => [...convertTraceLines(lines.slice(0, at + 3), 1)]).toThrow(/ends before its closing/);
    expect(() => [...convertTraceLines(['{"version":1}'], 2)]).toThrow(/line 1/);
  });
});

describe("tagflow convert --to trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-trace-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("converts a format-1 file to format 2 and back, byte for byte what the writer writes", async () => {
    const trace = traceOf("lo0-esp-ping");
    writeFileSync(join(dir, "old.json"), traceToJson(trace, 1));
    const to2 = await tagflow(["convert", "old.json", "--to", "trace", "--out", "new.json"], { cwd: dir });
    expect(to2.code).toBe(0);
    expect(to2.stderr).toBe("tagflow: wrote new.json (trace format 2)\n");
    expect(readFileSync(join(dir, "new.json"), "utf8")).toBe(traceToJson(trace));
    const to1 = await tagflow(["convert", "new.json", "--to", "trace-v1"], { cwd: dir });
    expect(to1.code).toBe(0);
    expect(to1.stdout).toBe(traceToJson(trace, 1));
  });

  it("reads a file a tool re-indented by parsing it whole", async () => {
    const trace = traceOf("lo0-ping");
    writeFileSync(join(dir, "pretty.json"), JSON.stringify(JSON.parse(traceToJson(trace, 1)), null, 1));
    const r = await tagflow(["convert", "pretty.json", "--to", "trace", "--out", "p2.json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "p2.json"), "utf8")).toBe(traceToJson(trace));
  });

  it("says what is wrong, exits 2 and writes nothing for a file that is not a trace", async () => {
    writeFileSync(join(dir, "bad.json"), '{\n  "format": "tagflow-trace/9",\n  "events": []\n}\n');
    const r = await tagflow(["convert", "bad.json", "--to", "trace", "--out", "bad2.json"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tagflow: convert: cannot convert bad\.json: trace JSON: unknown format "tagflow-trace\/9".*nothing was written\n$/);
    expect(() => readFileSync(join(dir, "bad2.json"))).toThrow();
    const extra = await tagflow(["convert", "bad.json", "--to", "trace", "--personality", "freebsd-7"], { cwd: dir });
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/--to trace takes only --out/);
  });
});
