/**
 * The `tagflow` command (design.md, "The CLI"): list the built-in scenarios, or run one (or a
 * scenario file) and narrate it step by step, ending with `outcome: <verdict>`; optionally write
 * the trace as JSON, a pcapng capture and the Wireshark ESP key table.
 *
 * Exit status (docs/cli.md, "Exit status"): 0 for a completed run whatever its verdict, 2 for bad
 * input or an output file that cannot be written (one line per problem on stderr and nothing
 * left on disk), 3 when stdout fails (EPIPE, ENOSPC, EBADF), 1 for an internal error.
 */
import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  ALIGN_MAX_EVENTS,
  baselineOf,
  BUILTIN_SCENARIOS,
  DEFAULT_SCENARIO,
  compareTraces,
  FIXES,
  FIX_IDS,
  INPUT_LIMITS,
  PERSONALITIES,
  PERSONALITY_IDS,
  builtinByName,
  isFixId,
  isPersonalityId,
  loadScenario,
  loadScenarioJson,
  runScenario,
  type FixId,
  type Problem,
  type Scenario,
  type ScenarioInput,
} from "../engine";
import { TAGFLOW_VERSION, espSaTable, keyMessageFrames, traceCapture, traceEspSas, traceToJsonChunks, type ScenarioTraceLike } from "../export";
import { writePcapngChunks } from "../export/pcapng";
import { BufferedSink, InputError, escapeTerminal, openOutput, readBounded, writeAll, type Chunk, type PendingOutput } from "./io";
import { headerLines, makePaint, stepLines, summaryLines } from "./narrate";
import { convert } from "./convert";
import { alignedLines } from "./aligned";

/** Where the CLI writes, and what it knows about its terminal; process streams by default. */
export interface CliIo {
  /** Written synchronously; a write that fails throws (an errno error: EPIPE, ENOSPC, EBADF). */
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: { write(chunk: string): unknown };
  /** Colour the narration (stdout is a TTY and NO_COLOR is not set). */
  colour: boolean;
  /** Paths are resolved against this directory. */
  cwd: string;
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything but "" (no-color.org). */
export function wantsColour(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

/**
 * The process's streams. stdout is written with writeSync on descriptor 1 rather than through
 * process.stdout, so a failed write (EPIPE, ENOSPC on /dev/full, EBADF) throws where it happens
 * and becomes one line and exit 3, instead of an async 'error' event or a silent exit 0.
 */
export function processIo(): CliIo {
  return {
    stdout: { write: (chunk: string | Uint8Array) => writeAll(1, chunk) },
    stderr: {
      write: (chunk: string) => {
        try {
          writeAll(2, chunk);
        } catch {
          // stderr itself is gone: there is nowhere left to report anything.
        }
      },
    },
    colour: wantsColour(process.stdout.isTTY, process.env),
    cwd: process.cwd(),
  };
}

/** Bad input: each message is one line on stderr; the exit status is 2. */
export class UsageError extends Error {
  constructor(
    readonly lines: readonly string[],
    readonly hint = false,
  ) {
    super(lines.join("\n"));
  }
}

const USAGE_HINT = "Run 'tagflow --help' for usage.";

const OPTIONS = {
  fix: { type: "string", multiple: true },
  "no-fix": { type: "string", multiple: true },
  personality: { type: "string" },
  json: { type: "string" },
  pcap: { type: "string" },
  keys: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  compare: { type: "boolean" },
  "compare-with": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
}

export function helpText(): string {
  const fixes = FIX_IDS.map((id) => `  ${id.padEnd(32)} ${FIXES[id].title}`);
  const personalities = PERSONALITY_IDS.map((id) => `  ${id.padEnd(32)} ${PERSONALITIES[id].title}`);
  return [
    `tagflow ${TAGFLOW_VERSION} — watch packets and their m_tags flow through a simulated BSD kernel stack`,
    "",
    "Usage:",
    "  tagflow list                              the built-in scenarios",
    "  tagflow run <scenario|file.json> [options] run one and narrate every step",
    "  tagflow convert FILE --from setkey|ip-xfrm|scenario --to scenario|setkey|ip-xfrm [--out FILE]",
    "                                            SAs and policies in and out (docs/cli.md, convert)",
    "  tagflow help | --help                     this text",
    "  tagflow --version",
    "",
    "Options for run:",
    "  --fix ID            switch a fix on (repeatable)",
    "  --no-fix ID         switch off a fix the scenario turns on (repeatable)",
    "  --personality ID    run as another kernel",
    "  --json FILE|-       write the trace as JSON ('-': to stdout, instead of the narration)",
    "  --pcap FILE|-       write a pcapng capture: one interface per link, one packet per link.tx",
    "  --keys FILE|-       write Wireshark's ESP SA table (esp_sa) that decrypts the capture",
    "  -q, --quiet         leave out the steps; print only the findings and the outcome",
    "  --compare           also run it on the scenario's own kernel with no fixes, and say where",
    "                      the two runs diverge: the runs side by side, then a line before the outcome",
    "  --compare-with ID   compare with the scenario on kernel ID and/or with fix ID instead",
    "                      (repeatable; implies --compare)",
    "",
    "Fixes:",
    ...fixes,
    "",
    "Personalities:",
    ...personalities,
    "",
    "The last line of a run is 'outcome: <secure|insecure|dropped|loop>'.",
    "Exit status: 0 when the run completed (whatever the outcome), 2 for bad input or an output",
    "that cannot be written (nothing is left on disk), 3 when stdout fails (EPIPE, ENOSPC, EBADF).",
    "",
  ].join("\n");
}

function listText(): string {
  const width = Math.max(...BUILTIN_SCENARIOS.map((s) => s.name.length));
  return BUILTIN_SCENARIOS.map((s) => `${s.name.padEnd(width)}  ${s.title ?? ""}${s.name === DEFAULT_SCENARIO ? "  (default)" : ""}`.trimEnd())
    .map((line) => `${line}\n`)
    .join("");
}

/** "ENOENT" → a few words; the path is said by the caller. */
function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a component of the path is not a directory";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    case "EDQUOT":
      return "disk quota exceeded";
    default:
      return err.message ?? String(e);
  }
}

