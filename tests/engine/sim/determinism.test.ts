/**
 * "Same scenario in, byte-identical trace out" (design.md): every built-in, under both
 * personalities, with no fix and with each fix alone, run twice gives JSON-identical traces;
 * the seed changes what it should (boot-time ip_id, CBC IVs) and nothing the story depends on.
 */
import { describe, expect, it } from "vitest";
import { asTables, fromColumns, fromHex, runScenario, traceColumns, type ScenarioTrace } from "../../../src/engine";
import { allConfigurations, BUILTIN_NAMES, builtinInput, eventsOf, findingIds, runBuiltin, validated } from "../../helpers/trace";

describe("determinism", () => {
  it.each(allConfigurations())("$label: two runs give JSON-identical traces", ({ name, personality, fixes }) => {
    const a = runBuiltin(name, { personality, fixes });
    const b = runBuiltin(name, { personality, fixes });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it.each(BUILTIN_NAMES)("%s: running one validated scenario object twice gives the same trace (runs share no state)", (name) => {
    const scenario = validated(builtinInput(name));
    const copy = structuredClone(scenario);
    const a = JSON.stringify(runScenario(scenario));
    expect(scenario).toEqual(copy); // the run did not modify its input
    expect(JSON.stringify(runScenario(scenario))).toBe(a);
  });

  it.each(BUILTIN_NAMES)("%s: the trace's JSON is plain data, and its columns rebuild the same trace (survives both round trips)", (name) => {
    const t = runBuiltin(name);
    const json = JSON.stringify(t);
    const plain = JSON.parse(json) as ScenarioTrace;
    expect(plain.events).toStrictEqual(t.events.slice());
    expect(plain.packets).toStrictEqual(t.packets.slice());
    // Through the worker's transfer (columns), and from the plain arrays of a saved file.
    const { columns } = traceColumns(t.events, t.packets);
    const moved = fromColumns(structuredClone(columns));
    expect(JSON.stringify({ ...t, ...moved })).toBe(json);
    expect(JSON.stringify({ ...t, ...asTables(plain.events, plain.packets) })).toBe(json);
  });
});

/** [IP id, ESP IV hex] of every ESP packet leaving over lo0. */
function ivsAndIds(name: string, seed: number) {
  const t = runBuiltin(name, { seed });
  const tx = eventsOf(t, "link.tx").map((e) => fromHex(t.packets.at(e.packet)!.hex));
  const esp = tx.filter((b) => b[9] === 50);
  return {
    trace: t,
    ids: tx.map((b) => (b[4]! << 8) | b[5]!),
    ivs: esp.map((b) => Buffer.from(b.subarray(28, 44)).toString("hex")),
  };
}

describe("the seed", () => {
  it("changes the CBC IVs and the IP ids of lo0-esp-cbc-ping, not its verdict or findings", () => {
    const one = ivsAndIds("lo0-esp-cbc-ping", 1);
    const two = ivsAndIds("lo0-esp-cbc-ping", 2);
    expect(one.ivs).toHaveLength(3);
    expect(new Set(one.ivs).size).toBe(3); // a fresh random IV per packet (RFC 3602 §2.4)
    for (let i = 0; i < one.ivs.length; i++) expect(two.ivs[i]).not.toBe(one.ivs[i]);
    expect(two.ids).not.toEqual(one.ids);
    expect(two.trace.outcome.verdict).toBe(one.trace.outcome.verdict);
    expect(findingIds(two.trace)).toEqual(findingIds(one.trace));
    expect(two.trace.events.map((e) => `${e.fn}:${e.kind}`)).toEqual(one.trace.events.map((e) => `${e.fn}:${e.kind}`));
  });

  it("IP ids come from ip_randomid() on the seeded RNG: non-zero, not a counter, the same for the same seed", () => {
    const { ids } = ivsAndIds("lo0-ping", 1);
    // rip_output (IP_HDRINCL, ip_id 0) and ip_output.c 1.120 (the reply) both call ip_randomid().
    expect(ids.every((id) => id > 0 && id <= 0xffff)).toBe(true);
    expect(ids).not.toEqual(ids.map((_, i) => (ids[0]! + i) & 0xffff));
    expect(ivsAndIds("lo0-ping", 1).ids).toEqual(ids);
  });

  it.each(BUILTIN_NAMES)("%s: a different seed keeps the verdict, the findings and the shape of the run", (name) => {
    const a = runBuiltin(name, { seed: 1 });
    const b = runBuiltin(name, { seed: 0xdeadbeef });
    expect(b.outcome).toEqual({ ...a.outcome, findings: b.outcome.findings });
    expect(findingIds(b)).toEqual(findingIds(a));
    expect(b.events.map((e) => e.kind)).toEqual(a.events.map((e) => e.kind));
    expect(JSON.stringify(b.events)).not.toBe(JSON.stringify(a.events));
  });
});
