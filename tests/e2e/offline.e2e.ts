/**
 * Offline after the first load (issue 17): the service worker vite-plugin-pwa generates
 * precaches the build, so a classroom whose Wi-Fi drops can still reload the app — and a shared
 * link still opens on its scenario, because the engine worker is precached too.
 */
import { describe, expect, it } from "vitest";
import { expectNoConsoleErrors, openApp } from "../support/browser";
import { useChromium } from "./support";

describe("offline", () => {
  const chromium = useChromium();

  it("reloads with the network off once the service worker has taken control", async () => {
    const app = await openApp(chromium.browser, chromium.env.baseURL, { serviceWorkers: "allow" });
    try {
      const { page, context } = app;
      await page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
      // Precaching finishes before the worker activates; clientsClaim makes it control this page.
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      expect(scope).toBe(chromium.env.baseURL);
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });

      await context.setOffline(true);
      // Proof the network is really gone for this page: a request Workbox does not cache fails.
      const probe = await page.evaluate(async () => {
        try {
          await fetch(`nothing-here-${Date.now()}.txt`, { cache: "no-store" });
          return "reached the server";
        } catch {
          return "network error";
        }
      });
      expect(probe).toBe("network error");

      await page.reload();
      await page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("step").textContent()).toMatch(/^Step 1 of \d+$/);

      // A different scenario by link, offline: the engine worker runs from the cache.
      await page.goto(`${chromium.env.baseURL}#v=1&s=lo0-esp-ping&f=icmp-reflect-strips-tags`);
      await page.locator('.banner[data-verdict="secure"]').waitFor({ timeout: 15_000 });
      await context.setOffline(false);
      // The probe's own failure is the only network error expected.
      app.consoleErrors.splice(0, app.consoleErrors.length, ...app.consoleErrors.filter((m) => !/nothing-here|ERR_INTERNET_DISCONNECTED/.test(m)));
      app.failedRequests.splice(0, app.failedRequests.length, ...app.failedRequests.filter((m) => !/nothing-here/.test(m)));
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
