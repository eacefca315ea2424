/**
 * Run `tagflow`: in-process through `main(argv, io)` (tagflow), which is what nearly every test
 * uses — a fresh Node + tsx per case was half the unit suite's time — or as the real command
 * (node bin/tagflow.mjs) in a child process (tagflowProcess), for the few tests that are about
 * the process itself: exit status, descriptors, signals, pipes.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main";

export const BIN = fileURLToPath(new URL("../../bin/tagflow.mjs", import.meta.url));

export interface CliResult {
  args: readonly string[];
  /** Exit status, or null if killed by a signal. */
  code: number | null;
  stdout: string;
  /** stdout as bytes, for binary output (--pcap -). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface TagflowOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** `tagflow …args` in this process, with stdout and stderr captured; colour off, as in a pipe. */
export async function tagflow(args: readonly string[], options: TagflowOptions = {}): Promise<CliResult> {
  const out: Buffer[] = [];
  let err = "";
  const code = await main(args, {
    stdout: { write: (chunk: string | Uint8Array) => out.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk)) },
    stderr: { write: (chunk: string) => (err += chunk) },
    colour: false,
    cwd: options.cwd ?? process.cwd(),
  });
  const stdoutBytes = Buffer.concat(out);
  return { args, code, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: err };
}

export interface ProcessOptions extends TagflowOptions {
  /** What the child reads on stdin (default: nothing, /dev/null). */
  stdin?: "ignore" | "pipe";
  /** Called with the child's stdin once it has started, to feed it. */
  feed?: (stdin: NodeJS.WritableStream) => void;
}

/** `node bin/tagflow.mjs …args`; resolves when the process exits (rejects after 60 s). */
export function tagflowProcess(args: readonly string[], options: ProcessOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env },
      stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    });
    if (options.feed && child.stdin) options.feed(child.stdin);
    // stdout and stderr are always "pipe" above; the type cannot see it, since stdin varies.
    if (!child.stdout || !child.stderr) throw new Error("spawn gave no stdout/stderr pipe");
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tagflow ${args.join(" ")} did not finish in 60 s`));
    }, 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ args, code, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/** The narration's step lines: `  64      +12µs host ip     ip_output   decision   ip_output's …`. */
export const STEP_LINE = /^ *(\d+) +\+(\d+)µs (\S+) +(\S+) +(\S+) +(\S+) +(.*)$/;

export interface StepRow {
  step: number;
  t: number;
  host: string;
  layer: string;
  fn: string;
  kind: string;
  note: string;
}

/** Parse the step lines of a narration (headers, Stone lines and findings are skipped). */
export function stepRows(stdout: string): StepRow[] {
  return stdout.split("\n").flatMap((line) => {
    const m = STEP_LINE.exec(line);
    if (!m) return [];
    const [, step, t, host, layer, fn, kind, note] = m;
    return [{ step: Number(step), t: Number(t), host: host!, layer: layer!, fn: fn!, kind: kind!, note: note! }];
  });
}

/** The last non-empty line of the output. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}
