/**
 * Hostile and huge input (issue 16): what the heaviest *legal* input costs.
 *
 * - CLI: the heaviest scenarios the validator accepts, one bounded by data (count × size at the
 *   limit for the default maxEvents) and one by steps (an ESP flood at LIMITS.maxEvents), each run
 *   by `tagflow run -q --json FILE` in a fresh process; its peak RSS is read in that process at
 *   exit (`process.resourceUsage().maxRSS`, from a preloaded module) and set beside the RSS of the
 *   seed story's run, the baseline, and beside the bound the validator promised
 *   (limits.ts: traceMemoryBound). Budget: what the run adds over the baseline stays within it.
 * - App: a set of heavy links opened by hashchange in Chromium; for each, the time until the page
 *   says something (the run's progress, a problem, or the budget's banner) and the longest
 *   main-thread task (PerformanceObserver "longtask") until the run ends. The worst case is the
 *   figure; the refused 100,000 × 65,499 link must be named within 2 s (the done-when).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { builtinByName, DEFAULT_MAX_EVENTS, LIMITS, TRACE_MEMORY, traceMemoryBound, type ScenarioInput } from "../src/engine/index";
import { deflateSync } from "fflate";
import { mib, ms, num, type Figure } from "./report";
import { floodInput } from "./scenarios";

const root = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(root, "bin", "tagflow.mjs");
const CLI_SECTION = "Hostile and huge input: the heaviest legal CLI runs";
const UI_SECTION = "Hostile and huge input: heavy links in the app (Chromium, hashchange)";

/** The most traffic data (bytes) a scenario with `maxEvents` may carry and still validate. */
function dataFit(maxEvents: number): number {
  return Math.floor((LIMITS.traceMemory - TRACE_MEMORY.perEvent * maxEvents) / TRACE_MEMORY.perByte);
}

/** lo0-ping with every echo of `size` bytes, `count` of them. */
function bigPings(count: number, size: number): ScenarioInput {
  const s = structuredClone(builtinByName("lo0-ping")) as unknown as { traffic: Record<string, unknown>[] } & ScenarioInput;
  for (const t of s.traffic) Object.assign(t, { count, size });
  return s;
}

interface CliCase {
  readonly id: string;
  readonly label: string;
  readonly input: ScenarioInput;
  /** What the validator promised the trace needs at most (bytes). */
  readonly bound: number | null;
}

function cliCases(quick: boolean): CliCase[] {
  const size = LIMITS.payload;
  const pings = quick ? 20 : Math.floor(dataFit(DEFAULT_MAX_EVENTS) / size);
  // 56-byte echoes (ping's default), as many as fit beside LIMITS.maxEvents steps.
  const echoes = quick ? 2_000 : Math.min(LIMITS.pingCount, Math.floor(dataFit(LIMITS.maxEvents) / 56));
  return [
    { id: "seed", label: "the seed story (lo0-esp-ping)", input: builtinByName("lo0-esp-ping") as ScenarioInput, bound: null },
    {
      id: "data",
      label: `lo0-ping, ${num(pings)} × ${num(size)} bytes (data at the limit)`,
      input: bigPings(pings, size),
      bound: traceMemoryBound(pings * size, DEFAULT_MAX_EVENTS),
    },
    {
      id: "steps",
      label: `ESP flood, ${num(echoes)} echoes, maxEvents ${num(LIMITS.maxEvents)} (steps at the limit)`,
      input: floodInput(echoes, "aes-gcm-16"),
      bound: traceMemoryBound(echoes * 56, LIMITS.maxEvents),
    },
  ];
}

interface CliRun {
  readonly status: number | null;
  readonly maxRssBytes: number;
  readonly ms: number;
  readonly jsonBytes: number;
  readonly lastLine: string;
}

