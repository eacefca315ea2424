/**
 * The caps on scenario input, in a module of their own (no schema library): the app's first page
 * load checks share links against them without carrying the validator, which only the engine
 * worker needs.
 */

/** Caps that keep a hostile scenario from exhausting memory before validation finishes. */
export const LIMITS = {
  name: 64,
  text: 2000,
  hosts: 16,
  interfaces: 8,
  routes: 64,
  sas: 64,
  policies: 64,
  links: 32,
  traffic: 16,
  pingCount: 100_000,
  payload: 65_507 - 8,
  maxEvents: 15_000_000,
  faults: 16,
  /**
   * The memory a run's trace may need in Node, bytes, as TRACE_MEMORY estimates it from the
   * scenario before it runs. Node's default heap limit on a 64-bit machine with 16 GB or more is
   * about 4 GB (4.3 GB measured here); 3 GB leaves room for the CLI's streaming and V8's slack, so
   * every scenario that validates runs to its verdict under `tagflow run` without V8 aborting
   * (1000 × 65,499 and 8000 × 8000 lo0-ping used to validate and die of out-of-memory).
   */
  traceMemory: 3_000_000_000,
} as const;

/**
 * Heap a trace costs in Node, measured (issue 16; node --expose-gc, heapUsed after a full GC with
 * the trace alive, minus before, December 2026), rounded up: per byte of traffic data (count ×
 * size, and TCP bytes) and per step. The worst built-ins were libreswan-subnets (224 B per data
 * byte at 10 × 8000) and lo0-esp-ping (129 B per step at 2000 × 8, 142 in the 10,000-echo bench);
 * lo0-ping is 98 B per byte. LIMITS.maxEvents (15 M steps: 2.4 GB) leaves room for some data at most.
 * Steps are bounded by maxEvents, so `perByte × data + perEvent × maxEvents` bounds any run.
 */
export const TRACE_MEMORY = { perByte: 240, perEvent: 160 } as const;

/** The memory bound of a scenario with `dataBytes` of traffic data and `maxEvents` steps (see LIMITS.traceMemory). */
export function traceMemoryBound(dataBytes: number, maxEvents: number): number {
  return TRACE_MEMORY.perByte * dataBytes + TRACE_MEMORY.perEvent * maxEvents;
}

/** The maxEvents of a scenario that names none (schema.ts); the bench sizes its heaviest legal runs by it. */
export const DEFAULT_MAX_EVENTS = 2_000_000;

/** Caps on raw input, checked before anything is parsed; jsonBytes counts UTF-16 characters. */
export const INPUT_LIMITS = { jsonBytes: 512 * 1024, depth: 32 } as const;

/** Bracket depth of JSON text, ignoring brackets inside strings; linear, never recursive. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}
