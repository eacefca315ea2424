/**
 * Hostile and huge links in Chromium (issue 16): runs are in the engine worker only, so the page
 * answers input while a heavy legal link runs (the longest main-thread task is measured with a
 * PerformanceObserver, a generous 1 s bound, not wall time); an over-budget link shows a clear
 * message; Cancel keeps the run on screen; 100 rapid hash changes settle on the last link; a bad
 * link by hashchange puts the address bar back to what is shown.
 */
import { deflateSync } from "fflate";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { builtinByName, LIMITS } from "../../src/engine/index";
import { toBase64Url } from "../../src/share/codec";
import { openReady, settledScreenshot, useChromium } from "./support";

/** A `z=` link of lo0-ping with `count` echoes of `size` bytes. */
function pingLink(count: number, size: number): string {
  const s = structuredClone(builtinByName("lo0-ping")) as unknown as { traffic: Record<string, unknown>[] };
  for (const t of s.traffic) Object.assign(t, { count, size });
  return `#v=1&z=${toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(s))))}`;
}

/** The heaviest legal lo0-ping of 65,499-byte echoes (limits.ts: the memory bound at the default maxEvents). */
const HEAVY = pingLink(170, LIMITS.payload);

/** Start recording the page's long tasks (≥ 50 ms on the main thread). */
async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longest: number };
    w.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
    }).observe({ type: "longtask" });
  });
}

const longest = (page: Page) => page.evaluate(() => (window as unknown as { __longest: number }).__longest);
const setHash = (page: Page, hash: string) => page.evaluate((h) => void (location.hash = h), hash);
const hash = (page: Page) => page.evaluate(() => location.hash);

describe("hostile links", () => {
  const chromium = useChromium();

  it("refuses the 100,000 × 65,499 link at once, by its JSON path", async () => {
    const { page, context } = await openReady(chromium.browser, chromium.env);
    try {
      await setHash(page, pingLink(100_000, 65_499));
      const problems = page.getByTestId("problems");
      await problems.waitFor({ timeout: 5_000 });
      expect(await problems.textContent()).toMatch(/\$\.traffic.*could need .* GB of memory, and the limit is 3\.0 GB/);
    } finally {
      await context.close();
    }
  });

  it(
    "runs the heaviest legal link in the worker: progress, then the budget's message; the page answers throughout",
    { timeout: 120_000 },
    async () => {
      const { page, context } = await openReady(chromium.browser, chromium.env);
      try {
        await watchLongTasks(page);
        await setHash(page, HEAVY);
        await page.getByTestId("run-progress").waitFor({ timeout: 5_000 });
        await settledScreenshot(page, "hostile-progress");
        // The page answers input while the worker runs: a keypress is handled and the next frame comes.
        const answered = await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const t0 = performance.now();
              requestAnimationFrame(() => resolve(performance.now() - t0));
            }),
        );
        expect(answered).toBeLessThan(1_000);
        await page
          .locator(".banner")
          .filter({ hasText: /the app holds/ })
          .waitFor({ timeout: 100_000 });
        await settledScreenshot(page, "hostile-budget");
        expect(await longest(page)).toBeLessThan(1_000);
      } finally {
        await context.close();
      }
    },
  );

  it("Cancel stops the run and keeps the one on screen, and the address bar goes back to it", { timeout: 60_000 }, async () => {
    const { page, context } = await openReady(chromium.browser, chromium.env);
    try {
      const before = await hash(page);
      const verdict = await page.locator(".banner").getAttribute("data-verdict");
      await setHash(page, HEAVY);
      await page.getByTestId("run-cancel").click({ timeout: 5_000 });
      const note = page.getByTestId("problems");
      await expect.poll(() => note.textContent()).toMatch(/Run cancelled.*cancelled: the run of .* was stopped/);
      expect(await page.getByTestId("run-progress").count()).toBe(0);
      expect(await page.locator(".banner").getAttribute("data-verdict")).toBe(verdict);
      await expect.poll(() => hash(page)).not.toBe(HEAVY);
      if (before) expect(await hash(page)).toBe(before);
      await settledScreenshot(page, "hostile-cancelled");
    } finally {
      await context.close();
    }
  });

  it("100 rapid hash changes among heavy links settle on the last link", { timeout: 120_000 }, async () => {
    const { page, context } = await openReady(chromium.browser, chromium.env);
    try {
      await watchLongTasks(page);
      const heavy = [HEAVY, pingLink(100, 30_000), pingLink(50_000, 56)];
      // Each change fires its own hashchange (set in separate tasks so none is coalesced).
      for (let i = 0; i < 99; i++) await setHash(page, heavy[i % heavy.length]!);
      await setHash(page, "#v=1&s=lo0-ah-ping");
      await expect.poll(() => page.getByTestId("scenario").inputValue(), { timeout: 30_000 }).toBe("lo0-ah-ping");
      await expect.poll(() => page.getByTestId("run-progress").count(), { timeout: 30_000 }).toBe(0);
      expect(await longest(page)).toBeLessThan(1_000);
    } finally {
      await context.close();
    }
  });

  it("a bad link by hashchange is reported and the address bar returns to the link of what is shown", async () => {
    const { page, context } = await openReady(chromium.browser, chromium.env, { path: "#v=1&s=lo0-ah-ping" });
    try {
      const before = await hash(page);
      await setHash(page, "#v=7&s=lo0-ping");
      await page.getByTestId("problems").waitFor({ timeout: 5_000 });
      expect(await page.getByTestId("problems").textContent()).toMatch(/newer tagflow/);
      await expect.poll(() => hash(page)).toBe(before);
      await page.reload();
      await page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("scenario").inputValue()).toBe("lo0-ah-ping");
    } finally {
      await context.close();
    }
  });
});
