/**
 * The lesson format: validation with JSON paths, migrations, the rich-text parser (never HTML),
 * the lesson link (`l=`, `st=`) and its round trip, and hostile lesson links (fast-check): the
 * reader never throws, answers with a lesson or a clear message naming the part, and opening one
 * in the app leaves the store and the lesson on screen as they were.
 */
import fc from "fast-check";
import { deflateSync } from "fflate";
import { describe, expect, it } from "vitest";
import { SHARE_LIMITS, toBase64Url } from "../../src/share/codec";
import { BUILTIN_LESSONS, builtinLesson } from "../../src/lessons/builtins";
import { lessonFragment, lessonParts, readLessonLink } from "../../src/lessons/link";
import { migrateLesson } from "../../src/lessons/migrate";
import { parseRichText, plainText } from "../../src/lessons/richText";
import { LESSON_LIMITS, type Lesson } from "../../src/lessons/schema";
import { stateAtStop } from "../../src/lessons/stops";
import { loadLesson, loadLessonJson } from "../../src/lessons/validate";

const z = (text: string) => toBase64Url(deflateSync(new TextEncoder().encode(text)));
const lo0 = builtinLesson("lo0-2003")!;
const paths = (v: unknown) => {
  const r = loadLesson(v);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe("loadLesson", () => {
  it("accepts a small lesson and fills nothing it was not given", () => {
    const r = loadLesson({ version: 1, title: "t", scenario: "lo0-esp-ping", stops: [{ key: "1/host app ping app.send /0", text: "hi" }] });
    expect(r.ok && r.lesson).toEqual({
      version: 1,
      title: "t",
      scenario: "lo0-esp-ping",
      stops: [{ key: "1/host app ping app.send /0", text: "hi" }],
    });
  });

  it("names every problem by its JSON path", () => {
    const problems = paths({
      version: 1,
      title: "",
      scenario: "no-such",
      personality: "windows-95",
      fixes: ["icmp-reflect-strips-tags", "bogus", "icmp-reflect-strips-tags"],
      extra: 1,
      stops: [
        { key: "not a key", text: 3 },
        { key: "1/host app ping app.send /0", text: "ok", question: { kind: "choice", prompt: "?", choices: ["a"], answer: 4, why: "w" } },
        { key: "1/host app ping app.send /0", text: "ok", question: { kind: "essay" } },
        { key: "1/host app ping app.send /0", text: "ok", state: { fixes: "all", colour: "red" } },
      ],
    });
    expect(problems).toEqual([
      "$.extra: unknown key (not part of the lesson format)",
      "$.title: is empty",
      expect.stringMatching(/^\$\.scenario: there is no built-in scenario called "no-such" \(there are: lo0-esp-ping, lo0-ping, /),
      expect.stringMatching(/^\$\.personality: "windows-95" is not a kernel personality/),
      expect.stringMatching(/^\$\.fixes\[1\]: "bogus" is not a fix/),
      '$.fixes[2]: "icmp-reflect-strips-tags" is listed twice',
      '$.stops[0].key: "not a key" is not a step key (e.g. "1/host ip ip_output decision ipsec-loop/2")',
      "$.stops[0].text: expected text, got a JSON number",
      "$.stops[1].question.choices: has 1 answers; a question has 2–6",
      "$.stops[1].question.answer: 4 is not one of the answers (0–0)",
      '$.stops[2].question.kind: "essay": a question is "choice" or "predict"',
      "$.stops[3].state.colour: unknown key (not part of the lesson format)",
      '$.stops[3].state.fixes: expected a list of fix ids, got a string "all"',
    ]);
  });

  it("reports prototype keys, which JSON.parse makes own keys", () => {
    const r = loadLessonJson(
      '{"version":1,"title":"t","scenario":"lo0-ping","stops":[{"key":"1/host app ping app.send /0","text":"x","__proto__":{"a":1}}]}',
    );
    expect(r.ok ? [] : r.problems).toEqual([{ path: "$.stops[0].__proto__", message: "unknown key (not part of the lesson format)" }]);
  });

  it("bounds text, stops and nesting", () => {
    const stop = { key: "1/host app ping app.send /0", text: "x".repeat(LESSON_LIMITS.text + 1) };
    expect(paths({ version: 1, title: "t", scenario: "lo0-ping", stops: [stop] })).toEqual([
      `$.stops[0].text: is ${LESSON_LIMITS.text + 1} characters long; the limit is ${LESSON_LIMITS.text}`,
    ]);
    expect(paths({ version: 1, title: "t", scenario: "lo0-ping", stops: Array(LESSON_LIMITS.stops + 1).fill({ key: stop.key, text: "x" }) })).toEqual(
      [`$.stops: has ${LESSON_LIMITS.stops + 1} stops; the limit is ${LESSON_LIMITS.stops}`],
    );
    expect(paths({ version: 1, title: "t", scenario: "lo0-ping", stops: [] })).toEqual(["$.stops: a lesson has at least one stop"]);
    const deep = loadLessonJson(`${"[".repeat(40)}${"]".repeat(40)}`);
    expect(deep.ok ? "" : deep.problems[0]!.message).toBe("JSON nests 40 levels deep; the limit is 32");
  });

  it("reads older versions through the migrations and refuses newer ones", () => {
    expect(paths({ ...lo0, version: 2 })).toEqual(["$.version: this lesson was made by a newer tagflow (lesson format 2; this one reads up to 1)"]);
    expect(paths({ ...lo0, version: "1" })).toEqual(['$.version: "1" is not a lesson format version (1–1)']);
    const m = migrateLesson({ version: 1, t: "old" }, { 1: (v) => ({ ...v, version: 2, title: v.t }) }, 2);
    expect(m).toEqual({ ok: true, value: { version: 2, t: "old", title: "old" }, from: 1 });
    expect(migrateLesson({ version: 1 }, {}, 2)).toEqual({
      ok: false,
      problems: [{ path: "$.version", message: "this tagflow cannot read lessons of format version 1" }],
    });
  });
});

describe("parseRichText", () => {
  it("finds emphasis, strong and code spans, and nothing inside code", () => {
    expect(parseRichText("a *b* **c** `d *e*` f")).toEqual([
      [
        { kind: "text", text: "a " },
        { kind: "em", text: "b" },
        { kind: "text", text: " " },
        { kind: "strong", text: "c" },
        { kind: "text", text: " " },
        { kind: "code", text: "d *e*" },
        { kind: "text", text: " f" },
      ],
    ]);
  });

  it("keeps markup as text: there is no HTML", () => {
    expect(parseRichText('<img src=x onerror="alert(1)"> *unclosed')).toEqual([[{ kind: "text", text: '<img src=x onerror="alert(1)"> *unclosed' }]]);
  });

  it("splits paragraphs on blank lines", () => {
    expect(parseRichText("one\nline\n\n two").map((p) => p.map((s) => s.text).join(""))).toEqual(["one line", "two"]);
    expect(plainText("**Stone step 1.** `ping`")).toBe("Stone step 1. ping");
  });
});

describe("the lesson link", () => {
  it("round-trips every built-in lesson at every stop", () => {
    for (const { lesson } of BUILTIN_LESSONS) {
      for (const stop of [0, lesson.stops.length - 1]) {
        const r = readLessonLink(`#v=1&${lessonParts(lesson, stop)}`);
        expect(r).toEqual({ ok: true, lesson: JSON.parse(JSON.stringify(lesson)) as Lesson, stop });
      }
    }
    expect(lessonFragment(lo0)).toMatch(/^v=1&l=[A-Za-z0-9_-]+$/);
    expect(readLessonLink("#v=1&s=lo0-esp-ping")).toBeNull();
  });

  it("says what is wrong, naming the part", () => {
    const msg = (f: string) => {
      const r = readLessonLink(f);
      return r && !r.ok ? r.message : "";
    };
    expect(msg("#l=abc$")).toMatch(/^#l: is not valid base64url/);
    expect(msg(`#l=${z("[1]")}`)).toBe("#l: is a JSON array, not a lesson object");
    expect(msg(`#l=${z('{"version":1}')}`)).toBe("#l.title: required, but missing (expected text)");
    expect(msg(`#l=${z(JSON.stringify(lo0)).slice(0, 40)}`)).toMatch(/^#l: (ends too early|is not valid compressed data)/);
    expect(msg(`#l=${z(JSON.stringify(lo0))}&st=99`)).toBe(`#st: "99" is not a stop of this lesson (1–${lo0.stops.length})`);
    expect(msg(`#l=${z(JSON.stringify({ ...lo0, version: 7 }))}`)).toMatch(/^#l\.version: this lesson was made by a newer tagflow/);
    // A zip bomb: well-formed DEFLATE that unpacks far past the cap stops at the cap.
    const bomb = toBase64Url(deflateSync(new Uint8Array(8 * 1024 * 1024).fill(32)));
    expect(msg(`#l=${bomb}`)).toBe(
      `#l: unpacks to more than ${SHARE_LIMITS.scenarioBytes} bytes; a shared lesson is at most ${SHARE_LIMITS.scenarioBytes / 1024} KiB`,
    );
    expect(msg(`#l=${"A".repeat(SHARE_LIMITS.fragment)}`)).toMatch(/^#: the link is \d+ characters long; tagflow reads links of up to 65536/);
  });

  it("never throws on hostile links, and answers with a lesson or a message", () => {
    const valid = lessonParts(lo0, 2);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }).map((s) => `#l=${s}`),
          fc
            .tuple(fc.nat(valid.length), fc.nat(valid.length), fc.string({ maxLength: 8 }))
            .map(([a, b, s]) => `#v=1&${valid.slice(0, a)}${s}${valid.slice(b)}`),
          fc.jsonValue({ maxDepth: 6 }).map((v) => `#l=${z(JSON.stringify(v))}`),
          fc.record({ key: fc.string(), text: fc.string(), question: fc.anything() }).map((s) => `#l=${z(JSON.stringify({ ...lo0, stops: [s] }))}`),
        ),
        (fragment) => {
          const r = readLessonLink(fragment);
          if (r === null) return;
          if (r.ok) {
            expect(r.lesson.stops.length).toBeGreaterThan(0);
            expect(r.stop).toBeGreaterThanOrEqual(0);
            expect(r.stop).toBeLessThan(r.lesson.stops.length);
          } else {
            expect(r.message).toMatch(/^#/);
            expect(r.problems.length).toBeGreaterThan(0);
            expect(r.problems.length).toBeLessThanOrEqual(20);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe("stateAtStop", () => {
  it("carries each stop's state forward, as walking the stops does", () => {
    expect(stateAtStop(lo0, 0)).toEqual({ personality: null, fixes: [] });
    const fixAt = lo0.stops.findIndex((s) => s.state?.fixes);
    expect(stateAtStop(lo0, fixAt - 1).fixes).toEqual([]);
    expect(stateAtStop(lo0, fixAt).fixes).toEqual(["icmp-reflect-strips-tags"]);
    expect(stateAtStop(lo0, lo0.stops.length - 1).fixes).toEqual(["icmp-reflect-strips-tags"]);
  });
});
