import { describe, expect, it } from "vitest";
import { expectNoConsoleErrors, openApp, screenshot } from "../support/browser";
import { useChromium } from "./support";

describe("the built app", () => {
  const chromium = useChromium();

  it("renders its heading, the stack and a verdict with no console errors", async () => {
    const app = await openApp(chromium.browser, chromium.env.baseURL);
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
    const response = await fetch(new URL("favicon.svg", chromium.env.baseURL));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  });
});
