/**
 * Lessons in Chromium (issue 19): a teacher writes a three-stop lesson with a question on the
 * seed story, copies its link, and a fresh page opens it in class mode at stop 1; answering and
 * advancing work from the keyboard; a hostile lesson link gets a clear message and the page keeps
 * working; the 2003 lesson is reachable from the start screen; the print handout fits A4 and Letter.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { logicalIndex } from "../../src/engine/index";
import { builtinLesson } from "../../src/lessons/builtins";
import { expectNoConsoleErrors } from "../support/browser";
import { openReady, replyLoopCheck, settledScreenshot, stepText, traceOf, useChromium } from "./support";

const CLIPBOARD = ["clipboard-read", "clipboard-write"] as const;
const bug = traceOf("lo0-esp-ping");
const keys = logicalIndex(bug).keys;
const LOOP = replyLoopCheck(bug);
const fixed = traceOf("lo0-esp-ping", ["icmp-reflect-strips-tags"]);

/** Press → in the app (not a lesson) until the cursor is on `target` (0-based). */
async function stepTo(page: Page, target: number): Promise<void> {
  await page.keyboard.press("Home");
  for (let i = 0; i < target; i++) await page.keyboard.press("ArrowRight");
  await expect.poll(() => stepText(page)).toBe(`Step ${target + 1} of ${bug.events.length}`);
}

const stopText = (page: Page) => page.getByTestId("lesson-stop").textContent();

async function openLessons(page: Page): Promise<void> {
  const menu = page.getByTestId("header-menu");
  if (await menu.isVisible()) await menu.click();
  await page.getByTestId("lessons").click();
}

