/**
 * The CLI's contact with the outside world, made safe for hostile input (issue 16): text echoed to
 * a terminal is escaped, scenario input is read with a byte cap whatever kind of file it is, and
 * output files are written all or nothing.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants, statSync, type Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * C0 controls (ESC, BEL, CR, LF…), DEL, C1 controls (a lone 0x9b is CSI on some terminals), the
 * line/paragraph separators and the bidi overrides/isolates/marks (U+202E "Trojan Source").
 * Any of these in a title or note could move the cursor, set the window title (OSC), reorder
 * what the reader sees, or start a new line that fakes `outcome: secure`.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every terminal-unsafe character shown as a visible escape (`\x1b`, `\u202e`). */
export function escapeTerminal(s: string): string {
  if (!UNSAFE.test(s)) {
    UNSAFE.lastIndex = 0;
    return s;
  }
  UNSAFE.lastIndex = 0;
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Why reading scenario input failed, as words for "cannot read scenario file X: <why>". */
export class InputError extends Error {}

/** How long a pipe or FIFO may stay silent before the read gives up (a FIFO nobody writes to). */
export const INPUT_TIMEOUT_MS = 10_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "is a directory";
  if (st.isCharacterDevice()) return "is a character device, not a file";
  if (st.isBlockDevice()) return "is a block device, not a file";
  if (st.isSocket()) return "is a socket, not a file";
  return "is not a regular file";
}

/**
 * Read at most `maxBytes` from `path` ("-" is stdin: a file, pipe or socket). Regular files are sized up front; pipes and
 * FIFOs are read in chunks up to the cap (a flood is refused once it passes the cap, not read
 * whole) and opened non-blocking, so a FIFO with no writer ends instead of hanging; devices,
 * sockets and directories are refused without a read (/dev/zero never ends).
 */
export function readBounded(path: string, maxBytes: number, timeoutMs = INPUT_TIMEOUT_MS): Buffer {
  let fd: number;
  let own = true;
  if (path === "-") {
    fd = 0;
    own = false;
  } else {
    // Stat first: opening a FIFO for reading blocks until a writer comes, unless non-blocking.
    const st = statSync(path);
    if (!st.isFile() && !st.isFIFO()) throw new InputError(kindOf(st));
    fd = openSync(path, constants.O_RDONLY | (st.isFIFO() ? constants.O_NONBLOCK : 0));
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile()) {
      if (st.size > maxBytes) throw new InputError(`${st.size} bytes is too large for a scenario (the limit is ${maxBytes})`);
    } else if (!st.isFIFO() && !(path === "-" && st.isSocket())) {
      // stdin may be a socket (Node's child_process pipes are socketpairs): a stream like a pipe.
      throw new InputError(kindOf(st));
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let quietSince = Date.now();
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        if (Date.now() - quietSince > timeoutMs) throw new InputError(`no input after ${timeoutMs / 1000} s`);
        sleep(10);
        continue;
      }
      if (n === 0) break;
      quietSince = Date.now();
      total += n;
      if (total > maxBytes) throw new InputError(`more than ${maxBytes} bytes is too large for a scenario (stopped reading)`);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (own) closeSync(fd);
  }
}

/** Anything that takes bytes: a file descriptor, wrapped. */
export type Chunk = string | Uint8Array;

/** writeSync of every byte, retrying a full non-blocking pipe rather than dropping output. */
export function writeAll(fd: number, chunk: Chunk): void {
  let buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
  while (buf.length > 0) {
    let n: number;
    try {
      n = writeSync(fd, buf);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
        sleep(5);
        continue;
      }
      throw e;
    }
    buf = buf.subarray(n);
  }
}

/** Batches small writes into ~1 MiB, so a million-line narration is not a million syscalls. */
export class BufferedSink {
  private parts: Chunk[] = [];
  private size = 0;
  constructor(private readonly flushTo: (chunk: Chunk) => void) {}
  write(chunk: Chunk): void {
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    if (parts.every((p) => typeof p === "string")) this.flushTo(parts.join(""));
    else for (const p of parts) this.flushTo(p);
  }
}

/** One output file being written: to a temp file beside it, renamed into place on commit. */
export interface PendingOutput {
  write(chunk: Chunk): void;
  /** Close the temp file (the output is not visible yet). */
  close(): void;
  commit(): void;
  abort(): void;
}

/**
 * Write `target` atomically: a temp file in the same directory (so rename is atomic, same file
 * system) renamed over the target on commit. A target that exists and is not a regular file
 * (/dev/full, /dev/null, a FIFO) is written in place: renaming over a device would replace it.
 */
export function openOutput(target: string): PendingOutput {
  let existing: Stats | undefined;
  try {
    existing = statSync(target);
  } catch {
    existing = undefined;
  }
  // In place for a device or FIFO; otherwise a temp file in the same directory, renamed on commit.
  const inPlace = existing !== undefined && !existing.isFile();
  const temp = inPlace ? target : join(dirname(target), `.${basename(target)}.tagflow-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  const fd = inPlace ? openSync(target, "w") : openSync(temp, "wx", existing ? existing.mode & 0o777 : 0o666);
  let open = true;
  const sink = new BufferedSink((c) => writeAll(fd, c));
  const closeOnce = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    write: (c) => sink.write(c),
    close: () => {
      sink.flush();
      closeOnce();
    },
    commit: () => {
      if (!inPlace) renameSync(temp, target);
    },
    abort: () => {
      try {
        closeOnce();
      } catch {
        // Already failing: the temp file is removed below either way.
      }
      open = false;
      if (inPlace) return;
      try {
        unlinkSync(temp);
      } catch {
        // Gone already (or never made): nothing is left behind.
      }
    },
  };
}
