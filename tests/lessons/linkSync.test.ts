/**
 * Lesson links in the app (share/urlSync.ts + lessons/linkSync.ts) on the real engine: a link
 * opens its lesson in class mode at its stop; the address bar keeps the lesson as the cursor
 * moves; a hostile lesson link is reported and leaves the run and the lesson on screen as they were.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { logicalIndex } from "../../src/engine/index";
import { builtinLesson } from "../../src/lessons/builtins";
import { lessonFragment, lessonParts } from "../../src/lessons/link";
import { BAD_LESSON_TITLE as TITLE, openLessonLink } from "../../src/lessons/linkSync";
import { closeLesson, goToStop, nextStop, revealAnswer } from "../../src/lessons/session";
import { lessonStore } from "../../src/lessons/store";
import { BAD_LINK_TITLE, startUrlSync } from "../../src/share/urlSync";
import { engineStore, fakeWindow, settle } from "../share/support";

const lo0 = builtinLesson("lo0-2003")!;

afterEach(() => lessonStore.getState().close());

describe("lesson links", () => {
  it("open the lesson in class mode at stop 1, on the stop's step", async () => {
    const { store } = engineStore();
    const win = fakeWindow(`#${lessonFragment(lo0)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    const s = store.getState();
    expect(lessonStore.getState()).toMatchObject({ mode: "class", stop: 0 });
    expect(lessonStore.getState().lesson?.title).toBe(lo0.title);
    expect(logicalIndex(s.trace!).keys[s.cursor]).toBe(lo0.stops[0]!.key);
    sync.stop();
  });

  it("open a later stop with its fixes, and the address bar keeps lesson and stop", async () => {
    const { store } = engineStore();
    const fixAt = lo0.stops.findIndex((x) => x.state?.fixes);
    const win = fakeWindow(`#v=1&${lessonParts(lo0, fixAt)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    expect(store.getState().fixes).toEqual(["icmp-reflect-strips-tags"]);
    expect(store.getState().trace!.events.at(store.getState().cursor)!.kind).toBe("tag.deleteNonpersistent");
    store.getState().stepForward();
    win.advance(1000);
    expect(win.env.location.hash).toContain(`&l=`);
    expect(win.env.location.hash).toContain(`&st=${fixAt + 1}`);
    sync.stop();
  });

  it("report a hostile lesson and change nothing on screen", async () => {
    const { store } = engineStore();
    const win = fakeWindow(`#${lessonFragment(lo0)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    await goToStop(store, 3, { playThrough: false });
    const before = {
      trace: store.getState().trace,
      cursor: store.getState().cursor,
      lesson: lessonStore.getState().lesson,
      stop: lessonStore.getState().stop,
    };
    store.getState().dismissProblems();
    win.typeHash(`#v=1&l=${"A".repeat(20)}`);
    await settle();
    expect(store.getState().problemsTitle).toBe(TITLE);
    expect(store.getState().problems?.[0]?.path).toBe("#l");
    for (const bad of ["#v=1&l=%%%", "#v=1&l=AAAA", `#v=1&l=${"_".repeat(70000)}`, `#v=1&${lessonParts(lo0, 0)}&st=0`]) {
      win.typeHash(bad);
      await settle();
      const s = store.getState();
      // Broken percent-encoding or an over-long fragment is a bad link before it is a bad lesson.
      expect([BAD_LINK_TITLE, TITLE]).toContain(s.problemsTitle);
      expect(s.problems?.[0]?.message.length).toBeGreaterThan(0);
      expect(s.trace).toBe(before.trace);
      expect(s.cursor).toBe(before.cursor);
      expect(lessonStore.getState().lesson).toBe(before.lesson);
      expect(lessonStore.getState().stop).toBe(before.stop);
    }
    sync.stop();
  });
});

describe("hostile lesson links, fuzzed, in the app", () => {
  it("never throw, report a message, and leave the run, the step and the lesson as they were", async () => {
    const { store } = engineStore();
    const win = fakeWindow(`#${lessonFragment(lo0)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    await goToStop(store, 4, { playThrough: false });
    const before = {
      trace: store.getState().trace,
      cursor: store.getState().cursor,
      lesson: lessonStore.getState().lesson,
      stop: lessonStore.getState().stop,
    };
    const valid = lessonParts(lo0, 2);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }).map((x) => `#v=1&l=${x}`),
          fc
            .tuple(fc.nat(valid.length - 1), fc.nat(40), fc.string({ minLength: 1, maxLength: 6 }))
            .map(([at, cut, x]) => `#v=1&${valid.slice(0, at)}${x}${valid.slice(at + cut)}`),
        ),
        async (fragment) => {
          store.getState().dismissProblems();
          const r = await openLessonLink(store, fragment);
          if (r === "ok") {
            // A mangled link can still be a valid lesson: put the one under test back.
            await goToStop(store, 0, { playThrough: false });
            lessonStore.getState().open(before.lesson!, before.stop, "class");
            await goToStop(store, before.stop, { playThrough: false });
            return;
          }
          if (r === null) return;
          expect(r).toBe("bad");
          expect(store.getState().problemsTitle).toBe(TITLE);
          expect(store.getState().problems?.[0]?.message.length).toBeGreaterThan(0);
          expect(store.getState().trace).toBe(before.trace);
          expect(store.getState().cursor).toBe(before.cursor);
          expect(lessonStore.getState().lesson).toBe(before.lesson);
          expect(lessonStore.getState().stop).toBe(before.stop);
        },
      ),
      { numRuns: 300 },
    );
    sync.stop();
  });
});

describe("the address bar while a lesson is written", () => {
  it("carries the lesson only while it is a valid one", async () => {
    const { store } = engineStore();
    const win = fakeWindow(`#${lessonFragment(lo0)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    lessonStore.getState().setMode("author");
    lessonStore.getState().edit((l) => ({ ...l, title: "" }));
    store.getState().stepForward();
    win.advance(1000);
    expect(win.env.location.hash).not.toContain("l=");
    lessonStore.getState().edit((l) => ({ ...l, title: "Mine" }));
    store.getState().stepForward();
    win.advance(1000);
    expect(win.env.location.hash).toContain("&l=");
    sync.stop();
  });
});

describe("class-mode navigation", () => {
  it("plays the steps between two stops through, and → finishes a play-through", async () => {
    const { store } = engineStore();
    const win = fakeWindow(`#${lessonFragment(lo0)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    lessonStore.getState().setSpeed(30);
    const keys = logicalIndex(store.getState().trace!).keys;
    await goToStop(store, 1);
    const target = keys.indexOf(lo0.stops[1]!.key);
    expect(store.getState().cursor).toBeLessThan(target);
    await new Promise((r) => setTimeout(r, 120));
    const mid = store.getState().cursor;
    expect(mid).toBeGreaterThan(keys.indexOf(lo0.stops[0]!.key));
    nextStop(store); // finishes the play-through
    expect(store.getState().cursor).toBe(target);
    expect(lessonStore.getState().stop).toBe(1);
    closeLesson(store);
    sync.stop();
  });

  it("reveals a question, then its answer; predict steps to the next step", async () => {
    const { store } = engineStore();
    const win = fakeWindow(`#${lessonFragment(lo0)}`);
    const sync = startUrlSync(store, win.env);
    await sync.ready;
    const q = lo0.stops.findIndex((x) => x.question?.kind === "choice");
    await goToStop(store, q, { playThrough: false });
    revealAnswer(store);
    expect(lessonStore.getState()).toMatchObject({ revealed: true, answered: false });
    lessonStore.getState().choose(0);
    expect(lessonStore.getState()).toMatchObject({ chosen: 0, answered: true });
    const p = lo0.stops.findIndex((x) => x.question?.kind === "predict");
    await goToStop(store, p, { playThrough: false });
    const at = store.getState().cursor;
    revealAnswer(store);
    revealAnswer(store);
    expect(lessonStore.getState().answered).toBe(true);
    expect(store.getState().cursor).toBe(at + 1);
    sync.stop();
  });
});
