/**
 * The page's catalog of built-ins (store/builtinCatalog.ts, made by vite.config.ts at build time)
 * against the engine's built-ins, and the worker running a built-in from the page's reference.
 */
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO as ENGINE_DEFAULT } from "../../src/engine/index";
import { BUILTINS, builtinInfo, DEFAULT_SCENARIO } from "../../src/store/builtinCatalog";
import { builtinRef } from "../../src/worker/builtinRef";
import { runTraceSync } from "../../src/worker/runTrace";

describe("the built-in catalog", () => {
  it("lists every built-in in order with its title, personality and fixes", () => {
    expect(BUILTINS).toEqual(
      BUILTIN_SCENARIOS.map((s) => JSON.parse(JSON.stringify({ name: s.name, title: s.title, personality: s.personality, fixes: s.fixes }))),
    );
    expect(DEFAULT_SCENARIO).toBe(ENGINE_DEFAULT);
    expect(builtinInfo("lo0-esp-ping")?.title).toBe(BUILTIN_SCENARIOS.find((s) => s.name === "lo0-esp-ping")?.title);
    expect(builtinInfo("no-such")).toBeUndefined();
  });

  it("holds no scenario body: no hosts, keys or traffic reach the page", () => {
    for (const b of BUILTINS) expect(Object.keys(b).filter((k) => !["name", "title", "personality", "fixes"].includes(k))).toEqual([]);
  });
});

describe("a BuiltinRef in the worker", () => {
  it("runs the built-in of that name, the same trace as the scenario itself", () => {
    const byRef = runTraceSync(builtinRef("lo0-esp-ping"), { fixes: ["icmp-reflect-strips-tags"] });
    const byValue = runTraceSync(
      BUILTIN_SCENARIOS.find((s) => s.name === "lo0-esp-ping"),
      { fixes: ["icmp-reflect-strips-tags"] },
    );
    expect(byRef.ok && byValue.ok).toBe(true);
    if (byRef.ok && byValue.ok) {
      expect(byRef.trace.events.length).toBe(byValue.trace.events.length);
      expect(byRef.trace.outcome).toEqual(byValue.trace.outcome);
    }
  });

  it("fails validation, naming the scenario, for an unknown name", () => {
    const r = runTraceSync(builtinRef("no-such-builtin"));
    expect(r.ok).toBe(false);
  });
});
