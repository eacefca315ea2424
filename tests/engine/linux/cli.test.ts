/**
 * `tagflow run klips-bigpackets --personality P` (issue 13, "Done when"): each personality's
 * outcome line, and the numbers of kernel-notes §8.4 in the narration.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { lastLine, tagflow, type CliResult } from "../../cli/tagflow";

const RUNS = {
  "linux-2.2-klips-1999": ["run", "klips-bigpackets", "--personality", "linux-2.2-klips-1999"],
  "linux-2.2-klips-2003": ["run", "klips-bigpackets", "--personality", "linux-2.2-klips-2003", "--fix", "klips-ipsec-icmp"],
  "linux-xfrm": ["run", "klips-bigpackets", "--personality", "linux-xfrm"],
  pmtu: ["run", "xfrm-pmtu-per-sa"],
  lo: ["run", "lo0-esp-ping", "--personality", "linux-xfrm"],
  loFixed: ["run", "lo0-esp-ping", "--personality", "linux-xfrm", "--fix", "xfrm-lo-policy"],
} as const;

let out: Record<keyof typeof RUNS, CliResult>;

beforeAll(async () => {
  const entries = await Promise.all(Object.entries(RUNS).map(async ([k, args]) => [k, await tagflow(args)] as const));
  out = Object.fromEntries(entries) as Record<keyof typeof RUNS, CliResult>;
}, 120_000);

describe("tagflow run on the Linux personalities", () => {
  it("1999 KLIPS: 1536 bytes of ESP, prv->mtu 1463, and the oops", () => {
    const r = out["linux-2.2-klips-1999"];
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("The ESP packet is 1536 bytes");
    expect(r.stdout).toContain("ratchets down to 1463");
    expect(lastLine(r.stdout)).toBe("outcome: crash");
  });

  it("2003 KLIPS with net.ipsec.icmp: need-frag 1463, fragments 1500 + 56, secure", () => {
    const r = out["linux-2.2-klips-2003"];
    expect(r.stdout).toContain("next-hop MTU 1463");
    expect(r.stdout).toContain("1536 bytes become 1500 + 56");
    expect(lastLine(r.stdout)).toBe("outcome: secure");
  });

  it("XFRM: EMSGSIZE with the bundle MTU 1466; through r1's 1400 link, 1370", () => {
    const x = out["linux-xfrm"].stdout;
    expect(x).toContain("ip_local_error(EMSGSIZE, mtu 1466)");
    expect(x).toContain("FRAG_NEEDED with next-hop MTU 1400 about our ESP packet");
    expect(x).toMatch(/the bundle.s MTU becomes xfrm_state_mtu = \(\(1400 − 16 − 12 − 20\) & ~7\) \+ 20 − 2 = 1370/);
    expect(x).toContain("ip_local_error(EMSGSIZE, mtu 1370)");
    expect(lastLine(x)).toBe("outcome: dropped");
    expect(out.pmtu.stdout).toMatch(/the bundle.s MTU becomes xfrm_state_mtu = \(\(1400 − 16 − 12 − 20\) & ~7\) \+ 20 − 2 = 1370/);
    expect(out.pmtu.stdout).toContain("EMSGSIZE: 1466 bytes > MTU 1370");
  });

  it("the seed story on linux-xfrm: insecure by lo's sysctls, secure with them off", () => {
    expect(out.lo.stdout).toContain("disable_xfrm = 1");
    expect(lastLine(out.lo.stdout)).toBe("outcome: insecure");
    expect(lastLine(out.loFixed.stdout)).toBe("outcome: secure");
  });
});
