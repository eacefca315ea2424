/**
 * Every keying built-in under every offered personality and fix (issue 15, "truth first"): the
 * verdict must come from SAs the data plane really consulted. Before the key manager was wired
 * into OpenBSD's ipsp_spd_lookup, `openbsd-2003` said "dropped (no SA)" for every backend; the
 * Linux stack ignored `keying` and said "secure" with the pings in cleartext, then refused it
 * until xfrm_lookup → km_query and ESP tunnel mode on the skb existed.
 *
 * | built-in           | netbsd-2003 | freebsd-7 | openbsd-2003 | linux-xfrm   | linux-2.2-klips-* (2) |
 * |--------------------|-------------|-----------|--------------|--------------|-----------------------|
 * | libreswan-ondemand | secure 13/14| secure    | secure 13/14 | secure 13/14 | dropped (not-modelled)|
 * | ondemand-queue     | secure 14/14| secure    | secure 13/14 (no hold queue) | secure 14/14 | dropped |
 * | ondemand-pfkeyv2   | secure 13/14| secure    | secure 13/14 | secure 13/14 (af_key) | dropped      |
 * | ondemand-bsdkame   | dropped 0/14| dropped   | dropped 0/14 | dropped 0/14 | dropped               |
 * | ondemand-nokernel  | insecure    | insecure  | insecure     | insecure     | dropped               |
 * | libreswan-subnets  | secure 5/6  | secure 5/6| secure 5/6   | secure 5/6 (FWD policy) | dropped    |
 * | ondemand-rekey-time| secure 13/14| secure    | secure 13/14 | secure 13/14 | dropped               |
 *
 * linux-xfrm runs pluto on the skb path (linux/xfrm_km.ts, linux/xfrm_tunnel.ts): xfrm_lookup →
 * km_query, make_blackhole or the policy hold queue, ESP tunnel mode, the FWD check in ip_forward.
 *
 * Every single fix leaves the verdict as it is (none of them touches the key manager).
 */
import { describe, expect, it } from "vitest";
import { PERSONALITY_IDS, type FixId, type PersonalityId } from "../../../src/engine/kernels/personality";
import { KEYING_SCENARIOS } from "../../../src/engine/scenario/builtins/keying";
import { decisions, eventsOf, findingIds, runBuiltin, sweepFixes, transmitted } from "../../helpers/trace";

type Row = Record<string, [verdict: string, delivered: number]>;

const BSD: Row = {
  "libreswan-ondemand": ["secure", 13],
  "ondemand-queue": ["secure", 14],
  "ondemand-pfkeyv2": ["secure", 13],
  "ondemand-bsdkame": ["dropped", 0],
  "ondemand-nokernel": ["insecure", 14],
  "libreswan-subnets": ["secure", 5],
  "ondemand-rekey-time": ["secure", 13],
};
const KLIPS: Row = Object.fromEntries(KEYING_SCENARIOS.map((s) => [s.name, ["dropped", 0]]));

const TABLE: Record<PersonalityId, Row> = {
  "netbsd-2003": BSD,
  "freebsd-7": BSD,
  // OpenBSD drops the trigger packet whatever xfrm_larval_drop says: ip_spd.c "Silently drop packet".
  "openbsd-2003": { ...BSD, "ondemand-queue": ["secure", 13] },
  "linux-2.2-klips-1999": KLIPS,
  "linux-2.2-klips-2003": KLIPS,
  // XFRM keeps larval_drop=0's hold queue (xdst_queue_output), as the BSD model of it does.
  "linux-xfrm": BSD,
};

describe("keying built-ins: the verdict per personality and fix", () => {
  for (const s of KEYING_SCENARIOS)
    for (const personality of PERSONALITY_IDS)
      it(`${s.name} @${personality}`, () => {
        const [verdict, delivered] = TABLE[personality][s.name!]!;
        for (const fixes of [[], ...sweepFixes(s.name!, personality).map((f) => [f])] as FixId[][]) {
          const t = runBuiltin(s.name!, { personality, fixes });
          expect([fixes.join(","), t.outcome.verdict, t.outcome.delivered]).toEqual([fixes.join(","), verdict, delivered]);
        }
      });
});

describe("openbsd-2003: ipsp_spd_lookup asks the key manager (ipsp_acquire_sa)", () => {
  const t = runBuiltin("libreswan-ondemand", { personality: "openbsd-2003" });

  it("raises one ACQUIRE from ipsp_acquire_sa and silently drops the trigger packet in ipsp_spd_lookup", () => {
    const acq = decisions(t, "km-acquire").filter((d) => d.host === "west" && d.fn === "ipsp_acquire_sa");
    expect(acq.map((d) => d.branch)).toEqual(["ACQUIRE sent"]);
    const drops = eventsOf(t, "drop");
    expect(drops.map((d) => [d.host, d.fn, d.reason])).toEqual([["west", "ipsp_spd_lookup", "ipsec-larval"]]);
    expect(findingIds(t)).toContain("acquire-trigger-dropped");
  });

  it("then uses the TDBs pluto installed: every later echo is ESP both ways, and the rekey changes the SPI", () => {
    const onWire = transmitted(t);
    expect(onWire.length).toBe(2 * 13);
    expect(onWire.every((w) => w.bytes[9] === 50)).toBe(true);
    const spis = decisions(t, "ipsec-out-sa")
      .filter((d) => d.host === "west" && d.branch.startsWith("use"))
      .map((d) => d.branch);
    expect(new Set(spis).size).toBe(2);
    expect(decisions(t, "km-expire").some((d) => d.branch === "soft expire")).toBe(true);
  });

  it("holds nothing with xfrm_larval_drop=0: OpenBSD has no hold queue", () => {
    const q = runBuiltin("ondemand-queue", { personality: "openbsd-2003" });
    expect(eventsOf(q, "queue.enqueue").filter((e) => e.queue === "xfrm policy hold queue")).toHaveLength(0);
    expect(eventsOf(q, "drop").map((d) => d.reason)).toEqual(["ipsec-larval"]);
  });
});

describe("KLIPS personalities refuse keying instead of a cleartext 'secure'", () => {
  for (const personality of ["linux-2.2-klips-1999", "linux-2.2-klips-2003"] as const)
    it(`${personality}: nothing is sent, and the drop says why`, () => {
      const t = runBuiltin("libreswan-ondemand", { personality });
      expect(transmitted(t)).toHaveLength(0);
      const drops = eventsOf(t, "drop");
      expect(drops.map((d) => d.reason)).toEqual(["not-modelled"]);
      expect(drops[0]!.detail).toContain("keying daemon");
      expect(t.outcome.verdict).not.toBe("secure");
    });
});
