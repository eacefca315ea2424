/** Messages between the store's engine client and the engine worker. */
import type { RunOptions, RunResult } from "./runTrace";

/** Main thread → worker: run this scenario. `id` pairs the answer with the request. */
export interface RunRequest {
  readonly id: number;
  readonly input: unknown;
  readonly options: RunOptions;
}

/** Worker → main thread: the answer to request `id`. */
export interface RunResponse {
  readonly id: number;
  readonly result: RunResult;
}
