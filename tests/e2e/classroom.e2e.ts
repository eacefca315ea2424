/**
 * The classroom pass (issue 17) in Chromium: keys that do what they say (Space after a mouse
 * click plays, `?` help with a trapped focus), projector legibility (every stack-view text
 * measured from the DOM), Present mode, the story card and the shared-view notice, narrow
 * screens (nothing off-screen at 800 px) and export captions that keep clear of the title.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectNoConsoleErrors } from "../support/browser";
import { FIX, openReady, stepText, traceOf, useChromium } from "./support";

const bug = traceOf("lo0-esp-ping");
const n = bug.events.length;

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
