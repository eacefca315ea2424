/**
 * Issue 10, item 5: "say in the scenario which SAs have a window". Each built-in's description
 * ends with an anti-replay sentence derived from its SA fields by the engine's own rule
 * (netipsec/replay.ts replayCheckOf: FAST_IPSEC's `if (esph && sav->replay)`), and the runs agree
 * with it decision by decision — so the text cannot drift from what esp_input/ah_input do.
 */
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, replayWindowText } from "../../../src/engine/scenario/builtins";
import { builtinInput, decisions, runBuiltin } from "../../helpers/trace";

/** The engine's SA id "esp 0x00001000 127.0.0.1→127.0.0.1" → the text's "ESP SA 0x1000". */
const textName = (id: string) => {
  const [proto, spi] = id.split(" ");
  return `${proto!.toUpperCase()} SA 0x${parseInt(spi!, 16).toString(16)}`;
};

describe("built-in texts say which SAs have replay windows", () => {
  const withSas = BUILTIN_SCENARIOS.filter((s) => replayWindowText(s) !== "");

  it("every BSD built-in with static SAs carries the sentence in its description", () => {
    expect(withSas.map((s) => s.name)).toContain("esp-replay");
    expect(withSas.map((s) => s.name)).toContain("lo0-ah-ping");
    for (const s of withSas) expect(s.description!.endsWith(replayWindowText(s)), s.name).toBe(true);
    expect(BUILTIN_SCENARIOS.find((s) => s.name === "esp-replay")!.description).toMatch(
      /Anti-replay: ESP SA 0x2001 and ESP SA 0x2002 have a 64-packet window \(RFC 4303 §3\.4\.3\)\.$/,
    );
  });

  it.each(withSas.map((s) => s.name))("%s: each replay decision of the run agrees with the sentence", (name) => {
    const s = BUILTIN_SCENARIOS.find((x) => x.name === name)!;
    const text = replayWindowText(s);
    for (const d of decisions(runBuiltin(name), "replay")) {
      const sa = d.consulted.find((c) => c.kind === "sa");
      expect(sa, `${name} step ${d.seq + 1}`).toBeDefined();
      if (!sa || sa.kind !== "sa") continue;
      const clause = text.split(/; |: /).find((p) => p.includes(textName(sa.id)));
      expect(clause, `${name}: ${sa.id} is named`).toBeDefined();
      expect(d.branch === "not checked", `${name}: ${sa.id} ${d.branch} vs "${clause}"`).toBe(!clause!.includes("-packet window"));
    }
  });

  it("is derived, not written: a window of 0, or ESP without authentication, changes the sentence and the run", () => {
    const cbc = builtinInput("lo0-esp-cbc-ping");
    const sa = cbc.hosts[0]!.sad![0]!;
    const noWindow = { ...cbc, hosts: [{ ...cbc.hosts[0]!, sad: [{ ...sa, replayWindow: 0 }] }] };
    expect(replayWindowText(noWindow)).toBe(
      "Anti-replay: ESP SA 0x1200 has no window (replayWindow 0: sequence numbers are neither counted nor checked).",
    );
    const noAuth = { ...cbc, hosts: [{ ...cbc.hosts[0]!, sad: [{ ...sa, auth: "none" as const, authKey: "" }] }] };
    expect(replayWindowText(noAuth)).toBe("Anti-replay: ESP SA 0x1200 has no replay check (ESP without authentication is never replay-checked).");
    for (const input of [noWindow, noAuth]) {
      const t = runBuiltin("lo0-esp-cbc-ping", { patch: (x) => void (x.hosts = structuredClone(input.hosts)) });
      const ds = decisions(t, "replay");
      expect(ds.length).toBeGreaterThan(0);
      expect(ds.every((d) => d.branch === "not checked")).toBe(true);
    }
  });

  it("says nothing for the Linux stacks and for keying scenarios (their SAs are not static BSD SAs)", () => {
    for (const name of ["klips-bigpackets", "libreswan-ondemand"]) expect(replayWindowText(BUILTIN_SCENARIOS.find((s) => s.name === name)!)).toBe("");
  });
});
