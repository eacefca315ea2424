/**
 * Running the engine for the store: in a Web Worker when the browser has one, on the main thread
 * (a lazily loaded chunk) when it does not or the worker fails to start. Every call resolves,
 * never rejects: failures come back as problems.
 */
import { fromWire, type RunRequest, type RunResponse } from "../worker/protocol";
import type { RunOptions, RunResult } from "../worker/runTrace";

export type { RunOptions, RunResult } from "../worker/runTrace";

/** Validate and run `scenarioInput` (a value, or JSON text) with the personality/fix overrides. */
export type TraceRunner = (scenarioInput: unknown, options: RunOptions) => Promise<RunResult>;

interface Pending {
  readonly input: unknown;
  readonly options: RunOptions;
  readonly resolve: (result: RunResult) => void;
}

/** A runner backed by one worker, falling back to the main thread for good once the worker fails. */
export function createEngineClient(): { runTrace: TraceRunner; dispose: () => void } {
  let worker: Worker | null = null;
  let broken = typeof Worker === "undefined";
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const onMainThread = async (input: unknown, options: RunOptions): Promise<RunResult> => {
    try {
      const { runTraceSync } = await import("../worker/runTrace");
      return runTraceSync(input, options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, problems: [{ path: "$", message: `the engine could not be loaded: ${message}` }] };
    }
  };

  const fail = () => {
    broken = true;
    worker?.terminate();
    worker = null;
    // Whatever the worker had not answered is run again on the main thread.
    const stranded = [...pending.values()];
    pending.clear();
    for (const p of stranded) void onMainThread(p.input, p.options).then(p.resolve);
  };

  const ensureWorker = (): Worker | null => {
    if (broken) return null;
    if (worker) return worker;
    try {
      worker = new Worker(new URL("../worker/engine.worker.ts", import.meta.url), { type: "module", name: "tagflow-engine" });
    } catch {
      broken = true;
      return null;
    }
    worker.onmessage = (event: MessageEvent<RunResponse>) => {
      const entry = pending.get(event.data.id);
      if (!entry) return;
      pending.delete(event.data.id);
      entry.resolve(fromWire(event.data.result));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail();
    };
    worker.onmessageerror = () => fail();
    return worker;
  };

  const runTrace: TraceRunner = (input, options) => {
    const w = ensureWorker();
    if (!w) return onMainThread(input, options);
    return new Promise<RunResult>((resolve) => {
      const id = nextId++;
      pending.set(id, { input, options, resolve });
      try {
        const request: RunRequest = { id, input, options };
        w.postMessage(request);
      } catch {
        // e.g. an input that cannot be cloned: run it here instead.
        pending.delete(id);
        void onMainThread(input, options).then(resolve);
      }
    });
  };

  return {
    runTrace,
    dispose: () => {
      worker?.terminate();
      worker = null;
    },
  };
}

let shared: ReturnType<typeof createEngineClient> | null = null;

/** The app's engine runner (one worker for the page). */
export const runTrace: TraceRunner = (scenarioInput, options) => {
  shared ??= createEngineClient();
  return shared.runTrace(scenarioInput, options);
};
