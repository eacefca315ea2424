/**
 * The engine in a Web Worker: the UI stays responsive while a long scenario runs. Requests are
 * answered in order; the store ignores answers it no longer wants (a newer request superseded them).
 */
import { toWire, type RunRequest, type RunResponse } from "./protocol";
import { runTraceSync } from "./runTrace";

/** The part of DedicatedWorkerGlobalScope used here (the project compiles against the DOM lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<RunRequest>) => void) | null;
  postMessage(message: RunResponse, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = (event) => {
  const { id, input, options } = event.data;
  const { message, transfer } = toWire(id, runTraceSync(input, options));
  scope.postMessage(message, transfer);
};
