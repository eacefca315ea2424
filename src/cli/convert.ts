/**
 * `tagflow convert FILE --from setkey|ip-xfrm|scenario --to scenario|setkey|ip-xfrm [--out FILE]`
 * (docs/cli.md, "convert"; issue 18): a setkey(8) file or an ip xfrm script becomes a scenario
 * (hosts, link and ping inferred, src/convert/infer.ts), and a scenario's SAs and policies become
 * either syntax. The input is read with the CLI's byte cap, the output written all or nothing,
 * and bad input is one line per problem — FILE:LINE:COL: what was expected — and exit 2.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { INPUT_LIMITS, PERSONALITY_IDS, builtinByName, isPersonalityId, loadScenarioJson, loadScenario, type Scenario } from "../engine";
import { CONFIG_SYNTAXES, configToScenario, diagLines, emitConfig, guessSyntax, scenarioName, type ConfigSyntax } from "../convert";
import { TRACE_TARGETS, convertTrace } from "./convertTrace";
import { InputError, escapeTerminal, openOutput, readBounded } from "./io";
import type { CliIo } from "./main";

const FORMATS = ["scenario", ...CONFIG_SYNTAXES] as const;
type Format = (typeof FORMATS)[number];

const OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  out: { type: "string", short: "o" },
  personality: { type: "string" },
  host: { type: "string" },
  "no-traffic": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `tagflow convert --help`. */
export const CONVERT_HELP = [
  "Usage: tagflow convert FILE [--from setkey|ip-xfrm|scenario] [--to scenario|setkey|ip-xfrm] [--out FILE]",
  "",
  "  FILE                 a setkey file, an ip xfrm script (or what 'ip xfrm state/policy' print),",
  "                       a scenario .json, a built-in's name, or - for stdin",
  "  --from FORMAT        what FILE is (guessed from its text when left out)",
  "  --to FORMAT          what to write (scenario when reading a setkey or ip xfrm file)",
  "  -o, --out FILE       write there, all or nothing (else stdout)",
  "  --personality ID     the kernel to run as (default: netbsd-2003 for setkey, linux-xfrm for ip xfrm)",
  "  --ping SRC DST       the ping to send (default: one echo across the first outbound policy)",
  "  --no-traffic         send nothing",
  "  --host NAME          with --to setkey|ip-xfrm: whose SAs and policies (default: the first host with any)",
  "",
  "  tagflow convert TRACE.json --to trace|trace-v1 [--out FILE]",
  "                       a trace from 'tagflow run --json' (either format) in format 2 (packet versions",
  "                       as deltas) or format 1 (every version whole); read a line at a time, any size",
  "",
  "Hosts, addresses, links and the ping are inferred (the file does not say them) and labelled so.",
  "Errors are FILE:LINE:COL lines and exit 2; whatever cannot be modelled is a warning naming it.",
  "",
].join("\n");

/** Bad input: one line each, exit 2. */
class ConvertError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
  }
}

const isFormat = (s: string | undefined): s is Format => s !== undefined && (FORMATS as readonly string[]).includes(s);

/** `--ping SRC DST` takes two words, which parseArgs cannot express: taken out of argv first. */
function takePing(argv: readonly string[]): { rest: string[]; ping?: { src: string; dst: string } } {
  const i = argv.indexOf("--ping");
  if (i < 0) return { rest: [...argv] };
  const [src, dst] = [argv[i + 1], argv[i + 2]];
  if (src === undefined || dst === undefined || src.startsWith("--") || dst.startsWith("--"))
    throw new ConvertError(["convert: --ping takes two addresses: --ping SRC DST"]);
  if (argv.indexOf("--ping", i + 1) >= 0) throw new ConvertError(["convert: --ping given twice"]);
  return { rest: [...argv.slice(0, i), ...argv.slice(i + 3)], ping: { src, dst } };
}

