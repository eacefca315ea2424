/**
 * Normalised traces of every built-in, and of the seed story under each fix and under
 * freebsd-7, compared with committed snapshot files (smoltcp netsim, Observable Plot): a change
 * in what the engine does shows up as a readable diff in __snapshots__/*.trace.txt.
 * Regenerate with `npx vitest run --project unit tests/scenarios -u` and review the diff.
 */
import { describe, expect, it } from "vitest";
import { normalizeTrace } from "../helpers/normalize";
import { BUILTIN_NAMES, runBuiltin, sweepFixes } from "../helpers/trace";

describe("trace snapshots", () => {
  it.each(BUILTIN_NAMES)("%s", async (name) => {
    await expect(normalizeTrace(runBuiltin(name))).toMatchFileSnapshot(`__snapshots__/${name}.trace.txt`);
  });

  it.each(sweepFixes("lo0-esp-ping"))("lo0-esp-ping with %s", async (fix) => {
    await expect(normalizeTrace(runBuiltin("lo0-esp-ping", { fixes: [fix] }))).toMatchFileSnapshot(`__snapshots__/lo0-esp-ping+${fix}.trace.txt`);
  });

  // Seed 002 on the Linux stack: the three outcomes, and the seed story on XFRM with and without lo's sysctls.
  it.each([
    ["klips-bigpackets", "linux-2.2-klips-2003", []],
    ["klips-bigpackets", "linux-xfrm", []],
    ["lo0-esp-ping", "linux-xfrm", []],
    ["lo0-esp-ping", "linux-xfrm", ["xfrm-lo-policy"]],
    // Seed 004 on XFRM: km_query + make_blackhole, the policy hold queue, the FWD policy of a gateway.
    ["libreswan-ondemand", "linux-xfrm", []],
    ["ondemand-queue", "linux-xfrm", []],
    ["libreswan-subnets", "linux-xfrm", []],
  ] as const)("%s on %s %j", async (name, personality, fixes) => {
    const suffix = fixes.length ? `+${fixes.join("+")}` : "";
    await expect(normalizeTrace(runBuiltin(name, { personality, fixes: [...fixes] }))).toMatchFileSnapshot(
      `__snapshots__/${name}@${personality}${suffix}.trace.txt`,
    );
  });

  it("lo0-esp-ping on freebsd-7", async () => {
    await expect(normalizeTrace(runBuiltin("lo0-esp-ping", { personality: "freebsd-7" }))).toMatchFileSnapshot(
      "__snapshots__/lo0-esp-ping@freebsd-7.trace.txt",
    );
  });
});
