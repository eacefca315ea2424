/**
 * Sharing in Chromium: a copied link reopens the same scenario, fixes, step, panel and selection
 * in a fresh page; Back/Forward go through fix toggles; hostile links get a clear message and
 * never a blank page; the read-only embed inside another site's page; every export, checked
 * against the same export made here in Node, and the scenario file opened again by picker and by
 * drag-and-drop. Screenshots of each state go to test-results/screenshots/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { deflateSync } from "fflate";
import type { Download, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { builtinByName, loadScenario } from "../../src/engine/index";
import { espSaTableLines, readPcapng, traceEspSas, traceToJson, traceToPcapng } from "../../src/export/index";
import { toBase64Url } from "../../src/share/codec";
import { expectNoConsoleErrors, openApp, screenshot as save } from "../support/browser";
import { FIX, openReady, replyLoopCheck, settledScreenshot, stepText, traceOf, useChromium } from "./support";

const CLIPBOARD = ["clipboard-read", "clipboard-write"] as const;
const outDir = fileURLToPath(new URL("../../test-results/exports/", import.meta.url));

const bug = traceOf("lo0-esp-ping");
const fixed = traceOf("lo0-esp-ping", [FIX]);
/** With the fix on: the first step where the packet carries two tags (OUT_DONE and IN_DONE). */
const TAGGED = fixed.events.findIndex((e) => e.packet >= 0 && fixed.packets.at(e.packet)!.tags.length >= 2);
const BUG_LOOP = replyLoopCheck(bug);

const open = openReady;
const screenshot = settledScreenshot;
const verdict = (page: Page) => page.locator(".banner").getAttribute("data-verdict");

/** Press → until the cursor is on `target` (0-based). */
async function stepTo(page: Page, target: number, total: number): Promise<void> {
  await page.keyboard.press("Home");
  for (let i = 0; i < target; i++) await page.keyboard.press("ArrowRight");
  await expect.poll(() => stepText(page)).toBe(`Step ${target + 1} of ${total}`);
}

