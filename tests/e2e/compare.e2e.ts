/**
 * The compare view in Chromium: with a fix on (or another kernel), the strip under the banner
 * and the block in the Fixes panel say how the run differs from the one with no fixes, and
 * "Jump to where they diverge" moves the cursor to the step where the runs part — by mouse and
 * by keyboard alone, in the light and the dark theme. The expected step and sentence come from
 * the engine run here in Node.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { alignTraces, compareTraces } from "../../src/engine/index";
import { expectNoConsoleErrors } from "../support/browser";
import { FIX, openReady, settledScreenshot, stepText, traceOf, useChromium } from "./support";

const bug = traceOf("lo0-esp-ping");
const fixed = traceOf("lo0-esp-ping", [FIX]);
const comparison = compareTraces(bug, fixed);
const DIVERGE = comparison.divergeAt!.run;
const freebsd = traceOf("lo0-esp-ping", [], (s) => ({ ...s, personality: "freebsd-7" }));
const FREEBSD_DIVERGE = compareTraces(bug, freebsd).divergeAt!.run;

const outcomeText = async (page: Page) => ((await page.getByTestId("outcome").textContent()) ?? "").toLowerCase();
const verdictChips = (page: Page, scope: string) => page.locator(`${scope} [data-testid=compare-verdicts] .verdict-chip`).allTextContents();

/** Press Tab (or Shift+Tab) until the focused element matches `selector`. */
async function tabTo(page: Page, selector: string, { back = false, max = 80 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
  }
  throw new Error(`${back ? "Shift+Tab" : "Tab"} never reached ${selector}`);
}

/** Scroll the Fixes panel so the compare block is in view (it sits below the switches). */
async function showBlock(page: Page): Promise<void> {
  await page.getByTestId("compare").scrollIntoViewIfNeeded();
}

