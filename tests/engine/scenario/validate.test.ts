/**
 * Scenario validation (src/engine/scenario/{validate,schema,migrate}.ts): each class of bad
 * input gets a problem with the exact JSON path and a message that names what is wrong, and
 * every problem is reported at once.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, type Problem, type ScenarioInput } from "../../../src/engine";
import { get, merge, push, set, setFrom, unset, type Edit } from "../../helpers/edit";
import { builtinInput } from "../../helpers/trace";

/** The problems of a built-in after `edits`; fails if it still validates. */
function problemsOf(name: string, ...edits: Edit[]): Problem[] {
  const s = builtinInput(name);
  for (const e of edits) e(s);
  return problemsOfValue(s);
}

/** Whether a built-in still validates after `edits`. */
function validatesAfter(name: string, ...edits: Edit[]): boolean {
  const s = builtinInput(name);
  for (const e of edits) e(s);
  return loadScenario(s).ok;
}

function problemsOfValue(value: unknown): Problem[] {
  const r = loadScenario(value);
  if (r.ok) throw new Error("expected problems, but the scenario validates");
  return r.problems;
}

const ESP = "lo0-esp-ping";
const TUNNEL = "gw-esp-tunnel";
const SHA1_KEY = "0x0102030405060708090a0b0c0d0e0f1011121314";
const AES128_KEY = "0x00112233445566778899aabbccddeeff";

describe("structure", () => {
  it("an unknown key, at any depth", () => {
    expect(problemsOf(ESP, set("colour", "blue"), set("hosts[0].sad[0].lifetime", 3600))).toEqual([
      { path: "$.hosts[0].sad[0].lifetime", message: "unknown key (not part of the scenario format)" },
      { path: "$.colour", message: "unknown key (not part of the scenario format)" },
    ]);
  });

  // "Validation reports every problem" (design.md): valibot's strictObject alone stops at the first.
  it("every unknown key of one object is reported, not just the first", () => {
    const problems = problemsOf(ESP, set("colour", "blue"), set("size", 3));
    expect(problems.map((p) => p.path).sort()).toEqual(["$.colour", "$.size"]);
  });

  it("an unknown key that is not an identifier is quoted in the path", () => {
    expect(problemsOf(ESP, set('["two words"]', 1))).toEqual([{ path: '$["two words"]', message: "unknown key (not part of the scenario format)" }]);
  });

  it("a missing version", () => {
    expect(problemsOf(ESP, unset("version"))).toEqual([
      { path: "$.version", message: "missing or invalid version (this tagflow reads versions 1–1)" },
    ]);
  });

  it.each([0, -1, 1.5, "1", null])("an invalid version (%j)", (version) => {
    expect(problemsOf(ESP, set("version", version))).toEqual([
      { path: "$.version", message: "missing or invalid version (this tagflow reads versions 1–1)" },
    ]);
  });

  it("a version from the future", () => {
    expect(problemsOf(ESP, set("version", 2))).toEqual([
      { path: "$.version", message: "version 2 was written by a newer tagflow; this one reads up to 1" },
    ]);
  });

  it("not an object at all", () => {
    for (const v of [null, [], "scenario", 42, true]) expect(problemsOfValue(v)).toEqual([{ path: "$", message: "a scenario is a JSON object" }]);
  });

  it("a value of the wrong type", () => {
    const problems = problemsOf(ESP, set("seed", "abc"), set("traffic[0].count", "3"), set("hosts[0].spd", {}));
    expect(problems.map((p) => p.path)).toEqual(["$.seed", "$.hosts[0].spd", "$.traffic[0].count"]);
    expect(problems[0]!.message).toMatch(/Expected number but received "abc"/);
    expect(problems[1]!.message).toMatch(/Expected Array/);
  });

  it("missing required keys", () => {
    const problems = problemsOfValue({ version: 1 });
    expect(problems.map((p) => p.path)).toEqual(["$.name", "$.hosts", "$.traffic"]);
    for (const p of problems) {
      expect(p.message).toMatch(/missing|received undefined/);
      expect(p.message).toContain(`"${p.path.slice(2)}"`);
    }
  });

  it("a bad IPv4 address", () => {
    expect(problemsOf(ESP, set("traffic[0].dst", "300.1.1.1"))).toEqual([{ path: "$.traffic[0].dst", message: "not an IPv4 address (a.b.c.d)" }]);
    expect(problemsOf(ESP, set("hosts[0].sad[0].src", "127.0.0"))).toEqual([
      { path: "$.hosts[0].sad[0].src", message: "not an IPv4 address (a.b.c.d)" },
    ]);
  });

  it("a bad CIDR prefix", () => {
    expect(problemsOf(TUNNEL, set("hosts[0].interfaces[0].addr", "10.0.0.1/33"))).toEqual([
      { path: "$.hosts[0].interfaces[0].addr", message: "not an IPv4 prefix (a.b.c.d/len)" },
    ]);
    expect(problemsOf(ESP, set("hosts[0].spd[1].dst", "127.0.0.1"))).toEqual([
      { path: "$.hosts[0].spd[1].dst", message: "not an IPv4 prefix (a.b.c.d/len)" },
    ]);
  });

  it("an unknown personality or fix names the allowed values", () => {
    const problems = problemsOf(ESP, set("personality", "linux"), set("fixes", ["nope"]));
    expect(problems.map((p) => p.path)).toEqual(["$.personality", "$.fixes[0]"]);
    expect(problems[0]!.message).toContain('"netbsd-2003" | "freebsd-7"');
    expect(problems[1]!.message).toContain('"icmp-reflect-strips-tags"');
  });

  it("a scenario needs at least one host", () => {
    expect(problemsOf(ESP, set("hosts", []))).toEqual([{ path: "$.hosts", message: "a scenario needs at least one host" }]);
  });

  it("SPIs: numbers or 0x-hex strings, 32 bits", () => {
    expect(problemsOf(ESP, set("hosts[0].sad[0].spi", "4096"))).toEqual([
      { path: "$.hosts[0].sad[0].spi", message: "SPI must be a number or 0x-prefixed hex" },
    ]);
    expect(problemsOf(ESP, set("hosts[0].sad[0].spi", 2 ** 32))[0]!.path).toBe("$.hosts[0].sad[0].spi");
  });

  it("keys must be hex bytes", () => {
    expect(problemsOf(ESP, set("hosts[0].sad[0].encKey", "0x123"))).toEqual([
      { path: "$.hosts[0].sad[0].encKey", message: "keys are hex bytes, e.g. 0x0123abcd" },
    ]);
  });
});

