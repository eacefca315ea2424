/**
 * The scenario editor in Chromium (issue 18, "Done when"): start from lo0-esp-ping, add a
 * second host with an ESP tunnel to it, see the run update, share the link and open it in a
 * fresh page with the same scenario; an invalid edit shows its message beside the field and
 * leaves the last good run on screen; undo takes edits back. The expected step counts come
 * from the engine here in Node, from the same editor templates the app uses.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { builtinByName, loadScenario, runScenario } from "../../src/engine/index";
import { setIn, type Draft } from "../../src/ui/editor/draft";
import { addHost, addTunnel } from "../../src/ui/editor/templates";
import { expectNoConsoleErrors } from "../support/browser";
import { openReady, settledScreenshot, stepText, useChromium } from "./support";

const CLIPBOARD = ["clipboard-read", "clipboard-write"] as const;

/** What the test's edits make, run here: the key bytes do not change the number of steps. */
function expected(): { baseSteps: number; tunnelSteps: number; verdict: string } {
  const base = loadScenario(builtinByName("lo0-esp-ping"));
  let d = addHost(builtinByName("lo0-esp-ping") as Draft, 0);
  d = addTunnel(d, 0, 1, (b) => b.fill(7))!;
  d = setIn(d, ["traffic", 0, "dst"], "10.1.0.2");
  const edited = loadScenario(d);
  if (!base.ok || !edited.ok) throw new Error("the test's scenario does not validate");
  const t = runScenario(edited.scenario);
  return { baseSteps: runScenario(base.scenario).events.length, tunnelSteps: t.events.length, verdict: t.outcome.verdict };
}

const verdict = (page: Page) => page.locator(".banner").getAttribute("data-verdict");
const field = (page: Page, path: string) => page.locator(`[data-path="${path}"]`);

