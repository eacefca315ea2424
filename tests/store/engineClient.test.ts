import { describe, expect, it } from "vitest";
import { builtinByName } from "../../src/engine/index";
import { createEngineClient } from "../../src/store/engineClient";
import { runTraceSync } from "../../src/worker/runTrace";

describe("the engine client", () => {
  it("runs on the main thread where there is no Worker (as in Node)", async () => {
    expect(typeof Worker).toBe("undefined");
    const client = createEngineClient();
    const result = await client.runTrace(builtinByName("lo0-ping"), {});
    expect(result.ok && result.trace.outcome.verdict).toBe("secure");
    client.dispose();
  });

  it("applies personality and fix overrides on top of the scenario's own", async () => {
    const client = createEngineClient();
    const result = await client.runTrace(builtinByName("lo0-esp-ping"), { personality: "freebsd-7", fixes: ["looutput-strips-tags"] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.trace.personality).toBe("freebsd-7");
    expect(result.trace.fixes).toEqual(["looutput-strips-tags"]);
  });
});

describe("runTraceSync", () => {
  it("reads JSON text with the engine's limits, and never throws", () => {
    expect(runTraceSync(JSON.stringify(builtinByName("lo0-ping"))).ok).toBe(true);
    const deep = "[".repeat(100) + "]".repeat(100);
    const r = runTraceSync(deep);
    expect(r.ok === false && r.problems[0]!.message).toMatch(/levels deep/);
    expect(runTraceSync(null)).toMatchObject({ ok: false });
    expect(runTraceSync(42, { fixes: ["icmp-reflect-strips-tags"] })).toMatchObject({ ok: false });
  });

  it("reports an unknown fix id with its path", () => {
    const r = runTraceSync(builtinByName("lo0-ping"), { fixes: ["nope" as never] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.path).toMatch(/^\$\.fixes/);
  });
});
