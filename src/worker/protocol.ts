/**
 * Messages between the store's engine client and the engine worker. A trace crosses as its
 * columns (trace/store.ts): typed arrays moved as transferable ArrayBuffers, plus the trace's one
 * copy of each string and value — never a structured clone of a million event objects.
 */
import type { ScenarioTrace } from "../engine/index";
import { fromColumns, traceColumns, type TraceColumns } from "../engine/trace/store";
import type { RunOptions, RunResult } from "./runTrace";

/** Main thread → worker: run this scenario. `id` pairs the answer with the request. */
export interface RunRequest {
  readonly id: number;
  readonly input: unknown;
  readonly options: RunOptions;
}

/** A trace on the wire: everything but its events and packets, which travel as columns. */
export type WireTrace = Omit<ScenarioTrace, "events" | "packets"> & { readonly columns: TraceColumns };

/** A RunResult on the wire. */
export type WireResult = Exclude<RunResult, { ok: true }> | (Omit<Extract<RunResult, { ok: true }>, "trace"> & { readonly trace: WireTrace });

/** Worker → main thread: the answer to request `id`. */
export interface RunResponse {
  readonly id: number;
  readonly result: WireResult;
}

/** How far a run has got: steps (events) recorded so far and bytes of packet data, with the run's budgets. */
export interface RunProgress {
  readonly steps: number;
  readonly bytes: number;
  readonly maxSteps: number;
  readonly maxBytes: number;
  /** "run", then "baseline" while the comparison's baseline runs (its steps count on from the run's). */
  readonly phase: "run" | "baseline";
}

/** Worker → main thread, while request `id` runs: its progress (RunProgress), a few times a second. */
export interface ProgressMessage {
  readonly id: number;
  readonly progress: RunProgress;
}

/** Anything the worker posts. */
export type WorkerMessage = RunResponse | ProgressMessage;

/** The response for `result`, and the buffers to transfer with it (the worker keeps no copy). */
export function toWire(id: number, result: RunResult): { message: RunResponse; transfer: ArrayBuffer[] } {
  if (!result.ok) return { message: { id, result }, transfer: [] };
  const { events, packets, ...rest } = result.trace;
  const { columns, transfer } = traceColumns(events, packets);
  return { message: { id, result: { ...result, trace: { ...rest, columns } } }, transfer };
}

/** The RunResult a wire result stands for: the trace's tables rebuilt over the transferred columns. */
export function fromWire(result: WireResult): RunResult {
  if (!result.ok) return result;
  const { columns, version, scenario, personality, fixes, links, outcome, ...more } = result.trace;
  const { events, packets } = fromColumns(columns);
  // The Trace's own key order (events.ts), so the app's JSON export matches the CLI's byte for byte.
  return { ...result, trace: { version, scenario, personality, fixes, events, packets, links, outcome, ...more } };
}
