#!/usr/bin/env node
// The `tagflow` command: registers tsx so Node can load the TypeScript sources, then hands the
// arguments to src/cli/main.ts. Exit status: 0 completed run, 2 bad input, 1 internal error.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });

// `tagflow run … | head` closes the pipe early: stop quietly instead of reporting EPIPE.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  const { main } = await import("../src/cli/main.ts");
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`tagflow: internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
