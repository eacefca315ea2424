#!/usr/bin/env node
// The `tagflow` command: registers tsx so Node can load the TypeScript sources, then hands the
// arguments to src/cli/main.ts. Exit status (docs/cli.md): 0 completed run, 2 bad input,
// 3 stdout failed (EPIPE, ENOSPC, EBADF), 1 internal error — always with one line on stderr, never
// a stack trace (TAGFLOW_DEBUG=1 adds it, for a bug report).
import { fstatSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

// A closed stdout (`tagflow run x >&-`) would let the next file opened take descriptor 1, and the
// narration would land in an output file: refuse before opening anything.
// Node itself reopens a closed descriptor 0-2 as /dev/null read-write before any script runs,
// so a closed stdout looks like /dev/null opened O_RDWR (a shell's `>/dev/null` is O_WRONLY);
// Linux shows the open flags in /proc/self/fdinfo. Elsewhere only a true EBADF is caught.
function stdoutClosed() {
  let st;
  try {
    st = fstatSync(1);
  } catch {
    return true;
  }
  try {
    if (!st.isCharacterDevice() || st.rdev !== statSync("/dev/null").rdev) return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync("/proc/self/fdinfo/1", "utf8"));
    return flags !== null && (parseInt(flags[1], 8) & 3) === 2;
  } catch {
    return false;
  }
}
if (stdoutClosed()) {
  process.stderr.write("tagflow: cannot write to stdout: stdout is closed (EBADF)\n");
  process.exit(3);
}

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });

try {
  const { main, processIo } = await import("../src/cli/main.ts");
  process.exitCode = await main(process.argv.slice(2), processIo());
} catch (err) {
  const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
  const stack = process.env.TAGFLOW_DEBUG && err instanceof Error ? `\n${err.stack}` : "";
  process.stderr.write(`tagflow: internal error (please report it): ${message}${stack}\n`);
  process.exitCode = 1;
}
