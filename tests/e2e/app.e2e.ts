/**
 * The visualizer in Chromium: the seed story's stale OUT_DONE, the fix that makes the ping
 * secure, time travel at the edges, keyboard-only use, themes, bad input, and screenshots of
 * each state (test-results/screenshots/). Step numbers come from running the engine here, so
 * the tests follow the engine as it changes.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { ScenarioTrace } from "../../src/engine/index";
import { expectNoConsoleErrors, openApp, screenshot as save } from "../support/browser";
import { FIX, openReady, replyLoopCheck, settledScreenshot, stepText, traceOf, useChromium } from "./support";

const bug = traceOf("lo0-esp-ping");
const fixed = traceOf("lo0-esp-ping", [FIX]);
const BUG_LOOP = replyLoopCheck(bug);
const FIXED_LOOP = replyLoopCheck(fixed);

const open = openReady;
const screenshot = settledScreenshot;
const outcomeText = async (page: Page) => ((await page.getByTestId("outcome").textContent()) ?? "").toLowerCase();

/** Press `]` until the cursor reaches `target` (every decision on the way is visited). */
async function decisionsTo(page: Page, t: ScenarioTrace, target: number): Promise<void> {
  const before = t.events.filter((e) => e.kind === "decision" && e.seq <= target).length;
  for (let i = 0; i < before; i++) await page.keyboard.press("]");
  await expect.poll(() => stepText(page)).toBe(`Step ${target + 1} of ${t.events.length}`);
}

