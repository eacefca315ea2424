/**
 * `tagflow convert TRACE.json --to trace|trace-v1 [--out FILE]` (docs/cli.md, "The trace as JSON"):
 * a trace file from `tagflow run --json` or the app's Export, in either format, rewritten in format
 * 2 (`trace`, packet versions as deltas) or format 1 (`trace-v1`, every version whole).
 *
 * Trace files are far larger than scenarios (a 10,000-echo format-1 trace is 657 MB), so the file
 * is read a line at a time with no byte cap — it is never run, only re-encoded — and the output is
 * written as it goes, all or nothing. A file that is not in the layout tagflow writes (re-indented
 * by a tool) is read whole instead, up to MAX_WHOLE_BYTES.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { convertTraceLines, traceFromJson, traceToJsonChunks, type TraceJsonFormat } from "../export";
import { BufferedSink, InputError, escapeTerminal, openOutput } from "./io";
import type { CliIo } from "./main";

/** The `--to` values that write a trace, and the format each writes. */
export const TRACE_TARGETS: Readonly<Record<string, TraceJsonFormat>> = { trace: 2, "trace-v1": 1 };

/** A file in another layout is parsed whole only up to this size (V8's string cap is near 512 MiB). */
const MAX_WHOLE_BYTES = 256 * 1024 * 1024;

/** The lines of `path` ("-": stdin), read in 1 MiB pieces; devices, sockets and directories are refused. */
function* readLines(path: string): Generator<string> {
  let fd = 0;
  if (path !== "-") {
    const st = statSync(path);
    if (!st.isFile() && !st.isFIFO()) throw new InputError(st.isDirectory() ? "is a directory" : "is not a regular file");
    fd = openSync(path, "r");
  }
  try {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const buf = Buffer.alloc(1 << 20);
    let rest = "";
    let first = true;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      let text = n === 0 ? decoder.decode() : decoder.decode(buf.subarray(0, n), { stream: true });
      if (first && text.length > 0) {
        text = text.replace(/^\uFEFF/, "");
        first = false;
      }
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      yield* lines;
      if (n === 0) break;
    }
    if (rest !== "") yield rest;
  } finally {
    if (path !== "-") closeSync(fd);
  }
}

/** The size of a regular file, or undefined (stdin, a FIFO). */
function regularSize(path: string): number | undefined {
  try {
    const st = path === "-" ? fstatSync(0) : statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Convert trace `file` to format `to` (the `--to` word is `target`), writing `out` (else stdout).
 * Returns the exit status; problems are one `tagflow: convert: …` line each on stderr.
 */
export function convertTrace(file: string, target: string, out: string | undefined, io: CliIo): number {
  const to = TRACE_TARGETS[target];
  const fail = (line: string, status = 2) => {
    io.stderr.write(`tagflow: ${escapeTerminal(`convert: ${line}`)}\n`);
    return status;
  };
  if (to === undefined) return fail(`--to '${target}': expected ${Object.keys(TRACE_TARGETS).join(" or ")}`);
  const path = file === "-" ? "-" : resolve(io.cwd, file);
  const toFile = out !== undefined && out !== "-";
  const pending = toFile ? openOutput(resolve(io.cwd, out)) : undefined;
  const sink = new BufferedSink((c) => (pending ? pending.write(c) : io.stdout.write(c)));
  const attempt = (chunks: () => Iterable<string>): void => {
    for (const c of chunks()) sink.write(c);
    sink.flush();
  };
  try {
    try {
      attempt(() => convertTraceLines(readLines(path), to));
    } catch (e) {
      // Another layout (a pretty-printer rewrote it): read it whole, if it is small enough.
      const size = regularSize(path);
      if (e instanceof InputError || (e as NodeJS.ErrnoException).code !== undefined || !toFile || size === undefined || size > MAX_WHOLE_BYTES)
        throw e;
      pending?.abort();
      return convertWhole(file, path, to, out, io);
    }
    pending?.close();
    pending?.commit();
  } catch (e) {
    pending?.abort();
    const code = (e as NodeJS.ErrnoException).code;
    if (!toFile && (code === "EPIPE" || code === "ENOSPC" || code === "EBADF")) return fail(`cannot write to stdout: ${code}`, 3);
    const why =
      e instanceof InputError ? e.message : code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message;
    return fail(`cannot convert ${file}: ${why}; nothing was written`);
  }
  if (toFile) io.stderr.write(`tagflow: wrote ${escapeTerminal(out)} (trace format ${to})\n`);
  return 0;
}

/** The fallback for a file in another layout: parse it whole, write it in format `to`. */
function convertWhole(file: string, path: string, to: TraceJsonFormat, out: string, io: CliIo): number {
  const pending = openOutput(resolve(io.cwd, out));
  try {
    const text = [...readLines(path)].join("\n");
    const sink = new BufferedSink((c) => pending.write(c));
    for (const c of traceToJsonChunks(traceFromJson(text), to)) sink.write(c);
    sink.flush();
    pending.close();
    pending.commit();
  } catch (e) {
    pending.abort();
    io.stderr.write(`tagflow: ${escapeTerminal(`convert: cannot convert ${file}: ${(e as Error).message}; nothing was written`)}\n`);
    return 2;
  }
  io.stderr.write(`tagflow: wrote ${escapeTerminal(out)} (trace format ${to})\n`);
  return 0;
}
