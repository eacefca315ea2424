import { afterEach, describe, expect, it } from "vitest";
import { encodeShare } from "../../src/share/codec";
import { shareStateOf } from "../../src/share/state";
import {
  BAD_LINK_TITLE,
  BAD_SCENARIO_TITLE,
  FALLBACK_FOOT,
  NOTES_TITLE,
  SETTLE_MS,
  currentShareUrl,
  embedSnippet,
  embedUrl,
  startUrlSync,
  type UrlSync,
} from "../../src/share/urlSync";
import { replyLoopCheck } from "../store/support";
import { engineStore, fakeWindow, settle } from "./support";

const FIX = "icmp-reflect-strips-tags";
let sync: UrlSync | null = null;

afterEach(() => {
  sync?.stop();
  sync = null;
});

function start(hash: string, search = "") {
  const win = fakeWindow(hash, search);
  const { store, calls } = engineStore();
  sync = startUrlSync(store, win.env);
  return { win, store, calls, ready: sync.ready };
}

describe("the address bar and the store", () => {
  it("opens the default scenario for a bare address, and leaves the address alone until something changes", async () => {
    const { win, store, ready } = start("");
    await ready;
    expect(store.getState().source).toEqual({ kind: "builtin", name: "lo0-esp-ping" });
    expect(win.pushState).not.toHaveBeenCalled();
    expect(win.replaceState).not.toHaveBeenCalled();
  });

  it("follows the cursor with replaceState once it settles, and a fix with pushState", async () => {
    const { win, store, ready } = start("");
    await ready;
    store.getState().stepForward();
    store.getState().stepForward();
    store.getState().stepForward();
    expect(win.replaceState).not.toHaveBeenCalled();
    win.advance(SETTLE_MS);
    expect(win.replaceState).toHaveBeenCalledTimes(1);
    expect(win.entries).toEqual([expect.stringMatching(/^#v=1&s=lo0-esp-ping&c=4&k=/)]);

    await store.getState().setFix(FIX, true);
    expect(win.pushState).toHaveBeenCalledTimes(1);
    expect(win.entries).toHaveLength(2);
    expect(win.entries[1]).toMatch(new RegExp(`^#v=1&s=lo0-esp-ping&f=${FIX}&c=4&k=`));
  });

  it("gives the old entry its last step before pushing a new run", async () => {
    const { win, store, ready } = start("");
    await ready;
    store.getState().seek(20);
    // The fix is toggled before the cursor settled: the old entry still gets step 21.
    await store.getState().setFix(FIX, true);
    expect(win.entries[0]).toMatch(/&c=21&/);
    expect(win.entries[1]).toMatch(new RegExp(`f=${FIX}`));
  });

  it("never writes during playback, and writes where playback stopped", async () => {
    const { win, store, ready } = start("");
    await ready;
    store.getState().play();
    // Slow playback (0.5×: a step every 1.8 s) leaves the cursor still for longer than SETTLE_MS.
    for (let i = 0; i < 30; i++) {
      store.getState().tick();
      win.advance(SETTLE_MS * 3);
    }
    expect(win.replaceState).not.toHaveBeenCalled();
    store.getState().pause();
    win.advance(SETTLE_MS);
    expect(win.replaceState).toHaveBeenCalledTimes(1);
    expect(win.entries[0]).toContain(`&c=${store.getState().cursor + 1}&`);
  });

  it("steps Back and Forward through the runs, restoring step and view", async () => {
    const { win, store, ready } = start("#v=1&s=lo0-esp-ping");
    await ready;
    const k = replyLoopCheck(store.getState().trace!);
    store.getState().seek(k);
    store.getState().setInspectorTab("tags");
    win.advance(SETTLE_MS);
    await store.getState().setFix(FIX, true);
    store.getState().setRightTab("fixes");
    win.advance(SETTLE_MS);
    expect(win.entries).toHaveLength(2);

    win.go(-1);
    await settle();
    expect(store.getState()).toMatchObject({ fixes: [], cursor: k, rightTab: "inspector", inspectorTab: "tags" });
    expect(store.getState().trace!.outcome.verdict).toBe("insecure");
    // Applying the entry wrote nothing back.
    expect(win.pushState).toHaveBeenCalledTimes(1);

    win.go(+1);
    await settle();
    expect(store.getState()).toMatchObject({ fixes: [FIX], rightTab: "fixes" });
    expect(store.getState().trace!.outcome.verdict).toBe("secure");
    expect(win.entries).toHaveLength(2);
  });

  it("reports a bad link on a fresh page and shows the default scenario instead, never nothing", async () => {
    const { store, ready } = start("#v=1&z=not*base64");
    await ready;
    expect(store.getState().trace).not.toBeNull();
    expect(store.getState().source).toEqual({ kind: "builtin", name: "lo0-esp-ping" });
    expect(store.getState()).toMatchObject({ problemsTitle: BAD_LINK_TITLE, problemsTone: "error", problemsFoot: FALLBACK_FOOT });
    expect(store.getState().problems![0]!.path).toBe("#z");
  });

  it("reports a link whose scenario the engine refuses, with the engine's JSON paths", async () => {
    const scenario = {
      version: 1,
      name: "bad",
      hosts: [{ name: "h", sad: [{ spi: 0, src: "127.0.0.1", dst: "127.0.0.1", proto: "esp", enc: "aes-gcm-16", encKey: "0x00" }] }],
      traffic: [],
    };
    const { store, ready } = start(
      `#v=1&z=${encodeShare({ scenario: { kind: "custom", json: JSON.stringify(scenario) }, personality: null, fixes: null, cursor: { seq: 0, key: null }, view: { tab: "packet", tag: null, field: null, pin: null, lanes: true, decrypted: false } }).split("z=")[1]}`,
    );
    await ready;
    expect(store.getState().source).toEqual({ kind: "builtin", name: "lo0-esp-ping" });
    expect(store.getState()).toMatchObject({ problemsTitle: BAD_SCENARIO_TITLE, problemsFoot: FALLBACK_FOOT });
    expect(store.getState().problems!.map((p) => p.path)).toEqual(["$.hosts[0].sad[0].spi", "$.hosts[0].sad[0].encKey"]);
  });

  it("keeps what is on screen when a bad link is typed into the address bar", async () => {
    const { win, store, ready } = start("#v=1&s=lo0-ah-ping&c=9");
    await ready;
    const before = store.getState().trace;
    win.typeHash("#v=7&s=lo0-ping");
    await settle();
    expect(store.getState().trace).toBe(before);
    expect(store.getState().cursor).toBe(8);
    expect(store.getState().problems![0]!.message).toMatch(/newer tagflow/);
    expect(store.getState().problemsFoot).toBeNull();
  });

  it("puts the address bar back to the link of what is shown after a bad link arrives by hashchange", async () => {
    const { win, store, ready } = start("#v=1&s=lo0-ah-ping&c=9");
    await ready;
    const shown = currentShareUrl(store, win.env.location).split("#")[1]!;
    win.typeHash("#v=7&s=lo0-ping");
    await settle();
    expect(store.getState().problemsTitle).toBe(BAD_LINK_TITLE);
    // A reload now reopens the run on screen, not the bad link.
    expect(win.env.location.hash).toBe(`#${shown}`);
    expect(win.entries.at(-1)).toBe(`#${shown}`);
    expect(win.replaceState).toHaveBeenCalled();

    // The same for a link that decodes but whose scenario the engine refuses.
    const refused = { version: 1, name: "bad", hosts: [{ name: "h", interfaces: [{ name: "x", addr: "nope" }] }], traffic: [] };
    const view = { tab: "packet", tag: null, field: null, pin: null, lanes: true, decrypted: false } as const;
    win.typeHash(
      `#${encodeShare({ scenario: { kind: "custom", json: JSON.stringify(refused) }, personality: null, fixes: null, cursor: { seq: 0, key: null }, view })}`,
    );
    await settle();
    expect(store.getState().problemsTitle).toBe(BAD_SCENARIO_TITLE);
    expect(store.getState().trace!.scenario.name).toBe("lo0-ah-ping");
    expect(win.env.location.hash).toBe(`#${shown}`);
  });

  it("opens a link with unknown parts, with a note", async () => {
    const { store, ready } = start("#v=1&s=lo0-ping&fbclid=123");
    await ready;
    expect(store.getState()).toMatchObject({ problemsTitle: NOTES_TITLE, problemsTone: "note" });
    expect(store.getState().source).toEqual({ kind: "builtin", name: "lo0-ping" });
  });

  it("embeds: keeps to the excerpt, starts at its first step, plays when asked, never writes history", async () => {
    const { win, store, ready } = start("#v=1&s=lo0-esp-ping", "?embed&from=60&to=70&autoplay&theme=dark");
    await ready;
    expect(sync!.embed).toMatchObject({ embed: true, from: 59, to: 69 });
    expect(store.getState()).toMatchObject({ range: { from: 59, to: 69 }, cursor: 59, playing: true, theme: "dark" });
    for (let i = 0; i < 20; i++) store.getState().tick();
    expect(store.getState()).toMatchObject({ cursor: 69, playing: false });
    store.getState().stepForward();
    expect(store.getState().cursor).toBe(69);
    win.advance(SETTLE_MS * 2);
    expect(win.pushState).not.toHaveBeenCalled();
    expect(win.replaceState).not.toHaveBeenCalled();
  });

  it("makes links and embed snippets for the page", async () => {
    const { win, store, ready } = start("", "?embed&lang=en");
    await ready;
    const link = currentShareUrl(store, win.env.location);
    expect(link).toBe("https://tagflow.example/app/?lang=en#v=1&s=lo0-esp-ping");
    expect(embedUrl(link)).toBe("https://tagflow.example/app/?lang=en&embed#v=1&s=lo0-esp-ping");
    expect(embedSnippet("https://t.example/#v=1&s=a&c=2", 'A "quoted" <title>')).toBe(
      '<iframe src="https://t.example/?embed#v=1&amp;s=a&amp;c=2" title="A &quot;quoted&quot; &lt;title>" width="960" height="540" style="border:0;max-width:100%" loading="lazy"></iframe>',
    );
    expect(encodeShare(shareStateOf(store.getState())!)).toBe("v=1&s=lo0-esp-ping");
  });
});
