/**
 * What the end-to-end suites share: one Chromium per file, opening the app once its first trace
 * is on screen, screenshots after the card's tween has settled, and traces computed here in Node
 * so the tests find their steps from the engine as it is, not from numbers written down.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { builtinByName, loadScenario, runScenario, type ScenarioTrace } from "../../src/engine/index";
import { replyLoopCheck } from "../helpers/trace";
import { e2eContext, launchBrowser, openApp, screenshot as save, type AppPage, type E2EContext, type OpenAppOptions } from "../support/browser";

export { replyLoopCheck };

/** The 2003 fix the suites toggle. */
export const FIX = "icmp-reflect-strips-tags";

/** Launch Chromium before a file's tests and close it after; read `env`/`browser` inside tests. */
export function useChromium(): { readonly env: E2EContext; readonly browser: Browser } {
  let env: E2EContext | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    env = e2eContext();
    browser = await launchBrowser(env.chromePath);
  });
  afterAll(async () => {
    // undefined when beforeAll failed
    await browser?.close();
  });
  return {
    get env() {
      if (!env) throw new Error("the e2e context is not set up (beforeAll failed)");
      return env;
    },
    get browser() {
      if (!browser) throw new Error("Chromium is not running (beforeAll failed)");
      return browser;
    },
  };
}

/** Open the app and wait until the engine's first trace is on screen (the banner has a verdict). */
export async function openReady(browser: Browser, env: E2EContext, options: OpenAppOptions = {}): Promise<AppPage> {
  const app = await openApp(browser, env.baseURL, options);
  await app.page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
  return app;
}

/** Save a screenshot once the card's tween (≤ 260 ms) has settled. */
export async function settledScreenshot(page: Page, name: string): Promise<string> {
  await page.waitForTimeout(350);
  return save(page, name);
}

/** The "Step i of n" readout. */
export const stepText = (page: Page) => page.getByTestId("step").first().textContent();

/** A built-in's trace, with fixes and an optional change to the scenario, run here in Node. */
export function traceOf(
  name: string,
  fixes: string[] = [],
  change: (s: Record<string, unknown>) => Record<string, unknown> = (s) => s,
): ScenarioTrace {
  const loaded = loadScenario(change({ ...builtinByName(name), fixes }));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return runScenario(loaded.scenario);
}
