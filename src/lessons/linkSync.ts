/**
 * Between the address bar and the lesson on screen (share/urlSync.ts calls these two): a link
 * with `l=` opens its lesson in class mode at its stop; while a lesson is open, the address bar's
 * link carries it and the current stop, so a reload or a copied link shows the same stop.
 */
import type { StoreApi } from "zustand/vanilla";
import type { TagflowState } from "../store/types";
import { SHARE_LIMITS, splitFragment } from "../share/codec";
import { loadedLinkModule, loadLinkModule } from "./linkModule";
import { openLesson } from "./session";
import type { Lesson } from "./schema";
import { lessonStore } from "./store";

export const BAD_LESSON_TITLE = "This lesson link could not be opened";

function hasLessonPart(fragment: string): boolean {
  try {
    return splitFragment(fragment).parts.l !== undefined;
  } catch {
    return true;
  }
}

const valid = new WeakMap<Lesson, boolean>();

/**
 * The `l=…&st=…` parts for the open lesson, or null when none is open — or while one being
 * written is not a valid lesson yet (no stops, an empty title): a reload must not meet a bad link.
 * Also null in the moment before the link module has loaded (openLesson loads it first, so only a
 * lesson being written from scratch can meet that, and it has no stops yet).
 */
export function currentLessonParts(): string | null {
  const { lesson, stop } = lessonStore.getState();
  if (!lesson) return null;
  const links = loadedLinkModule();
  if (!links) return null;
  let ok = valid.get(lesson);
  if (ok === undefined) valid.set(lesson, (ok = links.loadLesson(lesson).ok));
  return ok ? links.lessonParts(lesson, stop) : null;
}

/**
 * Open the lesson `fragment` carries. null: it carries none. "bad": it could not be read — the
 * problems are reported and nothing else changes (the lesson and run on screen stay). "failed":
 * its scenario could not be run (the engine reported why). "ok": the lesson is on screen.
 */
export async function openLessonLink(store: StoreApi<TagflowState>, fragment: string): Promise<null | "bad" | "failed" | "ok"> {
  // Most links carry no lesson: look for the `l` part (as readLessonLink does) before loading the
  // lesson codec. An over-long fragment goes on to readLessonLink, which reports it.
  if (fragment.length <= SHARE_LIMITS.fragment && !hasLessonPart(fragment)) return null;
  const link = (await loadLinkModule()).readLessonLink(fragment);
  if (link === null) return null;
  if (!link.ok) {
    store.getState().reportProblems(BAD_LESSON_TITLE, link.problems);
    return "bad";
  }
  const outcome = await openLesson(store, link.lesson, link.stop, "class");
  if (outcome === "failed") {
    lessonStore.getState().close();
    return "failed";
  }
  return "ok";
}
