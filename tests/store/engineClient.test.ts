import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventTable, builtinByName } from "../../src/engine/index";
import { CANCELLED, createEngineClient, type EngineWorker } from "../../src/store/engineClient";
import { createTagflowStore } from "../../src/store/index";
import { CANCELLED_TITLE } from "../../src/store/traceSlice";
import { setIn, type Draft } from "../../src/ui/editor/draft";
import { createEditorStore, draftFromApp, RUN_DEBOUNCE_MS } from "../../src/ui/editor/editorStore";
import { fromWire, toWire, type RunProgress, type RunRequest, type WorkerMessage } from "../../src/worker/protocol";
import { BROWSER_MAX_EVENTS, runTraceSync } from "../../src/worker/runTrace";

/**
 * A stand-in for the engine worker: it runs the real engine, but only when the test says so, and
 * answers through the same wire format (columns moved as a structured clone with transfer).
 */
class FakeWorker implements EngineWorker {
  onmessage: ((event: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: ((event: MessageEvent) => void) | null = null;
  readonly requests: RunRequest[] = [];
  terminated = false;

  postMessage(message: RunRequest): void {
    this.requests.push(structuredClone(message));
  }

  terminate(): void {
    this.terminated = true;
  }

  /** Run request `i` (default: the last) and post its answer, as engine.worker.ts does. */
  answer(i = this.requests.length - 1): void {
    const { id, input, options } = this.requests[i]!;
    const { message, transfer } = toWire(id, runTraceSync(input, options));
    this.deliver(structuredClone(message, { transfer }));
  }

  progress(steps: number, i = this.requests.length - 1): void {
    const progress: RunProgress = { steps, bytes: steps * 100, maxSteps: 1_000, maxBytes: 1_000_000, phase: "run" };
    this.deliver({ id: this.requests[i]!.id, progress });
  }

  crash(message: string): void {
    this.onerror?.({ message, preventDefault: () => {} } as ErrorEvent);
  }

  private deliver(data: WorkerMessage): void {
    // A terminated worker posts nothing more: its messages never reach the page.
    if (!this.terminated) this.onmessage?.({ data } as MessageEvent<WorkerMessage>);
  }
}

function fakeSpawner() {
  const workers: FakeWorker[] = [];
  const spawn = () => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  };
  return { workers, spawn };
}

describe("the engine client", () => {
  it("never runs on the main thread: with no Worker (as in Node) it says so and runs nothing", async () => {
    expect(typeof Worker).toBe("undefined");
    const client = createEngineClient();
    const result = await client.runTrace(builtinByName("lo0-ping"), {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]!.message).toMatch(/engine worker could not be started \(this browser has no Web Workers\)/);
    expect(result.problems[0]!.message).toMatch(/never on the page itself/);
    client.dispose();
  });

  it("says so when the worker cannot start, and tries a fresh one for the next run", async () => {
    let attempts = 0;
    const client = createEngineClient(() => {
      attempts++;
      throw new Error("blocked by CSP");
    });
    const r = await client.runTrace(builtinByName("lo0-ping"), {});
    expect(!r.ok && r.problems[0]!.message).toMatch(/could not be started \(blocked by CSP\)/);
    await client.runTrace(builtinByName("lo0-ping"), {});
    expect(attempts).toBe(2);
  });

  it("runs in the worker and applies personality and fix overrides on top of the scenario's own", async () => {
    const { workers, spawn } = fakeSpawner();
    const client = createEngineClient(spawn);
    const pending = client.runTrace(builtinByName("lo0-esp-ping"), { personality: "freebsd-7", fixes: ["looutput-strips-tags"] });
    workers[0]!.answer();
    const result = await pending;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.trace.personality).toBe("freebsd-7");
    expect(result.trace.fixes).toEqual(["looutput-strips-tags"]);
    // A finished run keeps its worker for the next one.
    const again = client.runTrace(builtinByName("lo0-ping"), {});
    workers[0]!.answer();
    expect((await again).ok).toBe(true);
    expect(workers).toHaveLength(1);
  });

  it("a newer run terminates the worker of the one under way, which answers CANCELLED", async () => {
    const { workers, spawn } = fakeSpawner();
    const client = createEngineClient(spawn);
    const first = client.runTrace(builtinByName("lo0-esp-ping"), {});
    const second = client.runTrace(builtinByName("lo0-ping"), {});
    expect(await first).toEqual(CANCELLED);
    expect(workers[0]!.terminated).toBe(true);
    expect(workers).toHaveLength(2);
    workers[1]!.answer();
    const r = await second;
    expect(r.ok && r.trace.scenario.name).toBe("lo0-ping");
  });

  it("cancel stops the run under way; a later run starts a fresh worker", async () => {
    const { workers, spawn } = fakeSpawner();
    const client = createEngineClient(spawn);
    const run = client.runTrace(builtinByName("lo0-ping"), {});
    client.cancel();
    expect(await run).toEqual(CANCELLED);
    expect(workers[0]!.terminated).toBe(true);
    client.cancel(); // nothing under way: nothing happens
    const next = client.runTrace(builtinByName("lo0-ping"), {});
    workers[1]!.answer();
    expect((await next).ok).toBe(true);
  });

  it("passes the worker's progress on for the run under way only", async () => {
    const { workers, spawn } = fakeSpawner();
    const client = createEngineClient(spawn);
    const seen: number[] = [];
    const run = client.runTrace(builtinByName("lo0-ping"), {}, { onProgress: (p) => seen.push(p.steps) });
    workers[0]!.progress(256);
    workers[0]!.progress(512);
    workers[0]!.answer();
    await run;
    workers[0]!.progress(768); // after the answer: nobody is listening
    expect(seen).toEqual([256, 512]);
  });

  it("a worker that dies fails its run with a message, and the next run gets a new worker", async () => {
    const { workers, spawn } = fakeSpawner();
    const client = createEngineClient(spawn);
    const run = client.runTrace(builtinByName("lo0-ping"), {});
    workers[0]!.crash("out of memory");
    const r = await run;
    expect(!r.ok && r.problems[0]!.message).toMatch(/engine worker stopped with an error \(out of memory\), so nothing was run/);
    expect(workers[0]!.terminated).toBe(true);
    const next = client.runTrace(builtinByName("lo0-ping"), {});
    workers[1]!.answer();
    expect((await next).ok).toBe(true);
  });
});

