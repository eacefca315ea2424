/**
 * The real command in child processes, for what only a process shows: the exit status bin/
 * sets, descriptors the shell gives it (a closed stdout, /dev/full, a pipe closed early), stdin
 * floods and FIFOs. Everything else runs in-process (tagflow.ts). All runs start at once.
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, lastLine, tagflowProcess, type CliResult } from "./tagflow";

const dir = mkdtempSync(join(tmpdir(), "tagflow-proc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shell line, for redirections; `$T` in it is replaced by the tagflow command. Resolves with its exit status and stderr. */
function sh(line: string, cwd = dir): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", line.replaceAll("$T", '"$NODE" "$BIN"')], {
      cwd,
      env: { ...process.env, NODE: process.execPath, BIN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${line}: did not finish in 60 s`));
    }, 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

let results: Record<string, { code: number | null; stderr: string; stdout: string }>;
let ping: CliResult;
let flood: CliResult;

beforeAll(async () => {
  execFileSync("mkfifo", [join(dir, "fifo")]);
  const cases = {
    // A status that is not 0 is the shell's `$?` of tagflow, echoed last (the pipe hides it otherwise).
    closedStdout: sh("$T run lo0-ping >&-"),
    fullStdout: sh("$T run lo0-ping >/dev/full"),
    epipe: sh(`$T run lo0-ping --json - | head -c 10 >/dev/null; exit 0`),
    fifo: sh("$T run fifo"),
    fullPcap: sh("$T run lo0-esp-ping --json p.json --pcap /dev/full"),
    devZero: sh("$T run /dev/zero"),
  };
  const entries = await Promise.all(Object.entries(cases).map(async ([k, p]) => [k, await p] as const));
  results = Object.fromEntries(entries);
  [ping, flood] = await Promise.all([
    tagflowProcess(["run", "lo0-ping"]),
    tagflowProcess(["run", "-"], {
      stdin: "pipe",
      feed: (stdin) => {
        // `yes | tagflow run -`: far more than the cap, and never ending on its own.
        const line = Buffer.alloc(64 * 1024, "y\n");
        const more = () => {
          while (stdin.write(line));
        };
        stdin.on("drain", more);
        stdin.on("error", () => undefined);
        more();
      },
    }),
  ]);
}, 120_000);

describe("the real process", () => {
  it("a completed run exits 0 and ends with the outcome", () => {
    expect(ping.code).toBe(0);
    expect(ping.stderr).toBe("");
    expect(lastLine(ping.stdout)).toBe("outcome: secure");
  });

  it("a closed stdout is one line and exit 3", () => {
    expect(results.closedStdout).toMatchObject({ code: 3, stderr: "tagflow: cannot write to stdout: stdout is closed (EBADF)\n" });
  });

  it("stdout on /dev/full is one line and exit 3", () => {
    expect(results.fullStdout).toMatchObject({ code: 3, stderr: "tagflow: cannot write to stdout: no space left on the device (ENOSPC)\n" });
  });

  it("a reader that closes the pipe early gives no stack trace", () => {
    expect(results.epipe!.stderr).toMatch(/^(tagflow: cannot write to stdout: the reader closed the pipe \(EPIPE\)\n)?$/);
  });

  it("a FIFO with no writer does not hang: exit 2, named as empty", () => {
    expect(results.fifo).toMatchObject({ code: 2, stderr: expect.stringMatching(/^tagflow: cannot read scenario file fifo: it is empty/) });
  });

  it("a stdin flood stops at the cap: exit 2, one line", () => {
    expect(flood.code).toBe(2);
    expect(flood.stderr, flood.stderr).toMatch(
      /^tagflow: cannot read scenario file -: more than \d+ bytes is too large for a scenario \(stopped reading\)\n$/,
    );
  });

  it("/dev/zero is refused: exit 2, one line", () => {
    expect(results.devZero).toMatchObject({ code: 2, stderr: "tagflow: cannot read scenario file /dev/zero: is a character device, not a file\n" });
  });

  it("--json p.json --pcap /dev/full leaves nothing behind", () => {
    expect(results.fullPcap!.code).toBe(2);
    expect(results.fullPcap!.stderr.split("\n")).toHaveLength(2);
    expect(readdirSync(dir).filter((f) => f !== "fifo")).toEqual([]);
  });
});
