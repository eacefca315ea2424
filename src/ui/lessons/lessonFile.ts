/** A lesson as a `.lesson.json` file: saved from the browser, opened (checked first) from a file. */
import type { Problem } from "../../engine/index";
import type { Lesson } from "../../lessons/schema";

/** The most bytes read from a lesson file (the scenario file cap). */
export const MAX_LESSON_FILE = 1024 * 1024;

/** "the-2003-lo0-bug.lesson.json" */
export function lessonFileName(lesson: Lesson): string {
  const base = lesson.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
  return `${base || "lesson"}.lesson.json`;
}

/** Download `lesson` as a file (the exporters load on first use, as the Export menu's do). */
export async function saveLessonFile(lesson: Lesson): Promise<void> {
  const { download } = await import("../exports/exportActions");
  download(new Blob([`${JSON.stringify(lesson, null, 2)}\n`], { type: "application/json" }), lessonFileName(lesson));
}

/** Read and check a lesson file: the lesson, or every problem with its JSON path. */
export async function readLessonFile(file: File): Promise<{ ok: true; lesson: Lesson } | { ok: false; problems: Problem[] }> {
  if (file.size > MAX_LESSON_FILE)
    return { ok: false, problems: [{ path: "$", message: `the file is ${file.size} bytes; a lesson file is at most ${MAX_LESSON_FILE}` }] };
  // The validator loads with the first file (it is not part of the first load).
  const { loadLessonJson } = await import("../../lessons/validate");
  const loaded = loadLessonJson(await file.text());
  return loaded.ok ? { ok: true, lesson: loaded.lesson } : loaded;
}
