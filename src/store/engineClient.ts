/**
 * Running the engine for the store, always in a Web Worker and never on the page's main thread
 * (issue 16: a heavy link run on the page froze the tab for minutes). One run at a time: a newer
 * run, or Cancel, terminates the worker under way and the next run starts a fresh one — a
 * synchronous run cannot be stopped any other way. If no worker can be started, or the worker
 * dies, the run fails with a message saying so; the store keeps the trace on screen. Every call
 * resolves, never rejects: failures come back as problems.
 */
import { fromWire, type RunProgress, type RunRequest, type WorkerMessage } from "../worker/protocol";
import type { RunOptions, RunResult } from "../worker/runTrace";

export type { RunOptions, RunResult } from "../worker/runTrace";
export type { RunProgress } from "../worker/protocol";

/** What a caller can hear about a run while it is under way. */
export interface RunHooks {
  /** Steps recorded so far, a few times a second while the worker runs. */
  readonly onProgress?: (progress: RunProgress) => void;
}

/** Validate and run `scenarioInput` (a value, or JSON text) with the personality/fix overrides. */
export type TraceRunner = (scenarioInput: unknown, options: RunOptions, hooks?: RunHooks) => Promise<RunResult>;

/** The part of a Worker the client uses (tests hand in a fake). */
export interface EngineWorker {
  onmessage: ((event: MessageEvent<WorkerMessage>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
  postMessage(message: RunRequest): void;
  terminate(): void;
}

/** Starts an engine worker; throws (or there is no Worker at all) when the browser cannot. */
export type SpawnWorker = () => EngineWorker;

/** The answer of a run that was stopped before it finished (a newer run, or Cancel). */
export const CANCELLED: RunResult = { ok: false, cancelled: true, problems: [{ path: "$", message: "the run was cancelled before it finished" }] };

/** The heading-free sentence for a worker that could not start or died; nothing ran on the page instead. */
export function workerFailure(what: string): RunResult {
  return {
    ok: false,
    problems: [
      {
        path: "$",
        message: `the engine worker ${what}, so nothing was run: tagflow runs scenarios only in a worker, never on the page itself, which a heavy scenario would freeze. Reload the page to try again.`,
      },
    ],
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === "string" ? error : "unknown error";
}

const browserSpawn: SpawnWorker = () => {
  if (typeof Worker === "undefined") throw new Error("this browser has no Web Workers");
  return new Worker(new URL("../worker/engine.worker.ts", import.meta.url), { type: "module", name: "tagflow-engine" }) as unknown as EngineWorker;
};

interface Current {
  readonly id: number;
  readonly resolve: (result: RunResult) => void;
  readonly hooks: RunHooks;
}

/** A runner backed by one worker at a time; `cancel` stops the run under way (it resolves CANCELLED). */
export function createEngineClient(spawn: SpawnWorker = browserSpawn): { runTrace: TraceRunner; cancel: () => void; dispose: () => void } {
  let worker: EngineWorker | null = null;
  let nextId = 1;
  let current: Current | null = null;

  const stop = () => {
    if (worker) {
      worker.onmessage = worker.onerror = worker.onmessageerror = null;
      worker.terminate();
    }
    worker = null;
  };

  /** End the run under way with `result`, and the worker that ran it (a fresh one runs the next). */
  const finish = (result: RunResult) => {
    const run = current;
    current = null;
    stop();
    run?.resolve(result);
  };

  const start = (): EngineWorker | string => {
    if (worker) return worker;
    let w: EngineWorker;
    try {
      w = spawn();
    } catch (error) {
      return `could not be started (${describe(error)})`;
    }
    w.onmessage = (event) => {
      const data = event.data;
      if (!current || data.id !== current.id) return;
      if ("progress" in data) {
        current.hooks.onProgress?.(data.progress);
        return;
      }
      const run = current;
      current = null;
      run.resolve(fromWire(data.result));
    };
    w.onerror = (event) => {
      event.preventDefault();
      finish(workerFailure(`stopped with an error (${event.message || "no message"})`));
    };
    w.onmessageerror = () => finish(workerFailure("sent an answer that could not be read"));
    worker = w;
    return w;
  };

  const runTrace: TraceRunner = (input, options, hooks = {}) => {
    // A newer run supersedes the one under way: its worker is stopped, not left to finish.
    if (current) finish(CANCELLED);
    const w = start();
    if (typeof w === "string") return Promise.resolve(workerFailure(w));
    return new Promise<RunResult>((resolve) => {
      const id = nextId++;
      current = { id, resolve, hooks };
      try {
        w.postMessage({ id, input, options });
      } catch (error) {
        // e.g. an input that cannot be cloned; it is not run on the page instead.
        current = null;
        resolve({ ok: false, problems: [{ path: "$", message: `the scenario could not be handed to the engine worker: ${describe(error)}` }] });
      }
    });
  };

  return {
    runTrace,
    cancel: () => {
      if (current) finish(CANCELLED);
    },
    dispose: () => {
      if (current) finish(CANCELLED);
      stop();
    },
  };
}

let shared: ReturnType<typeof createEngineClient> | null = null;

/** The app's engine runner (one worker at a time for the page). */
export const runTrace: TraceRunner = (scenarioInput, options, hooks) => {
  shared ??= createEngineClient();
  return shared.runTrace(scenarioInput, options, hooks);
};

/** Stop the app's run under way, if any (its promise resolves CANCELLED). */
export const cancelRun = (): void => shared?.cancel();