describe("sharing", () => {
  const chromium = useChromium();
  beforeAll(() => void mkdirSync(outDir, { recursive: true }));

  it("copies a link that opens the same scenario, fix, step, panel and selected tag in a fresh page", async () => {
    expect(TAGGED).toBeGreaterThan(0);
    const first = await open(chromium.browser, chromium.env, { permissions: CLIPBOARD });
    let link: string | undefined;
    try {
      const { page } = first;
      await page.getByRole("tab", { name: /Fixes/ }).click();
      await page.locator(`[data-fix="${FIX}"]`).check();
      await expect.poll(() => verdict(page)).toBe("secure");
      await page.locator("body").click({ position: { x: 5, y: 300 } });
      await stepTo(page, TAGGED, fixed.events.length);
      await page.getByRole("tab", { name: "Tags & flags" }).click();
      const inDone = page.locator(".tag-item", { hasText: "PACKET_TAG_IPSEC_IN_DONE" });
      await inDone.locator(".tag-item-head").click();
      expect(await inDone.locator(".tag-item-head").getAttribute("aria-pressed")).toBe("true");

      await page.getByTestId("copy-link").click();
      await expect.poll(() => page.getByTestId("share-status").textContent()).toContain("Link copied");
      expect(await page.getByTestId("copy-link").textContent()).toContain("Copied");
      link = await page.getByTestId("share-url").inputValue();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
      expect(link).toMatch(new RegExp(`#v=1&s=lo0-esp-ping&f=${FIX}&c=${TAGGED + 1}&k=[^&]+&t=tags&tag=\\d+$`));
      // The address bar follows too (once the cursor settled).
      await expect.poll(() => page.evaluate(() => location.hash)).toBe(new URL(link).hash);
      expect(await page.getByTestId("embed-code").inputValue()).toContain(`?embed#v=1&amp;s=lo0-esp-ping&amp;f=${FIX}`);
      await screenshot(page, "share-01-link-copied");

      // The shortcut copies the same link.
      await page.keyboard.press("Escape");
      await page.getByTestId("share-popover").waitFor({ state: "detached" });
      await page.evaluate(() => navigator.clipboard.writeText(""));
      await page.keyboard.press("c");
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(link);
      expectNoConsoleErrors(first);
    } finally {
      await first.close();
    }

    expect(link).toMatch(/^http/);
    const second = await openApp(chromium.browser, chromium.env.baseURL, { path: link!.slice(link!.indexOf("#")) });
    try {
      const { page } = second;
      await expect.poll(() => stepText(page), { timeout: 15_000 }).toBe(`Step ${TAGGED + 1} of ${fixed.events.length}`);
      expect(await verdict(page)).toBe("secure");
      expect(await page.getByTestId("scenario").inputValue()).toBe("lo0-esp-ping");
      expect(await page.getByRole("tab", { name: "Tags & flags" }).getAttribute("aria-selected")).toBe("true");
      const inDone = page.locator(".tag-item", { hasText: "PACKET_TAG_IPSEC_IN_DONE" });
      expect(await inDone.getAttribute("class")).toContain("is-selected");
      expect(await page.getByRole("tab", { name: /Fixes/ }).textContent()).toContain("1 on");
      await page.getByRole("tab", { name: /Fixes/ }).click();
      expect(await page.locator(`[data-fix="${FIX}"]`).isChecked()).toBe(true);
      await screenshot(page, "share-02-link-opened");
      expectNoConsoleErrors(second);
    } finally {
      await second.close();
    }
  });

  it("goes Back and Forward through fix toggles, not through every step", async () => {
    const app = await open(chromium.browser, chromium.env);
    try {
      const { page } = app;
      const length = () => page.evaluate(() => history.length);
      const start = await length();
      await stepTo(page, BUG_LOOP, bug.events.length);
      await page.waitForTimeout(600);
      expect(await length()).toBe(start);
      await page.getByRole("tab", { name: /Fixes/ }).click();
      await page.locator(`[data-fix="${FIX}"]`).check();
      await expect.poll(() => verdict(page)).toBe("secure");
      await expect.poll(length).toBe(start + 1);
      await page.locator("body").click({ position: { x: 5, y: 300 } });
      for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
      await page.waitForTimeout(600);
      expect(await length()).toBe(start + 1);

      await page.goBack();
      await expect.poll(() => verdict(page)).toBe("insecure");
      expect(await stepText(page)).toBe(`Step ${BUG_LOOP + 1} of ${bug.events.length}`);
      expect(await page.locator(`[data-fix="${FIX}"]`).isChecked()).toBe(false);

      await page.goForward();
      await expect.poll(() => verdict(page)).toBe("secure");
      const fixedLoop = fixed.events.findIndex(
        (e, i) => i > fixed.events.findIndex((x) => x.fn === "icmp_reflect") && e.kind === "decision" && e.check === "ipsec-loop",
      );
      expect(await stepText(page)).toBe(`Step ${fixedLoop + 6} of ${fixed.events.length}`);
      expect(await page.locator(`[data-fix="${FIX}"]`).isChecked()).toBe(true);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  describe("hostile links", () => {
    const seed = builtinByName("lo0-esp-ping")!;
    const zOf = (value: unknown) => toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(value))));
    const good = zOf(seed);
    const spi0 = zOf({ ...seed, hosts: [{ ...seed.hosts[0]!, sad: [{ ...seed.hosts[0]!.sad![0]!, spi: 0 }] }] });
    const bomb = toBase64Url(deflateSync(new Uint8Array(40 * 1024 * 1024), { level: 9 }));
    const cases: readonly [string, string, RegExp][] = [
      ["truncated", `#v=1&z=${good.slice(0, Math.floor(good.length / 2))}`, /#z.*(cut off|not valid compressed)/],
      ["bad-base64", `#v=1&z=${good.slice(0, 20)}*!${good.slice(22)}`, /#z\s*is not valid base64url: "\*" at position 21/],
      ["zip-bomb", `#v=1&z=${bomb}`, /#z\s*unpacks to more than 524288 bytes/],
      ["newer-version", "#v=9&s=lo0-esp-ping", /#v\s*this link was made by a newer tagflow/],
      ["spi-0", `#v=1&z=${spi0}&c=40`, /\$\.hosts\[0\]\.sad\[0\]\.spi\s*SPI 0 is reserved/],
    ];

    it.each(cases)("a %s link says what is wrong and shows the default scenario", async (name, hash, message) => {
      expect(hash.length).toBeLessThan(64 * 1024);
      const app = await openApp(chromium.browser, chromium.env.baseURL, { path: hash });
      try {
        const { page } = app;
        const alert = page.getByTestId("problems");
        await alert.waitFor({ timeout: 15_000 });
        expect(await alert.getAttribute("role")).toBe("alert");
        expect(await alert.textContent()).toMatch(message);
        expect(await alert.textContent()).toMatch(/This link could not be opened|The scenario in this link could not be run/);
        await expect.poll(() => alert.textContent()).toContain("tagflow opened its default scenario instead.");
        await page.locator(".banner[data-verdict]").waitFor();
        expect(await page.getByTestId("scenario").inputValue()).toBe("lo0-esp-ping");
        expect(await stepText(page)).toBe(`Step 1 of ${bug.events.length}`);
        expect(await page.getByTestId("stack").locator(".host").count()).toBe(1);
        if (name === "spi-0") await screenshot(page, "share-03-hostile-link-spi0");
        if (name === "zip-bomb") await screenshot(page, "share-04-hostile-link-zip-bomb");
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    });

    it("typed over a good state, keeps that state on screen", async () => {
      const app = await open(chromium.browser, chromium.env, { path: "#v=1&s=lo0-ah-ping&c=9" });
      try {
        const { page } = app;
        const ah = traceOf("lo0-ah-ping");
        await expect.poll(() => stepText(page)).toBe(`Step 9 of ${ah.events.length}`);
        await page.evaluate(() => {
          location.hash = "#v=1&z=%%%";
        });
        await page.getByTestId("problems").waitFor();
        expect(await page.getByTestId("problems").textContent()).toContain("#z");
        expect(await page.getByTestId("scenario").inputValue()).toBe("lo0-ah-ping");
        expect(await stepText(page)).toBe(`Step 9 of ${ah.events.length}`);
        expectNoConsoleErrors(app);
      } finally {
        await app.close();
      }
    });
  });

  it("embeds read-only in another site's page: stack, narration, steps within the excerpt, a link back", async () => {
    const hash = "#v=1&s=lo0-esp-ping&c=65";
    const slides = "http://course.example/ipsec/slides.html";
    // Both sites public, as in real life: tagflow.example is the app served here, course.example
    // the page embedding it. (A public page may not frame 127.0.0.1: Chromium's local network
    // access checks block it, so the app is reached under a public name.)
    const app = await openApp(chromium.browser, chromium.env.baseURL, {
      path: slides,
      beforeLoad: async (page) => {
        await page.context().route("http://tagflow.example/**", async (route) => {
          const url = new URL(route.request().url());
          await route.fulfill({ response: await route.fetch({ url: new URL(`.${url.pathname}${url.search}`, chromium.env.baseURL).href }) });
        });
        await page.route(slides, (route) =>
          route.fulfill({
            contentType: "text/html",
            body: `<!doctype html><title>IPsec lecture 4</title><h1 style="font:20px sans-serif">Lecture 4: the 2003 loopback bug</h1><iframe src="http://tagflow.example/?embed&from=60&to=70${hash}" title="tagflow" width="960" height="540" style="border:1px solid #ccc"></iframe>`,
          }),
        );
      },
      viewport: { width: 1000, height: 640 },
    });
    try {
      const frame = app.page.frameLocator("iframe");
      await frame.getByTestId("embed").waitFor({ timeout: 15_000 });
      await expect.poll(() => frame.getByTestId("step").textContent(), { timeout: 15_000 }).toBe(`Step 65 of ${bug.events.length}`);
      expect(await frame.getByTestId("range").textContent()).toBe("steps 60–70");
      expect(await frame.getByTestId("outcome").textContent()).toBe("insecure");
      expect(await frame.getByTestId("narration").textContent()).toContain("ip_output()");
      expect(await frame.getByTestId("stack").locator(".host").count()).toBe(1);
      // Read-only and chrome-less: no header, no fixes, no files, no exports.
      for (const hidden of [".topbar", "[data-fix]", "[data-testid=open-file]", "[data-testid=export]", "[data-testid=copy-link]", ".bottom"])
        expect(await frame.locator(hidden).count()).toBe(0);
      await app.page.waitForTimeout(350);
      await save(app.page, "share-05-embed-in-a-course-page");
      const historyLength = await app.page.evaluate(() => history.length);

      await frame.getByRole("button", { name: "Step forward" }).click();
      expect(await frame.getByTestId("step").textContent()).toBe(`Step 66 of ${bug.events.length}`);
      await frame.getByRole("button", { name: "Jump to end" }).click();
      expect(await frame.getByTestId("step").textContent()).toBe(`Step 70 of ${bug.events.length}`);
      expect(await frame.getByRole("button", { name: "Step forward" }).isDisabled()).toBe(true);
      await frame.getByRole("button", { name: "Jump to start" }).click();
      expect(await frame.getByTestId("step").textContent()).toBe(`Step 60 of ${bug.events.length}`);
      await frame.getByRole("button", { name: "Play", exact: true }).click();
      await expect.poll(() => frame.getByTestId("step").textContent(), { timeout: 20_000, interval: 250 }).toBe(`Step 70 of ${bug.events.length}`);
      await frame.getByRole("button", { name: "Play", exact: true }).waitFor();

      const href = (await frame.getByTestId("open-in-tagflow").getAttribute("href")) ?? "";
      expect(href).toMatch(/^http:\/\/tagflow\.example\/#v=1&s=lo0-esp-ping&c=70&k=/);
      expect(href).not.toContain("embed");
      expect(await frame.getByTestId("open-in-tagflow").getAttribute("target")).toBe("_blank");
      // Stepping and playing in the embed never add entries to the host page's history.
      expect(await app.page.evaluate(() => history.length)).toBe(historyLength);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("autoplays an embed's excerpt once, when asked", async () => {
    const app = await openApp(chromium.browser, chromium.env.baseURL, { path: "?embed&autoplay&from=3&to=6#v=1&s=lo0-ping" });
    try {
      const { page } = app;
      const total = traceOf("lo0-ping").events.length;
      await expect.poll(() => stepText(page), { timeout: 15_000, interval: 200 }).toBe(`Step 6 of ${total}`);
      await page.getByRole("button", { name: "Play", exact: true }).waitFor();
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("exports the capture, keys, trace, scenario and the step as SVG and PNG, matching the CLI's exports", async () => {
    const app = await open(chromium.browser, chromium.env, { path: `#v=1&s=lo0-esp-ping&c=${BUG_LOOP + 1}` });
    try {
      const { page } = app;
      await expect.poll(() => stepText(page)).toBe(`Step ${BUG_LOOP + 1} of ${bug.events.length}`);
      const exported = async (kind: string): Promise<{ name: string; bytes: Buffer }> => {
        await page.getByTestId("export").click();
        const [download] = (await Promise.all([page.waitForEvent("download"), page.locator(`[data-export="${kind}"]`).click()])) as [
          Download,
          unknown,
        ];
        const path = await download.path();
        const bytes = Buffer.from(await (await import("node:fs/promises")).readFile(path));
        writeFileSync(`${outDir}${download.suggestedFilename()}`, bytes);
        return { name: download.suggestedFilename(), bytes };
      };

      await page.getByTestId("export").click();
      await page.getByRole("menu", { name: "Export" }).waitFor();
      // 7, plus the SAs and policies as setkey and as ip xfrm (issue 18).
      expect(await page.locator("[role=menuitem]").count()).toBe(9);
      await screenshot(page, "share-08-export-menu");
      await page.keyboard.press("Escape");
      await page.getByRole("menu").waitFor({ state: "detached" });

      const pcap = await exported("pcapng");
      expect(pcap.name).toBe("lo0-esp-ping.pcapng");
      expect(pcap.bytes.equals(Buffer.from(traceToPcapng(bug)))).toBe(true);
      const capture = readPcapng(new Uint8Array(pcap.bytes));
      expect(capture.packets.length).toBe(bug.events.filter((e) => e.kind === "link.tx").length);
      expect(capture.packets.at(0)!.comment).toMatch(/^step \d+ · /);

      const keys = await exported("keys");
      expect(keys.name).toBe("esp_sa");
      expect(
        keys.bytes
          .toString("utf8")
          .trimEnd()
          .split("\n")
          .filter((l) => !l.startsWith("#")),
      ).toEqual(espSaTableLines(traceEspSas(bug)));

      const json = await exported("trace");
      expect(json.name).toBe("lo0-esp-ping.trace.json");
      expect(json.bytes.toString("utf8")).toBe(traceToJson(bug));

      const scenario = await exported("scenario");
      expect(scenario.name).toBe("lo0-esp-ping.json");
      const loaded = loadScenario(JSON.parse(scenario.bytes.toString("utf8")));
      expect(loaded.ok).toBe(true);

      // The SAs and policies as setkey and as ip xfrm: what `tagflow convert --to …` writes (issue 18).
      const setkey = await exported("setkey");
      expect(setkey.name).toBe("lo0-esp-ping.setkey.conf");
      expect(setkey.bytes.toString("utf8")).toContain("spdadd 127.0.0.1/32 127.0.0.1/32 any -P out ipsec esp/transport//require;");
      const xfrm = await exported("ip-xfrm");
      expect(xfrm.name).toBe("lo0-esp-ping.xfrm.sh");
      expect(xfrm.bytes.toString("utf8")).toContain("ip xfrm state add src 127.0.0.1 dst 127.0.0.1 proto esp spi 0x00001000 mode transport");

      const svg = await exported("svg");
      expect(svg.name).toBe(`lo0-esp-ping-step${BUG_LOOP + 1}.svg`);
      const text = svg.bytes.toString("utf8");
      const parsed = await page.evaluate((t) => {
        const doc = new DOMParser().parseFromString(t, "image/svg+xml");
        const root = doc.documentElement;
        return {
          error: doc.querySelector("parsererror")?.textContent ?? null,
          root: root.nodeName,
          ns: root.namespaceURI,
          hosts: root.querySelectorAll("[data-host]").length,
          verdict: root.querySelector("[data-part=verdict] text")?.textContent ?? null,
          text: root.textContent ?? "",
        };
      }, text);
      expect(parsed).toMatchObject({ error: null, root: "svg", ns: "http://www.w3.org/2000/svg", hosts: 1, verdict: "INSECURE" });
      expect(parsed.text).toContain("ip_output()");
      expect(parsed.text).toContain("skip IPsec");
      expect(parsed.text).toContain(`step ${BUG_LOOP + 1} of ${bug.events.length}`);
      // Standalone: no classes left to need a stylesheet, colours resolved (no CSS variables).
      expect(text).not.toContain("var(--");
      expect(text).not.toMatch(/ class="/);

      const png = await exported("png");
      expect(png.name).toBe(`lo0-esp-ping-step${BUG_LOOP + 1}.png`);
      expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const [width, height] = [png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)];
      const stack = await page.getByTestId("stack").locator("svg").boundingBox();
      expect(width).toBe(Math.round(stack!.width) * 2);
      expect(height).toBeGreaterThan(Math.round(stack!.height) * 2);
      expect(png.bytes.length).toBeGreaterThan(30_000);
      writeFileSync(fileURLToPath(new URL("../../test-results/screenshots/share-06-exported-step.png", import.meta.url)), png.bytes);

      // The 16:9 slide: 1920×1080 whatever the window, the same picture letterboxed.
      const slide = await exported("slide");
      expect(slide.name).toBe(`lo0-esp-ping-step${BUG_LOOP + 1}-slide.png`);
      expect([slide.bytes.readUInt32BE(16), slide.bytes.readUInt32BE(20)]).toEqual([1920, 1080]);
      writeFileSync(fileURLToPath(new URL("../../test-results/screenshots/share-07-exported-slide.png", import.meta.url)), slide.bytes);

      // The scenario file opens again: by the file picker…
      await page.getByTestId("scenario").selectOption("lo0-ping");
      await expect.poll(() => verdict(page)).toBe("secure");
      await page.getByTestId("open-file").setInputFiles({ name: scenario.name, mimeType: "application/json", buffer: scenario.bytes });
      await expect.poll(() => stepText(page)).toBe(`Step 1 of ${bug.events.length}`);
      expect(await verdict(page)).toBe("insecure");
      expect(await page.getByTestId("scenario").inputValue()).toBe("__custom__");

      // …and dropped on the app.
      await page.getByTestId("scenario").selectOption("lo0-ping");
      await expect.poll(() => verdict(page)).toBe("secure");
      const dataTransfer = await page.evaluateHandle(
        ({ text, name }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([text], name, { type: "application/json" }));
          return dt;
        },
        { text: scenario.bytes.toString("utf8"), name: scenario.name },
      );
      await page.dispatchEvent("main", "dragenter", { dataTransfer });
      await page.dispatchEvent("main", "dragover", { dataTransfer });
      await page.getByTestId("drop-overlay").waitFor();
      await screenshot(page, "share-07-drop-a-scenario");
      await page.dispatchEvent("main", "drop", { dataTransfer });
      await page.getByTestId("drop-overlay").waitFor({ state: "detached" });
      await expect.poll(() => stepText(page)).toBe(`Step 1 of ${bug.events.length}`);
      expect(await verdict(page)).toBe("insecure");

      // A dropped file that is not a scenario is reported like a picked one.
      const junk = await page.evaluateHandle(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["{ nope"], "notes.json", { type: "application/json" }));
        return dt;
      });
      await page.dispatchEvent("main", "drop", { dataTransfer: junk });
      await page.getByTestId("problems").waitFor();
      expect(await page.getByTestId("problems").textContent()).toMatch(/Could not open notes\.json.*not valid JSON/);
      expect(await verdict(page)).toBe("insecure");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
