/**
 * One measurement in a fresh Node process (node --expose-gc): a ping flood through ESP — its
 * time, the heap its trace occupies, the bytes of its JSON — and the same AEAD work done by
 * @noble alone. Prints one JSON line (FloodResult) on stdout. Run by bench/engine.ts.
 */
import { runScenario, type ScenarioTrace } from "../src/engine/index";
import { opCount, opsOf, runCipherAlone, type CryptoOps } from "./noble";
import { floodInput, mustLoad, type FloodCipher } from "./scenarios";

export interface FloodRequest {
  readonly echoes: number;
  readonly cipher: FloodCipher;
  /** Timed runs of the engine (and of the cipher alone), after a cold run that measures the heap. */
  readonly runs: number;
  /** Also sum the bytes of the trace's JSON (slow for big traces). */
  readonly jsonBytes: boolean;
}

export interface FloodResult {
  readonly echoes: number;
  readonly cipher: FloodCipher;
  readonly events: number;
  readonly packets: number;
  readonly verdict: string;
  /** Engine wall time per run (ms), runScenario only (validation excluded). */
  readonly engineMs: readonly number[];
  /** The same AEAD operations with @noble alone, per run (ms). */
  readonly cryptoMs: readonly number[];
  readonly cryptoOps: number;
  /** The trace's memory: heapUsed + arrayBuffers after a full GC with the trace alive, minus the same before the run. */
  readonly heapBytes: number;
  /** Of that, V8's heap (heapUsed). */
  readonly heapOnlyBytes: number;
  /** Of that, ArrayBuffer backing stores (the columns, the packet-byte arena). */
  readonly arrayBufferBytes: number;
  /** UTF-8 bytes of JSON.stringify(trace), summed part by part (one string would not fit V8). */
  readonly jsonBytes: number | null;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("bench/child.ts needs node --expose-gc");

/**
 * The memory a trace can hold, after full GCs: V8's heap (objects, strings) plus the
 * ArrayBuffers outside it. A columnar trace keeps its columns and its packet-byte arena in typed
 * arrays, whose backing stores `heapUsed` does not count: measuring heapUsed alone made the trace
 * look a third smaller than it is.
 */
function heapAfterGc(): { heap: number; arrayBuffers: number } {
  // One full GC is not always enough to settle the heap (the figure came out bimodal with 1–2).
  for (let i = 0; i < 4; i++) gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/**
 * A full GC, then a quarter second of quiet: freeing a big trace leaves V8's background
 * threads sweeping and unmapping for a while, and on a 2-core machine they would share the CPU
 * with whatever is timed next.
 */
function settle(): void {
  heapAfterGc();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
}

/** Exact byte length of JSON.stringify(trace), without building that string. */
export function traceJsonBytes(trace: ScenarioTrace): number {
  const shell = Buffer.byteLength(JSON.stringify({ ...trace, events: [], packets: [] }));
  let n = shell;
  for (const e of trace.events) n += Buffer.byteLength(JSON.stringify(e));
  for (const p of trace.packets) n += Buffer.byteLength(JSON.stringify(p));
  // Commas between array elements ("[]" is already in the shell).
  return n + Math.max(0, trace.events.length - 1) + Math.max(0, trace.packets.length - 1);
}

/**
 * The heap a trace occupies: the first run in this process, with no run before it. (Warm-up runs
 * first would muddy "before": V8 can keep a finished run's objects alive through optimised code
 * until a later run replaces that code, so the baseline would hold a stale trace some times
 * and not others.) Returns what the later figures need, so the trace itself can go.
 */
function heapRun(req: FloodRequest): Pick<
  FloodResult,
  "events" | "packets" | "verdict" | "heapBytes" | "heapOnlyBytes" | "arrayBufferBytes" | "jsonBytes" | "cryptoOps"
> & {
  ops: CryptoOps;
} {
  const scenario = mustLoad(floodInput(req.echoes, req.cipher));
  const before = heapAfterGc();
  const trace = runScenario(scenario);
  const after = heapAfterGc();
  const heapOnly = after.heap - before.heap;
  const arrayBufferBytes = after.arrayBuffers - before.arrayBuffers;
  const heapBytes = heapOnly + arrayBufferBytes;
  const ops = opsOf(trace.events.flatMap((e) => (e.kind === "crypto.submit" ? [e] : [])));
  return {
    events: trace.events.length,
    packets: trace.packets.length,
    verdict: trace.outcome.verdict,
    heapBytes,
    heapOnlyBytes: heapOnly,
    arrayBufferBytes,
    jsonBytes: req.jsonBytes ? traceJsonBytes(trace) : null,
    cryptoOps: opCount(ops),
    ops,
  };
}

/** Warm the JIT on a smaller flood of the same shape. */
function warmUp(req: FloodRequest): void {
  const warm = mustLoad(floodInput(Math.min(req.echoes, 300), req.cipher));
  for (let i = 0; i < 2; i++) runScenario(warm);
}

/** One timed run; the trace is dropped on return. */
function timedRun(req: FloodRequest): number {
  const scenario = mustLoad(floodInput(req.echoes, req.cipher));
  settle();
  const start = performance.now();
  const trace = runScenario(scenario);
  const elapsed = performance.now() - start;
  if (trace.events.length === 0) throw new Error("the flood recorded nothing");
  return elapsed;
}

function measure(req: FloodRequest): FloodResult {
  const { ops, ...sized } = heapRun(req);
  warmUp(req);
  runCipherAlone(req.cipher, ops); // warm
  // Interleaved, so each engine run and its baseline see the machine in the same mood.
  const engineMs: number[] = [];
  const cryptoMs: number[] = [];
  for (let i = 0; i < req.runs; i++) {
    engineMs.push(timedRun(req));
    settle();
    cryptoMs.push(runCipherAlone(req.cipher, ops));
  }
  return { echoes: req.echoes, cipher: req.cipher, ...sized, engineMs, cryptoMs };
}

const req = JSON.parse(process.argv[2] ?? "null") as FloodRequest | null;
if (!req) throw new Error("usage: node --expose-gc --import tsx bench/child.ts '<FloodRequest JSON>'");
const result = measure(req);
process.stdout.write(`${JSON.stringify(result)}\n`);
