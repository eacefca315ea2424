import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2eContext, expectNoConsoleErrors, launchBrowser, openApp, screenshot, type E2EContext } from "../support/browser";

describe("the built app", () => {
  let env: E2EContext;
  let browser: Browser;

  beforeAll(async () => {
    env = e2eContext();
    browser = await launchBrowser(env.chromePath);
  });

  afterAll(async () => {
    // undefined when beforeAll failed
    await browser?.close();
  });

  it("renders its heading, the stack and a verdict with no console errors", async () => {
    const app = await openApp(browser, env.baseURL);
    try {
      const heading = app.page.getByRole("heading", { level: 1 });
      await heading.waitFor({ state: "visible", timeout: 10_000 });
      expect(await heading.textContent()).toBe("tagflow");
      expect(await app.page.title()).toBe("tagflow — packet flow through a kernel stack");
      expect(await app.page.locator("html").getAttribute("lang")).toBe("en");
      await app.page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
      expect(await app.page.getByTestId("step").textContent()).toMatch(/^Step 1 of \d+$/);
      expect(await app.page.getByTestId("stack").locator("svg").count()).toBe(1);

      const path = await screenshot(app.page, "smoke");
      expect(path).toMatch(/test-results\/screenshots\/smoke\.png$/);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("serves the favicon", async () => {
    const response = await fetch(new URL("favicon.svg", env.baseURL));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  });
});