function problemLines(where: string, problems: readonly Problem[]): string[] {
  const n = problems.length;
  return [`${where} is not a valid scenario (${n} problem${n === 1 ? "" : "s"}):`, ...problems.map((p) => `  ${p.path}: ${p.message}`)];
}

/** A built-in by name, or a scenario file (a path, or anything ending in .json). */
function readScenario(arg: string, cwd: string): { input: unknown; where: string } {
  const builtin = builtinByName(arg);
  if (builtin) return { input: builtin, where: `scenario ${arg}` };
  const path = resolve(cwd, arg);
  const looksLikeFile = arg === "-" || /\.json$/i.test(arg) || /[\\/]/.test(arg) || exists(path);
  if (!looksLikeFile) {
    throw new UsageError([
      `unknown scenario '${arg}'. Built-in scenarios: ${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")} (or give a .json file)`,
    ]);
  }
  let text: string;
  try {
    // The loader refuses more than INPUT_LIMITS.jsonBytes characters (UTF-16 units; a UTF-8 byte
    // is at most one), so 4× in bytes is plenty; never read more than that from anything.
    text = new TextDecoder("utf-8").decode(readBounded(arg === "-" ? "-" : path, 4 * INPUT_LIMITS.jsonBytes));
  } catch (e) {
    if (e instanceof InputError) throw new UsageError([`cannot read scenario file ${arg}: ${e.message}`]);
    throw new UsageError([`cannot read scenario file ${arg}: ${fsReason(e)}`]);
  }
  // A UTF-8 byte order mark (Notepad adds one) is not part of the JSON: accepted and dropped.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Empty is what a FIFO nobody writes to reads as (it is opened non-blocking): say so plainly.
  if (text.trim() === "") throw new UsageError([`cannot read scenario file ${arg}: it is empty (a pipe or FIFO with nothing written to it?)`]);
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UsageError([`${arg} is not valid JSON: ${(e as Error).message}`]);
  }
  const loaded = loadScenarioJson(text);
  if (!loaded.ok) throw new UsageError(problemLines(arg, loaded.problems));
  return { input: loaded.scenario, where: arg };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Check the fix and personality ids and the output targets; every problem at once. */