describe("the store with the engine client", () => {
  function setup() {
    const { workers, spawn } = fakeSpawner();
    const client = createEngineClient(spawn);
    const store = createTagflowStore({ runTrace: client.runTrace, cancelRun: client.cancel });
    const last = () => workers.at(-1)!;
    return { store, workers, last };
  }

  it("a run superseded by a newer one is stopped, and only the newer one lands", async () => {
    const { store, workers, last } = setup();
    const a = store.getState().selectScenario("lo0-esp-ping");
    const b = store.getState().selectScenario("lo0-ping");
    last().answer();
    expect(await a).toBe("superseded");
    expect(await b).toBe("applied");
    expect(workers[0]!.terminated).toBe(true);
    expect(store.getState().trace!.scenario.name).toBe("lo0-ping");
  });

  it("shows progress while a run is under way, and Cancel keeps the run on screen with a note", async () => {
    const { store, last } = setup();
    const first = store.getState().selectScenario("lo0-ping");
    last().answer();
    expect(await first).toBe("applied");
    const shown = store.getState().trace;

    const heavy = store.getState().selectScenario("lo0-esp-ping");
    expect(store.getState().status).toBe("running");
    last().progress(4096);
    expect(store.getState().progress?.steps).toBe(4096);
    store.getState().cancelRun();
    expect(await heavy).toBe("failed");
    const s = store.getState();
    expect(s.trace).toBe(shown);
    expect(s.status).toBe("ready");
    expect(s.progress).toBeNull();
    expect(s.source).toEqual({ kind: "builtin", name: "lo0-ping" });
    expect(s.problemsTitle).toBe(CANCELLED_TITLE);
    expect(s.problemsTone).toBe("note");
    expect(s.problems![0]!.message).toBe('cancelled: the run of "lo0-esp-ping" was stopped after 4,096 steps, before it finished.');
  });

  describe("the editor's debounced runs", () => {
    beforeEach(() => void vi.useFakeTimers());
    afterEach(() => void vi.useRealTimers());

    it("an edit made while the previous edit's run is under way stops that run", async () => {
      const { store, workers, last } = setup();
      const opened = store.getState().selectScenario("lo0-esp-ping");
      last().answer();
      await opened;
      const editor = createEditorStore({ app: store, now: () => Date.now() });
      editor.getState().load(draftFromApp(store.getState())!);
      store.subscribe((s) => editor.getState().follow(s));
      const d = editor.getState().history!.present as Draft;

      editor.getState().edit(setIn(d, ["traffic", 0, "count"], 7), "$.traffic[0].count");
      await vi.advanceTimersByTimeAsync(RUN_DEBOUNCE_MS);
      expect(editor.getState().run).toBe("running");
      const slow = last();
      editor.getState().edit(setIn(d, ["traffic", 0, "count"], 2), "$.traffic[0].count");
      await vi.advanceTimersByTimeAsync(RUN_DEBOUNCE_MS);
      expect(slow.terminated).toBe(true);
      last().answer();
      await vi.waitFor(() => expect(editor.getState().run).toBe("applied"));
      const ping = store.getState().trace!.scenario.traffic[0]!;
      expect(ping.kind === "ping" ? ping.count : null).toBe(2);
      // The opening run's worker ran the first edit too, and was stopped for the second.
      expect(workers).toHaveLength(2);
    });
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

  it("reports progress as it records, counting the baseline's steps on from the run's", () => {
    const seen: RunProgress[] = [];
    const esp = builtinByName("lo0-esp-ping")!;
    const five = { ...esp, traffic: esp.traffic.map((t) => ({ ...t, count: 5 })) };
    const r = runTraceSync(five, { compare: true, fixes: ["icmp-reflect-strips-tags"] }, (p) => seen.push(p));
    if (!r.ok) throw new Error("lo0-esp-ping does not run");
    const run = seen.filter((p) => p.phase === "run");
    const baseline = seen.filter((p) => p.phase === "baseline");
    expect(run.length).toBeGreaterThan(0);
    expect(baseline.length).toBeGreaterThan(0);
    expect(run.every((p, i) => p.steps === 256 * (i + 1))).toBe(true);
    expect(run.at(-1)!.steps).toBeLessThanOrEqual(r.trace.events.length);
    expect(baseline[0]!.steps).toBe(r.trace.events.length + 256);
    expect(run[0]!.maxBytes).toBeGreaterThan(0);
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
