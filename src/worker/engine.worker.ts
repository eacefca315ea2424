/**
 * The engine in a Web Worker: every run is here, never on the page's main thread, so the page
 * answers input while a heavy scenario runs. One request at a time: the engine client terminates
 * this worker (and starts another) when a newer run or Cancel supersedes the one under way — a
 * synchronous run cannot be interrupted any other way. While it runs, progress goes out a few
 * times a second (not every watched event: a fast run records hundreds of thousands a second).
 */
import { toWire, type RunProgress, type RunRequest, type WorkerMessage } from "./protocol";
import { runTraceSync } from "./runTrace";

/** The part of DedicatedWorkerGlobalScope used here (the project compiles against the DOM lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<RunRequest>) => void) | null;
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

/** The least time between two progress messages, ms. */
const PROGRESS_MS = 100;

scope.onmessage = (event) => {
  const { id, input, options } = event.data;
  let last = performance.now();
  const onProgress = (progress: RunProgress) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    scope.postMessage({ id, progress });
  };
  const { message, transfer } = toWire(id, runTraceSync(input, options, onProgress));
  scope.postMessage(message, transfer);
};