describe("the compare view", () => {
  const chromium = useChromium();

  it("opens the two runs side by side, aligned, with the first difference and where they part", async () => {
    const al = alignTraces(bug, fixed)!;
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByRole("tab", { name: /Fixes/ }).click();
      await page.locator(`[data-fix="${FIX}"]`).check();
      await expect.poll(() => outcomeText(page)).toMatch(/^secure/);
      await page.getByTestId("aligned-open-strip").click();
      const panel = page.getByTestId("aligned");
      await panel.waitFor();
      // The engine's first difference, by row; the button goes to it and the rows follow.
      await panel.getByTestId("aligned-first").click();
      const current = panel.locator(".al-row.is-current");
      await expect.poll(() => current.getAttribute("data-row")).toBe(String(al.first));
      expect(await current.isVisible()).toBe(true);
      expect(await current.getAttribute("data-kind")).toBe(al.kinds[al.first!]);
      // ← and → step the run; the current row stays on screen at 1280×720.
      for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
      await expect.poll(() => current.boundingBox().then((b) => b !== null && b.y + b.height <= 720)).toBe(true);
      expect(await panel.getByTestId("aligned-why").textContent()).toMatch(/where they part/i);
      await settledScreenshot(page, "compare-side-by-side");
      await page.keyboard.press("Escape");
      await expect.poll(() => panel.count()).toBe(0);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("sanity: the fix parts the runs at icmp_reflect, insecure → secure", () => {
    expect(fixed.events.at(DIVERGE)).toMatchObject({ fn: "icmp_reflect", kind: "tag.deleteNonpersistent" });
    expect(comparison.verdicts).toEqual({ base: "insecure", run: "secure" });
  });

  it("shows the comparison when icmp_reflect strips the tags, and jumps to where the runs diverge", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByRole("tab", { name: /Fixes/ }).click();
      // With no fix on: no strip, and the block says what turning one on will show.
      expect(await page.getByTestId("compare-strip").count()).toBe(0);
      const block = page.getByTestId("compare");
      expect(await block.textContent()).toContain("Turn on a fix");
      // Its only button compares with another kernel (issue 13); no jump without a comparison.
      expect(await block.getByRole("button").allTextContents()).toEqual(["Compare with Linux XFRM"]);
      await showBlock(page);
      await settledScreenshot(page, "compare-01-empty");

      await page.locator(`[data-fix="${FIX}"]`).check();
      await expect.poll(() => outcomeText(page)).toMatch(/^secure/);
      const strip = page.getByTestId("compare-strip");
      await strip.waitFor();
      expect(await strip.getAttribute("aria-label")).toBe("Compared with no fixes");
      expect(await verdictChips(page, "[data-testid=compare-strip]")).toEqual(["insecure", "secure"]);
      expect(await strip.textContent()).toContain(`${comparison.findingsRemoved.length} findings gone`);
      expect(await strip.textContent()).toContain(`first difference at step ${DIVERGE + 1}, in icmp_reflect`);

      // The block: verdicts, the engine's sentence, the findings that went, the jump button.
      expect(await verdictChips(page, "[data-testid=compare]")).toEqual(["insecure", "secure"]);
      expect(await page.getByTestId("compare-sentence").textContent()).toBe(comparison.sentence);
      const gone = await block
        .locator('.compare-finding[data-change="removed"]')
        .evaluateAll((els) => els.map((el) => el.getAttribute("data-finding")));
      expect(gone).toEqual(comparison.findingsRemoved);
      expect(await block.textContent()).toContain("IPsec skipped on a stale OUT_DONE");

      // The timeline marks the step, and the button goes there.
      expect(await page.getByTestId("diverge-mark").getAttribute("data-step")).toBe(String(DIVERGE));
      const jump = page.getByRole("button", { name: /^Jump to where they diverge/ });
      expect(await jump.count()).toBe(2);
      expect(await page.getByTestId("compare-jump").getAttribute("aria-label")).toBe(
        `Jump to where they diverge (step ${DIVERGE + 1}, icmp_reflect)`,
      );
      await page.getByTestId("compare-jump-strip").click();
      await expect.poll(() => stepText(page)).toBe(`Step ${DIVERGE + 1} of ${fixed.events.length}`);
      const narration = page.getByTestId("narration");
      expect(await narration.locator(".narration-fn").textContent()).toBe("icmp_reflect()");
      expect(await narration.textContent()).toContain("icmp_reflect deletes the mbuf's tags");
      await settledScreenshot(page, "compare-02-diverged");
      await showBlock(page);
      await settledScreenshot(page, "compare-03-block");

      // Off again: the comparison goes, the empty state comes back.
      await page.locator(`[data-fix="${FIX}"]`).uncheck();
      await expect.poll(() => outcomeText(page)).toContain("insecure");
      await expect.poll(() => page.getByTestId("compare-strip").count()).toBe(0);
      expect(await page.getByTestId("diverge-mark").count()).toBe(0);
      expect(await block.textContent()).toContain("Turn on a fix");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("works from the keyboard alone, in the dark theme", async () => {
    const app = await openReady(chromium.browser, chromium.env, { colorScheme: "dark" });
    try {
      const { page } = app;
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
      // To the fix: Tab to the side panel's tabs, arrow to "Fixes", Tab to the switch, Enter (Space always plays).
      await tabTo(page, '[role=tab][aria-selected="true"]');
      for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("Fixes");
      await tabTo(page, `[data-fix="${FIX}"]`, { max: 5 });
      await page.keyboard.press("Enter");
      await expect.poll(() => outcomeText(page)).toMatch(/^secure/);
      await page.getByTestId("compare-strip").waitFor();

      // On, through the other switches, to the block's button: Enter jumps.
      await tabTo(page, "[data-testid=compare-jump]", { max: 20 });
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(ring).not.toBe("none");
      await page.keyboard.press("Enter");
      await expect.poll(() => stepText(page)).toBe(`Step ${DIVERGE + 1} of ${fixed.events.length}`);
      expect(await page.getByTestId("narration").locator(".narration-fn").textContent()).toBe("icmp_reflect()");
      await settledScreenshot(page, "compare-04-dark-block");

      // Elsewhere, then back up to the strip's button: Enter jumps there too (Space would play: issue 17).
      await page.keyboard.press("Home");
      await expect.poll(() => stepText(page)).toBe(`Step 1 of ${fixed.events.length}`);
      // The fork on the timeline, clear of the cursor now.
      expect(await page.getByTestId("diverge-mark").getAttribute("data-step")).toBe(String(DIVERGE));
      await settledScreenshot(page, "compare-05-dark-timeline");
      await tabTo(page, "[data-testid=compare-jump-strip]", { back: true });
      await page.keyboard.press("Enter");
      await expect.poll(() => stepText(page)).toBe(`Step ${DIVERGE + 1} of ${fixed.events.length}`);
      expect(await page.getByRole("button", { name: "Play", exact: true }).count()).toBe(1);
      await settledScreenshot(page, "compare-06-dark-strip");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("fits the whole block in the Fixes panel at 1080p", async () => {
    const app = await openReady(chromium.browser, chromium.env, { viewport: { width: 1920, height: 1080 } });
    try {
      const { page } = app;
      await page.getByRole("tab", { name: /Fixes/ }).click();
      await page.locator(`[data-fix="${FIX}"]`).check();
      await page.getByTestId("compare-strip").waitFor();
      await showBlock(page);
      const box = await page.getByTestId("compare").boundingBox();
      const panel = await page.locator(".side-panel").boundingBox();
      expect(box && panel && box.y >= panel.y && box.y + box.height <= panel.y + panel.height).toBe(true);
      await settledScreenshot(page, "compare-08-1080p");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("compares another kernel with the scenario's own", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByTestId("personality").selectOption("freebsd-7");
      const strip = page.getByTestId("compare-strip");
      await strip.waitFor();
      expect(await strip.getAttribute("aria-label")).toBe("Compared with NetBSD 2003, no fixes");
      expect(await verdictChips(page, "[data-testid=compare-strip]")).toEqual(["insecure", "secure"]);
      await page.getByTestId("compare-jump-strip").click();
      await expect.poll(() => stepText(page)).toBe(`Step ${FREEBSD_DIVERGE + 1} of ${freebsd.events.length}`);
      expect(await page.getByTestId("narration").locator(".narration-fn").textContent()).toBe("if_simloop()");
      await settledScreenshot(page, "compare-07-freebsd");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
  it("one click compares the seed story with Linux XFRM, and KLIPS 1999 with 2003, side by side (issue 13)", async () => {
    const linux = traceOf("lo0-esp-ping", [], (s) => ({ ...s, personality: "linux-xfrm" }));
    const al = alignTraces(bug, linux)!;
    // Where the panel opens: the kernels' first pair of decisions (xfrm_lookup ≈ ipsec4_checkpolicy).
    const pair = al.divergences[0]!.decisions.find((x) => x.base && x.run)!;
    expect([pair.run!.fn, pair.base!.fn]).toEqual(["xfrm_lookup", "ipsec4_checkpolicy"]);
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByRole("tab", { name: /Fixes/ }).click();
      const button = page.getByTestId("compare-kernel-linux-xfrm");
      await button.scrollIntoViewIfNeeded();
      expect(await button.textContent()).toBe("Compare with Linux XFRM");
      await button.click();
      const panel = page.getByTestId("aligned");
      await panel.waitFor();
      await expect.poll(() => page.getByTestId("personality").inputValue()).toBe("linux-xfrm");
      await expect.poll(() => stepText(page)).toBe(`Step ${pair.run!.seq + 1} of ${linux.events.length}`);
      const current = panel.locator(".al-row.is-current");
      expect(await current.getAttribute("data-row")).toBe(String(pair.row));
      expect(await current.getAttribute("data-kind")).toBe("counterpart");
      expect(await current.locator(".al-cell--run").getAttribute("data-seq")).toBe(String(pair.run!.seq));
      expect(await current.locator(".al-cell--base").getAttribute("data-seq")).toBe(String(pair.base!.seq));
      // The explanation is the two events' own facts: what each kernel consulted and decided.
      const why = (await panel.getByTestId("aligned-why").textContent()) ?? "";
      expect(why).toContain("“bypass: DST_NOXFRM”");
      expect(why).toContain("net.ipv4.conf.lo.disable_xfrm = 1");
      expect(why).toContain("“IPsec”");
      expect(await button.getAttribute("aria-pressed")).toBe("true");
      await settledScreenshot(page, "compare-09-linux-xfrm");

      // Seed 002: the 1999 KLIPS against the 2003 one, opened at their first difference.
      const k99 = traceOf("klips-bigpackets");
      const k03 = traceOf("klips-bigpackets", [], (s) => ({ ...s, personality: "linux-2.2-klips-2003" }));
      const kal = alignTraces(k99, k03)!;
      await page.evaluate(() => (location.hash = "#v=1&s=klips-bigpackets"));
      await expect.poll(() => page.getByTestId("personality").inputValue()).toBe("linux-2.2-klips-1999");
      await page.getByRole("tab", { name: /Fixes/ }).click();
      const k = page.getByTestId("compare-kernel-linux-2.2-klips-2003");
      await k.scrollIntoViewIfNeeded();
      await k.click();
      await expect.poll(() => page.getByTestId("personality").inputValue()).toBe("linux-2.2-klips-2003");
      await expect.poll(() => panel.locator(".al-row.is-current").getAttribute("data-row")).toBe(String(kal.first));
      expect(await verdictChips(page, "[data-testid=aligned]")).toEqual(["crash", "secure"]);
      await settledScreenshot(page, "compare-10-klips");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
