/**
 * audit/baseline.ts: the one baseline the app's worker and the CLI compare against — the scenario
 * as written, on its own kernel, with every fix off; --fix / --no-fix / --personality shape only
 * the run (docs/cli.md, "--compare").
 */
import { describe, expect, it } from "vitest";
import { baselineOf, builtinByName, loadScenario, type Scenario, type ScenarioInput } from "../../../src/engine";
import { runTraceSync } from "../../../src/worker/runTrace";

function load(input: ScenarioInput): Scenario {
  const r = loadScenario(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const seed = builtinByName("lo0-esp-ping")!;
const fixedFile = { ...seed, fixes: ["icmp-reflect-strips-tags"] } as ScenarioInput;

describe("baselineOf", () => {
  it("is the scenario's own kernel with no fixes when the run turns a fix on", () => {
    const b = baselineOf(seed, load({ ...seed, fixes: ["icmp-reflect-strips-tags"] } as ScenarioInput));
    expect(b.kind).toBe("run");
    if (b.kind === "run") expect({ p: b.scenario.personality, f: b.scenario.fixes }).toEqual({ p: "netbsd-2003", f: [] });
  });

  it("drops the fixes the scenario itself turns on, so a file's own fix is compared with none", () => {
    const b = baselineOf(fixedFile, load(fixedFile));
    expect(b.kind === "run" && b.scenario.fixes).toEqual([]);
  });

  it("says the run is the baseline when --no-fix leaves it with no fixes on its own kernel", () => {
    expect(baselineOf(fixedFile, load({ ...fixedFile, fixes: [] } as ScenarioInput))).toEqual({ kind: "same" });
    expect(baselineOf(seed, load(seed))).toEqual({ kind: "same" });
  });

  it("keeps the scenario's own personality when the run is on another kernel", () => {
    const b = baselineOf(seed, load({ ...seed, personality: "freebsd-7" } as ScenarioInput));
    expect(b.kind === "run" && b.scenario.personality).toBe("netbsd-2003");
  });

  it("gives the worker the same answer: a comparison exactly when the baseline is another run", () => {
    const json = JSON.stringify(fixedFile);
    expect(runTraceSync(json, { compare: true })).toHaveProperty("comparison");
    expect(runTraceSync(json, { compare: true, fixes: [] })).not.toHaveProperty("comparison");
    const other = runTraceSync(json, { compare: true, fixes: [], personality: "freebsd-7" });
    expect(other.ok && other.comparison?.basePersonality).toBe("netbsd-2003");
  });
});
