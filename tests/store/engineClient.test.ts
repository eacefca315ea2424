import { describe, expect, it } from "vitest";
import { EventTable, builtinByName } from "../../src/engine/index";
import { createEngineClient } from "../../src/store/engineClient";
import { fromWire, toWire } from "../../src/worker/protocol";
import { BROWSER_MAX_EVENTS, runTraceSync } from "../../src/worker/runTrace";

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

describe("big runs in the browser", () => {
  it("stop at BROWSER_MAX_EVENTS with a trace-limit warning (a link can ask for a 100,000-echo flood)", () => {
    const flood = { ...builtinByName("lo0-ping")!, traffic: [{ kind: "ping", from: "host", dst: "127.0.0.1", count: 100_000, flood: true }] };
    const r = runTraceSync(flood);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.trace.events).toHaveLength(BROWSER_MAX_EVENTS + 1);
    expect(r.trace.events.at(-1)).toMatchObject({ kind: "drop", reason: "trace-limit" });
    expect(r.trace.outcome.findings.map((f) => f.id)).toContain("trace-limit");
    expect(r.trace.outcome.verdict).toBe("secure");
  });

  it("a trace crosses from the worker as transferred columns and arrives unchanged", () => {
    const r = runTraceSync(builtinByName("lo0-esp-ping"), { compare: true, fixes: ["icmp-reflect-strips-tags"] });
    if (!r.ok) throw new Error("lo0-esp-ping does not run");
    const { message, transfer } = toWire(7, r);
    // postMessage(message, transfer) clones the message and moves the buffers, as structuredClone does here.
    const arrived = structuredClone(message, { transfer });
    expect(transfer.length).toBeGreaterThanOrEqual(15);
    expect(transfer.every((b) => b.byteLength === 0)).toBe(true); // moved, not copied
    const back = fromWire(arrived.result);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.trace.events).toBeInstanceOf(EventTable);
    expect(JSON.stringify(back.trace)).toBe(JSON.stringify(r.trace));
    expect(back.comparison).toEqual(r.comparison);
    expect(back.trace.events.at(70)).toEqual(r.trace.events.at(70));
  });
});