describe("meaning", () => {
  it("a duplicate host", () => {
    const problems = problemsOf(TUNNEL, set("hosts[1].name", "gw-a"));
    expect(problems).toContainEqual({ path: "$.hosts[1].name", message: 'duplicate host name "gw-a"' });
  });

  it("a route via an unknown interface", () => {
    expect(problemsOf(TUNNEL, set("hosts[0].routes[0].ifname", "em7"))).toEqual([
      { path: "$.hosts[0].routes[0].ifname", message: 'no interface "em7" on gw-a (has lo0, em0, em1)' },
    ]);
  });

  it("a gateway not on a connected network", () => {
    expect(problemsOf(TUNNEL, set("hosts[0].routes[0].gateway", "172.16.0.1"))).toEqual([
      { path: "$.hosts[0].routes[0].gateway", message: "gateway 172.16.0.1 is not on a network gw-a is connected to" },
    ]);
  });

  it("a routing loop between two hosts", () => {
    const loop: ScenarioInput = {
      version: 1,
      name: "loop",
      hosts: [
        { name: "a", interfaces: [{ name: "em0", addr: "10.0.0.1/24" }], routes: [{ dst: "192.168.9.0/24", gateway: "10.0.0.2", ifname: "em0" }] },
        { name: "b", interfaces: [{ name: "em0", addr: "10.0.0.2/24" }], routes: [{ dst: "192.168.9.0/24", gateway: "10.0.0.1", ifname: "em0" }] },
      ],
      links: [{ name: "net0", ends: ["a:em0", "b:em0"] }],
      traffic: [],
    };
    expect(problemsOfValue(loop)).toEqual([
      { path: "$.hosts[0].routes[0]", message: "routing loop: a → b → a for 192.168.9.0/24" },
      { path: "$.hosts[1].routes[0]", message: "routing loop: b → a → b for 192.168.9.0/24" },
    ]);
    // Routes that end at the host owning the destination are fine.
    const fine = structuredClone(loop);
    set("hosts[1].routes", [])(fine);
    push("hosts[1].interfaces", { name: "em1", addr: "192.168.9.1/24" })(fine);
    expect(loadScenario(fine).ok).toBe(true);
  });

  it("SPI 0 (reserved, never sent — RFC 4303 §2.1)", () => {
    expect(problemsOf(ESP, set("hosts[0].sad[0].spi", 0))).toEqual([
      { path: "$.hosts[0].sad[0].spi", message: "SPI 0 is reserved and never sent (RFC 4303 §2.1)" },
    ]);
  });

  it.each([1, 255, "0xff"])("SPI %j (1–255 reserved by IANA — RFC 4303 §2.1)", (value) => {
    const n = typeof value === "number" ? value : parseInt(value, 16);
    expect(problemsOf(ESP, set("hosts[0].sad[0].spi", value))).toEqual([
      { path: "$.hosts[0].sad[0].spi", message: `SPI ${n} is in the range 1–255 reserved by IANA (RFC 4303 §2.1)` },
    ]);
  });

  it("SPI 256 is the first one allowed", () => {
    expect(validatesAfter(ESP, set("hosts[0].sad[0].spi", 256))).toBe(true);
  });

  it("a duplicate SA (same destination, protocol and SPI)", () => {
    expect(
      problemsOf(
        ESP,
        setFrom("hosts[0].sad[1]", (s) => ({ ...(get(s, "hosts[0].sad[0]") as object), spi: 4096 })),
      ),
    ).toEqual([{ path: "$.hosts[0].sad[1].spi", message: "another SA already has destination 127.0.0.1, esp, SPI 0x1000" }]);
    // Another protocol or destination with the same SPI is a different SA.
    expect(
      validatesAfter(
        ESP,
        push("hosts[0].sad", { spi: "0x1000", src: "127.0.0.1", dst: "127.0.0.1", proto: "ah", auth: "hmac-sha1-96", authKey: SHA1_KEY }),
      ),
    ).toBe(true);
  });

  it("an aes-gcm-16 key of the wrong length names the lengths it takes", () => {
    expect(problemsOf(ESP, set("hosts[0].sad[0].encKey", "0x00112233445566778899aabbccddeeff"))).toEqual([
      {
        path: "$.hosts[0].sad[0].encKey",
        message: "aes-gcm-16 needs a 20-, 28- or 36-byte key (a 16-, 24- or 32-byte AES key + 4 bytes of salt, RFC 4106 §8.1); got 16",
      },
    ]);
  });

  it("an aes-cbc key and an hmac-sha1-96 key of the wrong length, each at its own path", () => {
    expect(problemsOf("lo0-esp-cbc-ping", merge("hosts[0].sad[0]", { encKey: "0x0011", authKey: "0x00112233" }))).toEqual([
      { path: "$.hosts[0].sad[0].encKey", message: "aes-cbc needs a 16-, 24- or 32-byte key (AES-128, AES-192 or AES-256, RFC 3602 §2.2); got 2" },
      { path: "$.hosts[0].sad[0].authKey", message: "hmac-sha1-96 needs a 20-byte key (RFC 2404 §3); got 4" },
    ]);
  });

  it("AH with an encryption key", () => {
    expect(problemsOf("lo0-ah-ping", merge("hosts[0].sad[0]", { enc: "aes-cbc", encKey: AES128_KEY }))).toEqual([
      { path: "$.hosts[0].sad[0].enc", message: "AH authenticates only: leave enc and encKey out" },
    ]);
  });

  it("AH without an authentication algorithm", () => {
    expect(problemsOf("lo0-ah-ping", merge("hosts[0].sad[0]", { auth: "none", authKey: "" }))).toEqual([
      { path: "$.hosts[0].sad[0].auth", message: "AH needs an authentication algorithm (hmac-sha1-96 or hmac-sha256-128)" },
    ]);
  });

  it("an AH key of the wrong length", () => {
    expect(problemsOf("lo0-ah-ping", set("hosts[0].sad[0].authKey", SHA1_KEY))).toEqual([
      { path: "$.hosts[0].sad[0].authKey", message: "hmac-sha256-128 needs a 32-byte key (RFC 4868 §2.1.1); got 20" },
    ]);
  });

  // The problem is reported at the field at fault (keyProblems names it), not guessed from text.
  it("an AEAD cipher with a separate auth algorithm is reported at .auth", () => {
    const problems = problemsOf(ESP, merge("hosts[0].sad[0]", { auth: "hmac-sha1-96", authKey: SHA1_KEY }));
    expect(problems).toEqual([{ path: "$.hosts[0].sad[0].auth", message: expect.stringContaining('use auth "none"') }]);
  });

  it("an ipsec policy without requests; a none policy with requests", () => {
    expect(problemsOf(ESP, set("hosts[0].spd[0].requests", []))).toEqual([
      { path: "$.hosts[0].spd[0].requests", message: 'an "ipsec" policy needs at least one request, e.g. {"proto": "esp"}' },
    ]);
    expect(problemsOf(ESP, set("hosts[0].spd[1].action", "none"))).toEqual([
      { path: "$.hosts[0].spd[1].requests", message: 'a "none" policy takes no requests' },
    ]);
  });

  it("a tunnel request without endpoints; transport with endpoints", () => {
    expect(problemsOf(ESP, set("hosts[0].spd[0].requests[0].mode", "tunnel"))).toEqual([
      { path: "$.hosts[0].spd[0].requests[0]", message: "tunnel mode needs tunnelSrc and tunnelDst" },
    ]);
    expect(problemsOf(ESP, set("hosts[0].spd[0].requests[0].tunnelDst", "10.0.0.2"))).toEqual([
      { path: "$.hosts[0].spd[0].requests[0]", message: "tunnelSrc/tunnelDst only apply to tunnel mode" },
    ]);
  });

  it("a link to a missing host, a missing interface, or lo0", () => {
    expect(problemsOf(TUNNEL, set("links[0].ends[1]", "gw-z:em0"))).toEqual([
      { path: "$.links[0].ends[1]", message: 'no host "gw-z" (write ends as "host:ifname")' },
    ]);
    expect(problemsOf(TUNNEL, set("links[0].ends[1]", "gw-b:em9"))).toEqual([
      { path: "$.links[0].ends[1]", message: 'host "gw-b" has no interface "em9"' },
    ]);
    expect(problemsOf(TUNNEL, set("links[0].ends[1]", "gw-b:lo0"))).toEqual([
      { path: "$.links[0].ends[1]", message: "lo0 cannot be attached to a link" },
    ]);
  });

  it("a link with the same end twice", () => {
    expect(problemsOf(TUNNEL, set("links[0].ends", ["gw-a:em0", "gw-a:em0"]))).toEqual([
      { path: "$.links[0].ends[1]", message: "gw-a:em0 is already attached to a link" },
      { path: "$.links[0].ends", message: "a link needs two different ends" },
    ]);
  });

  it("traffic from an unknown host, or from an address the host does not have", () => {
    expect(problemsOf(ESP, set("traffic[0].from", "nobody"))).toEqual([{ path: "$.traffic[0].from", message: 'no host "nobody" (hosts: host)' }]);
    expect(problemsOf(ESP, set("traffic[0].src", "10.9.9.9"))).toEqual([{ path: "$.traffic[0].src", message: "10.9.9.9 is not an address of host" }]);
  });

  it("interfaces: lo0 is built in, network/broadcast addresses, 127/8", () => {
    expect(
      problemsOf(
        ESP,
        set("hosts[0].interfaces", [
          { name: "lo0", addr: "10.0.0.1/24" },
          { name: "em0", addr: "10.0.1.0/24" },
          { name: "em1", addr: "10.0.2.255/24" },
          { name: "em2", addr: "127.0.0.5/8" },
          { name: "em2", addr: "10.0.3.1/24" },
        ]),
      ),
    ).toEqual([
      { path: "$.hosts[0].interfaces[0].name", message: "lo0 is built in (127.0.0.1/8); do not declare it" },
      { path: "$.hosts[0].interfaces[1].addr", message: "10.0.1.0 is the network or broadcast address of 10.0.1.0/24" },
      { path: "$.hosts[0].interfaces[2].addr", message: "10.0.2.255 is the network or broadcast address of 10.0.2.0/24" },
      { path: "$.hosts[0].interfaces[3].addr", message: "127.0.0.0/8 belongs to lo0" },
      { path: "$.hosts[0].interfaces[4].name", message: 'duplicate interface "em2"' },
    ]);
  });
});