/** The input's text: a file, stdin ("-"), or — for --from scenario — a built-in's name. */
function readInput(file: string, from: Format | undefined, cwd: string): { text?: string; builtin?: Scenario } {
  if ((from === "scenario" || from === undefined) && builtinByName(file) && !/[./]/.test(file)) {
    const loaded = loadScenario(builtinByName(file));
    if (loaded.ok) return { builtin: loaded.scenario };
  }
  try {
    const bytes = readBounded(file === "-" ? "-" : resolve(cwd, file), INPUT_LIMITS.jsonBytes);
    return { text: bytes.toString("utf8").replace(/^\uFEFF/, "") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      e instanceof InputError ? e.message : code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new ConvertError([`convert: cannot read ${file}: ${why}`]);
  }
}

/** Run `tagflow convert …` (argv after "convert"); resolves to the exit status. */
export function convert(argv: readonly string[], io: CliIo): number {
  const warn = (line: string) => io.stderr.write(`tagflow: warning: ${escapeTerminal(line)}\n`);
  try {
    const { rest, ping } = takePing(argv);
    let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
    try {
      parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw new ConvertError([`convert: ${(e as Error).message}`]);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(CONVERT_HELP);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (file === undefined)
      throw new ConvertError([
        "convert: missing FILE: tagflow convert FILE --from setkey|ip-xfrm|scenario --to scenario|setkey|ip-xfrm [--out FILE]",
      ]);
    if (extra.length > 0)
      throw new ConvertError([`convert: unexpected argument${extra.length > 1 ? "s" : ""} ${extra.map((a) => `'${a}'`).join(" ")}`]);
    // A trace file is re-encoded, not read as a scenario: no byte cap, a line at a time (convertTrace.ts).
    if (values.to !== undefined && values.to in TRACE_TARGETS) {
      const other = (["from", "personality", "host", "no-traffic"] as const).filter((k) => values[k] !== undefined);
      if (other.length > 0 || ping)
        throw new ConvertError([
          `convert: --to ${values.to} takes only --out (got ${[...other.map((k) => `--${k}`), ...(ping ? ["--ping"] : [])].join(" ")})`,
        ]);
      return convertTrace(file, values.to, values.out, io);
    }
    const problems: string[] = [];
    if (values.from !== undefined && !isFormat(values.from)) problems.push(`convert: --from '${values.from}': expected ${FORMATS.join(", ")}`);
    if (values.to !== undefined && !isFormat(values.to))
      problems.push(`convert: --to '${values.to}': expected ${[...FORMATS, ...Object.keys(TRACE_TARGETS)].join(", ")}`);
    if (values.personality !== undefined && !isPersonalityId(values.personality))
      problems.push(`convert: unknown personality '${values.personality}' (expected ${PERSONALITY_IDS.join(", ")})`);
    if (problems.length > 0) throw new ConvertError(problems);
    const input = readInput(file, values.from as Format | undefined, io.cwd);
    const from: Format | undefined =
      (values.from as Format | undefined) ??
      (input.builtin || /\.json$/i.test(file) || /^\s*\{/.test(input.text ?? "") ? "scenario" : guessSyntax(file, input.text ?? ""));
    if (from === undefined) throw new ConvertError([`convert: cannot tell what ${file} is: give --from setkey, ip-xfrm or scenario`]);
    const to: Format | undefined = (values.to as Format | undefined) ?? (from === "scenario" ? undefined : "scenario");
    if (to === undefined) throw new ConvertError(["convert: --to is needed for a scenario: --to setkey or --to ip-xfrm"]);
    if (from !== "scenario" && values.host !== undefined)
      throw new ConvertError(["convert: --host picks the host to write from a scenario; it does not apply to --from " + from]);
    if (from === "scenario" && (ping || values["no-traffic"]))
      throw new ConvertError(["convert: --ping and --no-traffic apply when reading a setkey or ip-xfrm file"]);

    // 1. The input as a scenario.
    let scenario: Scenario;
    if (from === "scenario") {
      if (input.builtin) scenario = input.builtin;
      else {
        const loaded = loadScenarioJson(input.text ?? "");
        if (!loaded.ok) throw new ConvertError(loaded.problems.map((p) => `${file}: ${p.path}: ${p.message}`));
        scenario = loaded.scenario;
      }
      if (values.personality !== undefined) {
        const again = loadScenario({ ...scenario, personality: values.personality as Scenario["personality"] });
        if (!again.ok) throw new ConvertError(again.problems.map((p) => `${file}: ${p.path}: ${p.message}`));
        scenario = again.scenario;
      }
    } else {
      const result = configToScenario(input.text ?? "", from as ConfigSyntax, {
        name: scenarioName(file === "-" ? "converted" : file.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "")),
        source: file === "-" ? "stdin" : file.replace(/^.*[\\/]/, ""),
        ...(values.personality !== undefined ? { personality: values.personality } : {}),
        ...(ping ? { ping } : {}),
        ...(values["no-traffic"] ? { noTraffic: true } : {}),
      });
      for (const line of diagLines(file, result.warnings, "warnings")) warn(line);
      if (!result.ok)
        throw new ConvertError([
          ...diagLines(file, result.errors, "errors"),
          `convert: ${file} was not converted (${result.errors.length} error${result.errors.length === 1 ? "" : "s"})`,
        ]);
      scenario = result.scenario;
    }

    // 2. The scenario in the output format.
    let text: string;
    if (to === "scenario") text = `${JSON.stringify(scenario, null, 2)}\n`;
    else {
      const emitted = emitConfig(scenario, to, values.host !== undefined ? { host: values.host } : {});
      if (!emitted.ok) throw new ConvertError(emitted.errors.map((e) => `convert: ${e}`));
      for (const w of emitted.warnings) warn(w);
      text = emitted.text;
    }

    // 3. Written all or nothing.
    if (values.out !== undefined && values.out !== "-") {
      const target = resolve(io.cwd, values.out);
      let out: ReturnType<typeof openOutput> | undefined;
      try {
        out = openOutput(target);
        out.write(text);
        out.close();
        out.commit();
      } catch (e) {
        out?.abort();
        const code = (e as NodeJS.ErrnoException).code;
        throw new ConvertError([`convert: cannot write ${values.out}: ${code ?? (e as Error).message}; nothing was written`]);
      }
      io.stderr.write(`tagflow: wrote ${escapeTerminal(values.out)} (${to})\n`);
      return 0;
    }
    try {
      io.stdout.write(text);
    } catch (e) {
      io.stderr.write(`tagflow: cannot write to stdout: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 3;
    }
    return 0;
  } catch (e) {
    if (!(e instanceof ConvertError)) throw e;
    io.stderr.write(e.lines.map((l) => `tagflow: ${escapeTerminal(l)}\n`).join(""));
    return 2;
  }
}
