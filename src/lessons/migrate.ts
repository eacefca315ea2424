/**
 * Lesson migrations, tldraw-style as for scenarios and links: LESSON_MIGRATIONS[n] turns a
 * version-n lesson into version n + 1. Version 1 is the first format, so the table is empty; a new
 * entry is added whenever LESSON_VERSION is bumped.
 */
import type { Problem } from "../engine/index";
import { LESSON_VERSION } from "./schema";

export type LessonMigration = (lesson: Record<string, unknown>) => Record<string, unknown>;

export const LESSON_MIGRATIONS: Readonly<Record<number, LessonMigration>> = {};

/** Bring `value` (a plain object with a numeric `version`) up to LESSON_VERSION, or say why not. */
export function migrateLesson(
  value: Record<string, unknown>,
  migrations: Readonly<Record<number, LessonMigration>> = LESSON_MIGRATIONS,
  to: number = LESSON_VERSION,
): { ok: true; value: Record<string, unknown>; from?: number } | { ok: false; problems: Problem[] } {
  const version = value.version;
  if (version === undefined) return { ok: false, problems: [{ path: "$.version", message: `required, but missing (this tagflow writes ${to})` }] };
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1)
    return { ok: false, problems: [{ path: "$.version", message: `${JSON.stringify(version)} is not a lesson format version (1–${to})` }] };
  if (version > to)
    return {
      ok: false,
      problems: [{ path: "$.version", message: `this lesson was made by a newer tagflow (lesson format ${version}; this one reads up to ${to})` }],
    };
  let current = value;
  for (let v = version; v < to; v++) {
    const step = migrations[v];
    if (!step) return { ok: false, problems: [{ path: "$.version", message: `this tagflow cannot read lessons of format version ${v}` }] };
    current = step(current);
  }
  return version === to ? { ok: true, value: current } : { ok: true, value: current, from: version };
}
