/**
 * Inputs the validator used to accept silently (issue 16): each is now a problem with a path,
 * and a UTF-8 byte order mark is accepted (dropped) instead of being called invalid JSON.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, loadScenarioJson } from "../../../src/engine";
import { merge, set, type Edit } from "../../helpers/edit";
import { builtinInput } from "../../helpers/trace";
import { LIMITS, TRACE_MEMORY, traceMemoryBound } from "../../../src/engine/scenario/limits";

function problemsAfter(name: string, ...edits: Edit[]) {
  const s = builtinInput(name);
  for (const e of edits) e(s);
  const r = loadScenario(s);
  if (r.ok) throw new Error("expected problems, but the scenario validates");
  return r.problems;
}

describe("strict validation", () => {
  it("a link with three ends is refused, not cut to two", () => {
    const s = builtinInput("gw-esp-tunnel") as { links: { ends: string[] }[] };
    const ends = s.links[0]!.ends;
    const problems = problemsAfter("gw-esp-tunnel", set("links[0].ends", [...ends, ends[0]]));
    expect(problems).toEqual([{ path: "$.links[0].ends[2]", message: 'a link has exactly two ends, ["host:ifname", "host:ifname"]' }]);
  });

  it("a fix listed twice is named at its second place", () => {
    expect(problemsAfter("lo0-esp-ping", set("fixes", ["icmp-reflect-strips-tags", "icmp-reflect-strips-tags"]))).toEqual([
      { path: "$.fixes[1]", message: 'fix "icmp-reflect-strips-tags" is already listed' },
    ]);
  });

  it("ESP with neither encryption nor authentication is refused (RFC 4303 §3.2)", () => {
    expect(problemsAfter("lo0-esp-ping", merge("hosts[0].sad[0]", { enc: "null", encKey: "", auth: "none", authKey: "" }))).toEqual([
      { path: "$.hosts[0].sad[0].auth", message: "ESP needs encryption or authentication or both (RFC 4303 §3.2): enc is null and auth is none" },
    ]);
  });

  it("ESP with authentication only (enc null) still validates", () => {
    const s = builtinInput("lo0-esp-ping");
    merge("hosts[0].sad[0]", { enc: "null", encKey: "", auth: "hmac-sha1-96", authKey: "0x0102030405060708090a0b0c0d0e0f1011121314" })(s);
    expect(loadScenario(s).ok).toBe(true);
  });

  it("a UTF-8 byte order mark before the JSON is accepted", () => {
    const text = JSON.stringify(builtinInput("lo0-ping"));
    const withBom = loadScenarioJson(`\ufeff${text}`);
    expect(withBom.ok).toBe(true);
    if (withBom.ok && loadScenarioJson(text).ok) expect(withBom.scenario).toEqual((loadScenarioJson(text) as { scenario: unknown }).scenario);
  });
});

describe("ping size with IPsec", () => {
  // The kernel, not the schema, refuses a datagram IPsec would push past IP_MAXPACKET: esp_output's
  // EMSGSIZE drop is modelled (netipsec/maxpacket.ts) and tested in tests/engine/fidelity.
  it("a 65499-byte ESP ping is a valid scenario", () => {
    const s = builtinInput("lo0-esp-ping");
    merge("traffic[0]", { size: 65499 })(s);
    expect(loadScenario(s).ok).toBe(true);
  });
});

describe("total traffic data", () => {
  it("a trace that could outgrow the CLI's heap is refused up front, with what would fit (issue 16)", () => {
    expect(problemsAfter("lo0-ping", merge("traffic[0]", { count: 20_000, size: 65_499 }))).toEqual([
      {
        path: "$.traffic",
        message:
          "the traffic would carry 1249.3 MiB of data (count × size, summed) in up to 2000000 steps (maxEvents): its trace could need 314.7 GB of memory, and the limit is 3.0 GB. With this maxEvents at most 10.6 MiB of data fit: lower count or size (or maxEvents)",
      },
    ]);
    // Legal before, and V8 ran out of memory in the CLI: now refused.
    expect(problemsAfter("lo0-ping", merge("traffic[0]", { count: 1000, size: 65_499 }))).toHaveLength(1);
    expect(problemsAfter("lo0-ping", merge("traffic[0]", { count: 8000, size: 8000 }))).toHaveLength(1);
    // Many small echoes still fit: their cost is their steps, which maxEvents bounds.
    const big = builtinInput("lo0-ping");
    merge("traffic[0]", { count: 100_000, size: 56 })(big);
    expect(loadScenario(big).ok).toBe(true);
    // The bound's edge: the most data that fits with the default maxEvents, and one byte more.
    const fit = Math.floor((LIMITS.traceMemory - TRACE_MEMORY.perEvent * 2_000_000) / TRACE_MEMORY.perByte);
    expect(traceMemoryBound(fit, 2_000_000)).toBeLessThanOrEqual(LIMITS.traceMemory);
    expect(traceMemoryBound(fit + 1, 2_000_000)).toBeGreaterThan(LIMITS.traceMemory);
  });

  it("maxEvents alone stays within the memory bound", () => {
    expect(traceMemoryBound(0, LIMITS.maxEvents)).toBeLessThanOrEqual(LIMITS.traceMemory);
  });
});
