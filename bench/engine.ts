/**
 * Engine sections: the ESP flood against the cipher alone, the trace's heap and JSON size as the
 * flood grows, and the seed story's latency. Floods run in fresh child processes (bench/child.ts)
 * so one measurement's garbage never lands in another's heap or GC pauses.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { gcm } from "@noble/ciphers/aes.js";
import { runScenario } from "../src/engine/index";
import type { FloodRequest, FloodResult } from "./child";
import { kib, ms, num, type Figure } from "./report";
import { mustLoad, seedInput, type FloodCipher } from "./scenarios";
import { median, p95 } from "./stats";

const root = fileURLToPath(new URL("..", import.meta.url));
const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));

/** Run one flood measurement in a fresh `node --expose-gc` process. */
export function runChild(req: FloodRequest): FloodResult {
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", childPath, JSON.stringify(req)], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`bench child (${JSON.stringify(req)}) failed with status ${r.status}:\n${r.stderr || r.error?.message || ""}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as FloodResult;
}

const CIPHER_LABEL: Record<FloodCipher, string> = { "aes-gcm-16": "AES-GCM", "chacha20-poly1305": "ChaCha20-Poly1305" };
const CIPHER_ID: Record<FloodCipher, string> = { "aes-gcm-16": "aesGcm", "chacha20-poly1305": "chacha20Poly1305" };
const MB = 1e6;

/** Engine vs cipher: echoes per second through the engine, and through the cipher alone. */
export function engineFigures(results: readonly FloodResult[]): Figure[] {
  const out: Figure[] = [];
  for (const r of results) {
    const engine = median(r.engineMs);
    const crypto = median(r.cryptoMs);
    // The median of per-run ratios: run i of the engine and of the cipher were measured back to back.
    const ratio = median(r.engineMs.map((e, i) => r.cryptoMs[i]! / e));
    const rate = (r.echoes / engine) * 1000;
    const cryptoRate = (r.echoes / crypto) * 1000;
    out.push({
      section: `Engine vs cipher (${num(r.echoes)}-echo ESP flood on lo0, fix on)`,
      id: `engine.${CIPHER_ID[r.cipher]}`,
      label: `${CIPHER_LABEL[r.cipher]} flood: engine rate`,
      value: rate,
      unit: "echoes/s",
      text: `${num(rate)} echoes/s`,
      baseline: { label: `@noble alone, ${num(r.cryptoOps)} AEAD ops`, value: cryptoRate, text: `${num(cryptoRate)} echoes/s` },
      ratio: { value: ratio, label: "engine/crypto" },
      budget: { text: "engine/crypto ≥ 0.5", pass: ratio >= 0.5 },
      note: `${num((engine * 1000) / r.echoes, 1)} µs/echo in the engine (${num(r.events / r.echoes)} events, ${num(r.packets / r.echoes)} packet versions per echo) vs ${num((crypto * 1000) / r.echoes, 1)} µs/echo for the cipher alone; median of ${r.engineMs.length} run(s): ${r.engineMs.map((x) => ms(x)).join(", ")}`,
    });
  }
  return out;
}

