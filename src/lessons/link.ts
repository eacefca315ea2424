/**
 * A lesson in a share link: `#v=1&l=<base64url(deflate(lesson JSON))>&st=3`. `l` is bounded
 * exactly as a shared scenario (`z`, share/codec.ts) is — the fragment's length and part count,
 * strict base64url, the streaming inflate capped at SHARE_LIMITS.scenarioBytes (a zip bomb costs
 * one chunk beyond it), the JSON nesting depth — and then validated (validate.ts). `st` is the
 * stop, 1-based as the card shows it. Pure: no DOM, no store; never throws.
 */
import { deflateSync } from "fflate";
import type { Problem } from "../engine/index";
import { fromBase64Url, inflateCapped, SHARE_LIMITS, SHARE_VERSION, splitFragment, toBase64Url } from "../share/codec";
import type { Lesson } from "./schema";
import { loadLessonJson } from "./validate";

export type LessonLink =
  | { readonly ok: true; readonly lesson: Lesson; readonly stop: number }
  | { readonly ok: false; readonly message: string; readonly problems: readonly Problem[] };

let lastJson = "";
let lastL = "";

/** base64url(deflate(JSON of `lesson`)), remembered for the last lesson (the stop moves more often). */
export function compressLesson(lesson: Lesson): string {
  const json = JSON.stringify(lesson);
  if (json !== lastJson) {
    lastL = toBase64Url(deflateSync(new TextEncoder().encode(json), { level: 9 }));
    lastJson = json;
  }
  return lastL;
}

/** The link parts of a lesson at `stop` (0-based): "l=…" and, past the first stop, "&st=n". */
export function lessonParts(lesson: Lesson, stop: number): string {
  return `l=${compressLesson(lesson)}${stop > 0 ? `&st=${stop + 1}` : ""}`;
}

/** The fragment (without "#") that opens `lesson` in class mode at its first stop. */
export function lessonFragment(lesson: Lesson): string {
  return `v=${SHARE_VERSION}&${lessonParts(lesson, 0)}`;
}

function fail(problems: Problem[]): LessonLink {
  const first = problems[0]!;
  return { ok: false, message: `${first.path}: ${first.message}`, problems };
}

/**
 * The lesson a fragment carries: null when it carries none (no `l`), else the lesson and stop or
 * every problem, each naming its part (`#l`, `#l.stops[2].key`, `#st`).
 */
export function readLessonLink(fragment: string): LessonLink | null {
  try {
    if (typeof fragment !== "string") return null;
    if (fragment.length > SHARE_LIMITS.fragment)
      return fail([{ path: "#", message: `the link is ${fragment.length} characters long; tagflow reads links of up to ${SHARE_LIMITS.fragment}` }]);
    const split = splitFragment(fragment);
    if (split.parts.l === undefined) return null;
    if (split.problems.length > 0) return fail(split.problems);
    const unpacked = decompressLesson(split.parts.l);
    if (!unpacked.ok) return fail([unpacked.problem]);
    const loaded = loadLessonJson(unpacked.json);
    if (!loaded.ok) return fail(loaded.problems.map((p) => ({ path: `#l${p.path.slice(1)}`, message: p.message })));
    const lesson = loaded.lesson;
    let stop = 0;
    const st = split.parts.st;
    if (st !== undefined) {
      const n = /^\d{1,4}$/.test(st) ? Number(st) : NaN;
      if (!(n >= 1 && n <= lesson.stops.length))
        return fail([{ path: "#st", message: `${JSON.stringify(st.slice(0, 12))} is not a stop of this lesson (1–${lesson.stops.length})` }]);
      stop = n - 1;
    }
    return { ok: true, lesson, stop };
  } catch (error) {
    return fail([{ path: "#l", message: `could not be read: ${error instanceof Error ? error.message : String(error)}` }]);
  }
}

/** Unpack `l`: the lesson's JSON text, or the one problem that stopped it (the caps of `z`). */
export function decompressLesson(l: string): { ok: true; json: string } | { ok: false; problem: Problem } {
  const bad = (message: string) => ({ ok: false as const, problem: { path: "#l", message } });
  const bytes = fromBase64Url(l);
  if (!bytes.ok) return bad(bytes.message);
  const inflated = inflateCapped(bytes.bytes, SHARE_LIMITS.scenarioBytes);
  if (!inflated.ok) return bad(inflated.message.replace("a shared scenario", "a shared lesson"));
  try {
    return { ok: true, json: new TextDecoder("utf-8", { fatal: true }).decode(inflated.bytes) };
  } catch {
    return bad("does not unpack to UTF-8 text");
  }
}
