import { describe, expect, it } from "vitest";
import { replyLoopCheck, storeWithEngine, storeWithManualRunner, traceOf } from "./support";

describe("running the engine from the store", () => {
  it("loads a built-in scenario with its own personality and fixes, at step 1", async () => {
    const store = storeWithEngine();
    expect(store.getState().status).toBe("idle");
    const done = store.getState().selectScenario("lo0-esp-ping");
    expect(store.getState().status).toBe("running");
    await done;
    const s = store.getState();
    expect(s.status).toBe("ready");
    expect(s.trace!.events).toHaveLength(traceOf("lo0-esp-ping").events.length);
    expect(s.trace!.events.length).toBeGreaterThan(100);
    expect(s.trace!.outcome.verdict).toBe("insecure");
    expect(s).toMatchObject({ cursor: 0, personality: "netbsd-2003", fixes: [], problems: null });
  });

  it("keeps the cursor on the same logical step when a fix is toggled, and the verdict follows", async () => {
    const store = storeWithEngine();
    await store.getState().selectScenario("lo0-esp-ping");
    const loop = replyLoopCheck(store.getState().trace!);
    store.getState().seek(loop);
    const bug = store.getState().trace!.events.at(loop)!;
    expect(bug).toMatchObject({ kind: "decision", check: "ipsec-loop", branch: "skip IPsec" });

    await store.getState().toggleFix("icmp-reflect-strips-tags");
    let s = store.getState();
    expect(s.fixes).toEqual(["icmp-reflect-strips-tags"]);
    expect(s.trace!.outcome.verdict).toBe("secure");
    expect(s.cursor).toBe(replyLoopCheck(s.trace!));
    expect(s.trace!.events.at(s.cursor)).toMatchObject({ kind: "decision", check: "ipsec-loop", fn: "ip_output" });

    await store.getState().setFix("icmp-reflect-strips-tags", false);
    s = store.getState();
    expect(s.trace!.outcome.verdict).toBe("insecure");
    expect(s.cursor).toBe(loop);
  });

  it("re-runs with another personality and keeps the step", async () => {
    const store = storeWithEngine();
    await store.getState().selectScenario("lo0-esp-ping");
    store.getState().seek(2);
    await store.getState().setPersonality("freebsd-7");
    expect(store.getState()).toMatchObject({ personality: "freebsd-7", cursor: 2 });
    expect(store.getState().trace!.personality).toBe("freebsd-7");
  });

  it("ignores the answer of a run that a newer one superseded", async () => {
    const { store, calls } = storeWithManualRunner();
    const first = store.getState().selectScenario("lo0-ping");
    const second = store.getState().selectScenario("lo0-esp-ping");
    expect(calls).toHaveLength(2);
    calls[1]!.answer({ ok: true, trace: traceOf("lo0-esp-ping") });
    await second;
    calls[0]!.answer({ ok: true, trace: traceOf("lo0-ping") });
    await first;
    expect(store.getState().trace).toBe(traceOf("lo0-esp-ping"));
    expect(store.getState().source).toEqual({ kind: "builtin", name: "lo0-esp-ping" });
  });

  it("shows a toggled fix at once, and puts it back if the run fails", async () => {
    const { store, calls } = storeWithManualRunner();
    const load = store.getState().selectScenario("lo0-esp-ping");
    calls[0]!.answer({ ok: true, trace: traceOf("lo0-esp-ping") });
    await load;
    const toggle = store.getState().toggleFix("looutput-strips-tags");
    expect(store.getState().fixes).toEqual(["looutput-strips-tags"]);
    calls[1]!.answer({ ok: false, problems: [{ path: "$", message: "the engine failed" }] });
    await toggle;
    expect(store.getState().fixes).toEqual([]);
    expect(store.getState().problems).toEqual([{ path: "$", message: "the engine failed" }]);
  });

  it("reports every problem of a bad file with its JSON path and keeps the last good state", async () => {
    const store = storeWithEngine();
    await store.getState().selectScenario("lo0-esp-ping");
    store.getState().seek(63);
    const good = store.getState().trace;
    expect(good!.events.length).toBeGreaterThan(63);

    await store.getState().openScenario("broken.json", JSON.stringify({ version: 1, name: "Bad Name", hosts: [] }));
    let s = store.getState();
    expect(s.status).toBe("ready");
    expect(s.trace).toBe(good);
    expect(s.cursor).toBe(63);
    expect(s.source).toEqual({ kind: "builtin", name: "lo0-esp-ping" });
    expect(s.problemsTitle).toBe("Could not open broken.json");
    expect(s.problems!.map((p) => p.path)).toEqual(expect.arrayContaining(["$.name", "$.hosts", "$.traffic"]));

    await store.getState().openScenario("garbage.json", "{ not json");
    s = store.getState();
    expect(s.problems![0]!.message).toMatch(/not valid JSON/);
    s.dismissProblems();
    expect(store.getState().problems).toBeNull();
  });

  it("opens a valid scenario file and re-runs it from the normalised scenario", async () => {
    const store = storeWithEngine();
    await store.getState().selectScenario("lo0-esp-ping");
    const text = JSON.stringify({
      version: 1,
      name: "mine",
      hosts: [{ name: "h" }],
      traffic: [{ kind: "ping", from: "h", dst: "127.0.0.1", count: 1 }],
    });
    await store.getState().openScenario("mine.json", text);
    let s = store.getState();
    expect(s.problems).toBeNull();
    expect(s.source).toMatchObject({ kind: "custom", label: "mine.json" });
    expect(s.trace!.outcome.verdict).toBe("secure");
    expect(s.cursor).toBe(0);
    await s.toggleFix("looutput-strips-tags");
    s = store.getState();
    expect(s.trace!.fixes).toEqual(["looutput-strips-tags"]);
    expect(s.source).toMatchObject({ kind: "custom", label: "mine.json" });
  });

  it("is in the error state when the very first scenario cannot run", async () => {
    const store = storeWithEngine();
    await store.getState().openScenario("empty.json", "{}");
    expect(store.getState()).toMatchObject({ status: "error", trace: null });
    expect(store.getState().error).toMatch(/version/);
  });

  it("reports input that never reached the engine, and dismisses it", () => {
    const store = storeWithEngine();
    store.getState().reportProblems("Could not open huge.json", [{ path: "$", message: "too big" }]);
    expect(store.getState()).toMatchObject({
      problemsTitle: "Could not open huge.json",
      problems: [{ path: "$", message: "too big" }],
      status: "idle",
    });
    store.getState().dismissProblems();
    expect(store.getState()).toMatchObject({ problemsTitle: "", problems: null });
  });

  it("reports an unknown built-in without running anything", async () => {
    const { store, calls } = storeWithManualRunner();
    await store.getState().selectScenario("no-such-thing");
    expect(calls).toHaveLength(0);
    expect(store.getState().problems![0]!.message).toMatch(/no-such-thing/);
  });

  it("says what became of each run: applied, failed, superseded or unchanged", async () => {
    const { store, calls } = storeWithManualRunner();
    const first = store.getState().selectScenario("lo0-ping");
    const second = store.getState().selectScenario("lo0-esp-ping");
    calls[1]!.answer({ ok: true, trace: traceOf("lo0-esp-ping") });
    calls[0]!.answer({ ok: true, trace: traceOf("lo0-ping") });
    expect(await second).toBe("applied");
    expect(await first).toBe("superseded");
    expect(await store.getState().setFix("icmp-reflect-strips-tags", false)).toBe("unchanged");
    const broken = store.getState().openScenario("x.json", "{}");
    calls[2]!.answer({ ok: false, problems: [{ path: "$.version", message: "missing" }] });
    expect(await broken).toBe("failed");
    expect(store.getState()).toMatchObject({ problemsTone: "error", problemsTitle: "Could not open x.json" });
  });

  it("reports notes in a quieter tone", () => {
    const store = storeWithEngine();
    store.getState().reportProblems("Opened the link", [{ path: "#x", message: "ignored" }], "note");
    expect(store.getState().problemsTone).toBe("note");
    store.getState().dismissProblems();
    expect(store.getState().problemsTone).toBe("error");
  });
});