/** Trace size and memory: heap and JSON bytes at each size, and how they grow. */
export function memoryFigures(bySize: readonly FloodResult[]): Figure[] {
  const section = "Trace size and memory (AES-GCM flood, heap after full GC, fresh process per size)";
  const out: Figure[] = [];
  const sorted = [...bySize].sort((a, b) => a.echoes - b.echoes);
  const largest = sorted[sorted.length - 1]!;
  for (const r of sorted) {
    const isLargest = r === largest;
    out.push({
      section,
      id: `memory.heap.${r.echoes}`,
      label: `Heap of a ${num(r.echoes)}-echo trace`,
      value: r.heapBytes,
      unit: "bytes",
      text: `${num(r.heapBytes / MB, 1)} MB (${kib(r.heapBytes / r.echoes)}/echo)`,
      ...(isLargest && r.echoes >= 10_000 ? { budget: { text: "< 100 MB", pass: r.heapBytes < 100 * MB } } : {}),
      note: `${num(r.events)} events (${num(r.heapBytes / r.events)} B/event all-in), ${num(r.packets)} packet versions; V8 heap ${num(r.heapOnlyBytes / MB, 1)} MB + ArrayBuffers ${num(r.arrayBufferBytes / MB, 1)} MB`,
    });
    if (r.jsonBytes !== null) {
      out.push({
        section,
        id: `memory.json.${r.echoes}`,
        label: `JSON of a ${num(r.echoes)}-echo trace`,
        value: r.jsonBytes,
        unit: "bytes",
        text: `${num(r.jsonBytes / MB, 1)} MB (${kib(r.jsonBytes / r.echoes)}/echo)`,
      });
    }
  }
  // Growth: the marginal bytes per echo between sizes (a fixed cost — the run's compiled code and
  // feedback, counted in heapUsed — would otherwise make small traces look dearer per echo).
  const marginal = sorted.slice(1).map((b, i) => {
    const a = sorted[i]!;
    const heap = (b.heapBytes - a.heapBytes) / (b.echoes - a.echoes);
    const json = a.jsonBytes !== null && b.jsonBytes !== null ? (b.jsonBytes - a.jsonBytes) / (b.echoes - a.echoes) : NaN;
    return { a, b, heap, json };
  });
  marginal.forEach((m, i) => {
    const prev = i > 0 ? marginal[i - 1]! : null;
    const heapRatio = prev ? m.heap / prev.heap : NaN;
    const jsonRatio = prev ? m.json / prev.json : NaN;
    const linear = (x: number) => Number.isNaN(x) || (x >= 0.8 && x <= 1.25);
    out.push({
      section,
      id: `memory.growth.${m.a.echoes}-${m.b.echoes}`,
      label: `Growth ${num(m.a.echoes)} → ${num(m.b.echoes)} echoes (added bytes per added echo)`,
      value: m.heap,
      unit: "bytes/echo",
      text: `heap ${kib(m.heap)}, JSON ${kib(m.json)} per echo`,
      ...(prev
        ? {
            ratio: { value: heapRatio, label: `of ${num(prev.a.echoes)} → ${num(prev.b.echoes)} (heap; JSON ${num(jsonRatio, 2)}×)` },
            budget: { text: "linear: 0.8–1.25× of the step before", pass: linear(heapRatio) && linear(jsonRatio) },
          }
        : {}),
    });
  });
  return out;
}

/** A fixed reference workload for latency ratios: 100 AES-GCM seals of 64 bytes with @noble. */
function referenceWorkload(): number {
  const key = new Uint8Array(16).fill(7);
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array(8);
  const data = new Uint8Array(64);
  const start = performance.now();
  for (let i = 0; i < 100; i++) {
    nonce[11] = i;
    gcm(key, nonce, aad).encrypt(data);
  }
  return performance.now() - start;
}

function timeMany(n: number, f: () => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  return times;
}

/** Seed story latency: runScenario(lo0-esp-ping), and a fix toggle's validate + re-run. */
export function latencyFigures(samples: number): Figure[] {
  const seed = mustLoad(seedInput());
  const inputs = [seedInput(["icmp-reflect-strips-tags"]), seedInput()];
  const run = () => runScenario(seed);
  // A toggle re-validates the scenario with the new fix list and runs it (what the app's worker does).
  let flip = 0;
  const toggle = () => runScenario(mustLoad(inputs[flip++ % 2]!));
  for (let i = 0; i < 30; i++) {
    run();
    toggle();
    referenceWorkload();
  }
  const runs = timeMany(samples, run);
  const toggles = timeMany(samples, toggle);
  const refs = timeMany(samples, referenceWorkload);
  const ref = median(refs);
  const section = "Seed story latency (lo0-esp-ping, in process, after warm-up)";
  const figure = (id: string, label: string, times: readonly number[]): Figure[] => {
    const m = median(times);
    const p = p95(times);
    const base = { label: "100 AES-GCM seals of 64 B, @noble", value: ref, text: ms(ref) };
    return [
      {
        section,
        id: `${id}.median`,
        label: `${label}: median`,
        value: m,
        unit: "ms",
        text: ms(m),
        baseline: base,
        ratio: { value: m / ref, label: "of reference" },
        budget: { text: "< 10 ms", pass: m < 10 },
      },
      {
        section,
        id: `${id}.p95`,
        label: `${label}: p95`,
        value: p,
        unit: "ms",
        text: ms(p),
        baseline: base,
        ratio: { value: p / ref, label: "of reference" },
        budget: { text: "< 10 ms", pass: p < 10 },
        note: id.endsWith("toggle") ? `${samples} samples each` : undefined,
      },
    ];
  };
  return [...figure("latency.run", "runScenario(lo0-esp-ping)", runs), ...figure("latency.toggle", "Fix toggle (validate + re-run)", toggles)];
}
