/**
 * Scenario migrations, in the manner of tldraw's record versions: each step upgrades version
 * n to n + 1, so a scenario (or share link) written by any earlier tagflow still loads.
 * Version 1 is the first; the table gains an entry whenever SCENARIO_VERSION is bumped.
 */
import type { Problem } from "./schema";
import { SCENARIO_VERSION } from "./schema";

type Migration = (old: Record<string, unknown>) => Record<string, unknown>;

/** MIGRATIONS[n] upgrades a version-n scenario to version n + 1. */
const MIGRATIONS: Readonly<Record<number, Migration>> = {};

export type MigrateResult = { ok: true; value: unknown; from?: number } | { ok: false; problems: Problem[] };

export function migrate(value: unknown): MigrateResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ path: "$", message: "a scenario is a JSON object" }] };
  }
  const obj = value as Record<string, unknown>;
  const version = obj.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    return {
      ok: false,
      problems: [{ path: "$.version", message: `missing or invalid version (this tagflow reads versions 1–${SCENARIO_VERSION})` }],
    };
  }
  if (version > SCENARIO_VERSION) {
    return {
      ok: false,
      problems: [{ path: "$.version", message: `version ${version} was written by a newer tagflow; this one reads up to ${SCENARIO_VERSION}` }],
    };
  }
  let current = obj;
  for (let v = version; v < SCENARIO_VERSION; v++) {
    const step = MIGRATIONS[v];
    if (!step) return { ok: false, problems: [{ path: "$.version", message: `no migration from version ${v}` }] };
    current = { ...step(current), version: v + 1 };
  }
  return version === SCENARIO_VERSION ? { ok: true, value: current } : { ok: true, value: current, from: version };
}
