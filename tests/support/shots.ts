/**
 * Screenshots and stack-view font sizes for a look by eye (issue 17): the served app at
 * 1280×720, 1024×768, 1920×1080 (and 800, 960×540 embed), light and dark, in the states a class
 * sees. Same driver as the e2e tests. Usage: npx tsx tests/support/shots.ts <baseURL> <outDir>
 */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { launchBrowser, openApp } from "./browser";
import { CHROMIUM, ensureTool } from "./debian";

/** The smallest rendered font size (CSS px) of any text in the stack view, with what it is. */
export async function minStackFont(page: Page): Promise<{ px: number; what: string }> {
  return page.evaluate(() => {
    let best = { px: Infinity, what: "" };
    const pane = document.querySelector("[data-testid=stack]");
    if (!pane) return best;
    for (const el of pane.querySelectorAll<Element>("text, tspan, .callout *, .callout, .story, .story *")) {
      const own = [...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && (c.textContent ?? "").trim() !== "");
      if (!own) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      const svg = el instanceof SVGElement ? el.closest("svg") : null;
      const px = svg ? size * (svg.getScreenCTM()?.a ?? 1) : size;
      if (px < best.px)
        best = { px: Math.round(px * 10) / 10, what: `${el.getAttribute("class") ?? el.tagName}: ${(el.textContent ?? "").slice(0, 30)}` };
    }
    return best;
  });
}

async function main(): Promise<void> {
  const [base = "http://127.0.0.1:4199/", out = "/tmp/shots"] = process.argv.slice(2);
  mkdirSync(out, { recursive: true });
  const browser = await launchBrowser(ensureTool(CHROMIUM));
  const sizes = [
    { width: 1280, height: 720 },
    { width: 1024, height: 768 },
    { width: 1920, height: 1080 },
    { width: 800, height: 900 },
  ];
  const only = process.env.SHOTS_ONLY;
  try {
    for (const scheme of ["light", "dark"] as const) {
      for (const viewport of sizes) {
        const tag = `${viewport.width}x${viewport.height}-${scheme}`;
        if (only && !tag.includes(only)) continue;
        const app = await openApp(browser, base, { viewport, colorScheme: scheme });
        const { page } = app;
        await page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
        await page.waitForTimeout(400);
        await page.screenshot({ path: `${out}/${tag}-1-start.png` });
        console.log(tag, "start", await minStackFont(page));
        // To the bug: the first finding.
        await page.keyboard.press("}");
        await page.waitForTimeout(400);
        await page.screenshot({ path: `${out}/${tag}-2-bug.png` });
        console.log(tag, "bug", await minStackFont(page));
        await page.keyboard.press("p");
        await page.waitForTimeout(400);
        await page.screenshot({ path: `${out}/${tag}-3-present.png` });
        await page.keyboard.press("p");
        await page.keyboard.press("?");
        await page.waitForTimeout(200);
        await page.screenshot({ path: `${out}/${tag}-4-help.png` });
        await page.keyboard.press("Escape");
        await app.close();
      }
      if (only && !"embed".includes(only)) continue;
      const embed = await openApp(browser, base, { path: "?embed", viewport: { width: 960, height: 540 }, colorScheme: scheme });
      await embed.page.locator("[data-testid=stack] svg").waitFor({ timeout: 15_000 });
      await embed.page.keyboard.press("}");
      await embed.page.waitForTimeout(400);
      await embed.page.screenshot({ path: `${out}/embed-960x540-${scheme}.png` });
      console.log("embed", scheme, await minStackFont(embed.page));
      await embed.close();
    }
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
