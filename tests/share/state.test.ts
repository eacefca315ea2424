import { describe, expect, it } from "vitest";
import { builtinByName } from "../../src/engine/index";
import { DEFAULT_VIEW, builtinState, decodeShare, encodeShare, type ShareState } from "../../src/share/codec";
import { applyShareState, sharedLabel, shareStateOf } from "../../src/share/state";
import { logicalIndex } from "../../src/store/logicalStep";
import { tagLanes } from "../../src/store/tagLanes";
import { replyLoopCheck } from "../store/support";
import { engineStore } from "./support";

const FIX = "icmp-reflect-strips-tags";

describe("what a link holds of the store", () => {
  it("is nothing while the engine has not answered, then the default scenario's short link", async () => {
    const { store } = engineStore();
    expect(shareStateOf(store.getState())).toBeNull();
    const run = store.getState().selectScenario("lo0-esp-ping");
    expect(shareStateOf(store.getState())).toBeNull();
    await run;
    expect(encodeShare(shareStateOf(store.getState())!)).toBe("v=1&s=lo0-esp-ping");
  });

  it("round-trips scenario, fix, step, panel and selected tag into a fresh store", async () => {
    const { store } = engineStore();
    await store.getState().selectScenario("lo0-esp-ping");
    await store.getState().setFix(FIX, true);
    const trace = store.getState().trace!;
    const k = replyLoopCheck(trace);
    store.getState().seek(k);
    store.getState().setInspectorTab("tags");
    const tag = trace.packets.at(trace.events.at(k)!.packet)!.tags[0]?.uid ?? tagLanes(trace).lanes[0]!.uid;
    store.getState().selectTag(tag);
    store.getState().selectField("ipv4#0.ttl");
    const link = encodeShare(shareStateOf(store.getState())!);
    expect(link).toContain(`f=${FIX}`);
    expect(link).toContain(`c=${k + 1}&k=`);

    const decoded = decodeShare(link);
    expect(decoded.ok).toBe(true);
    const fresh = engineStore().store;
    expect(await applyShareState(fresh, (decoded as { state: ShareState }).state)).toBe("applied");
    expect(fresh.getState()).toMatchObject({
      fixes: [FIX],
      cursor: k,
      rightTab: "inspector",
      inspectorTab: "tags",
      selectedTag: tag,
      selectedField: "ipv4#0.ttl",
      playing: false,
    });
    expect(fresh.getState().trace!.outcome.verdict).toBe("secure");
  });

  it("finds the step by its logical key when the step number no longer fits, else clamps the number", async () => {
    const { store } = engineStore();
    await store.getState().selectScenario("lo0-esp-ping");
    const trace = store.getState().trace!;
    const k = replyLoopCheck(trace);
    const key = logicalIndex(trace).keys[k]!;
    await applyShareState(store, { ...builtinState("lo0-esp-ping"), cursor: { seq: 3, key } });
    expect(store.getState().cursor).toBe(k);
    await applyShareState(store, { ...builtinState("lo0-esp-ping"), cursor: { seq: 10_000_000, key: "9/host ip nowhere decision /0" } });
    expect(store.getState().cursor).toBe(trace.events.length - 1);
  });

  it("drops a selected tag or pinned packet the trace does not have", async () => {
    const { store } = engineStore();
    await applyShareState(store, { ...builtinState("lo0-esp-ping"), view: { ...DEFAULT_VIEW, tag: 9999, pin: 99_999, tab: "fixes" } });
    expect(store.getState()).toMatchObject({ selectedTag: null, selectedPacket: null, rightTab: "fixes" });
  });

  it("runs the engine only when the link's run differs from what is on screen", async () => {
    const { store, calls } = engineStore();
    await applyShareState(store, builtinState("lo0-esp-ping"));
    expect(calls).toHaveLength(1);
    expect(await applyShareState(store, { ...builtinState("lo0-esp-ping"), cursor: { seq: 5, key: null } })).toBe("unchanged");
    expect(calls).toHaveLength(1);
    expect(store.getState().cursor).toBe(5);
    await applyShareState(store, { ...builtinState("lo0-esp-ping"), fixes: [FIX] });
    expect(calls).toHaveLength(2);
  });

  it("carries a scenario of one's own, fixes toggled after opening it included", async () => {
    const { store } = engineStore();
    const mine = { ...builtinByName("lo0-esp-ping")!, name: "my-ping", title: "", description: "" };
    await store.getState().openScenario("my-ping.json", JSON.stringify(mine));
    await store.getState().setFix(FIX, true);
    store.getState().seek(12);
    const share = shareStateOf(store.getState())!;
    expect(share.scenario.kind).toBe("custom");
    const link = encodeShare(share);
    expect(link).toMatch(/^v=1&z=[\w-]+&c=13&k=/);

    const fresh = engineStore().store;
    const decoded = decodeShare(link);
    await applyShareState(fresh, (decoded as { state: ShareState }).state);
    const s = fresh.getState();
    expect(s.source).toMatchObject({ kind: "custom", label: "my-ping (from a link)" });
    expect(s.fixes).toEqual([FIX]);
    expect(s.trace!.events).toHaveLength(store.getState().trace!.events.length);
    expect(s.cursor).toBe(12);
    // Made again from the fresh store, the link is the same: custom scenarios are canonical too.
    expect(encodeShare(shareStateOf(s)!)).toBe(link);
  });

  it("reports a link whose scenario the engine refuses, keeping the last good trace", async () => {
    const { store } = engineStore();
    await store.getState().selectScenario("lo0-ping");
    const before = store.getState().trace;
    const bad = JSON.stringify({
      ...builtinByName("lo0-esp-ping"),
      hosts: [{ ...builtinByName("lo0-esp-ping")!.hosts[0], sad: [{ ...builtinByName("lo0-esp-ping")!.hosts[0]!.sad![0], spi: 0 }] }],
    });
    expect(
      await applyShareState(store, { ...builtinState("lo0-ping"), scenario: { kind: "custom", json: bad }, personality: null, fixes: null }),
    ).toBe("failed");
    expect(store.getState().trace).toBe(before);
    expect(store.getState().source).toEqual({ kind: "builtin", name: "lo0-ping" });
    expect(store.getState().problems).toEqual([{ path: "$.hosts[0].sad[0].spi", message: "SPI 0 is reserved and never sent (RFC 4303 §2.1)" }]);
  });

  it("labels a linked scenario by its name only when the name is sensible", () => {
    expect(sharedLabel('{"version":1,"name":"my-ping"}')).toBe("my-ping (from a link)");
    expect(sharedLabel('{"name":"<img src=x>"}')).toBe("scenario from a link");
  });
});
