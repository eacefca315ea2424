/**
 * `tagflow convert` in-process through main(argv, io) (tests/cli/tagflow.ts): both directions on
 * every built-in and on the corpus, --out written atomically, broken files as FILE:LINE:COL lines
 * and exit 2 with nothing written.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, loadScenarioJson } from "../../src/engine";
import { tagflow } from "../cli/tagflow";

const dir = mkdtempSync(join(tmpdir(), "tagflow-convert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CORPUS = fileURLToPath(new URL("./corpus/", import.meta.url));

describe("tagflow convert", () => {
  // openbsd-offload-whatif: four endpoints and an offload NIC neither syntax can hold (roundtrip.test.ts).
  it.each(BUILTIN_SCENARIOS.map((s) => s.name).filter((n) => n !== "openbsd-offload-whatif"))(
    "%s → setkey → scenario and → ip-xfrm → scenario, through files",
    async (name) => {
      for (const to of ["setkey", "ip-xfrm"] as const) {
        const file = join(dir, `${name}.${to === "setkey" ? "conf" : "sh"}`);
        const out = await tagflow(["convert", name, "--from", "scenario", "--to", to, "--out", file]);
        expect(out.code, out.stderr).toBe(0);
        expect(out.stderr).toContain(`wrote ${file}`);
        const back = await tagflow(["convert", file, "--from", to, "--to", "scenario"]);
        expect(back.code, back.stderr).toBe(0);
        const loaded = loadScenarioJson(back.stdout);
        expect(loaded.ok).toBe(true);
      }
    },
  );

  it.each(readdirSync(CORPUS))("corpus/%s converts (the syntax guessed from the file)", async (file) => {
    const r = await tagflow(["convert", join(CORPUS, file), "--out", join(dir, `${file}.json`)]);
    expect(r.code, r.stderr).toBe(0);
    expect(loadScenarioJson(readFileSync(join(dir, `${file}.json`), "utf8")).ok).toBe(true);
  });

  it("prints the setkey file of lo0-esp-ping to stdout", async () => {
    const r = await tagflow(["convert", "lo0-esp-ping", "--to", "setkey"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("add 127.0.0.1 127.0.0.1 esp 0x00001000 -m transport -r 8 -E aes-gcm-16 0x0123456789abcdef0123456789abcdefcafebabe;");
    expect(r.stdout).toContain("spdadd 127.0.0.1/32 127.0.0.1/32 any -P out ipsec esp/transport//require;");
  });

  it("a broken file: one FILE:LINE:COL line per error, exit 2, and no output file", async () => {
    const bad = join(dir, "bad.conf");
    writeFileSync(bad, "add 10.0.0.1 10.0.0.2 esp zz -E null;\nspdadd 10.0.0.1 10.0.0.2 any -P out ipsek;\n");
    const target = join(dir, "bad.json");
    const r = await tagflow(["convert", bad, "--from", "setkey", "--out", target]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `tagflow: ${bad}:1:27: expected an SPI (a decimal or 0x-hex number), found "zz"`,
      `tagflow: ${bad}:2:37: expected discard, none or ipsec, found "ipsek"`,
      `tagflow: convert: ${bad} was not converted (2 errors)`,
    ]);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("tagflow-"))).toEqual([]);
  });

  it("a file of thousands of broken statements lists 50 and counts the rest", async () => {
    const bad = join(dir, "many.conf");
    writeFileSync(bad, "bogus;\n".repeat(5000));
    const r = await tagflow(["convert", bad, "--from", "setkey"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(52);
    expect(lines[50]).toBe(`tagflow: ${bad}: … and 4950 more errors`);
    expect(lines[51]).toBe(`tagflow: convert: ${bad} was not converted (5000 errors)`);
  });

  it("--ping, --no-traffic and --personality reach the scenario", async () => {
    const file = join(CORPUS, "racoon-static.conf");
    const ping = await tagflow(["convert", file, "--ping", "172.16.0.1", "172.16.0.2", "--personality", "freebsd-7"]);
    expect(ping.code, ping.stderr).toBe(0);
    const s = JSON.parse(ping.stdout) as { personality: string; traffic: { src: string; dst: string }[] };
    expect(s.personality).toBe("freebsd-7");
    expect(s.traffic).toMatchObject([{ src: "172.16.0.1", dst: "172.16.0.2" }]);
    const none = await tagflow(["convert", file, "--no-traffic"]);
    expect((JSON.parse(none.stdout) as { traffic: unknown[] }).traffic).toEqual([]);
  });

  it("--help says every option", async () => {
    const r = await tagflow(["convert", "--help"]);
    expect(r.code).toBe(0);
    for (const word of ["--from", "--to", "--out", "--personality", "--ping SRC DST", "--no-traffic", "--host"]) expect(r.stdout).toContain(word);
  });

  it("bad arguments are one line each and exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["convert"], /missing FILE/],
      [["convert", "lo0-esp-ping", "--to", "pf"], /--to 'pf': expected scenario, setkey, ip-xfrm/],
      [["convert", "lo0-esp-ping"], /--to is needed for a scenario/],
      [["convert", "x.conf", "--ping", "1.2.3.4"], /--ping takes two addresses/],
      [["convert", join(dir, "missing.conf"), "--from", "setkey"], /cannot read .*missing\.conf: no such file/],
      [["convert", "lo0-esp-ping", "--to", "setkey", "--personality", "solaris-8"], /unknown personality 'solaris-8'/],
    ];
    for (const [args, message] of cases) {
      const r = await tagflow(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });
});
