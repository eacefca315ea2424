/**
 * The classroom pass (issue 17) in Chromium: keys that do what they say (Space after a mouse
 * click plays, `?` help with a trapped focus), projector legibility (every stack-view text
 * measured from the DOM), Present mode, the story card and the shared-view notice, narrow
 * screens (nothing off-screen at 800 px) and export captions that keep clear of the title.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectNoConsoleErrors, openApp } from "../support/browser";
import { minStackFont } from "../support/shots";
import { PERSONALITIES, fixesFor, stepSentence } from "../../src/engine/index";
import { tagLanes } from "../../src/store/tagLanes";
import { findingChipWords, findingTitle } from "../../src/ui/text";
import { stepScale } from "../../src/ui/timeline/timelineLayout";
import { crossingPair } from "../../src/ui/panels/LinkCrossings";
import { FIX, openReady, settledScreenshot, stepText, traceOf, useChromium } from "./support";

const bug = traceOf("lo0-esp-ping");
const n = bug.events.length;
/** The first link crossing the audit calls cleartext against an earlier encrypted one (the reply on lo0). */
const replyCrossing = Array.from({ length: n }, (_, i) => i).find((i) => crossingPair(bug, i)?.before)!;

const isPlaying = (page: Page) => page.getByRole("button", { name: "Pause", exact: true }).count();