/** Press Tab until the focused element matches `selector`. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe("the visualizer", () => {
  const chromium = useChromium();

  it("opens the seed story at step 1 with the stack, the verdict and the engine in a worker", async () => {
    const app = await openApp(chromium.browser, chromium.env.baseURL);
    try {
      const { page } = app;
      await page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
      expect(await stepText(page)).toBe(`Step 1 of ${bug.events.length}`);
      expect(await outcomeText(page)).toContain("insecure");
      expect(await page.getByTestId("scenario").inputValue()).toBe("lo0-esp-ping");
      await expect.poll(() => page.locator('[data-testid=stack] .slot[data-active="true"]').getAttribute("data-slot")).toBe("app");
      // The first run happened before this listener; a re-run must go to the same worker, not the fallback chunk.
      const fallback: string[] = [];
      page.on("request", (r) => {
        if (/runTrace-.*\.js$/.test(r.url())) fallback.push(r.url());
      });
      await page.getByTestId("personality").selectOption("freebsd-7");
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("secure");
      expect(fallback).toEqual([]);
      expect(page.workers().map((w) => w.url())).toEqual([expect.stringMatching(/engine\.worker-.*\.js$/)]);
      await screenshot(page, "01-start");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("shows a loading state while the engine runs, never a blank page", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const app = await openApp(chromium.browser, chromium.env.baseURL, {
      beforeLoad: async (page) => {
        await page.route(/engine\.worker-.*\.js$/, async (route) => {
          await held;
          await route.continue();
        });
      },
    });
    try {
      const { page } = app;
      await page.getByText("Running the engine…").first().waitFor();
      expect(await page.getByTestId("outcome").textContent()).toContain("running");
      expect(await stepText(page)).toBe("Step 0 of 0");
      await save(page, "00-loading");
      release();
      await page.locator(".banner[data-verdict]").waitFor({ timeout: 15_000 });
      expect(await stepText(page)).toBe(`Step 1 of ${bug.events.length}`);
      expectNoConsoleErrors(app);
    } finally {
      release();
      await app.close();
    }
  });

  it("says so when the worker cannot start, and never runs the scenario on the main thread (issue 16)", async () => {
    const app = await openApp(chromium.browser, chromium.env.baseURL, {
      beforeLoad: async (page) => {
        await page.route(/engine\.worker-.*\.js$/, (route) => route.abort());
      },
    });
    try {
      const { page } = app;
      const noTrace = page.locator(".no-trace");
      await noTrace.waitFor({ timeout: 15_000 });
      expect(await noTrace.textContent()).toMatch(
        /engine worker .*so nothing was run: tagflow runs scenarios only in a worker, never on the page itself/,
      );
      expect(await page.locator(".banner[data-verdict]").count()).toBe(0);
      // The aborted worker script is the only error: it is what this test provokes.
      expectNoConsoleErrors(app, { ignore: [/engine\.worker-.*\.js/] });
    } finally {
      await app.close();
    }
  });

  it("steps to the reply's ip_output loop check and highlights the stale OUT_DONE it consulted", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await decisionsTo(page, bug, BUG_LOOP);
      const stack = page.getByTestId("stack");
      const outDone = stack.locator('[data-testid=badge][data-name="IPSEC_OUT_DONE"]');
      await expect.poll(() => outDone.getAttribute("data-consulted")).toBe("true");
      expect(await outDone.getAttribute("data-stale")).toBe("true");
      expect(await outDone.textContent()).toContain("stale");
      // The IN_DONE riding along was not consulted by this decision.
      expect(await stack.locator('[data-testid=badge][data-name="IPSEC_IN_DONE"]').getAttribute("data-consulted")).toBe("false");
      expect(await stack.locator('.slot[data-active="true"]').getAttribute("data-slot")).toBe("ip");
      expect(await stack.locator('.slot[data-active="true"]').textContent()).toContain("skip IPsec");
      expect(await page.getByTestId("callout").textContent()).toMatch(/skip IPsec.*stale OUT_DONE/);
      const narration = (await page.getByTestId("narration").textContent()) ?? "";
      expect(narration).toContain("ip_output()");
      expect(narration).toContain("sys/netinet/ip_output.c");
      expect(narration).toContain("Stone’s step 8 of 8");
      expect(await page.locator(".finding-chip.is-current .chip-step").textContent()).toBe(String(BUG_LOOP + 1));
      await screenshot(page, "02-loop-check-stale-out-done");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("turns the banner from insecure to secure when icmp_reflect strips the tags, keeping the step", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await decisionsTo(page, bug, BUG_LOOP);
      expect(await outcomeText(page)).toContain("insecure");
      await page.getByRole("tab", { name: /Fixes/ }).click();
      const toggle = page.locator(`[data-fix="${FIX}"]`);
      expect(await toggle.getAttribute("role")).toBe("switch");
      expect(await toggle.isChecked()).toBe(false);
      await toggle.check();
      await expect.poll(() => outcomeText(page)).toMatch(/^secure/);
      expect(await outcomeText(page)).not.toContain("insecure");
      expect(await stepText(page)).toBe(`Step ${FIXED_LOOP + 1} of ${fixed.events.length}`);
      expect(await page.getByTestId("narration").textContent()).toContain("loop check");
      expect(await page.getByTestId("stack").locator('[data-testid=badge][data-name="IPSEC_OUT_DONE"]').count()).toBe(0);
      await screenshot(page, "03-fix-on-secure");

      await toggle.uncheck();
      await expect.poll(() => outcomeText(page)).toContain("insecure");
      expect(await stepText(page)).toBe(`Step ${BUG_LOOP + 1} of ${bug.events.length}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("does nothing harmful when stepping back past the start or forward past the end", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const n = bug.events.length;
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowLeft");
      expect(await stepText(page)).toBe(`Step 1 of ${n}`);
      await page.keyboard.press("Home");
      await page.keyboard.press("[");
      await page.keyboard.press("{");
      expect(await stepText(page)).toBe(`Step 1 of ${n}`);
      expect(await page.getByRole("button", { name: "Step back" }).isDisabled()).toBe(true);
      expect(await page.getByRole("button", { name: "Jump to start" }).isDisabled()).toBe(true);
      await expect.poll(() => page.locator('[data-testid=stack] .slot[data-active="true"]').getAttribute("data-slot")).toBe("app");
      await screenshot(page, "04-start-after-stepping-back");

      await page.keyboard.press("End");
      for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowRight");
      await page.keyboard.press("]");
      expect(await stepText(page)).toBe(`Step ${n} of ${n}`);
      expect(await page.getByRole("button", { name: "Step forward" }).isDisabled()).toBe(true);
      await page.keyboard.press("ArrowLeft");
      expect(await stepText(page)).toBe(`Step ${n - 1} of ${n}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("can be driven by the keyboard alone, with a visible focus ring", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const n = bug.events.length;
      // Space plays and pauses; the cursor moves on its own meanwhile.
      await page.keyboard.press("Space");
      await expect.poll(() => stepText(page), { timeout: 5000 }).not.toBe(`Step 1 of ${n}`);
      await page.keyboard.press("Space");
      expect(await page.getByRole("button", { name: "Play", exact: true }).count()).toBe(1);
      await page.keyboard.press("Home");
      await decisionsTo(page, bug, BUG_LOOP);
      await page.keyboard.press("}");
      const nextFinding = [...new Set(bug.outcome.findings.map((f) => f.step))].sort((a, b) => a - b).find((s) => s > BUG_LOOP)!;
      expect(await stepText(page)).toBe(`Step ${nextFinding + 1} of ${n}`);
      await page.keyboard.press("{");
      expect(await stepText(page)).toBe(`Step ${BUG_LOOP + 1} of ${n}`);

      // To the fix toggle: Tab to the side panel's tabs, arrow to "Fixes", Tab into it, Enter.
      await tabTo(page, '[role=tab][aria-selected="true"]');
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(ring).not.toBe("none");
      for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("Fixes");
      await tabTo(page, `[data-fix="${FIX}"]`, 5);
      // Enter flips a switch: Space always plays (issue 17).
      await page.keyboard.press("Enter");
      await expect.poll(() => outcomeText(page)).toMatch(/^secure/);
      expect(await stepText(page)).toBe(`Step ${FIXED_LOOP + 1} of ${fixed.events.length}`);
      await screenshot(page, "05-keyboard-fix-toggled");

      // Back to stepping: the arrows belong to the app again once focus leaves the controls.
      await page.locator("body").focus();
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press("ArrowRight");
      expect(await stepText(page)).toBe(`Step ${FIXED_LOOP + 2} of ${fixed.events.length}`);
      await page.keyboard.press("End");
      expect(await stepText(page)).toBe(`Step ${fixed.events.length} of ${fixed.events.length}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("announces the outcome in a live region and names every control", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const outcome = page.getByTestId("outcome");
      expect(await outcome.getAttribute("role")).toBe("status");
      expect(await outcome.getAttribute("aria-live")).toBe("polite");
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll("button, select, input, [role=tab], [role=switch]")]
          .filter((el) => !(el as HTMLElement).hidden && (el as HTMLInputElement).type !== "file")
          .filter((el) => {
            const label = el.getAttribute("aria-label") || el.textContent?.trim() || (el as HTMLInputElement).labels?.[0]?.textContent?.trim();
            return !label;
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unnamed).toEqual([]);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("jumps to a finding's step from the banner", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const critical = bug.outcome.findings.find((f) => f.severity === "critical")!;
      await page.locator(".finding-chip", { has: page.locator(".chip-step", { hasText: new RegExp(`^${critical.step + 1}$`) }) }).click();
      expect(await stepText(page)).toBe(`Step ${critical.step + 1} of ${bug.events.length}`);
      expect(await page.getByTestId("narration").textContent()).toContain(critical.sentence.slice(0, 40));
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("lights the hex bytes of a hovered field and the field of a hovered byte", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowRight");
      await page.locator('[data-field="ipv4#0.ttl"]').hover();
      await expect.poll(() => page.locator(".hex-byte.is-lit").count()).toBe(1);
      expect(await page.locator(".hex-byte.is-lit").getAttribute("data-offset")).toBe("8");
      await page.locator('.hex-byte[data-offset="13"]').hover();
      await expect.poll(() => page.locator(".tree-field.is-lit").getAttribute("data-field")).toBe("ipv4#0.src");
      expect(await page.locator(".hex-byte.is-lit").count()).toBe(4);
      await screenshot(page, "06-inspector-hover");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("shows ESP as ciphertext with a switch to its decrypted view", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const onWire = bug.events.findIndex((e) => e.kind === "link.tx");
      for (let i = 0; i < onWire; i++) await page.keyboard.press("ArrowRight");
      const card = page.getByTestId("stack").locator(".card");
      expect(await card.getAttribute("data-state")).toBe("encrypted");
      expect(await card.textContent()).toContain("ESP (encrypted)");
      expect(await page.locator(".tree-region-name").allTextContents()).toContain("ESP payload (encrypted)");
      await page.getByTestId("decrypted-toggle").check();
      const names = await page.locator(".tree-region-name").allTextContents();
      expect(names).toContain("ICMP header");
      expect(names).not.toContain("ESP payload (encrypted)");
      await screenshot(page, "07-decrypted-view");
      await page.getByTestId("decrypted-toggle").uncheck();
      expect(await page.locator(".tree-region-name").allTextContents()).toContain("ESP payload (encrypted)");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("keeps every panel in place while stepping", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const boxes = () =>
        page.evaluate(() =>
          ["[data-testid=stack]", ".side", ".narration", ".bottom", ".banner", ".topbar", "[data-testid=step]"].map((s) =>
            JSON.stringify(document.querySelector(s)!.getBoundingClientRect()),
          ),
        );
      const first = await boxes();
      const seen = new Set<string>();
      for (const keys of [["]", "]", "]"], ["End"], ["[", "["], ["Home", "ArrowRight"], ["}", "}"], ["ArrowRight", "ArrowRight", "ArrowRight"]]) {
        for (const k of keys) await page.keyboard.press(k);
        seen.add((await stepText(page)) ?? "");
        expect(await boxes()).toEqual(first);
      }
      expect(seen.size).toBe(6);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("tweens the card between boxes, and skips the tween and the pulses under prefers-reduced-motion", async () => {
    /** The card's transform right after a step and once it settled, and the consulted ring's animation. */
    const probe = async (page: Page) => {
      await decisionsTo(page, bug, BUG_LOOP);
      const ring = await page.evaluate(() => getComputedStyle(document.querySelector(".badge-ring")!).animationName);
      // The step after the next one crosses from IP down to the link: the card has somewhere to go.
      await page.keyboard.press("ArrowRight");
      await page.waitForTimeout(400);
      // The card and its connector tween together; the connector's end follows the slot even when
      // the card (tall with 16px badges) stays clamped to the bottom of the pane.
      const move = await page.evaluate(async () => {
        const where = () =>
          `${document.querySelector(".card-layer")!.getAttribute("transform")} ${document.querySelector(".connector")!.getAttribute("d")}`;
        window.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight" }));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
        const soon = where();
        await new Promise((r) => setTimeout(r, 500));
        return { soon, later: where() };
      });
      return { ring, ...move };
    };
    const moving = await open(chromium.browser, chromium.env);
    const still = await open(chromium.browser, chromium.env, { reducedMotion: "reduce" });
    try {
      const a = await probe(moving.page);
      expect(a.ring).toBe("ring");
      // Mid-tween the card is not yet where it settles.
      expect(a.soon).not.toBe(a.later);
      const b = await probe(still.page);
      expect(b.ring).toBe("none");
      expect(b.soon).toBe(b.later);
      expectNoConsoleErrors(moving);
      expectNoConsoleErrors(still);
    } finally {
      await moving.close();
      await still.close();
    }
  });

  it("is readable in the dark theme, by system preference or by the toggle", async () => {
    const app = await open(chromium.browser, chromium.env, { colorScheme: "dark" });
    try {
      const { page } = app;
      const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const chip = () => page.evaluate(() => getComputedStyle(document.querySelector(".verdict-chip")!).backgroundColor);
      expect(await bg()).toBe("rgb(11, 15, 20)");
      // The system's dark is the same palette as the toggle's: one set of dark rules.
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
      const systemDarkChip = await chip();
      await decisionsTo(page, bug, BUG_LOOP);
      await screenshot(page, "08-dark-loop-check");
      // Auto → Light → Dark.
      await page.getByTestId("theme").click();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
      expect(await bg()).toBe("rgb(233, 237, 242)");
      await page.getByTestId("theme").click();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
      expect(await chip()).toBe(systemDarkChip);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("reports a bad scenario file with JSON paths and keeps the last good state", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      await decisionsTo(page, bug, BUG_LOOP);
      const file = {
        name: "broken.json",
        mimeType: "application/json",
        buffer: Buffer.from(JSON.stringify({ version: 1, name: "Bad Name", hosts: [] })),
      };
      await page.getByTestId("open-file").setInputFiles(file);
      const alert = page.getByTestId("problems");
      await alert.waitFor();
      expect(await alert.getAttribute("role")).toBe("alert");
      const text = (await alert.textContent()) ?? "";
      expect(text).toContain("Could not open broken.json");
      expect(text).toContain("$.name");
      expect(text).toContain("$.traffic");
      expect(await stepText(page)).toBe(`Step ${BUG_LOOP + 1} of ${bug.events.length}`);
      expect(await outcomeText(page)).toContain("insecure");
      expect(await page.getByTestId("scenario").inputValue()).toBe("lo0-esp-ping");
      await screenshot(page, "09-error-bad-file");
      // Focus went to Dismiss, so Enter closes it.
      await page.keyboard.press("Enter");
      await alert.waitFor({ state: "detached" });

      await page.getByTestId("open-file").setInputFiles({ ...file, name: "garbage.json", buffer: Buffer.from("{ not json") });
      await alert.waitFor();
      expect(await alert.textContent()).toContain("not valid JSON");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("designs the empty trace: a scenario that sends nothing", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const quiet = { version: 1, name: "quiet", title: "A host that sends nothing", hosts: [{ name: "quiet" }], traffic: [] };
      await page
        .getByTestId("open-file")
        .setInputFiles({ name: "quiet.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(quiet)) });
      await expect.poll(() => stepText(page)).toBe("Step 0 of 0");
      expect(await page.getByTestId("stack").textContent()).toContain("Nothing to step through");
      expect(await page.getByRole("button", { name: "Play", exact: true }).isDisabled()).toBe(true);
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("End");
      expect(await stepText(page)).toBe("Step 0 of 0");
      await screenshot(page, "10-empty-trace");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("fits a 1920×1080 screen, and a two-host tunnel", async () => {
    const app = await open(chromium.browser, chromium.env, { viewport: { width: 1920, height: 1080 } });
    try {
      const { page } = app;
      await decisionsTo(page, bug, BUG_LOOP);
      await screenshot(page, "11-1080p-loop-check");
      await page.getByTestId("scenario").selectOption("gw-esp-tunnel");
      await expect.poll(() => page.locator(".banner").getAttribute("data-verdict")).toBe("secure");
      expect(await page.getByTestId("stack").locator(".host").count()).toBe(2);
      const tunnel = traceOf("gw-esp-tunnel");
      const rx = tunnel.events.findIndex((e) => e.kind === "link.rx");
      for (let i = 0; i < rx; i++) await page.keyboard.press("ArrowRight");
      expect(await page.locator('[data-testid=stack] .host[data-host="gw-b"] .slot[data-active="true"]').getAttribute("data-slot")).toBe("link");
      await screenshot(page, "12-1080p-tunnel");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
