/**
 * The networks built-ins in the real app (issue 12): each loads, plays to its last step with the
 * verdict the engine gives in Node, and the facts the story turns on are on screen — the links'
 * MTUs, the need-frag, the segment size TCP settles on, the retransmissions of the black hole.
 * Screenshots at 1280×720, 1024×768 and 1920×1080 are saved for a look by eye.
 */
import { describe, expect, it } from "vitest";
import { expectNoConsoleErrors } from "../support/browser";
import { openReady, settledScreenshot, stepText, traceOf, useChromium } from "./support";

const NAMES = ["routed-ping", "frag-esp", "pmtu-discovery", "pmtu-blackhole", "tcp-pmtu", "tcp-pmtu-blackhole", "tcp-esp"];
const SIZES = [
  { width: 1280, height: 720 },
  { width: 1024, height: 768 },
  { width: 1920, height: 1080 },
];

describe("the networks scenarios in the app", () => {
  const chromium = useChromium();

  it.each(NAMES)("%s loads and plays to the verdict the engine gives", { timeout: 60_000 }, async (name) => {
    const t = traceOf(name);
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=${name}` });
    try {
      const { page } = app;
      await page.getByTestId("stack").click({ position: { x: 5, y: 5 } });
      await page.keyboard.press("End");
      await page.waitForFunction((n) => document.querySelector("[data-testid=step]")?.textContent === `Step ${n} of ${n}`, t.events.length);
      expect(await page.locator(".banner[data-verdict]").getAttribute("data-verdict")).toBe(t.outcome.verdict);
      // Every link is drawn with its MTU.
      const wires = (await page.locator(".stack-svg .wire text").allTextContents()).join(" ");
      for (const l of t.links.filter((x) => x.kind === "p2p")) expect(wires).toContain(l.id);
      for (const l of t.links.filter((x) => x.kind === "p2p")) expect(wires).toContain(`MTU ${l.mtu}`);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("tcp-pmtu shows the need-frag's next-hop MTU and the 1360-byte segments after tcp_mtudisc", { timeout: 60_000 }, async () => {
    const t = traceOf("tcp-pmtu");
    const seg = t.events.findIndex((e) => e.kind === "decision" && e.check === "tcp-segsize" && e.branch === "t_segsz 1360");
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=tcp-pmtu&c=${seg + 1}` });
    try {
      const { page } = app;
      expect(await stepText(page)).toBe(`Step ${seg + 1} of ${t.events.length}`);
      const narration = (await page.getByTestId("narration").textContent()) ?? "";
      expect(narration).toContain("tcp_segsize");
      expect(narration).toContain("rmx_mtu 1400");
      expect(narration).toContain("1360 data bytes");
      // Four hosts at 1280×720: the stack scrolls and the current host (a) is in view.
      expect(await page.getByTestId("stack").getAttribute("data-scroll")).toBe("x");
      const a = await page.locator('.stack-svg .host[data-host="a"]').boundingBox();
      const pane = await page.getByTestId("stack").boundingBox();
      expect(a && pane && a.x >= pane.x - 1 && a.x + a.width <= pane.x + pane.width + 1).toBe(true);
      expect(await page.locator(".stack-svg .host").count()).toBe(4);
      // The banner counts this run's traffic, TCP bytes — not "0 sent · 0 delivered" echoes it never sent.
      expect(await page.locator(".banner-counts").textContent()).toMatch(/^tcp#0: 4000 of 4000 bytes delivered/);
      expect(await page.getByTestId("outcome").textContent()).toContain("tcp#0 wrote 4000 bytes: 4000 delivered, 4000 acknowledged");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("tcp-pmtu-blackhole ends with ETIMEDOUT after 12 retransmissions", { timeout: 60_000 }, async () => {
    const t = traceOf("tcp-pmtu-blackhole");
    const last = t.events.findIndex((e) => e.kind === "decision" && e.check === "tcp-rexmt" && e.branch === "tcp_drop ETIMEDOUT");
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=tcp-pmtu-blackhole&c=${last + 1}` });
    try {
      const narration = (await app.page.getByTestId("narration").textContent()) ?? "";
      expect(narration).toContain("12 retransmissions have gone unanswered");
      expect(narration).toContain("ETIMEDOUT");
      expect(await app.page.locator(".banner").textContent()).toMatch(/pmtu blackhole|PMTU black hole/i);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("frag-esp draws b's reassembly queue: the first fragment, 0–1480 with MF, waiting", { timeout: 60_000 }, async () => {
    const t = traceOf("frag-esp");
    const enq = t.events.findIndex((e) => e.kind === "queue.enqueue" && e.queue === "ipq" && e.host === "b");
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=frag-esp&c=${enq + 2}` });
    try {
      const band = app.page.locator('.stack-svg .host[data-host="b"] [data-slot="ipq"]');
      expect(await band.getAttribute("data-frags")).toBe("1");
      expect(await band.locator(".ipq-frag text").allTextContents()).toEqual(["0–1480 MF"]);
      await settledScreenshot(app.page, "networks-frag-esp-ipq-1280x720");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it("a UDP run's banner counts its datagrams — sent, refused with EMSGSIZE, delivered — beside its echoes", { timeout: 60_000 }, async () => {
    const t = traceOf("xfrm-pmtu-per-sa");
    const app = await openReady(chromium.browser, chromium.env, { path: "#v=1&s=xfrm-pmtu-per-sa" });
    try {
      // The engine's tally in Node: 3 sendto() calls, one refused at the bundle's dst_mtu, one delivered.
      expect(t.outcome.udp).toEqual({ sent: 3, refused: 1, delivered: 1 });
      const counts = (await app.page.locator(".banner-counts").textContent()) ?? "";
      expect(counts).toContain("1 echo sent · 1 reply");
      expect(counts).toContain("3 datagrams sent · 1 refused · 1 delivered");
      expect(await app.page.getByTestId("outcome").textContent()).toContain("3 UDP datagrams sent, 1 refused with EMSGSIZE, 1 delivered");
      await settledScreenshot(app.page, "networks-xfrm-udp-tally-1280x720");
      // Issue 17: at 720p the story card's description runs past the card; a labelled cue says so,
      // scrolls it, and goes once the last line is in view.
      const more = app.page.getByTestId("story-more");
      expect(await more.isVisible()).toBe(true);
      for (let i = 0; i < 6 && (await more.isVisible()); i++) {
        await more.click();
        await app.page.waitForTimeout(400);
      }
      expect(await more.isVisible()).toBe(false);
      const scroll = app.page.locator(".story-scroll");
      expect(await scroll.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2)).toBe(true);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });

  it.each(SIZES)("screenshots of tcp-pmtu at the need-frag, $width×$height", { timeout: 60_000 }, async (viewport) => {
    const t = traceOf("tcp-pmtu");
    const at = t.events.findIndex((e) => e.kind === "decision" && e.fn === "icmp_mtudisc");
    const app = await openReady(chromium.browser, chromium.env, { viewport, path: `#v=1&s=tcp-pmtu&c=${at + 1}` });
    try {
      const path = await settledScreenshot(app.page, `networks-tcp-pmtu-${viewport.width}x${viewport.height}`);
      expect(path).toMatch(/\.png$/);
      // Host titles never overlap one another.
      const titles = await app.page
        .locator(".stack-svg .host-title")
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right })));
      for (let i = 1; i < titles.length; i++) expect(titles[i]!.left).toBeGreaterThanOrEqual(titles[i - 1]!.right);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
