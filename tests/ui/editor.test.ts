/**
 * The editor's model without a DOM (issue 18): fields read from the engine's schema, drafts
 * edited along a path, problems placed beside the field they name, key rules from the engine's
 * algorithm table, undo history, the tunnel template, the topology layout, and the editor store
 * running valid drafts debounced through the app store — never an invalid one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUTH_ALGS, builtinByName, ENC_ALGS, loadScenario, runScenario } from "../../src/engine/index";
import { drawnPaths, getIn, nearestDrawn, placeProblems, removeIn, setIn, type Draft } from "../../src/ui/editor/draft";
import { createEditorStore, draftFromApp, RUN_DEBOUNCE_MS } from "../../src/ui/editor/editorStore";
import { COALESCE_MS, record, redo, startHistory, undo } from "../../src/ui/editor/history";
import { authKeyRule, encKeyRule, generateKey, generatedLength, keyLength } from "../../src/ui/editor/keys";
import { fieldAt, parsePath, pathString, variantKinds } from "../../src/ui/editor/schemaForm";
import { addHost, addTunnel, connectHosts, newItem, removeHost } from "../../src/ui/editor/templates";
import { layoutTopology, NODE_H, NODE_W } from "../../src/ui/editor/topology";
import { engineStore } from "../share/support";

const ESP = builtinByName("lo0-esp-ping") as Draft;
const counting = () => {
  let n = 0;
  return (b: Uint8Array) => void b.forEach((_, i) => (b[i] = n++ & 0xff));
};

describe("fields from the schema", () => {
  it("reads kinds, ranges, choices and defaults from the engine's valibot schema", () => {
    expect(fieldAt(ESP, ["hosts", 0, "sad", 0, "enc"])).toMatchObject({
      kind: "choice",
      options: Object.keys(ENC_ALGS),
      optional: true,
      default: "null",
    });
    expect(fieldAt(ESP, ["hosts", 0, "sad", 0, "replayWindow"])).toMatchObject({ kind: "number", min: 0, max: 1024, default: 64 });
    // An SPI is a number or "0x…": a text field that stores digits as a number.
    expect(fieldAt(ESP, ["hosts", 0, "sad", 0, "spi"])).toMatchObject({ kind: "text", numberToo: true, optional: false });
    // A route MTU is 0 or 68–65535: one number field.
    expect(fieldAt(setIn(ESP, ["hosts", 0, "routes"], [{}]), ["hosts", 0, "routes", 0, "mtu"])).toMatchObject({
      kind: "number",
      min: 0,
      max: 65535,
      also: [0],
    });
    expect(fieldAt(ESP, ["hosts", 0, "sad", 0, "esn"])).toMatchObject({ kind: "boolean", default: false });
    expect(fieldAt(ESP, ["links"])).toMatchObject({ kind: "list", optional: true });
    expect(fieldAt(ESP, ["nonsense"])).toMatchObject({ kind: "unknown" });
  });

  it("follows a variant by the item's kind (traffic: ping or udp)", () => {
    expect(variantKinds(ESP, ["traffic"])).toEqual(expect.arrayContaining(["ping", "udp"]));
    expect(fieldAt(ESP, ["traffic", 0, "flood"]).kind).toBe("boolean");
    const udp = setIn(ESP, ["traffic", 0], { kind: "udp", from: "host", dst: "127.0.0.1" });
    expect(fieldAt(udp, ["traffic", 0, "dstPort"])).toMatchObject({ kind: "number", default: 9 });
    expect(fieldAt(udp, ["traffic", 0, "flood"]).kind).toBe("unknown");
  });

  it("spells paths as the validator does, and parses them back", () => {
    const keys = ["hosts", 0, "sad", 1, "encKey"];
    expect(pathString(keys)).toBe("$.hosts[0].sad[1].encKey");
    expect(parsePath("$.hosts[0].sad[1].encKey")).toEqual(keys);
  });
});

describe("drafts", () => {
  it("copies along the edited path only and keeps key order", () => {
    const next = setIn(ESP, ["hosts", 0, "sad", 0, "spi"], "0x1001");
    expect(getIn(next, ["hosts", 0, "sad", 0, "spi"])).toBe("0x1001");
    expect(getIn(ESP, ["hosts", 0, "sad", 0, "spi"])).toBe("0x1000");
    expect(next.traffic).toBe(ESP.traffic);
    expect(Object.keys(getIn(next, ["hosts", 0, "sad", 0]) as object)).toEqual(Object.keys(getIn(ESP, ["hosts", 0, "sad", 0]) as object));
    // undefined leaves a key out, so the schema's default applies.
    expect("mode" in (getIn(setIn(ESP, ["hosts", 0, "sad", 0, "mode"], undefined), ["hosts", 0, "sad", 0]) as object)).toBe(false);
    expect((removeIn(ESP, ["hosts", 0, "spd"], 0).hosts as { spd: unknown[] }[])[0]!.spd).toHaveLength(1);
  });

  it("places each validator message beside the field it names, or the nearest drawn ancestor", () => {
    const bad = setIn(setIn(ESP, ["hosts", 0, "sad", 0, "encKey"], "0x1234"), ["hosts", 0, "sad", 0, "colour"], "red");
    const result = loadScenario(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const drawn = drawnPaths(bad);
    expect(drawn.has("$.hosts[0].sad[0].encKey")).toBe(true);
    const placed = placeProblems(result.problems, drawn);
    // The unknown key has no field: it is shown on its SA.
    expect(placed.get("$.hosts[0].sad[0]")?.map((p) => p.message)).toEqual(["unknown key (not part of the scenario format)"]);
    const semantic = loadScenario(setIn(ESP, ["hosts", 0, "sad", 0, "encKey"], "0x1234"));
    expect(semantic.ok).toBe(false);
    if (semantic.ok) return;
    const byField = placeProblems(semantic.problems, drawnPaths(ESP));
    expect(byField.get("$.hosts[0].sad[0].encKey")?.[0]?.message).toMatch(/aes-gcm-16 needs a 20-, 28- or 36-byte key.*got 2/);
    expect(nearestDrawn("$.hosts[9].x", new Set(["$.hosts"]))).toBe("$.hosts");
    expect(nearestDrawn("$.elsewhere", new Set())).toBe("$");
  });
});

describe("key rules and generated keys", () => {
  it("states every algorithm's lengths from the engine's table", () => {
    for (const [id, alg] of Object.entries(ENC_ALGS)) expect(encKeyRule(id)!.bytes).toEqual(alg.keyBytes);
    for (const [id, alg] of Object.entries(AUTH_ALGS)) expect(authKeyRule(id)!.bytes).toEqual([alg.keyBytes]);
    expect(encKeyRule("aes-gcm-16")!.text).toBe(
      "AES-GCM with a 16-byte ICV: 20, 28 or 36 bytes (40, 56 or 72 hex digits), the last 4 being the nonce salt — RFC 4106",
    );
    expect(authKeyRule("hmac-sha256-128")!.text).toBe("HMAC-SHA-256-128: 32 bytes (64 hex digits) — RFC 4868");
  });

  it("generates keys the validator accepts, of the current length when it is allowed", () => {
    const rule = encKeyRule("aes-gcm-16")!;
    expect(generatedLength(rule, "0x" + "00".repeat(20))).toBe(20);
    expect(generatedLength(rule, "0x12")).toBe(36);
    const key = generateKey(36, counting());
    expect(key).toBe("0x" + Array.from({ length: 36 }, (_, i) => i.toString(16).padStart(2, "0")).join(""));
    expect(keyLength(key)).toBe(36);
    expect(loadScenario(setIn(ESP, ["hosts", 0, "sad", 0, "encKey"], key)).ok).toBe(true);
    for (const [id, alg] of Object.entries(AUTH_ALGS)) {
      if (alg.keyBytes === 0) continue;
      const sa = { spi: "0x1100", src: "127.0.0.1", dst: "127.0.0.1", proto: "ah", auth: id, authKey: generateKey(alg.keyBytes, counting()) };
      expect(loadScenario(setIn(ESP, ["hosts", 0, "sad", 0], sa)).ok, id).toBe(true);
    }
  });
});

describe("undo history", () => {
  it("coalesces typing into one field, and undoes and redoes whole steps", () => {
    let h = startHistory("a");
    h = record(h, "ab", "$.name", 0);
    h = record(h, "abc", "$.name", COALESCE_MS - 1);
    h = record(h, "abcd", "$.title", COALESCE_MS);
    expect(h.past).toEqual(["a", "abc"]);
    h = undo(h);
    expect(h.present).toBe("abc");
    h = undo(h);
    expect(h.present).toBe("a");
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe("abc");
    expect(record(h, "x").future).toEqual([]);
  });
});

describe("templates", () => {
  it("a host linked to lo0-esp-ping's with an ESP tunnel validates, and pinging it is secure", () => {
    let d = addHost(ESP, 0);
    expect(getIn(d, ["hosts", 1, "name"])).toBe("host2");
    expect(d.links).toEqual([{ name: "net0", ends: ["host:em0", "host2:em0"] }]);
    d = addTunnel(d, 0, 1, counting())!;
    expect(getIn(d, ["hosts", 0, "sad"])).toHaveLength(3);
    expect(getIn(d, ["hosts", 1, "spd"])).toHaveLength(2);
    d = setIn(d, ["traffic", 0, "dst"], "10.1.0.2");
    const loaded = loadScenario(d);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    const trace = runScenario(loaded.scenario);
    expect(trace.outcome.verdict).toBe("secure");
    // The packets were encrypted (the crypto queue) and crossed the new link.
    expect(trace.events.some((e) => e.kind === "crypto.submit")).toBe(true);
    expect(trace.events.some((e) => e.kind === "link.tx")).toBe(true);
  });

  it("needs a link for a tunnel; removing a host removes its links and traffic", () => {
    const two = setIn(ESP, ["hosts"], [...(ESP.hosts as object[]), { name: "other" }]);
    expect(addTunnel(two, 0, 1, counting())).toBeUndefined();
    const linked = connectHosts(two, 0, 1);
    expect(addTunnel(linked, 0, 1, counting())).toBeDefined();
    const gone = removeHost(setIn(linked, ["traffic", 1], { kind: "ping", from: "other", dst: "127.0.0.1" }), 1);
    expect(gone.links).toEqual([]);
    expect(gone.traffic).toHaveLength(1);
  });

  it("new list items fit their place (a free SPI, the host's address, a generated key)", () => {
    const sa = newItem(ESP, ["hosts", 0, "sad"], counting()) as Record<string, unknown>;
    expect(sa).toMatchObject({ spi: "0x3000", src: "127.0.0.1", proto: "esp", enc: "aes-gcm-16" });
    expect(keyLength(String(sa.encKey))).toBe(36);
    expect(loadScenario(setIn(ESP, ["hosts", 0, "sad", 1], sa)).ok).toBe(true);
    expect(newItem(ESP, ["traffic"], counting(), "udp")).toMatchObject({ kind: "udp", from: "host" });
    // A gif tunnel interface: the far end is left for the user, and the validator says so there.
    const gif = newItem(ESP, ["hosts", 0, "interfaces"], counting(), "gif");
    expect(gif).toMatchObject({ name: "gif0", tunnel: { src: "127.0.0.1", dst: "" } });
    const withGif = setIn(ESP, ["hosts", 0, "interfaces"], [gif]);
    const missing = loadScenario(withGif);
    expect(missing.ok ? [] : missing.problems.map((p) => p.path)).toEqual(["$.hosts[0].interfaces[0].tunnel.dst"]);
    expect(loadScenario(setIn(withGif, ["hosts", 0, "interfaces", 0, "tunnel", "dst"], "10.9.9.9")).ok).toBe(true);
  });
});

describe("topology layout", () => {
  it("is deterministic, keeps hosts apart and in the box, host 0 on the left", () => {
    let d = addHost(addHost(ESP, 0), 0);
    d = addHost(addHost(d, 1), 1);
    const a = layoutTopology(d, 470, 160);
    expect(layoutTopology(d, 470, 160)).toEqual(a);
    expect(a.nodes).toHaveLength(5);
    expect(a.edges).toHaveLength(4);
    expect(a.width).toBeGreaterThanOrEqual(470);
    for (const n of a.nodes) {
      expect(n.x - NODE_W / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + NODE_W / 2).toBeLessThanOrEqual(a.width);
      expect(n.y - NODE_H / 2).toBeGreaterThanOrEqual(0);
      expect(n.y + NODE_H / 2).toBeLessThanOrEqual(a.height);
    }
    // No two host boxes overlap.
    for (const p of a.nodes)
      for (const q of a.nodes)
        if (p.index < q.index) expect(Math.abs(p.x - q.x) >= NODE_W || Math.abs(p.y - q.y) >= NODE_H, `${p.name} / ${q.name}`).toBe(true);
    const two = layoutTopology(addHost(ESP, 0), 470, 160);
    expect(two.width).toBe(470);
    const [h0, h1] = two.nodes;
    expect(h0!.x).toBeLessThan(h1!.x);
    expect(Math.abs(h1!.x - h0!.x)).toBeGreaterThan(NODE_W + 60);
  });
});

describe("the editor store", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  async function setup() {
    const { store: app, calls } = engineStore();
    await app.getState().selectScenario("lo0-esp-ping");
    const editor = createEditorStore({ app, now: () => Date.now() });
    editor.getState().load(draftFromApp(app.getState())!);
    app.subscribe((s: ReturnType<typeof app.getState>) => editor.getState().follow(s));
    return { app, calls, editor };
  }

  it("runs a valid draft once, after the typing stops, through the app store", async () => {
    const { app, calls, editor } = await setup();
    const before = calls.length;
    const d = editor.getState().history!.present;
    editor.getState().edit(setIn(d, ["traffic", 0, "count"], 1), "$.traffic[0].count");
    editor.getState().edit(setIn(d, ["traffic", 0, "count"], 2), "$.traffic[0].count");
    expect(editor.getState().run).toBe("waiting");
    await vi.advanceTimersByTimeAsync(RUN_DEBOUNCE_MS - 1);
    expect(calls.length).toBe(before);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(editor.getState().run).toBe("applied"));
    expect(calls.length).toBe(before + 1);
    expect(app.getState().source).toMatchObject({ kind: "custom", label: "lo0-esp-ping (edited)" });
    const ping = app.getState().trace!.scenario.traffic[0]!;
    expect(ping.kind === "ping" ? ping.count : null).toBe(2);
    // The two keystrokes were one undo step.
    expect(editor.getState().history!.past).toHaveLength(1);
  });

  it("never runs an invalid draft: the last good trace stays", async () => {
    const { app, calls, editor } = await setup();
    const trace = app.getState().trace;
    const before = calls.length;
    editor.getState().edit(setIn(editor.getState().history!.present, ["hosts", 0, "sad", 0, "encKey"], "0x1234"));
    expect(editor.getState().run).toBe("invalid");
    expect(editor.getState().problems.map((p) => p.path)).toEqual(["$.hosts[0].sad[0].encKey"]);
    await vi.advanceTimersByTimeAsync(RUN_DEBOUNCE_MS * 3);
    expect(calls.length).toBe(before);
    expect(app.getState().trace).toBe(trace);
    // Undo brings back the valid draft and runs it.
    editor.getState().undo();
    expect(editor.getState().problems).toEqual([]);
    expect(editor.getState().run).toBe("waiting");
  });

  it("follows a built-in picked in the header as one undoable step, without re-running it", async () => {
    const { app, calls, editor } = await setup();
    await app.getState().selectScenario("lo0-ah-ping");
    const before = calls.length;
    expect(editor.getState().history!.present.name).toBe("lo0-ah-ping");
    await vi.advanceTimersByTimeAsync(RUN_DEBOUNCE_MS * 2);
    expect(calls.length).toBe(before);
    editor.getState().undo();
    expect(editor.getState().history!.present.name).toBe("lo0-esp-ping");
  });
});