describe("the scenario editor", () => {
  const chromium = useChromium();
  const want = expected();

  it("adds a host with an ESP tunnel to lo0-esp-ping, re-runs, and the shared link opens the same scenario", async () => {
    expect(want.tunnelSteps).not.toBe(want.baseSteps);
    const first = await openReady(chromium.browser, chromium.env, { permissions: CLIPBOARD });
    let link: string | undefined;
    try {
      const { page } = first;
      expect(await verdict(page)).toBe("insecure");
      await expect.poll(() => stepText(page)).toBe(`Step 1 of ${want.baseSteps}`);
      await page.getByTestId("edit").click();
      await page.getByTestId("editor").waitFor();
      expect(await field(page, "$.hosts[0].sad[0].spi").inputValue()).toBe("0x1000");
      await settledScreenshot(page, "editor-01-open");

      // The topology: a host linked to the selected one, then a tunnel to it.
      await page.getByTestId("topo-add-host").click();
      await page.getByTestId("topo-host-host2").waitFor();
      expect(await field(page, "$.hosts[1].interfaces[0].addr").inputValue()).toBe("10.1.0.2/24");
      await page.getByTestId("topo-tunnel").click();
      await page.getByTestId("topo-host-host2").click();
      expect(await field(page, "$.hosts[1].sad[0].mode").inputValue()).toBe("tunnel");
      expect(await field(page, "$.hosts[0].spd[2].requests[0].tunnelDst").inputValue()).toBe("10.1.0.2");
      // The drawing is navigation: clicking a host brings its section into view and focuses it.
      await page.getByTestId("topo-host-host2").click();
      await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-path"))).toBe("$.hosts[1].name");
      // A generated key has the length the algorithm table asks for (AES-GCM-16: the longest, 36 bytes).
      expect(await field(page, "$.hosts[0].sad[1].encKey").inputValue()).toMatch(/^0x[0-9a-f]{72}$/);

      // Ping the new host: the run re-executes by itself and the verdict and steps change.
      await field(page, "$.traffic[0].dst").fill("10.1.0.2");
      await expect.poll(() => page.getByTestId("editor").getAttribute("data-run"), { timeout: 15_000 }).toBe("applied");
      await expect.poll(() => stepText(page)).toBe(`Step 1 of ${want.tunnelSteps}`);
      expect(await verdict(page)).toBe(want.verdict);
      await settledScreenshot(page, "editor-02-tunnel");

      await page.getByTestId("copy-link").click();
      link = await page.getByTestId("share-url").inputValue();
      expect(link).toMatch(/#v=1&z=/);
      expectNoConsoleErrors(first);
    } finally {
      await first.close();
    }

    const second = await openReady(chromium.browser, chromium.env, { path: new URL(link!).hash });
    try {
      const { page } = second;
      await expect.poll(() => stepText(page)).toBe(`Step 1 of ${want.tunnelSteps}`);
      expect(await verdict(page)).toBe(want.verdict);
      await page.getByTestId("edit").click();
      await page.getByTestId("editor").waitFor();
      expect(await field(page, "$.hosts[1].name").inputValue()).toBe("host2");
      expect(await field(page, "$.hosts[1].sad[0].mode").inputValue()).toBe("tunnel");
      expect(await field(page, "$.traffic[0].dst").inputValue()).toBe("10.1.0.2");
      await settledScreenshot(page, "editor-03-from-link");
      expectNoConsoleErrors(second);
    } finally {
      await second.close();
    }
  });

  it("shows an invalid edit's message beside its field, keeps the last good run, and undoes it", async () => {
    const app = await openReady(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await page.getByTestId("edit").click();
      await page.getByTestId("editor").waitFor();
      // A valid edit first, so there is a run of the editor's own on screen.
      await field(page, "$.traffic[0].count").fill("2");
      await expect.poll(() => page.getByTestId("editor").getAttribute("data-run"), { timeout: 15_000 }).toBe("applied");
      const steps = await stepText(page);
      expect(steps).not.toBe(`Step 1 of ${want.baseSteps}`);

      const key = field(page, "$.hosts[0].sad[0].encKey");
      await key.fill("0x1234");
      const beside = page.locator(".ed-field", { has: key }).getByTestId("field-problem");
      await expect.poll(() => beside.textContent()).toMatch(/aes-gcm-16 needs a 20-, 28- or 36-byte key.*got 2/);
      expect(await key.getAttribute("aria-invalid")).toBe("true");
      expect(await page.getByTestId("editor").getAttribute("data-run")).toBe("invalid");
      expect(await page.getByTestId("editor-problems").textContent()).toContain("$.hosts[0].sad[0].encKey");
      // Longer than the debounce: still not run, the last good run stays.
      await page.waitForTimeout(900);
      expect(await stepText(page)).toBe(steps);
      expect(await verdict(page)).toBe("insecure");
      await settledScreenshot(page, "editor-04-invalid");

      // Generate puts a key of the right length back; Ctrl+Z undoes it, Ctrl+Shift+Z redoes it.
      await page.locator(".ed-field", { has: key }).getByTestId("generate-key").click();
      expect(await key.inputValue()).toMatch(/^0x[0-9a-f]{72}$/);
      await expect.poll(() => page.getByTestId("editor").getAttribute("data-run"), { timeout: 15_000 }).toBe("applied");
      // From the page as well as from inside the editor.
      await page.locator("body").click({ position: { x: 5, y: 300 } });
      await page.keyboard.press("Control+z");
      expect(await key.inputValue()).toBe("0x1234");
      await page.keyboard.press("Control+Shift+z");
      expect(await key.inputValue()).toMatch(/^0x[0-9a-f]{72}$/);
      await page.getByTestId("editor-undo").click();
      await page.getByTestId("editor-undo").click();
      expect(await key.inputValue()).toBe("0x0123456789abcdef0123456789abcdefcafebabe");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("is readable at 1024×768 and 1920×1080", async () => {
    for (const viewport of [
      { width: 1024, height: 768 },
      { width: 1920, height: 1080 },
    ]) {
      const app = await openReady(chromium.browser, chromium.env, { viewport });
      try {
        const { page } = app;
        if (viewport.width < 1100) await page.getByTestId("header-menu").click();
        await page.getByTestId("edit").click();
        await page.getByTestId("editor").waitFor();
        await page.getByTestId("topo-add-host").click();
        const box = await page.getByTestId("editor").boundingBox();
        expect(box && box.width).toBeGreaterThan(300);
        await settledScreenshot(page, `editor-05-${viewport.width}`);
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    }
  });
});
