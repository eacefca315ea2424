import { describe, expect, it } from "vitest";
import { builtinByName, loadScenario, runScenario, scanAt, type ScenarioTrace } from "../../../src/engine/index";
import { crossingPair } from "../../../src/ui/panels/LinkCrossings";

function run(fixes: string[]): ScenarioTrace {
  const loaded = loadScenario({ ...builtinByName("lo0-esp-ping"), fixes });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return runScenario(loaded.scenario);
}

const crossings = (t: ScenarioTrace) => {
  const out: number[] = [];
  for (let i = 0; i < t.events.length; i++) if (scanAt(t.events, i).kind === "link.tx") out.push(i);
  return out;
};

describe("crossingPair: the reply's cleartext crossing of lo0 beside the request's encrypted one", () => {
  it("pairs the seed story's first cleartext reply with the request's ESP crossing, and says the policy asked for ESP", () => {
    const t = run([]);
    const pairs = crossings(t).map((s) => crossingPair(t, s));
    const first = pairs.find((p) => p !== null)!;
    expect(first.link).toBe("lo0");
    expect(first.now.encrypted).toBe(false);
    expect(first.now.headers.map((h) => h.label)).toEqual(["IPv4", "ICMP", "data"]);
    expect(first.before).not.toBeNull();
    expect(first.before!.seq).toBeLessThan(first.now.seq);
    expect(first.before!.encrypted).toBe(true);
    expect(first.before!.headers.map((h) => h.label)).toEqual(["IPv4", "ESP", "encrypted"]);
    // IPv4 20 + ESP 8 + IV 8 + ciphertext + ICV 16: the encrypted band is everything after the ESP header.
    expect(first.before!.headers[2]!.bytes).toBe(first.before!.headers.reduce((n, h) => n + h.bytes, 0) - 28);
    expect(first.expected).toMatch(/^sp1/);
    expect(first.expected).toContain("esp/transport//require");
    // The request's own (encrypted) crossing gets no comparison.
    expect(crossingPair(t, first.before!.seq)).toBeNull();
  });

  it("shows nothing once the fix keeps every crossing encrypted", () => {
    const t = run(["icmp-reflect-strips-tags"]);
    expect(crossings(t).length).toBeGreaterThan(0);
    expect(crossings(t).map((s) => crossingPair(t, s))).toEqual(crossings(t).map(() => null));
  });

  it("is null on a step that is not a crossing", () => {
    const t = run([]);
    expect(crossingPair(t, 0)).toBeNull();
  });
});
