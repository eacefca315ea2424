/**
 * `tagflow run … --compare`, through the real command: the line `compared with no fixes: …`
 * just before `outcome:`, the same sentence the engine's comparison gives, and a note (exit 0,
 * not an error) when there is nothing to compare or stdout carries something else.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinByName, compareTraces, loadScenario, runScenario, type ScenarioInput } from "../../src/engine";
import { sweepFixes } from "../helpers/trace";
import { stepRows, tagflow, type CliResult } from "./tagflow";

/** The seed story's fixes (seed 003's switches are compared on the openbsd-* built-ins). */
const FIX_IDS = sweepFixes("lo0-esp-ping");

function trace(name: string, patch: Partial<ScenarioInput> = {}) {
  const loaded = loadScenario({ ...builtinByName(name), ...patch });
  if (!loaded.ok) throw new Error(`${name}: ${JSON.stringify(loaded.problems)}`);
  return runScenario(loaded.scenario);
}

const bug = trace("lo0-esp-ping");
const dir = mkdtempSync(join(tmpdir(), "tagflow-cli-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUNS = {
  ...Object.fromEntries(FIX_IDS.map((id) => [id, ["run", "lo0-esp-ping", "--fix", id, "--compare"]])),
  quiet: ["run", "lo0-esp-ping", "--fix", "icmp-reflect-strips-tags", "--compare", "-q"],
  freebsd: ["run", "lo0-esp-ping", "--personality", "freebsd-7", "--compare", "-q"],
  nothing: ["run", "lo0-esp-ping", "--compare", "-q"],
  fileOwnFixes: ["run", "fixed-esp.json", "--compare", "-q"],
  fileNoFix: ["run", "fixed-esp.json", "--no-fix", "icmp-reflect-strips-tags", "--compare", "-q"],
  jsonStdout: ["run", "lo0-esp-ping", "--fix", "icmp-reflect-strips-tags", "--compare", "--json", "-"],
  withoutCompare: ["run", "lo0-esp-ping", "--fix", "icmp-reflect-strips-tags", "-q"],
} as Record<string, readonly string[]>;

let results: Record<string, CliResult>;

beforeAll(async () => {
  writeFileSync(join(dir, "fixed-esp.json"), JSON.stringify({ ...builtinByName("lo0-esp-ping"), fixes: ["icmp-reflect-strips-tags"] }));
  const entries = await Promise.all(Object.entries(RUNS).map(async ([key, args]) => [key, await tagflow(args, { cwd: dir })] as const));
  results = Object.fromEntries(entries);
}, 120_000);

/** The last two lines of stdout: the comparison and the outcome. */
function tail(r: CliResult): [string, string] {
  const lines = r.stdout.trimEnd().split("\n");
  return [lines.at(-2) ?? "", lines.at(-1) ?? ""];
}

describe("tagflow run --compare", () => {
  it.each(FIX_IDS)("--fix %s: the engine's sentence just before the outcome, after every step", (fix) => {
    const r = results[fix]!;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const run = trace("lo0-esp-ping", { fixes: [fix] });
    const c = compareTraces(bug, run);
    expect(tail(r)).toEqual([`compared with no fixes: ${c.sentence}`, `outcome: ${run.outcome.verdict}`]);
    // The narration is all there, and the step the sentence names is the one the narration shows.
    const rows = stepRows(r.stdout);
    expect(rows).toHaveLength(run.events.length);
    const at = c.divergeAt!.run;
    expect(c.sentence).toContain(`at step ${at + 1}`);
    // The sentence names the function, plainly or in the possessive ("ipsec_getpolicybyaddr's lookup").
    expect(c.sentence).toMatch(new RegExp(` ${rows[at]!.fn.replace(/[()]/g, "\\$&")}('s)? `));
  });

  it("icmp-reflect-strips-tags: names icmp_reflect and the verdict going from insecure to secure", () => {
    const [line, outcome] = tail(results.quiet!);
    expect(line).toMatch(
      /^compared with no fixes: The runs are the same for \d+ steps; at step \d+ icmp_reflect deletes the packet's IPSEC_IN_DONE and IPSEC_OUT_DONE tags \(m_tag_delete_nonpersistent\), where without the fix the tags stay on the packet — and the verdict goes from insecure to secure\.$/,
    );
    expect(outcome).toBe("outcome: secure");
  });

  it("another kernel is compared with the scenario's own", () => {
    const [line, outcome] = tail(results.freebsd!);
    expect(line).toMatch(
      /^compared with no fixes: .* if_simloop deletes .* where on NetBSD 2003 \(FAST_IPSEC\) the tag stays on the packet — and the verdict goes from insecure to secure\.$/,
    );
    expect(outcome).toBe("outcome: secure");
  });

  it("a scenario file's own fixes are compared with the same scenario without them", () => {
    expect(tail(results.fileOwnFixes!)[0]).toMatch(/^compared with no fixes: .*icmp_reflect deletes .* insecure to secure\.$/);
  });

  it("leaves the output alone without --compare", () => {
    expect(results.withoutCompare!.stdout).not.toContain("compared with");
    // --compare adds the side-by-side block and the sentence before the outcome, and nothing else.
    expect(results.quiet!.stdout.replace(/^side by side — [^]*?^compared with no fixes: .*\n/m, "")).toBe(results.withoutCompare!.stdout);
  });
});

describe("--compare with nothing to compare is a note, not an error", () => {
  it.each(["nothing", "fileNoFix"])("%s: says so in place of the sentence, exits 0", (key) => {
    const r = results[key]!;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const [line, outcome] = tail(r);
    expect(line).toMatch(
      /^compared with no fixes: nothing to compare — this run is lo0-esp-ping on its own kernel \(netbsd-2003\) with no fixes; add --fix ID or --personality ID/,
    );
    expect(outcome).toBe("outcome: insecure");
  });

  it("--json -: stdout is the trace alone, and stderr says why there is no comparison", () => {
    const r = results.jsonStdout!;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("tagflow: note: --compare is left out: stdout carries --json instead of the narration\n");
    expect(JSON.parse(r.stdout)).toMatchObject({ fixes: ["icmp-reflect-strips-tags"], outcome: { verdict: "secure" } });
    expect(r.stdout).not.toContain("compared with");
  });
});