describe("many problems at once", () => {
  it("reports every structural problem, not just the first", () => {
    const problems = problemsOf(ESP, set("bogus", 1), set("seed", -1), set("traffic[0].dst", "x"), set("hosts[0].sad[0].proto", "gre"));
    expect(problems.map((p) => p.path).sort()).toEqual(["$.bogus", "$.hosts[0].sad[0].proto", "$.seed", "$.traffic[0].dst"]);
  });

  it("reports every semantic problem, not just the first", () => {
    const problems = problemsOf(
      TUNNEL,
      set("hosts[0].sad[0].spi", 0),
      set("hosts[1].sad[1].encKey", "0x00"),
      set("hosts[0].routes[0].ifname", "em7"),
      set("links[0].ends[1]", "gw-b:em9"),
      set("traffic[0].from", "zz"),
    );
    expect(problems.map((p) => p.path)).toEqual([
      "$.hosts[0].routes[0].ifname",
      "$.hosts[0].sad[0].spi",
      "$.hosts[1].sad[1].encKey",
      "$.links[0].ends[1]",
      "$.traffic[0].from",
    ]);
  });

  it("every message is a sentence about the input, never a stack trace", () => {
    const problems = problemsOf(TUNNEL, set("hosts[0].sad[0].spi", 0), set("traffic[0].from", "zz"));
    for (const p of problems) {
      expect(p.message.length).toBeGreaterThan(10);
      expect(p.message).not.toMatch(/at .*\.ts:\d+|TypeError|undefined is not/);
    }
  });
});