describe("keys that do what they say", () => {
  const chromium = useChromium();

  it("plays with Space after a mouse click on a fix switch or on Step forward", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByRole("button", { name: "Step forward", exact: true }).click();
      expect(await stepText(page)).toBe(`Step 2 of ${n}`);
      await page.keyboard.press("Space");
      await expect.poll(() => isPlaying(page)).toBe(1);
      await page.keyboard.press("Space");
      await expect.poll(() => isPlaying(page)).toBe(0);

      await page.getByRole("tab", { name: /Fixes/ }).click();
      await page.locator(`[data-fix="${FIX}"]`).click({ force: true });
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("secure");
      await page.keyboard.press("Space");
      await expect.poll(() => isPlaying(page)).toBe(1);
      // The switch kept its state: Space did not flip it back.
      expect(await page.locator(`[data-fix="${FIX}"]`).isChecked()).toBe(true);
      await page.keyboard.press("Space");
      await expect.poll(() => isPlaying(page)).toBe(0);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("opens the ? overlay of keys and legend, keeps focus in it, closes on Esc and gives focus back", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const stepButton = page.getByRole("button", { name: "Step forward", exact: true });
      await stepButton.focus();
      await page.keyboard.press("?");
      const help = page.getByRole("dialog", { name: "Keys and legend" });
      await help.waitFor();
      const text = (await help.textContent()) ?? "";
      for (const word of ["Space", "Present", "Hatched", "pill", "Ring", "stale"]) expect(text).toContain(word);
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press("Tab");
        expect(await page.evaluate(() => document.activeElement?.closest("dialog") !== null)).toBe(true);
      }
      // Space inside the help does not start playback behind it.
      expect(await isPlaying(page)).toBe(0);
      await page.keyboard.press("Escape");
      await expect.poll(() => help.count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Step forward");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

/** Text boxes that overlap a hatch (encrypted band or stale badge) in the same band or badge. */
async function textOnHatch(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const hits: string[] = [];
    const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    for (const group of document.querySelectorAll("[data-testid=stack] .band, [data-testid=stack] .badge")) {
      const hatches = [...group.querySelectorAll(".band-hatch, .badge-stale")].map((h) => h.getBoundingClientRect());
      for (const t of group.querySelectorAll("text, tspan")) {
        const box = (t as SVGGraphicsElement).getBoundingClientRect();
        if (hatches.some((h) => overlap(h, box))) hits.push(t.textContent ?? "");
      }
    }
    return hits;
  });
}

describe("projector legibility", () => {
  const chromium = useChromium();

  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1024, height: 768 },
  ]) {
    it(`draws nothing in the stack view under 16 px, and no text on hatching, at ${viewport.width}×${viewport.height}`, async () => {
      const app = await openReady(chromium.browser, chromium.env, { viewport });
      try {
        const { page } = app;
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        const seen: { step: string | null; px: number; what: string }[] = [];
        // Step 1, every finding, and decisions on the way (callouts, stale badges, ciphertext).
        for (let i = 0; i < 14; i++) {
          await page.waitForTimeout(320);
          seen.push({ step: await stepText(page), ...(await minStackFont(page)) });
          expect(await textOnHatch(page), `text on hatching at ${await stepText(page)}`).toEqual([]);
          await page.keyboard.press(i < 6 ? "]" : "}");
        }
        const smallest = seen.reduce((a, b) => (b.px < a.px ? b : a));
        expect(smallest.px, JSON.stringify(smallest)).toBeGreaterThanOrEqual(16);
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    });
  }

  it("keeps the 960×540 embed readable", async () => {
    const app = await openApp(chromium.browser, chromium.env.baseURL, { path: "?embed", viewport: { width: 960, height: 540 } });
    try {
      await app.page.locator("[data-testid=stack] svg").waitFor({ timeout: 15_000 });
      await app.page.keyboard.press("}");
      await app.page.waitForTimeout(320);
      expect((await minStackFont(app.page)).px).toBeGreaterThanOrEqual(16);
    } finally {
      await app.close();
    }
  });

  it("has a Present mode (P, or the header button) that hides the chrome and scales the stack, callout and narration", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const sizes = () =>
        page.evaluate(() => ({
          stack: document.querySelector<SVGSVGElement>("[data-testid=stack] svg")?.getScreenCTM()?.a ?? 0,
          narration: parseFloat(getComputedStyle(document.querySelector(".narration-note")!).fontSize),
          callout: parseFloat(getComputedStyle(document.querySelector("[data-testid=callout]")!).fontSize),
        }));
      await page.keyboard.press("]");
      await page.keyboard.press("]");
      await page.locator("[data-testid=callout]").waitFor();
      const before = await sizes();
      await page.keyboard.press("p");
      await expect.poll(() => page.locator(".topbar").isVisible()).toBe(false);
      expect(await page.locator(".bottom").isVisible()).toBe(false);
      const after = await sizes();
      expect(after.stack).toBeGreaterThan(before.stack * 1.2);
      expect(after.callout).toBeGreaterThan(before.callout * 1.2);
      expect(after.narration).toBeGreaterThan(before.narration * 1.2);
      // The keys still drive it; Esc (or P) leaves.
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Escape");
      await expect.poll(() => page.locator(".topbar").isVisible()).toBe(true);
      await page.getByTestId("present").click();
      await expect.poll(() => page.locator(".topbar").isVisible()).toBe(false);
      await page.getByTestId("present-exit").click();
      await expect.poll(() => page.locator(".topbar").isVisible()).toBe(true);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

describe("the first minute", () => {
  const chromium = useChromium();
  const firstBug = [...bug.outcome.findings].filter((f) => f.severity !== "info").sort((a, b) => a.step - b.step)[0]!.step;

  it("shows a story card at step 1 with Jump to the bug and Play", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const story = page.getByTestId("story");
      await story.waitFor();
      expect(await story.textContent()).toContain("What you are about to see");
      // Its buttons are on screen at 1280×720, not scrolled away.
      const box = await page.getByTestId("story-play").boundingBox();
      expect(box && box.y + box.height).toBeLessThanOrEqual(720);
      await page.getByTestId("story-bug").click();
      expect(await stepText(page)).toBe(`Step ${firstBug + 1} of ${n}`);
      expect(await story.count()).toBe(0);
      // Back at the start it stays closed; a fresh page shows it, and Play plays.
      await page.keyboard.press("Home");
      expect(await story.count()).toBe(0);
      const fresh = await openReady(chromium.browser, chromium.env);
      try {
        await fresh.page.getByTestId("story-play").click();
        await expect.poll(() => isPlaying(fresh.page)).toBe(1);
        expect(await fresh.page.getByTestId("story").count()).toBe(0);
      } finally {
        await fresh.close();
      }
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1024, height: 768 },
    { width: 1920, height: 1080 },
  ]) {
    it(`places the story card clear of the active row, the packet card and the callout at ${viewport.width}×${viewport.height}`, async () => {
      const app = await openReady(chromium.browser, chromium.env, { viewport });
      try {
        const { page } = app;
        const story = page.getByTestId("story");
        await story.waitFor();
        // After the packet card's tween and the card's second measure.
        await page.waitForTimeout(500);
        const facts = await page.evaluate(() => {
          const box = (el: Element) => {
            const r = el.getBoundingClientRect();
            return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, what: el.getAttribute("class") ?? el.tagName };
          };
          const card = box(document.querySelector("[data-testid=story]")!);
          const kept = [...document.querySelectorAll("[data-testid=stack] .slot.is-active, [data-testid=stack] .card-layer, [data-testid=callout]")]
            .map(box)
            .filter((b) => b.right > b.left && b.bottom > b.top);
          const hits = kept.filter((b) => card.left < b.right && b.left < card.right && card.top < b.bottom && b.top < card.bottom);
          const actions = [...document.querySelectorAll("[data-testid=story] .story-actions .btn")].map(box);
          return { card, kept, hits, actions, vw: innerWidth, vh: innerHeight };
        });
        expect(facts.kept.length, "the active row and callout were found").toBeGreaterThanOrEqual(2);
        expect(facts.hits, JSON.stringify(facts)).toEqual([]);
        // Every button of the card is inside the card and on screen.
        for (const b of facts.actions) {
          expect(b.bottom).toBeLessThanOrEqual(Math.min(facts.card.bottom, facts.vh) + 0.5);
          expect(b.right).toBeLessThanOrEqual(Math.min(facts.card.right, facts.vw) + 0.5);
        }
        expect((await minStackFont(page)).px).toBeGreaterThanOrEqual(16);
        await settledScreenshot(page, `classroom-story-${viewport.width}`);
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    });
  }

  for (const viewport of [
    { width: 1920, height: 1080 },
    { width: 1280, height: 720 },
  ]) {
    it(`names the findings in words and never cuts the headline at ${viewport.width}×${viewport.height}`, async () => {
      const app = await openReady(chromium.browser, chromium.env, { viewport });
      try {
        const { page } = app;
        const chips = await page.locator(".finding-chip").allTextContents();
        expect(chips.length).toBeGreaterThan(0);
        for (const chip of chips) expect(chip).toMatch(/^\d+\s+\p{L}.{3,}/u);
        const cut = await page.locator(".banner-headline").evaluate((el) => ({
          overflow: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
          ellipsis: getComputedStyle(el).textOverflow === "ellipsis" && getComputedStyle(el).whiteSpace === "nowrap",
        }));
        expect(cut).toEqual({ overflow: false, ellipsis: false });
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    });
  }

  it("tells someone opening a link with a step where they are, and starts from the beginning on request", async () => {
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=lo0-esp-ping&f=${FIX}&c=40` });
    try {
      const { page } = app;
      const notice = page.getByTestId("shared-notice");
      await notice.waitFor();
      const text = (await notice.textContent()) ?? "";
      expect(text).toMatch(/Shared view: step 40, fix “icmp_reflect strips all tags” on/);
      expect(await page.getByTestId("story").count()).toBe(0);
      await notice.getByRole("button", { name: "Start from the beginning" }).click();
      expect(await stepText(page)).toMatch(/^Step 1 of /);
      expect(await notice.count()).toBe(0);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

/** Visible elements whose box leaves the viewport sideways (or a page wider than it). */
async function offScreen(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const w = window.innerWidth;
    if (document.documentElement.scrollWidth > w + 1) out.push(`page is ${document.documentElement.scrollWidth}px wide`);
    for (const el of document.querySelectorAll<HTMLElement>("body *")) {
      if (el.closest(".visually-hidden, .svg-defs, [aria-hidden=true] svg")) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const st = getComputedStyle(el);
      if (st.visibility === "hidden" || st.position === "fixed") continue;
      // Inside something that clips it (a scroller), it is reachable by scrolling that.
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === "hidden" || o === "auto" || o === "scroll" || o === "clip") {
          clipped = true;
          break;
        }
      }
      if (clipped) continue;
      if (r.left < -1 || r.right > w + 1) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.left)}–${Math.round(r.right)}`);
    }
    return out;
  });
}

describe("narrow screens", () => {
  const chromium = useChromium();

  it("is one column at 800 px with the header's buttons behind a menu, and nothing off-screen", async () => {
    const app = await openReady(chromium.browser, chromium.env, { viewport: { width: 800, height: 900 } });
    try {
      const { page } = app;
      expect(await offScreen(page)).toEqual([]);
      const stack = await page.locator(".stack-wrap").boundingBox();
      const side = await page.locator(".side").boundingBox();
      expect(side!.y).toBeGreaterThanOrEqual(stack!.y + stack!.height - 1);
      expect(await page.getByTestId("theme").isVisible()).toBe(false);
      await page.getByTestId("header-menu").click();
      for (const id of ["theme", "present"]) expect(await page.getByTestId(id).isVisible()).toBe(true);
      expect(await offScreen(page)).toEqual([]);
      await page.getByTestId("theme").press("Escape");
      await expect.poll(() => page.getByTestId("theme").isVisible()).toBe(false);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("does not clip the Fixes tab at 1024 px", async () => {
    const app = await openReady(chromium.browser, chromium.env, { viewport: { width: 1024, height: 768 } });
    try {
      const tab = app.page.getByRole("tab", { name: /Fixes/ });
      expect(await tab.textContent()).toMatch(/Fixes\s*off/);
      const fits = await tab.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const list = el.parentElement!.getBoundingClientRect();
        return el.scrollWidth <= el.clientWidth + 1 && r.right <= list.right + 1 && r.right <= window.innerWidth;
      });
      expect(fits).toBe(true);
      expect(await offScreen(app.page)).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe("exports", () => {
  const chromium = useChromium();

  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1024, height: 768 },
  ]) {
    it(`keeps the step SVG's caption clear of its title with a fix on, at ${viewport.width}×${viewport.height}`, async () => {
      const app = await openReady(chromium.browser, chromium.env, { viewport, path: `#v=1&s=lo0-esp-ping&f=${FIX}&c=60` });
      try {
        const { page } = app;
        await expect.poll(() => stepText(page)).toMatch(/^Step 60 /);
        if (viewport.width < 1100) await page.getByTestId("header-menu").click();
        await page.getByTestId("export").click();
        const [download] = await Promise.all([page.waitForEvent("download"), page.locator('[data-export="svg"]').click()]);
        const svg = (await (await import("node:fs/promises")).readFile(await download.path())).toString("utf8");
        const overlaps = await page.evaluate((markup) => {
          const host = document.createElement("div");
          host.style.cssText = "position:absolute;left:0;top:0";
          host.innerHTML = markup.replace(/^<\?xml[^>]*>/, "");
          document.body.append(host);
          const texts = [...host.querySelectorAll('[data-part="caption"] text')].map((t) => ({
            text: t.textContent ?? "",
            r: t.getBoundingClientRect(),
          }));
          const root = host.querySelector("svg")!.getBoundingClientRect();
          const hits: string[] = [];
          for (let i = 0; i < texts.length; i++) {
            const a = texts[i]!;
            if (a.r.left < root.left - 1 || a.r.right > root.right + 1) hits.push(`${a.text} leaves the picture`);
            for (let j = i + 1; j < texts.length; j++) {
              const b = texts[j]!;
              if (a.r.left < b.r.right && b.r.left < a.r.right && a.r.top < b.r.bottom - 1 && b.r.top < a.r.bottom - 1)
                hits.push(`${a.text} × ${b.text}`);
            }
          }
          host.remove();
          return { hits, count: texts.length };
        }, svg);
        expect(overlaps.count).toBeGreaterThanOrEqual(4);
        expect(overlaps.hits).toEqual([]);
        expect(svg).toContain("icmp-reflect-strips-tags");
      } finally {
        await app.close();
      }
    });
  }
});

describe("fixes in reach", () => {
  const chromium = useChromium();

  it("flips a fix from the strip under the banner at 1920×1080, and the Fixes tab's switch agrees", async () => {
    const app = await openReady(chromium.browser, chromium.env, { viewport: { width: 1920, height: 1080 } });
    try {
      const { page } = app;
      const strip = page.getByTestId("fix-strip");
      // Every fix is in the strip, on one row.
      expect(await strip.locator("[data-fix-chip]").count()).toBe(fixesFor(PERSONALITIES["netbsd-2003"]).length);
      expect((await strip.boundingBox())!.height).toBeLessThan(40);
      expect(await page.getByTestId("fix-menu").isVisible()).toBe(false);
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("insecure");
      await strip.locator(`[data-fix-chip="${FIX}"]`).click({ force: true });
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("secure");
      // The Fixes tab's switch agrees, and turning it off there turns the chip off.
      await page.getByRole("tab", { name: /Fixes/ }).click();
      expect(await page.locator(`[data-fix="${FIX}"]`).isChecked()).toBe(true);
      await page.locator(`[data-fix="${FIX}"]`).uncheck({ force: true });
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("insecure");
      expect(await strip.locator(`[data-fix-chip="${FIX}"]`).isChecked()).toBe(false);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("keeps the stack's height at 1280×720: the switches sit behind a Fixes button in the banner", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      expect(await page.getByTestId("fix-strip").isVisible()).toBe(false);
      const menu = page.getByTestId("fix-menu");
      const button = menu.getByRole("button", { name: /^Fixes · none on/ });
      await button.click();
      expect(await button.getAttribute("aria-expanded")).toBe("true");
      expect(await menu.locator("[data-fix-chip]").count()).toBe(fixesFor(PERSONALITIES["netbsd-2003"]).length);
      await menu.locator(`[data-fix-chip="${FIX}"]`).click({ force: true });
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("secure");
      await expect.poll(() => menu.getByRole("button", { name: /^Fixes · 1 on/ }).count()).toBe(1);
      await page.keyboard.press("Escape");
      expect(await menu.locator("[data-fix-chip]").count()).toBe(0);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("shows the whole decision at the bug at 1280×720: the callout's answer is not cut", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByTestId("story-bug").click();
      const callout = page.getByTestId("callout");
      await callout.waitFor();
      const fits = await callout.evaluate((el) => el.scrollHeight <= el.clientHeight + 1);
      expect(fits).toBe(true);
      expect(await callout.textContent()).toContain("because of a stale OUT_DONE");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

describe("the end of the run", () => {
  const chromium = useChromium();

  it("recaps the verdict and findings at the last step, comes back for a new run, and leads back to the start", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      expect(await page.getByTestId("recap").count()).toBe(0);
      await page.keyboard.press("End");
      const recap = page.getByTestId("recap");
      await recap.waitFor();
      expect(await recap.locator(".verdict-chip").textContent()).toBe("insecure");
      expect(await recap.textContent()).toContain(
        `${bug.outcome.sent} echo requests sent, ${bug.outcome.delivered} replies delivered, in ${n} steps`,
      );
      // The audit's first critical finding is there, by its step and words, and goes to its step.
      const critical = bug.outcome.findings.find((f) => f.severity === "critical")!;
      const chip = recap.locator(".finding-chip", { hasText: `${critical.step + 1} ${findingChipWords(critical.id)}` });
      await chip.click();
      await expect.poll(() => stepText(page)).toBe(`Step ${critical.step + 1} of ${n}`);
      expect(await page.getByTestId("recap").count()).toBe(0);

      // A new run (the fix flipped) is a new story: its recap says so.
      await page.getByTestId("fix-menu").getByRole("button").click();
      await page.getByTestId("fix-menu").locator(`[data-fix-chip="${FIX}"]`).click({ force: true });
      await page.keyboard.press("Escape");
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("secure");
      await page.keyboard.press("End");
      await recap.waitFor();
      expect(await recap.locator(".verdict-chip").textContent()).toBe("secure");
      expect(await recap.textContent()).toContain("icmp_reflect strips all tags");
      await page.getByTestId("recap-restart").click();
      await expect.poll(() => stepText(page)).toMatch(/^Step 1 of /);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

/** The tip's smallest text (CSS px), whether it lies inside the viewport, and its text. */
async function tipFacts(page: Page): Promise<{ px: number; inside: boolean; text: string }> {
  return page.evaluate(() => {
    const tip = document.querySelector<HTMLElement>("[data-testid=mark-tip]")!;
    const r = tip.getBoundingClientRect();
    const px = Math.min(...[tip, ...tip.querySelectorAll<HTMLElement>("*")].map((el) => parseFloat(getComputedStyle(el).fontSize)));
    return { px, inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight, text: tip.textContent ?? "" };
  });
}

describe("timeline tooltips", () => {
  const chromium = useChromium();
  const critical = bug.outcome.findings.find((f) => f.severity === "critical")!;
  const decision = bug.events.at(critical.step)!;

  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1024, height: 768 },
  ]) {
    it(`says a finding flag's step, layer and finding on hover, at ${viewport.width}×${viewport.height}`, async () => {
      const app = await openReady(chromium.browser, chromium.env, { viewport });
      try {
        const { page } = app;
        await page.locator(`[data-testid=finding-mark][data-step="${critical.step}"]`).hover();
        const tip = page.getByTestId("mark-tip");
        await tip.waitFor();
        expect(await tip.getAttribute("data-step")).toBe(String(critical.step));
        const facts = await tipFacts(page);
        // The kinds table's clause for that step, in Node: "ip_output's IPsec loop check decides “…”".
        expect(facts.text).toContain(stepSentence(decision));
        expect(facts.text).toContain(`Step ${critical.step + 1}`);
        expect(facts.text).toContain(`${decision.layer === "ipsec" ? "IPsec" : decision.layer === "ip" ? "IP" : decision.layer} layer`);
        expect(facts.text).toContain(findingTitle(critical.id));
        expect(facts.px).toBeGreaterThanOrEqual(16);
        expect(facts.inside).toBe(true);
        await settledScreenshot(page, `classroom-tip-finding-${viewport.width}`);
        // Pointer away: gone.
        await page.mouse.move(5, 5);
        await expect.poll(() => tip.count()).toBe(0);
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    });
  }

  it("shows a tag mark's tip on keyboard focus, closes it on Escape, and a click goes to that step", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const lanes = tagLanes(bug).lanes;
      const stale = lanes.find((l) => l.staleFrom !== null)!;
      const mark = page.locator(`[data-lane="${stale.uid}"] [data-testid=lane-mark][data-step="${stale.staleFrom}"]`);
      // Tab reaches the marks: focus the one before it and tab onto it.
      await mark.focus();
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      expect(await mark.evaluate((el) => el === document.activeElement)).toBe(true);
      const tip = page.getByTestId("mark-tip");
      await tip.waitFor();
      expect(await mark.getAttribute("aria-describedby")).toBe("mark-tip");
      const facts = await tipFacts(page);
      expect(facts.text).toContain(`Step ${stale.staleFrom! + 1}`);
      expect(facts.text).toContain("consulted while stale");
      expect(facts.text).toContain(stepSentence(bug.events.at(stale.staleFrom!)!));
      expect(facts.px).toBeGreaterThanOrEqual(16);
      await page.keyboard.press("Escape");
      await expect.poll(() => tip.count()).toBe(0);
      // Escape closed the tip only: focus stays on the mark, and the step did not move.
      expect(await mark.evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await stepText(page)).toBe(`Step 1 of ${n}`);
      await page.keyboard.press("Enter");
      await expect.poll(() => stepText(page)).toBe(`Step ${stale.staleFrom! + 1} of ${n}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("names the decision under the pointer on the scrubber's ticks", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const seq = bug.events.at(critical.step)!.kind === "decision" ? critical.step : 0;
      const box = (await page.locator(".scrubber").boundingBox())!;
      const x = box.x + stepScale(n, box.width)(seq);
      await page.mouse.move(x, box.y + 28);
      const tip = page.getByTestId("mark-tip");
      await tip.waitFor();
      expect(await tip.getAttribute("data-step")).toBe(String(seq));
      const text = (await tip.textContent()) ?? "";
      expect(text).toContain("decision tick");
      expect(text).toContain(stepSentence(bug.events.at(seq)!));
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

describe("a comparative aha", () => {
  const chromium = useChromium();

  it("shows the reply's cleartext crossing of lo0 beside the request's encrypted one, with ESP expected by policy", async () => {
    const pair = crossingPair(bug, replyCrossing)!;
    const app = await openReady(chromium.browser, chromium.env, {
      viewport: { width: 1920, height: 1080 },
      path: `#v=1&s=lo0-esp-ping&c=${replyCrossing + 1}`,
    });
    try {
      const { page } = app;
      await expect.poll(() => stepText(page)).toBe(`Step ${replyCrossing + 1} of ${n}`);
      const box = page.getByTestId("link-crossings");
      await box.waitFor();
      expect(await page.getByTestId("esp-expected").textContent()).toContain("ESP expected by policy");
      expect(await box.getByTestId("xing-cleartext").textContent()).toContain(`step ${replyCrossing + 1}`);
      expect(await box.getByTestId("xing-encrypted").textContent()).toContain(`step ${pair.before!.seq + 1}`);
      // Shape as well as colour: the encrypted state is square-cornered, the cleartext one round.
      const radius = (sel: string) => box.locator(sel).evaluate((el) => parseFloat(getComputedStyle(el).borderTopLeftRadius));
      expect(await radius(".xing-state--encrypted")).toBeLessThan(6);
      expect(await radius(".xing-state--cleartext")).toBeGreaterThan(10);
      expect(
        await box.evaluate((el) => Math.min(...[...el.querySelectorAll<HTMLElement>("*")].map((c) => parseFloat(getComputedStyle(c).fontSize)))),
      ).toBeGreaterThanOrEqual(16);
      // Its step button goes to the request's crossing.
      await box.getByTestId("xing-encrypted").getByRole("button").click();
      await expect.poll(() => stepText(page)).toBe(`Step ${pair.before!.seq + 1} of ${n}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
