/**
 * loadScenarioJson: untrusted text (a file, a share URL) is size- and depth-checked before it
 * is parsed, and every failure is a problem at "$" — never an exception.
 */
import { describe, expect, it } from "vitest";
import { INPUT_LIMITS, loadScenarioJson, nestingDepth } from "../../../src/engine";
import { builtinInput } from "../../helpers/trace";

describe("loadScenarioJson", () => {
  it("accepts a built-in written as JSON", () => {
    const r = loadScenarioJson(JSON.stringify(builtinInput("gw-esp-tunnel")));
    expect(r.ok).toBe(true);
  });

  it.each(["", "{", "{version: 1}", "[1,]", "nul", '{"a": 1} trailing'])("rejects invalid JSON %j", (text) => {
    const r = loadScenarioJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.path).toBe("$");
      expect(r.problems[0]!.message).toMatch(/^not valid JSON: /);
    }
  });

  it("rejects oversize input before parsing it", () => {
    const text = `{"version": 1, "name": "big", "description": "${"x".repeat(INPUT_LIMITS.jsonBytes)}"}`;
    const r = loadScenarioJson(text);
    expect(r).toEqual({
      ok: false,
      problems: [{ path: "$", message: `scenario is ${text.length} characters long; the limit is ${INPUT_LIMITS.jsonBytes}` }],
    });
  });

  it("accepts input exactly at the size limit (then judges its content)", () => {
    const head = '{"version": 1, "pad": "';
    const text = head + "x".repeat(INPUT_LIMITS.jsonBytes - head.length - 2) + '"}';
    expect(text.length).toBe(INPUT_LIMITS.jsonBytes);
    const r = loadScenarioJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain("$.pad");
  });

  it("rejects deep nesting before parsing it (a hostile URL cannot recurse the parser)", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(loadScenarioJson(deep)).toEqual({
      ok: false,
      problems: [{ path: "$", message: `JSON nests 100000 levels deep; the limit is ${INPUT_LIMITS.depth}` }],
    });
    const atLimit = "[".repeat(INPUT_LIMITS.depth) + "]".repeat(INPUT_LIMITS.depth);
    expect(loadScenarioJson(atLimit)).toEqual({ ok: false, problems: [{ path: "$", message: "a scenario is a JSON object" }] });
  });

  it("rejects the wrong version from JSON like from a value", () => {
    expect(loadScenarioJson('{"version": 99}')).toEqual({
      ok: false,
      problems: [{ path: "$.version", message: "version 99 was written by a newer tagflow; this one reads up to 1" }],
    });
  });

  it("treats __proto__ and constructor as ordinary unknown keys", () => {
    const text = JSON.stringify(builtinInput("lo0-ping"))
      .replace('{"version":1', '{"__proto__":{"polluted":true},"version":1')
      .replace('{"name":"host"', '{"constructor":{"polluted":true},"name":"host"');
    const r = loadScenarioJson(text);
    expect(r).toEqual({
      ok: false,
      problems: [
        { path: "$.__proto__", message: "unknown key (not part of the scenario format)" },
        { path: "$.hosts[0].constructor", message: "unknown key (not part of the scenario format)" },
      ],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("nestingDepth", () => {
  it.each([
    ["1", 0],
    ["{}", 1],
    ["[[], [[]]]", 3],
    ['{"a": {"b": [1, {"c": 2}]}}', 4],
    ['"[[[["', 0],
    ['{"k\\"[[": "]]}"}', 1],
    ['["\\\\", [1]]', 2],
  ])("%s nests %i deep", (text, depth) => {
    expect(nestingDepth(text)).toBe(depth);
  });
});
