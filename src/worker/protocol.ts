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

/**
 * Share the strings of a trace that came through postMessage. Structured cloning keeps shared
 * objects shared but copies every string occurrence, undoing the engine's sharing of repeated
 * narration and packet bytes: re-interning them here cut a large trace's main-thread heap from
 * 56 to 22 KiB per echo (measured by `npm run bench`). Mutates the freshly cloned trace.
 */
export function shareTraceStrings(result: RunResult): RunResult {
  if (!result.ok) return result;
  const seen = new Map<string, string>();
  const share = (obj: object): void => {
    const o = obj as Record<string, unknown>;
    for (const k in o) {
      const v = o[k];
      if (typeof v !== "string") continue;
      const known = seen.get(v);
      if (known === undefined) seen.set(v, v);
      else o[k] = known;
    }
  };
  for (const e of result.trace.events) share(e);
  for (const p of result.trace.packets) share(p);
  return result;
}