function checkRunOptions(values: Values, cwd: string): string[] {
  const problems: string[] = [];
  const fixList = FIX_IDS.join(", ");
  for (const flag of ["fix", "no-fix"] as const) {
    for (const id of values[flag] ?? []) {
      if (!isFixId(id)) problems.push(`unknown fix '${id}' (--${flag}). Fixes: ${fixList}`);
    }
  }
  for (const id of values.fix ?? []) {
    if ((values["no-fix"] ?? []).includes(id)) problems.push(`--fix and --no-fix both name '${id}'`);
  }
  const against = values["compare-with"] ?? [];
  for (const id of against) {
    if (!isFixId(id) && !isPersonalityId(id))
      problems.push(`unknown fix or personality '${id}' (--compare-with). Fixes: ${fixList}. Personalities: ${PERSONALITY_IDS.join(", ")}`);
  }
  if (against.filter(isPersonalityId).length > 1)
    problems.push("--compare-with names more than one personality; a comparison has one baseline kernel");
  if (values.personality !== undefined && !isPersonalityId(values.personality)) {
    problems.push(`unknown personality '${values.personality}'. Personalities: ${PERSONALITY_IDS.join(", ")}`);
  }
  const outputs = (["json", "pcap", "keys"] as const).filter((k) => values[k] !== undefined);
  const toStdout = outputs.filter((k) => values[k] === "-");
  if (toStdout.length > 1) problems.push(`only one output can go to stdout; ${toStdout.map((k) => `--${k}`).join(" and ")} both say '-'`);
  const seen = new Map<string, string>();
  for (const k of outputs) {
    const file = values[k]!;
    if (file === "-") continue;
    if (file === "") {
      problems.push(`--${k} needs a file name (or '-' for stdout)`);
      continue;
    }
    const path = resolve(cwd, file);
    const other = seen.get(path);
    if (other) problems.push(`--${other} and --${k} both write ${file}`);
    seen.set(path, k);
    const why = unwritable(path);
    if (why) problems.push(`cannot write ${file} (--${k}): ${why}`);
  }
  return problems;
}

/** Why `path` cannot be written, or undefined if it can (checked before anything is written). */
function unwritable(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return "is a directory";
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return fsReason(e);
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? `directory ${dir} does not exist` : `${dir}: ${fsReason(e)}`;
  }
}

/** The scenario with the command line's fixes and personality applied, validated again. */
function applyOverrides(scenario: Scenario, values: Values, where: string): Scenario {
  const off = new Set(values["no-fix"] ?? []);
  const fixes: FixId[] = scenario.fixes.filter((id) => !off.has(id));
  for (const id of values.fix ?? []) if (isFixId(id) && !fixes.includes(id)) fixes.push(id);
  const personality = values.personality !== undefined && isPersonalityId(values.personality) ? values.personality : scenario.personality;
  const loaded = loadScenario({ ...scenario, fixes, personality } satisfies ScenarioInput);
  if (!loaded.ok) throw new UsageError(problemLines(where, loaded.problems));
  return loaded.scenario;
}

/** The scenario as the command line asks for it, and as it is (its own personality and fixes). */
function loadAndOverride(arg: string, values: Values, cwd: string): { scenario: Scenario; own: Scenario } {
  const { input, where } = readScenario(arg, cwd);
  const loaded = loadScenario(input);
  if (!loaded.ok) throw new UsageError(problemLines(where, loaded.problems));
  return { scenario: applyOverrides(loaded.scenario, values, where), own: loaded.scenario };
}

/**
 * `--compare`: the line before the outcome. The baseline is audit/baseline.ts's: the scenario as
 * written, on its own personality, with no fixes (`--fix`/`--no-fix` shape only the run).
 */
function compareLines(own: Scenario, scenario: Scenario, trace: ScenarioTraceLike, against: readonly string[]): string[] {
  if (against.length > 0) return compareWith(own, scenario, trace, against);
  const baseline = baselineOf(own, scenario);
  switch (baseline.kind) {
    case "same":
      return [
        `compared with no fixes: nothing to compare — this run is ${scenario.name} on its own kernel (${own.personality}) with no fixes; add --fix ID or --personality ID to see what changes.`,
      ];
    case "invalid":
      return [
        `compared with no fixes: the scenario without its fixes does not validate (${baseline.problems[0]?.message ?? "unknown problem"}), so there is nothing to compare.`,
      ];
    case "run":
      return comparedLines("compared with no fixes", baseline.scenario, trace);
  }
}

/** The aligned view, then the comparison's sentence (the line before `outcome:`). */
function comparedLines(prefix: string, base: Scenario, trace: ScenarioTraceLike): string[] {
  const c = compareTraces(runScenario(base), trace);
  return [...alignedLines(c.alignment, base, trace, ALIGN_MAX_EVENTS), `${prefix}: ${c.sentence}`];
}

/**
 * `--compare-with ID…`: the baseline is the scenario as written with these fixes (and this
 * personality, when one is named) in place of its own; `--fix`/`--personality` still shape the run.
 */
