/**
 * Hostile and broken links, thousands of them (fast-check): the decoder never throws, always
 * answers with a state or a message naming the part that is wrong, and does bounded work; the
 * engine's validator, behind it, names every schema problem by its JSON path. Plus the round
 * trip: a state written as a link reads back as the same state.
 */
import fc from "fast-check";
import { deflateSync } from "fflate";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, FIX_IDS, PERSONALITY_IDS, builtinByName, type Problem } from "../../src/engine/index";
import { nestingDepth } from "../../src/engine/index";
import {
  DEFAULT_VIEW,
  SHARE_LIMITS,
  SIDE_TABS,
  builtinState,
  decodeShare,
  encodeShare,
  inflateCapped,
  toBase64Url,
  type DecodeResult,
  type ShareState,
} from "../../src/share/codec";
import { openLink } from "./support";

const z = (text: string) => toBase64Url(deflateSync(new TextEncoder().encode(text)));

/** A well-formed answer: a state whose parts are all valid, or a message and problems that name a part. */
function wellFormed(r: DecodeResult): void {
  if (r.ok) {
    const s = r.state;
    if (s.scenario.kind === "builtin") expect(builtinByName(s.scenario.name)).toBeDefined();
    else expect(typeof s.scenario.json).toBe("string");
    if (s.personality !== null) expect(PERSONALITY_IDS).toContain(s.personality);
    for (const f of s.fixes ?? []) expect(FIX_IDS).toContain(f);
    expect(Number.isInteger(s.cursor.seq) && s.cursor.seq >= 0 && s.cursor.seq < SHARE_LIMITS.steps).toBe(true);
    expect(SIDE_TABS).toContain(s.view.tab);
    for (const n of r.notes) expect(n.path).toMatch(/^#/);
  } else {
    expect(r.message.length).toBeGreaterThan(0);
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) expect(p.path).toMatch(/^#/);
  }
}

const seed = builtinByName("lo0-esp-ping")!;
const custom = (value: unknown) => `#v=1&z=${z(JSON.stringify(value))}&c=12`;

/** Real links of every kind, to cut and mangle. */
const VALID = [
  "#v=1&s=lo0-esp-ping",
  "#v=1&s=lo0-esp-ping&f=icmp-reflect-strips-tags&c=66&k=1/host~ip~ip_output~decision~ipsec-loop/2&t=tags&tag=1",
  "#v=1&s=gw-esp-tunnel&p=freebsd-7&c=31&k=1/gw-b~link~ether_input~link.rx~/0&field=ipv4%230.ttl&dec=1&lanes=0&pin=4",
  custom(seed),
  custom({ ...builtinByName("gw-esp-tunnel"), description: "a longer one ".repeat(40) }),
];

describe("decodeShare on hostile input", () => {
  it("never throws on arbitrary text, and answers with a valid state or a message", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.string({ unit: "grapheme-composite", maxLength: 120 }),
        ),
        (text) => {
          wellFormed(decodeShare(text));
          wellFormed(decodeShare(`#${text}`));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws on links built from real parts with random values", () => {
    const part = fc.tuple(
      fc.constantFrom("v", "s", "z", "p", "f", "c", "k", "t", "tag", "field", "pin", "lanes", "dec", "x"),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.nat().map(String),
        fc.constantFrom("1", "0", "lo0-ping", "tags", "icmp-reflect-strips-tags", "freebsd-7", "%", "%zz", "-1", "1e9", "99999999999"),
      ),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 14 }), (parts) => {
        wellFormed(decodeShare(`#${parts.map(([k, v]) => `${k}=${v}`).join("&")}`));
      }),
      { numRuns: 3000 },
    );
  });

  it("rejects every truncation of a link that cuts into its scenario, and never throws on any", () => {
    for (const link of VALID) {
      const zAt = link.indexOf("z=");
      const zEnd = link.indexOf("&", zAt);
      for (let n = 0; n <= link.length; n++) {
        const r = decodeShare(link.slice(0, n));
        wellFormed(r);
        // Cut inside the payload (not at its very end): what is left is not the scenario.
        if (zAt >= 0 && n > zAt + 2 && n < zEnd - 1) expect(r.ok).toBe(false);
      }
    }
  });

  it("rejects or reads as valid a link with a character of its payload changed", () => {
    const link = VALID[3]!;
    const start = link.indexOf("z=") + 2;
    const end = link.indexOf("&", start);
    fc.assert(
      fc.property(
        fc.integer({ min: start, max: end - 1 }),
        fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=%!~."),
        (at, c) => {
          const r = decodeShare(link.slice(0, at) + c + link.slice(at + 1));
          wellFormed(r);
          if (!r.ok) expect(r.problems[0]!.path).toBe("#z");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("rejects valid base64 of random bytes as a payload, with a message about the payload", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        const r = decodeShare(`#v=1&z=${toBase64Url(bytes)}`);
        wellFormed(r);
        if (!r.ok) expect(r.problems).toEqual([expect.objectContaining({ path: "#z" })]);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads compressed random JSON only when it is an object within the depth limit, and the engine then names every problem by its path", () => {
    fc.assert(
      fc.property(fc.json({ depthSize: "medium", maxDepth: 40 }), (json) => {
        const r = decodeShare(`#v=1&z=${z(json)}`);
        wellFormed(r);
        const value: unknown = JSON.parse(json);
        const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
        expect(r.ok).toBe(isObject && nestingDepth(json) <= SHARE_LIMITS.depth);
        if (!r.ok) return;
        const opened = openLink(`#v=1&z=${z(json)}`);
        if (!opened.ok) for (const p of opened.problems) expect(p.path).toMatch(/^\$/);
      }),
      { numRuns: 1000 },
    );
  });

  it("stops zip bombs of any shape at the cap, reading only part of them", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.constantFrom(1, 6, 9),
        (mib, pattern, level) => {
          const size = mib * 1024 * 1024;
          const plain = new Uint8Array(size);
          for (let i = 0; i < size; i += pattern.length) plain.set(pattern.subarray(0, Math.min(pattern.length, size - i)), i);
          const bomb = deflateSync(plain, { level: level as 1 | 6 | 9 });
          const r = inflateCapped(bomb, SHARE_LIMITS.scenarioBytes);
          expect(r.ok).toBe(false);
          expect(r.outputSeen).toBeLessThanOrEqual(SHARE_LIMITS.scenarioBytes + 1032 * SHARE_LIMITS.inflateChunk + 32 * 1024);
          expect(r.inputUsed).toBeLessThan(bomb.length);
          const link = `#v=1&z=${toBase64Url(bomb)}`;
          const d = decodeShare(link);
          expect(d.ok).toBe(false);
          if (!d.ok)
            expect(d.message).toMatch(
              link.length > SHARE_LIMITS.fragment ? /^#: the link is \d+ characters long/ : /^#z: unpacks to more than 524288 bytes/,
            );
        },
      ),
      { numRuns: 16 },
    );
    // Deflating sixteen bombs of up to 12 MiB is the slow part, not the code under test; a 2-core CI box needs the room.
  }, 60_000);

  it("refuses JSON nested deeper than the limit, however deep", () => {
    fc.assert(
      fc.property(fc.integer({ min: 33, max: 100_000 }), fc.constantFrom("[", '{"a":'), (depth, open) => {
        const close = open === "[" ? "]" : "}";
        const json = open.repeat(depth) + "1" + close.repeat(depth);
        const r = decodeShare(`#v=1&z=${z(json)}`);
        expect(r.ok).toBe(false);
        // The size cap comes first, so a deep bomb is not even scanned for its depth.
        if (!r.ok)
          expect(r.message).toBe(
            json.length > SHARE_LIMITS.scenarioBytes
              ? "#z: unpacks to more than 524288 bytes; a shared scenario is at most 512 KiB"
              : `#z: unpacks to JSON nested ${depth} levels deep; the limit is 32`,
          );
      }),
      { numRuns: 200 },
    );
  });

  it("says a link of an unknown version comes from a newer tagflow, or is not a version", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 2, max: 999_999 }).map(String), fc.string({ maxLength: 10 })), (v) => {
        const r = decodeShare(`#v=${encodeURIComponent(v)}&s=lo0-ping`);
        if (v === "1") return;
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.message).toMatch(/^#v: (this link was made by a newer tagflow|".*" is not a link format version)/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("schema-invalid scenarios in a link", () => {
  const sa = (change: Record<string, unknown>) => ({ ...seed, hosts: [{ ...seed.hosts[0]!, sad: [{ ...seed.hosts[0]!.sad![0]!, ...change }] }] });
  const problems = (link: string): Problem[] => {
    const r = openLink(link);
    expect(r.ok).toBe(false);
    return r.ok ? [] : [...r.problems];
  };

  it("names a key of the wrong length by its path (AES-GCM-16: 16, 24 or 32 key bytes + 4 salt)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }).filter((n) => ![20, 28, 36].includes(n)),
        fc.boolean(),
        (bytes, prefix) => {
          const key = (prefix ? "0x" : "") + "ab".repeat(bytes);
          expect(problems(custom(sa({ encKey: key })))).toEqual([
            expect.objectContaining({ path: "$.hosts[0].sad[0].encKey", message: expect.stringMatching(/bytes|key/i) }),
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names SPI 0 (and the reserved 1–255) by its path", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.boolean(), (spi, hex) => {
        const found = problems(custom(sa({ spi: hex ? `0x${spi.toString(16)}` : spi })));
        expect(found[0]).toEqual({
          path: "$.hosts[0].sad[0].spi",
          message: spi === 0 ? "SPI 0 is reserved and never sent (RFC 4303 §2.1)" : expect.stringContaining("reserved by IANA"),
        });
      }),
      { numRuns: 300 },
    );
  });

  it("names an unknown algorithm by its path", () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((s) => !["null", "aes-gcm-16", "aes-cbc", "chacha20-poly1305", "aes-gcm", "aes-128-gcm"].includes(s)),
        fc.constantFrom("enc", "auth"),
        (alg, field) => {
          const found = problems(custom(sa({ [field]: alg })));
          expect(found.map((p) => p.path)).toContain(`$.hosts[0].sad[0].${field}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names a routing loop by its path", () => {
    const loop = (prefix: string) => ({
      version: 1,
      name: "loop",
      hosts: [
        { name: "a", interfaces: [{ name: "em0", addr: "10.0.0.1/24" }], routes: [{ dst: prefix, gateway: "10.0.0.2", ifname: "em0" }] },
        { name: "b", interfaces: [{ name: "em0", addr: "10.0.0.2/24" }], routes: [{ dst: prefix, gateway: "10.0.0.1", ifname: "em0" }] },
      ],
      links: [{ name: "wire", ends: ["a:em0", "b:em0"] }],
      traffic: [],
    });
    fc.assert(
      fc.property(fc.integer({ min: 11, max: 223 }), fc.integer({ min: 0, max: 255 }), (a, b) => {
        const found = problems(custom(loop(`${a}.${b}.0.0/16`)));
        expect(found[0]).toEqual({ path: "$.hosts[0].routes[0]", message: `routing loop: a → b → a for ${a}.${b}.0.0/16` });
      }),
      { numRuns: 100 },
    );
  });
});

describe("the round trip", () => {
  const key = fc
    .tuple(
      fc.integer({ min: 1, max: 99 }),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
      fc.constantFrom("app", "ip", "ipsec", "link"),
      fc.stringMatching(/^[a-z][a-z0-9_]{0,14}$/),
      fc.constantFrom("decision", "tag.prepend", "link.tx"),
      fc.constantFrom("", "ipsec-loop", "route"),
      fc.nat(40),
    )
    .map(([round, host, layer, fn, kind, check, n]) => `${round}/${host} ${layer} ${fn} ${kind} ${check}/${n}`);
  const view = fc.record({
    tab: fc.constantFrom(...SIDE_TABS),
    tag: fc.option(fc.nat(100_000), { nil: null }),
    field: fc.option(fc.constantFrom("ipv4#0.ttl", "esp#0.spi", "icmp#1.checksum", "esp-iv#0.iv"), { nil: null }),
    pin: fc.option(fc.nat(1_000_000), { nil: null }),
    lanes: fc.boolean(),
    decrypted: fc.boolean(),
  });
  const builtin = fc.record({
    scenario: fc.constantFrom(...BUILTIN_SCENARIOS.map((b) => ({ kind: "builtin" as const, name: b.name }))),
    personality: fc.constantFrom(...PERSONALITY_IDS),
    fixes: fc.subarray([...FIX_IDS]),
  });
  const customRun = fc.record({
    scenario: fc
      .json({ maxDepth: 6 })
      .map((j) => ({ kind: "custom" as const, json: JSON.stringify({ version: 1, name: "x", payload: JSON.parse(j) as unknown }) })),
    personality: fc.option(fc.constantFrom(...PERSONALITY_IDS), { nil: null }),
    fixes: fc.option(fc.subarray([...FIX_IDS]), { nil: null }),
  });
  const cursor = fc.oneof(
    fc.constant({ seq: 0, key: null }),
    fc.record({ seq: fc.integer({ min: 1, max: SHARE_LIMITS.steps - 1 }), key: fc.option(key, { nil: null }) }),
  );

  it("reads back every state it writes", () => {
    fc.assert(
      fc.property(fc.oneof(builtin, customRun), cursor, view, (run, c, v) => {
        const state: ShareState = { ...run, cursor: c, view: v };
        const link = encodeShare(state);
        expect(decodeShare(link)).toEqual({ ok: true, state, notes: [] });
        expect(decodeShare(`#${link}`)).toEqual({ ok: true, state, notes: [] });
      }),
      { numRuns: 2000 },
    );
  });

  it("writes a built-in at its own defaults as just its name", () => {
    for (const b of BUILTIN_SCENARIOS) expect(encodeShare({ ...builtinState(b.name), view: DEFAULT_VIEW })).toBe(`v=1&s=${b.name}`);
  });
});
