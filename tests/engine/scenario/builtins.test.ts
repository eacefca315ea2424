/**
 * The built-in library (src/engine/scenario/builtins.ts): every built-in is an ordinary scenario
 * that validates, under both personalities and with every fix, and normalises with its defaults.
 */
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, DEFAULT_SCENARIO, FIX_IDS, PERSONALITY_IDS, SCENARIO_VERSION, builtinByName, loadScenario } from "../../../src/engine";
import { BUILTIN_NAMES, builtinInput } from "../../helpers/trace";

describe("built-in scenarios", () => {
  it.each(BUILTIN_NAMES)("%s validates (as written, each personality, all fixes on)", (name) => {
    for (const personality of PERSONALITY_IDS) {
      for (const fixes of [[], [...FIX_IDS]]) {
        const r = loadScenario(builtinInput(name, { personality, fixes }));
        if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
        expect(r.scenario.name).toBe(name);
        expect(r.migratedFrom).toBeUndefined();
      }
    }
  });

  it("names are unique, lowercase and current-version; the default is one of them", () => {
    expect(new Set(BUILTIN_NAMES).size).toBe(BUILTIN_NAMES.length);
    for (const s of BUILTIN_SCENARIOS) {
      expect(s.version).toBe(SCENARIO_VERSION);
      expect(s.name).toMatch(/^[a-z][a-z0-9-]*$/);
    }
    expect(builtinByName(DEFAULT_SCENARIO)?.name).toBe("lo0-esp-ping");
    expect(builtinByName("no-such-scenario")).toBeUndefined();
    expect(BUILTIN_NAMES).toEqual(
      expect.arrayContaining([
        "lo0-ping",
        "lo0-esp-ping",
        "lo0-ah-ping",
        "lo0-esp-cbc-ping",
        "gw-esp-tunnel",
        "esp-replay",
        "esp-wrong-key",
        "esp-tamper",
      ]),
    );
  });

  it("validation fills in every default (the trace records exactly what ran)", () => {
    const r = loadScenario(builtinInput("lo0-esp-ping"));
    if (!r.ok) throw new Error("invalid");
    const s = r.scenario;
    expect(s).toMatchObject({ personality: "netbsd-2003", fixes: [], seed: 1, maxEvents: 2_000_000, links: [], story: "stone-2003" });
    expect(s.hosts[0]).toMatchObject({ interfaces: [], routes: [], defaultPolicy: "none" });
    expect(s.hosts[0]!.sad[0]).toEqual({
      spi: 0x1000,
      src: "127.0.0.1",
      dst: "127.0.0.1",
      proto: "esp",
      mode: "transport",
      enc: "aes-gcm-16",
      encKey: "0x0123456789abcdef0123456789abcdefcafebabe",
      auth: "none",
      authKey: "",
      replayWindow: 64,
      esn: false,
    });
    expect(s.hosts[0]!.spd[0]).toEqual({
      dir: "out",
      src: "127.0.0.1/32",
      dst: "127.0.0.1/32",
      proto: "any",
      action: "ipsec",
      requests: [{ proto: "esp", mode: "transport", level: "require" }],
    });
    expect(s.traffic[0]).toEqual({
      kind: "ping",
      from: "host",
      dst: "127.0.0.1",
      count: 3,
      size: 56,
      intervalMs: 1000,
      flood: false,
      df: false,
      ttl: 255,
      id: 0x1234,
      startMs: 0,
    });
  });

  it("normalising is idempotent: a normalised scenario validates to itself", () => {
    for (const name of BUILTIN_NAMES) {
      const r = loadScenario(builtinInput(name));
      if (!r.ok) throw new Error("invalid");
      const again = loadScenario(JSON.parse(JSON.stringify(r.scenario)));
      expect(again).toEqual({ ok: true, scenario: r.scenario });
    }
  });
});