function runCli(dir: string, c: CliCase): CliRun {
  const scenario = join(dir, `${c.id}.json`);
  const out = join(dir, `${c.id}.trace.json`);
  const rssFile = join(dir, `${c.id}.rss`);
  writeFileSync(scenario, JSON.stringify(c.input));
  const started = performance.now();
  const r = spawnSync(process.execPath, ["--import", join(dir, "rss.mjs"), CLI, "run", scenario, "-q", "--json", out], {
    env: { ...process.env, TAGFLOW_BENCH_RSS: rssFile },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = performance.now() - started;
  let jsonBytes: number;
  try {
    jsonBytes = statSync(out).size;
  } catch {
    jsonBytes = 0;
  }
  const lines = `${r.stdout}${r.stderr}`.trim().split("\n");
  return {
    status: r.status,
    maxRssBytes: maxRssOf(rssFile),
    ms: elapsed,
    jsonBytes,
    lastLine: lines.filter((l) => l.startsWith("outcome:")).at(-1) ?? lines.at(-1) ?? "",
  };
}

/** The child's peak RSS in bytes, or NaN when it died before its exit handler wrote it (the budget then fails). */
function maxRssOf(file: string): number {
  try {
    return Number(readFileSync(file, "utf8")) * 1024;
  } catch {
    return NaN;
  }
}

export function hostileCliFigures(quick: boolean, log: (line: string) => void): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-bench-hostile-"));
  try {
    // resourceUsage().maxRSS is KiB (getrusage ru_maxrss), of this process only: read it as the CLI exits.
    writeFileSync(
      join(dir, "rss.mjs"),
      'import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(process.env.TAGFLOW_BENCH_RSS, String(process.resourceUsage().maxRSS)));\n',
    );
    const cases = cliCases(quick);
    const runs = cases.map((c) => {
      log(`hostile: tagflow run ${c.label} -q --json…`);
      const run = runCli(dir, c);
      rmSync(join(dir, `${c.id}.trace.json`), { force: true });
      return run;
    });
    const seed = runs[0]!;
    return cases.slice(1).map((c, i) => {
      const run = runs[i + 1]!;
      const added = run.maxRssBytes - seed.maxRssBytes;
      const bound = c.bound ?? NaN;
      return {
        section: CLI_SECTION,
        id: `hostile.cli.${c.id}.peakRss`,
        label: `Peak RSS: ${c.label}`,
        value: run.maxRssBytes,
        unit: "bytes",
        text: mib(run.maxRssBytes),
        baseline: { label: "peak RSS of the seed story's run", value: seed.maxRssBytes, text: mib(seed.maxRssBytes) },
        ratio: { value: added / bound, label: "of the validator's bound (added RSS ÷ bound)" },
        budget: { text: "exit 0, added RSS ≤ the bound", pass: run.status === 0 && added <= bound },
        note: `exit ${String(run.status)} in ${ms(run.ms)}, "${run.lastLine}"; JSON trace ${mib(run.jsonBytes)} streamed to a file; bound ${mib(bound)} (limits.ts: ${TRACE_MEMORY.perByte} B/data byte + ${TRACE_MEMORY.perEvent} B/step)`,
      } satisfies Figure;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The app

/**
 * A `z=` link for `input`, as src/share/codec.ts's compressScenario makes it (base64url of
 * deflate). codec.ts itself needs Vite's virtual built-in catalog, which tsx cannot load.
 */
function customLink(input: ScenarioInput): string {
  return `#v=1&z=${Buffer.from(deflateSync(new TextEncoder().encode(JSON.stringify(input)), { level: 9 })).toString("base64url")}`;
}

interface LinkCase {
  readonly label: string;
  readonly hash: string;
  /** The done-when: this link is named within 2 s. */
  readonly refused: boolean;
}

function linkCases(quick: boolean): LinkCase[] {
  const heaviest = Math.floor(dataFit(DEFAULT_MAX_EVENTS) / LIMITS.payload);
  return [
    { label: `lo0-ping 100,000 × 65,499 (refused by validation)`, hash: customLink(bigPings(100_000, 65_499)), refused: true },
    {
      label: `lo0-ping ${num(heaviest)} × ${num(LIMITS.payload)} (the heaviest legal link)`,
      hash: customLink(bigPings(heaviest, LIMITS.payload)),
      refused: false,
    },
    ...(quick ? [] : [{ label: "lo0-ping 50,000 × 56", hash: customLink(bigPings(50_000, 56)), refused: false }]),
  ];
}

interface LinkRun {
  readonly firstWordMs: number;
  readonly settledMs: number;
  readonly longestTaskMs: number;
  readonly said: string;
}

/** Opens `hash` on a page that shows the default scenario; waits for feedback, then for the run to end. */
async function openLink(page: Page, hash: string): Promise<LinkRun> {
  return page.evaluate(async (h) => {
    let longest = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
    });
    observer.observe({ type: "longtask" });
    const q = (sel: string) => document.querySelector(sel);
    const banner = () => (q(".banner[data-verdict]") as HTMLElement | null)?.innerText ?? "";
    const t0 = performance.now();
    location.hash = h;
    let firstWord = NaN;
    let said: string;
    let ran = false;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      // The header's scenario picker is aria-busy while the worker runs (HeaderBar.tsx).
      const running = q('[data-testid="scenario"][aria-busy="true"]') !== null;
      ran ||= running;
      const progress = q('[data-testid="run-progress"]');
      const problem = (q('[data-testid="problems"]') as HTMLElement | null)?.innerText ?? "";
      const done = !running && (ran || problem !== "");
      if (Number.isNaN(firstWord) && (progress || problem || done)) firstWord = performance.now() - t0;
      if (done) {
        said = (problem || banner()).replace(/\s+/g, " ").slice(0, 140);
        break;
      }
      if (performance.now() - t0 > 240_000) {
        said = "no answer in 240 s";
        break;
      }
    }
    const settled = performance.now() - t0;
    // Let the frame after the last answer's layout land before reading the longest task.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100)));
    observer.disconnect();
    return { firstWordMs: firstWord, settledMs: settled, longestTaskMs: longest, said };
  }, hash);
}

export async function hostileLinkFigures(browser: Browser, base: string, quick: boolean, log: (line: string) => void): Promise<Figure[]> {
  const cases = linkCases(quick);
  const runs: LinkRun[] = [];
  for (const c of cases) {
    log(`hostile: opening ${c.label} by hashchange…`);
    // A fresh page each time, on the default scenario, so no run is left over from the last link.
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: "light" });
    try {
      const page = await context.newPage();
      // tsx compiles named arrow functions to __name(fn, "name") calls (see ui.ts: probedPage).
      await page.addInitScript({ content: "globalThis.__name ??= (fn) => fn;" });
      await page.goto(base, { waitUntil: "load" });
      await page.locator(".banner[data-verdict]").waitFor({ timeout: 30_000 });
      runs.push(await openLink(page, c.hash));
    } finally {
      await context.close();
    }
  }
  const detail = cases
    .map(
      (c, i) =>
        `${c.label}: ${ms(runs[i]!.firstWordMs)} to a word, ${ms(runs[i]!.settledMs)} to the end, longest task ${ms(runs[i]!.longestTaskMs)} — "${runs[i]!.said}"`,
    )
    .join("; ");
  const refused = runs[cases.findIndex((c) => c.refused)]!;
  const worstWord = Math.max(...runs.map((r) => r.firstWordMs));
  const worstTask = Math.max(...runs.map((r) => r.longestTaskMs));
  return [
    {
      section: UI_SECTION,
      id: "hostile.ui.refusedMessage",
      label: "The refused 100,000 × 65,499 link: hashchange → its message on screen",
      value: refused.firstWordMs,
      unit: "ms",
      text: ms(refused.firstWordMs),
      budget: { text: "< 2,000 ms", pass: refused.firstWordMs < 2000 },
      note: `"${refused.said}"`,
    },
    {
      section: UI_SECTION,
      id: "hostile.ui.firstWord",
      label: `Worst of ${cases.length} heavy links: hashchange → progress or message on screen`,
      value: worstWord,
      unit: "ms",
      text: ms(worstWord),
      budget: { text: "< 2,000 ms", pass: worstWord < 2000 },
      note: detail,
    },
    {
      section: UI_SECTION,
      id: "hostile.ui.longestTask",
      label: `Worst of ${cases.length} heavy links: longest main-thread task while it runs`,
      value: worstTask,
      unit: "ms",
      text: ms(worstTask),
      budget: { text: "< 1,000 ms (the page answers input throughout)", pass: worstTask < 1000 },
      note: "PerformanceObserver longtask entries (≥ 50 ms) from the hashchange to the run's end; 0 means none over 50 ms",
    },
  ];
}
