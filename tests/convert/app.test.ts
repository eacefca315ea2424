/**
 * The app's side of issue 18 without a browser: what Open… does with a setkey file or an ip xfrm
 * script (convertOpenedFile, used by src/ui/openFile.ts), and that the exported text opens again.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinByName, loadScenario, loadScenarioJson } from "../../src/engine";
import { convertOpenedFile, emitConfig } from "../../src/convert";

const corpus = (f: string) => readFileSync(fileURLToPath(new URL(`./corpus/${f}`, import.meta.url)), "utf8");

describe("Open… with a configuration file", () => {
  it("leaves JSON to the scenario loader", () => {
    expect(convertOpenedFile("mine.json", JSON.stringify(builtinByName("lo0-ping")))).toEqual({ kind: "json" });
  });

  it("converts a .conf, with its warnings located by line and column", () => {
    const r = convertOpenedFile("racoon-static.conf", corpus("racoon-static.conf"));
    if (r.kind !== "converted") throw new Error(r.kind);
    expect(r.syntax).toBe("setkey");
    expect(loadScenarioJson(r.scenarioJson).ok).toBe(true);
    expect(r.warnings).toContainEqual({ path: "line 23:47", message: expect.stringMatching(/direction 'fwd' is not modelled/) as unknown as string });
  });

  it("converts an ip xfrm .sh, and a broken one fails with every error", () => {
    const ok = convertOpenedFile("t.sh", corpus("iproute2-tunnel.sh"));
    expect(ok.kind === "converted" && ok.syntax).toBe("ip-xfrm");
    const bad = convertOpenedFile("bad.sh", "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi zz\nip xfrm policy add dir up\n");
    expect(bad.kind === "failed" && bad.problems.map((p) => p.path)).toEqual(["line 1:59", "line 2:24"]);
  });

  it("reopens what Export → setkey / ip xfrm writes, with the same SAs and policies", () => {
    const loaded = loadScenario(builtinByName("lo0-esp-cbc-ping"));
    if (!loaded.ok) throw new Error("builtin");
    for (const syntax of ["setkey", "ip-xfrm"] as const) {
      const out = emitConfig(loaded.scenario, syntax);
      if (!out.ok) throw new Error("emit");
      const back = convertOpenedFile(syntax === "setkey" ? "x.setkey.conf" : "x.xfrm.sh", out.text);
      if (back.kind !== "converted") throw new Error(back.kind);
      const again = loadScenarioJson(back.scenarioJson);
      expect(again.ok && again.scenario.hosts[0]!.sad).toEqual(loaded.scenario.hosts[0]!.sad);
      expect(again.ok && again.scenario.hosts[0]!.spd).toEqual(loaded.scenario.hosts[0]!.spd);
    }
  });
});
