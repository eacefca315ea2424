/**
 * Loading a lesson from untrusted input (a link, a `.lesson.json` file): size and depth limits,
 * version migration, then structure and meaning, every problem reported with its JSON path in the
 * style of engine/scenario/validate.ts (`$.stops[2].question.answer: …`). Nothing is shown until
 * there are none. Never throws.
 */
import {
  FIX_IDS,
  INPUT_LIMITS,
  isFixId,
  isPersonalityId,
  nestingDepth,
  PERSONALITY_IDS,
  type FixId,
  type PersonalityId,
  type Problem,
} from "../engine/index";
import { BUILTINS, builtinInfo } from "../store/builtinCatalog";
import { STEP_KEY } from "../share/codec";
import { migrateLesson } from "./migrate";
import { LESSON_LIMITS, LESSON_VERSION, type Lesson, type Question, type Stop, type StopState } from "./schema";

export type LessonLoad = { ok: true; lesson: Lesson; migratedFrom?: number } | { ok: false; problems: Problem[] };

const UNKNOWN_KEY = "unknown key (not part of the lesson format)";
/** Problems reported at most (a hostile lesson can have thousands). */
const MAX_PROBLEMS = 20;

/** Parse JSON text with the scenario input caps (INPUT_LIMITS), then `loadLesson`. */
export function loadLessonJson(text: string): LessonLoad {
  try {
    if (typeof text !== "string") return { ok: false, problems: [{ path: "$", message: "is not text" }] };
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > INPUT_LIMITS.jsonBytes)
      return { ok: false, problems: [{ path: "$", message: `lesson is ${text.length} characters long; the limit is ${INPUT_LIMITS.jsonBytes}` }] };
    const depth = nestingDepth(text);
    if (depth > INPUT_LIMITS.depth)
      return { ok: false, problems: [{ path: "$", message: `JSON nests ${depth} levels deep; the limit is ${INPUT_LIMITS.depth}` }] };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { ok: false, problems: [{ path: "$", message: `not valid JSON: ${(e as Error).message}` }] };
    }
    return loadLesson(value);
  } catch (error) {
    return { ok: false, problems: [{ path: "$", message: `could not be read: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

/** Validate an already-parsed value: migrate, then check every part. */
export function loadLesson(value: unknown): LessonLoad {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, problems: [{ path: "$", message: `is ${describe(value)}, not a lesson object` }] };
  const migrated = migrateLesson(value as Record<string, unknown>);
  if (!migrated.ok) return migrated;
  const problems: Problem[] = [];
  const lesson = checkLesson(migrated.value, problems);
  if (problems.length > 0 || !lesson) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
  return migrated.from === undefined ? { ok: true, lesson } : { ok: true, lesson, migratedFrom: migrated.from };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a JSON array";
  if (typeof v === "string") return `a string ${quote(v)}`;
  return `a JSON ${typeof v}`;
}

/** A short, printable quote of untrusted text for a message. */
function quote(text: string, max = 40): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Report keys outside `allowed` (including __proto__ and friends: JSON.parse makes them own keys). */
function onlyKeys(o: Obj, allowed: readonly string[], at: string, out: Problem[]): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) out.push({ path: `${at}${/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`, message: UNKNOWN_KEY });
}

function text(o: Obj, key: string, at: string, max: number, out: Problem[], required = true): string | undefined {
  const v = o[key];
  const path = `${at}.${key}`;
  if (v === undefined) {
    if (required) out.push({ path, message: "required, but missing (expected text)" });
    return undefined;
  }
  if (typeof v !== "string") {
    out.push({ path, message: `expected text, got ${describe(v)}` });
    return undefined;
  }
  if (required && v.trim() === "") out.push({ path, message: "is empty" });
  if (v.length > max) out.push({ path, message: `is ${v.length} characters long; the limit is ${max}` });
  return v;
}

function personality(v: unknown, path: string, out: Problem[]): PersonalityId | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string" && isPersonalityId(v)) return v;
  out.push({
    path,
    message: `${typeof v === "string" ? quote(v) : describe(v)} is not a kernel personality (there are: ${PERSONALITY_IDS.join(", ")})`,
  });
  return undefined;
}

function fixes(v: unknown, path: string, out: Problem[]): FixId[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    out.push({ path, message: `expected a list of fix ids, got ${describe(v)}` });
    return undefined;
  }
  if (v.length > FIX_IDS.length) {
    out.push({ path, message: `lists ${v.length} fixes; there are only ${FIX_IDS.length}` });
    return undefined;
  }
  const ids: FixId[] = [];
  v.forEach((id, i) => {
    if (typeof id !== "string" || !isFixId(id))
      out.push({
        path: `${path}[${i}]`,
        message: `${typeof id === "string" ? quote(id) : describe(id)} is not a fix (there are: ${FIX_IDS.join(", ")})`,
      });
    else if (ids.includes(id)) out.push({ path: `${path}[${i}]`, message: `${quote(id)} is listed twice` });
    else ids.push(id);
  });
  // Canonical order (FIX_IDS), as links and the store keep them.
  return FIX_IDS.filter((id) => ids.includes(id));
}

function checkLesson(o: Obj, out: Problem[]): Lesson | null {
  onlyKeys(o, ["version", "title", "summary", "scenario", "personality", "fixes", "stops"], "$", out);
  const title = text(o, "title", "$", LESSON_LIMITS.title, out);
  const summary = text(o, "summary", "$", LESSON_LIMITS.summary, out, false);
  const scenario = o.scenario;
  if (scenario === undefined) out.push({ path: "$.scenario", message: "required, but missing (a built-in scenario name or a scenario object)" });
  else if (typeof scenario === "string") {
    if (!builtinInfo(scenario))
      out.push({
        path: "$.scenario",
        message: `there is no built-in scenario called ${quote(scenario)} (there are: ${BUILTINS.map((b) => b.name).join(", ")})`,
      });
  } else if (!isObj(scenario))
    out.push({ path: "$.scenario", message: `expected a built-in scenario name or a scenario object, got ${describe(scenario)}` });
  // A scenario object is checked by the engine when it runs (loadScenario), with its own paths.
  const p = personality(o.personality, "$.personality", out);
  const f = fixes(o.fixes, "$.fixes", out);
  const stops: Stop[] = [];
  if (!Array.isArray(o.stops))
    out.push({
      path: "$.stops",
      message: o.stops === undefined ? "required, but missing (a list of stops)" : `expected a list of stops, got ${describe(o.stops)}`,
    });
  else if (o.stops.length === 0) out.push({ path: "$.stops", message: "a lesson has at least one stop" });
  else if (o.stops.length > LESSON_LIMITS.stops)
    out.push({ path: "$.stops", message: `has ${o.stops.length} stops; the limit is ${LESSON_LIMITS.stops}` });
  else
    o.stops.forEach((s, i) => {
      const stop = checkStop(s, `$.stops[${i}]`, out);
      if (stop) stops.push(stop);
    });
  if (out.length > 0 || title === undefined) return null;
  return {
    version: LESSON_VERSION,
    title,
    ...(summary !== undefined && summary !== "" ? { summary } : {}),
    scenario: scenario as Lesson["scenario"],
    ...(p ? { personality: p } : {}),
    ...(f ? { fixes: f } : {}),
    stops,
  };
}

function checkStop(s: unknown, at: string, out: Problem[]): Stop | null {
  if (!isObj(s)) {
    out.push({ path: at, message: `expected a stop object, got ${describe(s)}` });
    return null;
  }
  onlyKeys(s, ["key", "text", "state", "question"], at, out);
  const before = out.length;
  let key: string | undefined;
  if (typeof s.key !== "string")
    out.push({
      path: `${at}.key`,
      message: s.key === undefined ? "required, but missing (a step key)" : `expected a step key, got ${describe(s.key)}`,
    });
  else if (!STEP_KEY.test(s.key))
    out.push({ path: `${at}.key`, message: `${quote(s.key)} is not a step key (e.g. "1/host ip ip_output decision ipsec-loop/2")` });
  else key = s.key;
  const t = text(s, "text", at, LESSON_LIMITS.text, out);
  let state: StopState | undefined;
  if (s.state !== undefined) {
    if (!isObj(s.state)) out.push({ path: `${at}.state`, message: `expected an object with personality and/or fixes, got ${describe(s.state)}` });
    else {
      onlyKeys(s.state, ["personality", "fixes"], `${at}.state`, out);
      const p = personality(s.state.personality, `${at}.state.personality`, out);
      const f = fixes(s.state.fixes, `${at}.state.fixes`, out);
      state = { ...(p ? { personality: p } : {}), ...(f ? { fixes: f } : {}) };
    }
  }
  const question = s.question === undefined ? undefined : checkQuestion(s.question, `${at}.question`, out);
  if (out.length > before || key === undefined || t === undefined) return null;
  return { key, text: t, ...(state ? { state } : {}), ...(question ? { question } : {}) };
}

function checkQuestion(q: unknown, at: string, out: Problem[]): Question | undefined {
  if (!isObj(q)) {
    out.push({ path: at, message: `expected a question object, got ${describe(q)}` });
    return undefined;
  }
  if (q.kind !== "choice" && q.kind !== "predict") {
    out.push({
      path: `${at}.kind`,
      message: `${q.kind === undefined ? "required, but missing" : typeof q.kind === "string" ? quote(q.kind) : describe(q.kind)}: a question is "choice" or "predict"`,
    });
    return undefined;
  }
  const prompt = text(q, "prompt", at, LESSON_LIMITS.prompt, out);
  const why = text(q, "why", at, LESSON_LIMITS.why, out);
  if (q.kind === "predict") {
    onlyKeys(q, ["kind", "prompt", "why"], at, out);
    return prompt !== undefined && why !== undefined ? { kind: "predict", prompt, why } : undefined;
  }
  onlyKeys(q, ["kind", "prompt", "choices", "answer", "why"], at, out);
  const choices: string[] = [];
  if (!Array.isArray(q.choices))
    out.push({
      path: `${at}.choices`,
      message: q.choices === undefined ? "required, but missing (a list of answers)" : `expected a list of answers, got ${describe(q.choices)}`,
    });
  else if (q.choices.length < 2 || q.choices.length > LESSON_LIMITS.choices)
    out.push({ path: `${at}.choices`, message: `has ${q.choices.length} answers; a question has 2–${LESSON_LIMITS.choices}` });
  else
    q.choices.forEach((c, i) => {
      if (typeof c !== "string") out.push({ path: `${at}.choices[${i}]`, message: `expected text, got ${describe(c)}` });
      else if (c.trim() === "") out.push({ path: `${at}.choices[${i}]`, message: "is empty" });
      else if (c.length > LESSON_LIMITS.choice)
        out.push({ path: `${at}.choices[${i}]`, message: `is ${c.length} characters long; the limit is ${LESSON_LIMITS.choice}` });
      else choices.push(c);
    });
  const answer = q.answer;
  if (typeof answer !== "number" || !Number.isInteger(answer))
    out.push({
      path: `${at}.answer`,
      message:
        answer === undefined
          ? "required, but missing (the 0-based index of the right answer)"
          : `expected the 0-based index of the right answer, got ${describe(answer)}`,
    });
  else if (Array.isArray(q.choices) && (answer < 0 || answer >= q.choices.length))
    out.push({ path: `${at}.answer`, message: `${answer} is not one of the answers (0–${q.choices.length - 1})` });
  if (
    prompt === undefined ||
    why === undefined ||
    typeof answer !== "number" ||
    choices.length !== (Array.isArray(q.choices) ? q.choices.length : -1)
  )
    return undefined;
  return { kind: "choice", prompt, choices, answer, why };
}