describe("lessons", () => {
  const chromium = useChromium();

  it("a teacher builds a three-stop lesson with a question; its link opens in class mode at stop 1 and runs from the keyboard", async () => {
    const teacher = await openReady(chromium.browser, chromium.env, { permissions: [...CLIPBOARD] });
    let link: string;
    try {
      const { page } = teacher;
      await openLessons(page);
      await page.getByTestId("lesson-new").click();
      await page.getByTestId("author").waitFor();
      await page.getByTestId("author-title").fill("Three stops on lo0");
      // Stop 1 at step 1, stop 2 at step 10, stop 3 at the reply's loop check, with a question.
      await page.locator("body").click({ position: { x: 5, y: 400 } });
      await stepTo(page, 0);
      await page.getByTestId("author-add").click();
      await page.getByTestId("author-text").fill("ping sends an *echo request*.");
      await page.locator("body").click({ position: { x: 5, y: 400 } });
      await stepTo(page, 9);
      await page.getByTestId("author-add").click();
      await page.getByTestId("author-text").fill("The first loop check: no `OUT_DONE` yet.");
      await page.locator("body").click({ position: { x: 5, y: 400 } });
      await stepTo(page, LOOP);
      await page.getByTestId("author-add").click();
      await page.getByTestId("author-text").fill("The reply's loop check.");
      await page.getByTestId("author-question-kind").selectOption("choice");
      await page.getByTestId("author-prompt").fill("Will the reply be encrypted?");
      await page.getByTestId("author-choices").fill("Yes\nNo, the stale OUT_DONE skips ESP");
      await page.getByTestId("author-answer").selectOption("1");
      await page.getByTestId("author-why").fill("The stale tag names the same SA.");
      expect(await page.locator(".author-stops li").count()).toBe(3);
      await expect.poll(() => page.getByTestId("author-problems").count()).toBe(0);
      await settledScreenshot(page, "lessons-01-author");
      await page.getByTestId("author-copy").click();
      link = await page.getByTestId("lesson-link").inputValue();
      expect(link).toMatch(/#v=1&l=[A-Za-z0-9_-]+$/);
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
      expectNoConsoleErrors(teacher);
    } finally {
      await teacher.close();
    }

    const klass = await openReady(chromium.browser, chromium.env, { path: new URL(link).hash, viewport: { width: 1280, height: 720 } });
    try {
      const { page } = klass;
      await page.getByTestId("lesson-card").waitFor();
      expect(await stopText(page)).toBe("Stop 1 of 3");
      expect(await stepText(page)).toBe(`Step 1 of ${bug.events.length}`);
      expect(await page.getByTestId("lesson-text").innerHTML()).toContain("<em>echo request</em>");
      // Class mode in Present mode: → plays through to stop 2; a second → finishes the play-through.
      await page.keyboard.press("p");
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => stopText(page)).toBe("Stop 2 of 3");
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => stepText(page)).toBe(`Step 10 of ${bug.events.length}`);
      expect(await page.getByTestId("lesson-text").innerHTML()).toContain("<code>OUT_DONE</code>");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => stopText(page)).toBe("Stop 3 of 3");
      await expect.poll(() => stepText(page)).toBe(`Step ${LOOP + 1} of ${bug.events.length}`);
      // The question is hidden until Q, answered with 2, and the answer says why.
      expect(await page.getByTestId("lesson-question").count()).toBe(0);
      await page.keyboard.press("q");
      await page.getByTestId("lesson-question").waitFor();
      await page.keyboard.press("2");
      await page.getByTestId("lesson-why").waitFor();
      expect(await page.getByTestId("lesson-choice-2").textContent()).toContain("the answer");
      expect(await page.getByTestId("lesson-why").textContent()).toBe("The stale tag names the same SA.");
      await settledScreenshot(page, "lessons-02-class-answered");
      // ← goes back a stop (jumped to), and Space still plays.
      await page.keyboard.press("ArrowLeft");
      await expect.poll(() => stopText(page)).toBe("Stop 2 of 3");
      expect(await stepText(page)).toBe(`Step 10 of ${bug.events.length}`);
      expectNoConsoleErrors(klass);
    } finally {
      await klass.close();
    }
  });

  it("saves a lesson as a .lesson.json file that opens again in class mode", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await openLessons(page);
      await page.getByTestId("lesson-openbsd-records").click();
      await page.getByTestId("lesson-card").waitFor();
      await page.getByTestId("lesson-edit").click();
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("author-save").click()]);
      expect(download.suggestedFilename()).toBe("openbsd-tags-as-records-of-what-was-done.lesson.json");
      const path = await download.path();
      await page.getByTestId("author-close").click();
      expect(await page.getByTestId("lesson-card").count()).toBe(0);
      await page.getByTestId("lesson-file").setInputFiles(path);
      await page.getByTestId("lesson-card").waitFor();
      expect(await stopText(page)).toBe(`Stop 1 of ${builtinLesson("openbsd-records")!.stops.length}`);
      // A file that is not a lesson is reported by its JSON path, and nothing changes.
      await page.getByTestId("lesson-file").setInputFiles({
        name: "bad.lesson.json",
        mimeType: "application/json",
        buffer: Buffer.from('{"version":1,"title":"x","scenario":"lo0-ping","stops":[{"key":"bad","text":"t"}]}'),
      });
      const alert = page.getByRole("alert").filter({ hasText: "Could not open bad.lesson.json" });
      await alert.waitFor();
      expect(await alert.textContent()).toContain("$.stops[0].key");
      expect(await stopText(page)).toBe(`Stop 1 of ${builtinLesson("openbsd-records")!.stops.length}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("a hostile lesson link shows a clear message and the page keeps working", async () => {
    const app = await openReady(chromium.browser, chromium.env, { path: "#v=1&l=AAAAAAAAAAAAAAAAAAAA" });
    try {
      const { page } = app;
      const alert = page.getByRole("alert").filter({ hasText: "This lesson link could not be opened" });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/#l/);
      expect(await page.getByTestId("lesson-card").count()).toBe(0);
      // The default scenario is on screen and answers the keys.
      await page.locator("body").click({ position: { x: 5, y: 400 } });
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => stepText(page)).toBe(`Step 2 of ${bug.events.length}`);
      // A lesson link edited by hand into something broken changes nothing on screen.
      await page.evaluate(() => (location.hash = "#v=1&l=%7B%7D&st=9"));
      await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/lesson|link/);
      expect(await stepText(page)).toBe(`Step 2 of ${bug.events.length}`);
      await settledScreenshot(page, "lessons-03-hostile");
    } finally {
      await app.close();
    }
  });

  it("reaches the 2003 lesson from the start screen and walks all its stops in Present mode", async () => {
    const lesson = builtinLesson("lo0-2003")!;
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      // The start screen: the intro card's "Take a guided lesson" opens the Lessons list.
      await page.getByTestId("story-lessons").click();
      await page.getByTestId("lesson-lo0-2003").click();
      await page.getByTestId("lesson-card").waitFor();
      await page.getByTestId("lesson-speed").selectOption("0");
      await page.locator("body").click({ position: { x: 5, y: 400 } });
      await page.keyboard.press("p");
      for (let i = 0; i < lesson.stops.length; i++) {
        if (i > 0) await page.keyboard.press("ArrowRight");
        await expect.poll(() => stopText(page)).toBe(`Stop ${i + 1} of ${lesson.stops.length}`);
        await expect.poll(() => page.getByTestId("lesson-missing").count()).toBe(0);
        const trace = lesson.stops.slice(0, i + 1).some((s) => s.state?.fixes?.length) ? fixed : bug;
        // The stop's step, in the run of its fixes (a stop that switches the fix re-runs the engine first).
        await expect
          .poll(async () => {
            const step = Number((await stepText(page))!.match(/^Step (\d+) of (\d+)/)![1]) - 1;
            return logicalIndex(trace).keys[step];
          })
          .toBe(lesson.stops[i]!.key);
        // Nothing of the card is cut off sideways at 1280×720.
        const over = await page.getByTestId("lesson-card").evaluate((el) => el.scrollWidth - el.clientWidth);
        expect(over).toBeLessThanOrEqual(1);
        await settledScreenshot(page, `lessons-present-stop${String(i + 1).padStart(2, "0")}`);
      }
      expect(keys.length).toBe(bug.events.length);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("prints a handout, a page per stop, that fits A4 and Letter", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await openLessons(page);
      await page.getByTestId("lesson-klips-bigpackets").click();
      await page.getByTestId("lesson-card").waitFor();
      await page.getByTestId("lesson-edit").click();
      await page.evaluate(() => (window.print = () => undefined));
      await page.getByTestId("author-print").click();
      await expect
        .poll(() => page.locator("[data-testid=handout-page]").count(), { timeout: 20_000 })
        .toBe(builtinLesson("klips-bigpackets")!.stops.length);
      await expect.poll(() => page.locator(".handout-picture").count()).toBe(builtinLesson("klips-bigpackets")!.stops.length);
      await page.emulateMedia({ media: "print" });
      // The printable width of A4 (210 mm) and Letter (8.5 in) less the 12 mm margins, in CSS px.
      for (const [paper, mm] of [
        ["A4", 210],
        ["Letter", 215.9],
      ] as const) {
        const width = Math.floor(((mm - 24) / 25.4) * 96);
        await page.setViewportSize({ width, height: 1000 });
        const fit = await page.evaluate(() => {
          const h = document.querySelector<HTMLElement>(".lesson-handout")!;
          const pages = [...h.querySelectorAll<HTMLElement>(".handout-page")];
          return {
            visible: getComputedStyle(h).display,
            over: Math.max(...pages.map((p) => p.scrollWidth - p.clientWidth)),
            width: h.getBoundingClientRect().width,
          };
        });
        expect(fit.visible, paper).toBe("block");
        expect(fit.over, paper).toBeLessThanOrEqual(1);
        expect(fit.width, paper).toBeLessThanOrEqual(width);
      }
      const pdf = await page.pdf({ format: "A4" });
      expect(pdf.length).toBeGreaterThan(10_000);
      const letter = await page.pdf({ format: "Letter" });
      expect(letter.length).toBeGreaterThan(10_000);
      await page.emulateMedia({ media: "screen" });
    } finally {
      await app.close();
    }
  });
});