function compareWith(own: Scenario, scenario: Scenario, trace: ScenarioTraceLike, against: readonly string[]): string[] {
  const personality = against.find(isPersonalityId) ?? own.personality;
  const fixes = against.filter(isFixId);
  const what = `${personality}${fixes.length > 0 ? ` with ${fixes.join(", ")}` : ", no fixes"}`;
  const loaded = loadScenario({ ...own, personality, fixes } satisfies ScenarioInput);
  if (!loaded.ok)
    return [
      `compared with ${what}: that scenario does not validate (${loaded.problems[0]?.message ?? "unknown problem"}), so there is nothing to compare.`,
    ];
  if (loaded.scenario.personality === scenario.personality && sameFixes(loaded.scenario.fixes, scenario.fixes)) {
    return [`compared with ${what}: nothing to compare — this run is that run; name another fix or personality.`];
  }
  return comparedLines(`compared with ${what}`, loaded.scenario, trace);
}

function sameFixes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Lines to a sink, each ending in a newline; the sink batches them into big writes. */
function writeLines(write: (chunk: Chunk) => void, lines: Iterable<string>): void {
  for (const line of lines) write(`${line}\n`);
}

/** stdout failed (EPIPE, ENOSPC, EBADF…): exit 3, one line, so a script can tell it from bad input. */
export class StdoutError extends Error {
  constructor(readonly code: string | undefined) {
    super(code ?? "write failed");
  }
}

const STDOUT_REASON: Readonly<Record<string, string>> = {
  EPIPE: "the reader closed the pipe (EPIPE)",
  ENOSPC: "no space left on the device (ENOSPC)",
  EBADF: "stdout is closed (EBADF)",
  EIO: "input/output error (EIO)",
};

/** io.stdout behind a buffer; an errno from the underlying write becomes a StdoutError. */
function stdoutSink(io: CliIo): BufferedSink {
  return new BufferedSink((chunk) => {
    try {
      io.stdout.write(chunk);
    } catch (e) {
      throw new StdoutError((e as NodeJS.ErrnoException).code);
    }
  });
}

/** A short text to stdout, with the same failure handling as the narration. */
function print(io: CliIo, text: string): void {
  const sink = stdoutSink(io);
  sink.write(text);
  sink.flush();
}

/** One requested output: what it is called, and how to produce its bytes in pieces. */
interface Output {
  flag: "json" | "pcap" | "keys";
  target: string;
  chunks: () => Iterable<Chunk>;
  note: string;
}

/**
 * Write every file output to a temp file, then rename them all into place: a failure part way
 * (a full disk, /dev/full) removes every temp file, so no output of a failed run remains.
 */
function writeFiles(outputs: readonly Output[], cwd: string): void {
  const pending: PendingOutput[] = [];
  let current: Output | undefined;
  try {
    for (const out of outputs) {
      if (out.target === "-") continue;
      current = out;
      const file = openOutput(resolve(cwd, out.target));
      pending.push(file);
      for (const chunk of out.chunks()) file.write(chunk);
      file.close();
    }
    current = undefined;
    for (const file of pending) file.commit();
  } catch (e) {
    for (const file of pending) file.abort();
    if (e instanceof UsageError) throw e;
    const what = current ? `${current.target} (--${current.flag})` : "the outputs";
    const reason = (e as NodeJS.ErrnoException).code ? fsReason(e) : (e as Error).message;
    throw new UsageError([`cannot write ${what}: ${reason}; nothing was written`]);
  }
}

