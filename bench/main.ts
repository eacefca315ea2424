/**
 * `npm run bench` — the engine against the cipher, the trace's memory, the seed story's latency,
 * the UI in headless Chromium and the bundle, each figure with its budget and PASS/FAIL, time
 * figures also as ratios to a baseline measured in the same run (see docs/bench.md).
 *
 *   npm run bench                      the full run (10,000-echo floods; a few minutes)
 *   npm run bench -- --quick           smaller workloads, for development
 *   npm run bench -- --json FILE       also write every figure and the machine as JSON
 *   npm run bench -- --markdown FILE   also write the table as Markdown
 *   npm run bench -- --no-ui           skip the browser and bundle sections
 *   npm run bench -- --ui-only         only the browser and bundle sections (the README's UI figures)
 *   npm run bench -- --strict          exit 1 when a budget fails
 */
import { writeFileSync } from "node:fs";
import { engineFigures, latencyFigures, memoryFigures, runChild } from "./engine";
import { hostileCliFigures } from "./hostile";
import { machineInfo } from "./machine";
import { formatMarkdown, formatTable, num, verdictOf, type Figure } from "./report";
import { uiSection, type UiReport } from "./ui";

export interface BenchArgs {
  readonly quick: boolean;
  readonly json: string | null;
  readonly markdown: string | null;
  readonly ui: boolean;
  /** false with --ui-only: the engine floods, memory and latency sections are skipped. */
  readonly engine: boolean;
  readonly strict: boolean;
}

const USAGE = "usage: npm run bench -- [--quick] [--json FILE] [--markdown FILE] [--no-ui | --ui-only] [--strict]";

export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let json: string | null = null;
  let markdown: string | null = null;
  let ui = true;
  let engine = true;
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--no-ui") ui = false;
    else if (a === "--ui-only") engine = false;
    else if (a === "--strict") strict = true;
    else if (a === "--json" || a === "--markdown") {
      const file = argv[++i];
      if (!file) throw new Error(`${a} needs a file name\n${USAGE}`);
      if (a === "--json") json = file;
      else markdown = file;
    } else if (a === "--help" || a === "-h") throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (!ui && !engine) throw new Error(`--no-ui and --ui-only leave nothing to measure\n${USAGE}`);
  return { quick, json, markdown, ui, strict, engine };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const machine = machineInfo();
  log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}${args.quick ? " (--quick)" : ""}`);

  const echoes = args.quick ? 1_000 : 10_000;
  const runs = args.quick ? 1 : 5;
  const figures: Figure[] = [];
  const floods: ReturnType<typeof runChild>[] = [];
  if (args.engine) {
    log(`engine: ${num(echoes)}-echo AES-GCM flood (fresh process, ${runs} run(s), heap and JSON size)…`);
    const gcmFlood = runChild({ echoes, cipher: "aes-gcm-16", runs, jsonBytes: true });
    log(`engine: ${num(echoes)}-echo ChaCha20-Poly1305 flood…`);
    const chachaFlood = runChild({ echoes, cipher: "chacha20-poly1305", runs, jsonBytes: false });
    const sizes = args.quick ? [100] : [100, 1_000];
    const smaller = sizes.map((n) => {
      log(`memory: ${num(n)}-echo flood in a fresh process…`);
      return runChild({ echoes: n, cipher: "aes-gcm-16", runs: 1, jsonBytes: true });
    });
    log("latency: the seed story…");
    figures.push(...engineFigures([gcmFlood, chachaFlood]), ...memoryFigures([...smaller, gcmFlood]), ...latencyFigures(args.quick ? 50 : 200));
    floods.push(gcmFlood, chachaFlood, ...smaller);
    figures.push(...hostileCliFigures(args.quick, log));
  }

  let ui: UiReport | null = null;
  if (args.ui) {
    // --ui-only leaves out the flood's heap in Chromium too (a second million-step engine run); ui.mainHeap still measures the 1M-step trace.
    ui = await uiSection({ quick: args.quick, log, traceHeapEchoes: args.engine ? echoes : 0, frameEvents: args.quick ? 10_000 : 1_000_000 });
    machine.chromium = ui.chromium;
    figures.push(...ui.figures);
  }

  // Group by section as the issue lists them (the UI pass also measures a trace's heap in Chromium).
  const order = ["engine.", "memory.", "latency.", "hostile.cli.", "ui.", "hostile.ui.", "bundle."];
  const rank = (f: Figure) => {
    const i = order.findIndex((p) => f.id.startsWith(p));
    return i < 0 ? order.length : i;
  };
  figures.sort((a, b) => rank(a) - rank(b));
  const table = formatTable(figures);
  const budgets = figures.filter((f) => f.budget);
  const failed = budgets.filter((f) => verdictOf(f) === "FAIL");
  const seconds = (performance.now() - started) / 1000;
  const summary = `${budgets.length - failed.length} of ${budgets.length} budgets hold${failed.length ? `; FAIL: ${failed.map((f) => f.label).join("; ")}` : ""}. (${num(seconds)} s)`;
  process.stdout.write(`\n${table}\n\n${summary}\n`);
  const machineLine = `${machine.cpu} (${machine.cores} cores, ${num(machine.memoryBytes / 2 ** 30, 1)} GiB), ${machine.os}, Node ${machine.node}${machine.chromium ? `, Chromium ${machine.chromium}` : ""}`;
  process.stdout.write(`Machine: ${machineLine}\n`);

  if (args.json) {
    const report = {
      date: new Date().toISOString(),
      quick: args.quick,
      machine,
      seconds,
      figures,
      raw: { floods, ui: ui ? { bundle: ui.bundle, samples: ui.samples } : null },
    };
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
  if (args.markdown) {
    writeFileSync(args.markdown, `${formatMarkdown(figures)}\n\n${summary}\n\nMachine: ${machineLine}.\n`);
    log(`wrote ${args.markdown}`);
  }
  return args.strict && failed.length > 0 ? 1 : 0;
}
