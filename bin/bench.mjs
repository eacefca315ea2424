#!/usr/bin/env node
// `npm run bench`: registers tsx so Node can load the TypeScript sources, then runs bench/main.ts
// (see docs/bench.md). Exit status: 0 when the bench ran (1 with --strict when a budget fails),
// 2 for a bad option, 1 when the bench itself failed.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });

try {
  const { main, parseArgs } = await import("../bench/main.ts");
  try {
    parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