function run(positionals: readonly string[], values: Values, io: CliIo): number {
  const [arg, ...extra] = positionals;
  if (arg === undefined) throw new UsageError(["run: missing scenario: give a built-in name (see 'tagflow list') or a .json file"], true);
  if (extra.length > 0)
    throw new UsageError([`run: unexpected argument${extra.length > 1 ? "s" : ""} ${extra.map((a) => `'${a}'`).join(" ")}`], true);
  const problems = checkRunOptions(values, io.cwd);
  if (problems.length > 0) throw new UsageError(problems);
  const { scenario, own } = loadAndOverride(arg, values, io.cwd);
  const trace: ScenarioTraceLike = runScenario(scenario);

  // Each output is produced in pieces as it is written: a long trace never becomes one string.
  const outputs: Output[] = [];
  if (values.json !== undefined)
    outputs.push({ flag: "json", target: values.json, chunks: () => traceToJsonChunks(trace), note: `${trace.events.length} steps` });
  if (values.pcap !== undefined) {
    // Count what the capture holds, not the link.tx events: links between hosts are captured at
    // link.rx, and seed 004's key messages are frames of their own (nlmon0 / PF_KEY interfaces).
    const capture = traceCapture(trace);
    const frames = capture.packets.length;
    const keyFrames = keyMessageFrames(capture);
    const ifaces = capture.interfaces.length;
    outputs.push({
      flag: "pcap",
      target: values.pcap,
      chunks: () => writePcapngChunks(capture),
      note: `${frames} packets on ${ifaces} interface${ifaces === 1 ? "" : "s"}${keyFrames > 0 ? `, ${keyFrames} of them key messages (netlink as nlmon records it, or PF_KEY)` : ""}`,
    });
  }
  if (values.keys !== undefined) {
    const sas = traceEspSas(trace);
    let table: string;
    try {
      const comment = [`ESP SAs of ${scenario.name}, exported by tagflow ${TAGFLOW_VERSION}`];
      if (sas.some((sa) => sa.enc === "chacha20-poly1305")) comment.push("ChaCha20-Poly1305 needs Wireshark 4.2 or later");
      table = espSaTable(sas, comment.join("\n"));
    } catch (e) {
      throw new UsageError([`cannot export the ESP keys: ${(e as Error).message}`]);
    }
    outputs.push({ flag: "keys", target: values.keys, chunks: () => [table], note: `${sas.length} ESP SA${sas.length === 1 ? "" : "s"}` });
  }
  writeFiles(outputs, io.cwd);
  for (const out of outputs) if (out.target !== "-") io.stderr.write(`tagflow: wrote ${escapeTerminal(out.target)} (${out.note})\n`);

  const sink = stdoutSink(io);
  const toStdout = outputs.find((o) => o.target === "-");
  if (toStdout) {
    if (values.compare || values["compare-with"])
      io.stderr.write(`tagflow: note: --compare is left out: stdout carries --${toStdout.flag} instead of the narration\n`);
    for (const chunk of toStdout.chunks()) sink.write(chunk);
    sink.flush();
    return 0;
  }
  const paint = makePaint(io.colour);
  const summary = summaryLines(trace, paint);
  // The comparison goes just before the last line, which is always `outcome: <verdict>`.
  if (values.compare || values["compare-with"])
    summary.splice(summary.length - 1, 0, ...compareLines(own, scenario, trace, values["compare-with"] ?? []).map((l) => escapeTerminal(l)));
  const write = (chunk: Chunk) => sink.write(chunk);
  if (!values.quiet) {
    writeLines(write, headerLines(trace, paint));
    writeLines(write, [""]);
    writeLines(write, stepLines(trace, paint));
    writeLines(write, [""]);
  }
  writeLines(write, summary);
  sink.flush();
  return 0;
}

/** Run the command line `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  // `convert` has its own options (--from, --to, --out, --ping SRC DST): src/cli/convert.ts.
  if (argv[0] === "convert") return convert(argv.slice(1), io);
  try {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (e) {
      throw new UsageError([(e as Error).message], true);
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (values.version) {
      print(io, `tagflow ${TAGFLOW_VERSION}\n`);
      return 0;
    }
    if (values.help || command === "help") {
      print(io, helpText());
      return 0;
    }
    const runOnly = (["fix", "no-fix", "personality", "json", "pcap", "keys", "quiet", "compare", "compare-with"] as const).filter(
      (k) => values[k] !== undefined,
    );
    switch (command) {
      case "list":
        if (rest.length > 0 || runOnly.length > 0) {
          throw new UsageError([`list takes no arguments (got ${[...rest, ...runOnly.map((k) => `--${k}`)].join(" ")})`], true);
        }
        print(io, listText());
        return 0;
      case "run":
        return run(rest, values, io);
      case undefined:
        throw new UsageError(["missing command: list, run, convert or help"], true);
      default:
        throw new UsageError([`unknown command '${command}': expected list, run, convert or help`], true);
    }
  } catch (e) {
    if (e instanceof StdoutError) {
      io.stderr.write(`tagflow: cannot write to stdout: ${STDOUT_REASON[e.code ?? ""] ?? e.message}\n`);
      return 3;
    }
    if (!(e instanceof UsageError)) throw e;
    // Paths, ids and validation messages echo the user's input: escaped, so one line stays one line.
    const lines = e.lines.map((raw) => escapeTerminal(raw)).map((line) => (line.startsWith(" ") ? line : `tagflow: ${line}`));
    if (e.hint) lines.push(USAGE_HINT);
    io.stderr.write(`${lines.join("\n")}\n`);
    return 2;
  }
}
