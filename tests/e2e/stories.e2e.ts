/**
 * The seed stories in Chromium (issues 13 and 14): OpenBSD's record (✓, filled) and reminder (→,
 * outlined) tag badges and their legend, and klips-bigpackets played to its crash verdict with the
 * mail's claims beside the steps that show them. Steps are found from the engine's own trace.
 */
import { describe, expect, it } from "vitest";
import { expectNoConsoleErrors } from "../support/browser";
import { openReady, settledScreenshot, stepText, traceOf, useChromium } from "./support";
import { PERSONALITIES, type ScenarioTrace } from "../../src/engine/index";

/** The first step (0-based) whose packet carries a tag of class `cls`. */
function firstStepWith(t: ScenarioTrace, cls: "record" | "reminder"): number {
  const e = t.events.find((x) => x.packet >= 0 && (t.packets.at(x.packet)?.tags.some((tag) => tag.class === cls) ?? false));
  if (!e) throw new Error(`no step with a ${cls} tag`);
  return e.seq;
}

describe("records and reminders on openbsd-offload-whatif", () => {
  const chromium = useChromium();
  const t = traceOf("openbsd-offload-whatif");

  it("a reminder is an outlined → badge, a record a filled ✓ badge, and the ? legend names both", async () => {
    const reminderAt = firstStepWith(t, "reminder");
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=openbsd-offload-whatif&c=${reminderAt + 1}` });
    try {
      const { page } = app;
      expect(await stepText(page)).toBe(`Step ${reminderAt + 1} of ${t.events.length}`);
      const reminder = page.locator('[data-class="reminder"]').first();
      await reminder.waitFor();
      expect(await reminder.textContent()).toContain("→");
      await settledScreenshot(page, "stories-reminder");

      const recordAt = firstStepWith(t, "record");
      await page.evaluate((hash) => (location.hash = hash), `#v=1&s=openbsd-offload-whatif&c=${recordAt + 1}`);
      await expect.poll(() => stepText(page)).toBe(`Step ${recordAt + 1} of ${t.events.length}`);
      const record = page.locator('[data-class="record"]').first();
      await record.waitFor();
      expect(await record.textContent()).toContain("✓");

      await page.keyboard.press("?");
      const help = page.getByRole("dialog", { name: "Keys and legend" });
      await help.waitFor();
      const legend = (await help.textContent()) ?? "";
      expect(legend).toMatch(/record/i);
      expect(legend).toMatch(/reminder/i);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

describe("klips-bigpackets in the app", () => {
  const chromium = useChromium();

  it("on another kernel the story card says which kernel this run is on, not only the story's", async () => {
    const app = await openReady(chromium.browser, chromium.env, { path: "#v=1&s=klips-bigpackets&p=linux-xfrm" });
    try {
      const kernel = app.page.getByTestId("story-kernel");
      await kernel.waitFor();
      expect(await kernel.textContent()).toBe(
        `Run here on ${PERSONALITIES["linux-xfrm"].title}, not on ${PERSONALITIES["linux-2.2-klips-1999"].title}, the kernel this story is told of.`,
      );
      await app.page.evaluate(() => (location.hash = "#v=1&s=klips-bigpackets"));
      await expect.poll(() => app.page.getByTestId("story-kernel").count()).toBe(0);
    } finally {
      await app.close();
    }
  });
  const t = traceOf("klips-bigpackets");
  const n = t.events.length;

  it("plays to its crash verdict, with skb->dev ≠ skb->dst->dev shown and Briggs's claims beside the steps", async () => {
    const app = await openReady(chromium.browser, chromium.env, { path: "#v=1&s=klips-bigpackets" });
    try {
      const { page } = app;
      expect(await page.locator(".banner").getAttribute("data-verdict")).toBe("crash");
      // Play; pause-at-findings may stop on the way, so press Play again until the last step.
      await expect
        .poll(
          async () => {
            const s = await stepText(page);
            if (s !== `Step ${n} of ${n}`) {
              const play = page.getByRole("button", { name: "Play", exact: true });
              if (await play.count()) await play.click();
            }
            return s;
          },
          { timeout: 60_000, interval: 1_000 },
        )
        .toBe(`Step ${n} of ${n}`);
      const narration = page.getByTestId("narration");
      expect(await narration.textContent()).toMatch(/oops/i);
      expect(await narration.textContent()).toContain("Briggs’s claim 1 of 9");

      // The step where ip_fragment sizes from skb->dst while skb->dev is eth0: the skb panel says they disagree.
      const frag = t.events.find((e) => e.fn === "ip_fragment" && e.kind === "decision")!;
      await page.evaluate((hash) => (location.hash = hash), `#v=1&s=klips-bigpackets&c=${frag.seq + 1}`);
      await expect.poll(() => stepText(page)).toBe(`Step ${frag.seq + 1} of ${n}`);
      await page.locator(".skb-panel.is-disagree").waitFor();
      expect(await narration.textContent()).toContain("Briggs’s claim 6 of 9");
      await settledScreenshot(page, "stories-klips-frag");
      // Issue 17: on a three-host stack at 1280 px the card is narrow; no label runs into its byte
      // count, and the title gives way to the state pill rather than run under it.
      const overlaps = await page.evaluate(() => {
        const hits: string[] = [];
        const right = (el: Element | null) => (el ? el.getBoundingClientRect().right : -Infinity);
        for (const band of document.querySelectorAll(".stack-svg .card .band")) {
          const bytes = band.querySelector(".band-bytes")!.getBoundingClientRect().left;
          if (right(band.querySelector(".band-label")) > bytes) hits.push(band.textContent ?? "");
        }
        const card = document.querySelector(".stack-svg .card")!;
        const pill = card.querySelector(".card-state")?.getBoundingClientRect().left ?? Infinity;
        if (right(card.querySelector(".card-title")) > pill) hits.push("title under the state pill");
        return hits;
      });
      expect(overlaps).toEqual([]);
      expect(await page.locator(".stack-svg .card .band--encrypted .band-label").first().textContent()).toMatch(/^ESP/);
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

describe("libreswan-ondemand's control plane in the app", () => {
  const chromium = useChromium();
  const t = traceOf("libreswan-ondemand");
  const acquire = t.events.find((e) => e.kind === "deliver" && e.summary.startsWith("XFRM_MSG_ACQUIRE"));

  it("a message in the control lane opens into the inspector as C members, a member and its bytes light each other, and each SA has its lane", async () => {
    if (!acquire) throw new Error("libreswan-ondemand has no XFRM_MSG_ACQUIRE");
    const app = await openReady(chromium.browser, chromium.env, { path: "#v=1&s=libreswan-ondemand" });
    try {
      const { page } = app;
      // The lane's messages are buttons: focus the first ACQUIRE and press Enter.
      const msg = page.locator('.control-lane [data-msg="XFRM_MSG_ACQUIRE"]').first();
      await msg.focus();
      await page.keyboard.press("Enter");
      await expect.poll(() => stepText(page)).toBe(`Step ${acquire.seq + 1} of ${t.events.length}`);
      const panel = page.locator(".keymsg");
      await panel.waitFor();
      expect(await panel.locator(".keymsg-head").textContent()).toMatch(/^XFRM_MSG_ACQUIRE · NETLINK_XFRM · \d+ bytes$/);

      // nlmsghdr.nlmsg_type is bytes 4–5 (struct nlmsghdr: len u32, type u16): pointing at it lights exactly those two bytes.
      await panel.locator('tr[data-offset="4"]').first().hover();
      await expect
        .poll(() => page.locator(".hex-byte.is-lit").evaluateAll((els) => els.map((el) => el.getAttribute("data-offset"))))
        .toEqual(["4", "5"]);
      await settledScreenshot(page, "stories-keymsg-member");

      // And back: pointing at byte 1 lights the member that holds it (nlmsg_len, bytes 0–3).
      await page.locator('.hex-byte[data-offset="1"]').hover();
      await expect.poll(() => panel.locator("tr.is-lit").getAttribute("data-offset")).toBe("0");
      expect(await panel.locator("tr.is-lit code").first().textContent()).toBe("nlmsg_len");

      // Each SA has its own lane under the messages: the ACQ placeholder, larval, mature, dying.
      const lanes = page.locator(".sa-lanes");
      await lanes.getByRole("button", { name: /SA states/ }).click();
      for (const state of ["acq", "larval", "mature", "dying"]) expect(await lanes.locator(`[data-state="${state}"]`).count()).toBeGreaterThan(0);
      await settledScreenshot(page, "stories-sa-lanes");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});

describe("a NIC's record retyped on offload-rx-whatif (freebsd-7)", () => {
  const chromium = useChromium();
  const t = traceOf("offload-rx-whatif");
  const retype = t.events.find((e) => e.kind === "tag.retype");

  it("the retype step shows IN_CRYPTO_DONE leaving and IN_DONE entering, and the lane says it was retyped in place", async () => {
    if (!retype) throw new Error("offload-rx-whatif has no tag.retype");
    const app = await openReady(chromium.browser, chromium.env, { path: `#v=1&s=offload-rx-whatif&c=${retype.seq + 1}` });
    try {
      const { page } = app;
      expect(await stepText(page)).toBe(`Step ${retype.seq + 1} of ${t.events.length}`);
      await page.locator('[data-testid="badge"][data-name="IPSEC_IN_DONE"]').first().waitFor();
      // Retyped in place, not deleted: the leaving badge says so, and the card shows the plaintext the NIC left.
      expect(await page.locator('[data-testid="badge"][data-name="IPSEC_IN_CRYPTO_DONE"][data-leaving="true"]').first().textContent()).toContain(
        "retyped",
      );
      expect((await page.locator(".card-state").allTextContents()).join(" ")).not.toMatch(/encrypted/i);
      expect(await page.getByTestId("narration").textContent()).toMatch(/hypothetical|IN_DONE/);
      const lane = page.locator(".lane-label", { hasText: "IN_CRYPTO_DONE" }).first();
      expect(await lane.getAttribute("title")).toContain("m_tag_id changed in place");
      await settledScreenshot(page, "stories-offload-rx-retype");
      expectNoConsoleErrors(app);
    } finally {
      await app.close();
    }
  });
});
