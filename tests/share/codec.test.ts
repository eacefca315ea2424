import { deflateSync } from "fflate";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS } from "../../src/engine/index";
import {
  DEFAULT_VIEW,
  SHARE_LIMITS,
  SHARE_VERSION,
  builtinState,
  decodeShare,
  defaultShareState,
  encodeShare,
  fromBase64Url,
  inflateCapped,
  migrateParts,
  parseEmbedParams,
  scenarioKey,
  toBase64Url,
  withoutEmbedParams,
  type DecodeResult,
  type ShareState,
} from "../../src/share/codec";

const z = (text: string) => toBase64Url(deflateSync(new TextEncoder().encode(text)));

function problemsOf(r: DecodeResult): string[] {
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe("share links", () => {
  it("keeps a link to a built-in at its defaults short: #v=1&s=<name>", () => {
    expect(encodeShare(defaultShareState())).toBe("v=1&s=lo0-esp-ping");
    for (const b of BUILTIN_SCENARIOS) expect(encodeShare(builtinState(b.name))).toBe(`v=1&s=${b.name}`);
  });

  it("reads a bare fragment as the default scenario, and a hand-written one without a version as version 1", () => {
    expect(decodeShare("")).toEqual({ ok: true, state: defaultShareState(), notes: [] });
    const r = decodeShare("#s=lo0-ping");
    expect(r.ok && r.state).toEqual(builtinState("lo0-ping"));
  });

  it("writes only what differs from the built-in's defaults, in a fixed order", () => {
    const state: ShareState = {
      ...builtinState("lo0-esp-ping"),
      personality: "freebsd-7",
      fixes: ["icmp-reflect-clears-ipsec-flags", "icmp-reflect-strips-tags"],
      cursor: { seq: 64, key: "1/host ip ip_output decision ipsec-loop/2" },
      view: { tab: "tags", tag: 3, field: "ipv4#0.ttl", pin: 27, lanes: false, decrypted: true },
    };
    const link = encodeShare(state);
    expect(link).toBe(
      "v=1&s=lo0-esp-ping&p=freebsd-7&f=icmp-reflect-strips-tags,icmp-reflect-clears-ipsec-flags&c=65&k=1/host~ip~ip_output~decision~ipsec-loop/2&t=tags&tag=3&field=ipv4%230.ttl&pin=27&lanes=0&dec=1",
    );
    expect(decodeShare(link)).toEqual({
      ok: true,
      state: { ...state, fixes: ["icmp-reflect-strips-tags", "icmp-reflect-clears-ipsec-flags"] },
      notes: [],
    });
  });

  it("carries a scenario of one's own compressed, and reads it back byte for byte", () => {
    const json = JSON.stringify({ version: 1, name: "mine", hosts: [{ name: "h" }], traffic: [], description: "é ✓ " + "x".repeat(2000) });
    const state: ShareState = {
      scenario: { kind: "custom", json },
      personality: null,
      fixes: null,
      cursor: { seq: 0, key: null },
      view: DEFAULT_VIEW,
    };
    const link = encodeShare(state);
    expect(link).toMatch(/^v=1&z=[A-Za-z0-9_-]+$/);
    expect(link.length).toBeLessThan(json.length / 3);
    expect(decodeShare(link)).toEqual({ ok: true, state, notes: [] });
  });

  it("tells two states apart by their run (scenario, personality, fixes), not by step or view", () => {
    const a = builtinState("lo0-esp-ping");
    expect(scenarioKey({ ...a, cursor: { seq: 5, key: null }, view: { ...DEFAULT_VIEW, tab: "tags" } })).toBe(scenarioKey(a));
    expect(scenarioKey({ ...a, fixes: ["icmp-reflect-strips-tags"] })).not.toBe(scenarioKey(a));
    expect(scenarioKey({ ...a, personality: "freebsd-7" })).not.toBe(scenarioKey(a));
  });
});

describe("links that cannot be used", () => {
  it("names a link from a newer tagflow as such", () => {
    expect(problemsOf(decodeShare(`#v=${SHARE_VERSION + 1}&s=lo0-ping`))[0]).toMatch(
      /^#v: this link was made by a newer tagflow \(link format 2; this one reads up to 1\)/,
    );
    expect(problemsOf(decodeShare("#v=0&s=lo0-ping"))[0]).toMatch(/^#v: "0" is not a link format version/);
    expect(problemsOf(decodeShare("#v=one"))[0]).toMatch(/^#v: "one" is not a link format version/);
  });

  it("says what is wrong with a scenario payload: base64, compression, size, depth, JSON, shape", () => {
    expect(problemsOf(decodeShare("#v=1&z=abc!def"))).toEqual([
      '#z: is not valid base64url: "!" at position 4 (only A–Z, a–z, 0–9, "-" and "_" may appear)',
    ]);
    const good = z('{"version":1}');
    expect(problemsOf(decodeShare(`#v=1&z=${good.slice(0, -3)}`))[0]).toMatch(/^#z: .*(cut off|not valid compressed data)/);
    expect(problemsOf(decodeShare("#v=1&z=AAAAAA"))[0]).toMatch(/^#z: /);
    expect(problemsOf(decodeShare("#v=1&z="))).toEqual(["#z: is empty"]);
    expect(problemsOf(decodeShare(`#v=1&z=${z("[".repeat(40) + "]".repeat(40))}`))).toEqual([
      "#z: unpacks to JSON nested 40 levels deep; the limit is 32",
    ]);
    expect(problemsOf(decodeShare(`#v=1&z=${z("{not json")}`))[0]).toMatch(/^#z: does not unpack to valid JSON/);
    expect(problemsOf(decodeShare(`#v=1&z=${z("[1,2]")}`))).toEqual(["#z: unpacks to a JSON array, not a scenario object"]);
    expect(problemsOf(decodeShare(`#v=1&z=${toBase64Url(deflateSync(new Uint8Array([0xff, 0xfe, 0x7b])))}`))).toEqual([
      "#z: does not unpack to UTF-8 text",
    ]);
  });

  it("stops inflating a zip bomb at the cap, having read only part of it", () => {
    const bomb = deflateSync(new Uint8Array(16 * 1024 * 1024), { level: 9 });
    const r = inflateCapped(bomb, SHARE_LIMITS.scenarioBytes);
    expect(r.ok).toBe(false);
    // DEFLATE expands at most ~1032×, so one chunk past the cap is the most work done.
    expect(r.outputSeen).toBeLessThanOrEqual(SHARE_LIMITS.scenarioBytes + 1032 * SHARE_LIMITS.inflateChunk + 32 * 1024);
    expect(r.inputUsed).toBeLessThan(bomb.length / 4);
    expect(problemsOf(decodeShare(`#v=1&z=${toBase64Url(bomb)}`))).toEqual([
      "#z: unpacks to more than 524288 bytes; a shared scenario is at most 512 KiB",
    ]);
  });

  it("refuses a fragment longer than the cap before reading it", () => {
    expect(problemsOf(decodeShare(`#v=1&z=${"A".repeat(SHARE_LIMITS.fragment)}`))).toEqual([
      `#: the link is ${SHARE_LIMITS.fragment + 7} characters long; tagflow reads links of up to ${SHARE_LIMITS.fragment}`,
    ]);
    expect(problemsOf(decodeShare(`#${"x=1&".repeat(40)}`))[0]).toMatch(/^#: the link has 40 parts/);
  });

  it("checks every other part: names, ids, numbers, panels", () => {
    expect(problemsOf(decodeShare("#s=lo0-esp-pi"))[0]).toMatch(
      /^#s: there is no built-in scenario called "lo0-esp-pi" \(there are: lo0-esp-ping, lo0-ping, /,
    );
    expect(problemsOf(decodeShare("#s=lo0-ping&z=AAAA"))).toEqual(["#z: a link names a built-in scenario (s) or carries one (z), not both"]);
    expect(problemsOf(decodeShare("#s=lo0-ping&p=linux"))[0]).toMatch(/^#p: "linux" is not a kernel personality \(there are: netbsd-2003, freebsd-7/);
    expect(problemsOf(decodeShare("#s=lo0-ping&f=icmp-reflect-strips-tags,nope"))[0]).toMatch(/^#f: "nope" is not a fix \(there are: /);
    expect(problemsOf(decodeShare("#s=lo0-ping&c=0"))[0]).toMatch(/^#c: "0" is not a step number \(1–15000000\)/);
    expect(problemsOf(decodeShare("#s=lo0-ping&c=1e3"))[0]).toMatch(/^#c: /);
    expect(problemsOf(decodeShare("#s=lo0-ping&t=hex"))[0]).toMatch(/^#t: "hex" is not a panel \(there are: packet, mbufs, tags, fixes\)/);
    expect(problemsOf(decodeShare("#s=lo0-ping&tag=-1&pin=x&lanes=2&field=%3Cscript%3E"))).toEqual([
      '#tag: "-1" is not a tag uid (a whole number)',
      '#field: "<script>" is not a header field (e.g. ipv4#0.ttl)',
      '#pin: "x" is not a packet version (a whole number)',
      '#lanes: "2" should be 0 or 1',
    ]);
    expect(problemsOf(decodeShare("#s=lo0-ping&s=lo0-esp-ping"))).toEqual(["#s: is given more than once"]);
    expect(problemsOf(decodeShare("#s=lo0%E0%A4%A"))).toEqual(["#s: is not valid percent-encoding (the link may have been cut or mangled)"]);
  });

  it("opens a link with parts it does not know, and says what it ignored", () => {
    const r = decodeShare("#v=1&s=lo0-ping&utm_source=mail&c=3&k=???");
    expect(r.ok && r.state.cursor).toEqual({ seq: 2, key: null });
    expect(r.ok && r.notes.map((n) => `${n.path}: ${n.message}`)).toEqual([
      "#utm_source: is not part of a tagflow link and was ignored",
      '#k: "???" is not a step key; the step number was used instead',
    ]);
  });
});

describe("migrations of the link format", () => {
  it("has nothing to migrate at version 1, and reports a version it has no step for", () => {
    expect(migrateParts({ s: "x" }, SHARE_VERSION)).toEqual({ ok: true, parts: { s: "x" } });
    expect(migrateParts({ s: "x" }, 0)).toEqual({
      ok: false,
      problem: { path: "#v", message: "this tagflow cannot read links of format version 0" },
    });
  });

  it("runs each step in order, as a future version 2 would", () => {
    const table = {
      1: (p: Record<string, string>) => ({ ...p, step: p.cursor ?? "1" }),
      2: (p: Record<string, string>) => ({ ...p, seen: `${p.step}!` }),
    };
    expect(migrateParts({ cursor: "7" }, 1, table, 3)).toEqual({ ok: true, parts: { cursor: "7", step: "7", seen: "7!" } });
  });
});

describe("base64url", () => {
  it("round-trips every length, and rejects impossible lengths and foreign characters", () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = toBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(fromBase64Url(text)).toEqual({ ok: true, bytes });
      expect(Buffer.from(bytes).toString("base64url")).toBe(text);
    }
    expect(fromBase64Url("AAAAA").ok).toBe(false);
    expect(fromBase64Url("AA+/").ok).toBe(false);
    expect(fromBase64Url("AAA=")).toEqual({ ok: true, bytes: new Uint8Array([0, 0]) });
  });
});

describe("embed parameters", () => {
  it("reads embed, autoplay, an excerpt and a theme, ignoring (with a note) what it cannot use", () => {
    expect(parseEmbedParams("?embed&autoplay&from=60&to=70&theme=dark")).toEqual({
      options: { embed: true, autoplay: true, from: 59, to: 69, theme: "dark" },
      notes: [],
    });
    expect(parseEmbedParams("")).toEqual({ options: { embed: false, autoplay: false, from: null, to: null, theme: null }, notes: [] });
    const odd = parseEmbedParams("?embed=1&autoplay=0&from=0&to=x&theme=pink");
    expect(odd.options).toEqual({ embed: true, autoplay: false, from: null, to: null, theme: null });
    expect(odd.notes.map((n) => n.path)).toEqual(["?from", "?to", "?theme"]);
  });

  it("drops the embed parameters from a link to the full app", () => {
    expect(withoutEmbedParams("?embed&from=3&lang=en")).toBe("?lang=en");
    expect(withoutEmbedParams("?embed")).toBe("");
  });
});
