/**
 * Which switches each kernel offers (fixesFor, personality.ts): a switch appears only where the
 * kernel's code has what it changes — KLIPS's ipsec0/prv->mtu/net.ipsec.icmp switches on the two
 * KLIPS kernels, neigh_compat_output on the 1999 one only, the lo sysctls on XFRM only, seed 003's
 * switches on OpenBSD only. Before, linux-xfrm's fix strip offered four KLIPS switches that did
 * nothing on its run.
 */
import { describe, expect, it } from "vitest";
import { FIXES, PERSONALITIES, PERSONALITY_IDS, fixesFor, type PersonalityId } from "../../../src/engine";
import { effectiveBehaviour } from "../../../src/engine/kernels/personality";

const offered = (id: PersonalityId) => fixesFor(PERSONALITIES[id]);

describe("fixesFor", () => {
  it("offers linux-xfrm only the XFRM switch", () => {
    expect(offered("linux-xfrm")).toEqual(["xfrm-lo-policy"]);
  });

  it("offers both KLIPS kernels the ipsec0 MTUs and net.ipsec.icmp, and neigh_compat_output in 1999 only", () => {
    const klips = ["klips-ipsec0-mtu-1500", "klips-ipsec0-mtu-16260", "klips-ipsec0-mtu-0xfff0", "klips-ipsec-icmp"];
    expect([...offered("linux-2.2-klips-1999")].sort()).toEqual([...klips, "klips-neigh-compat-output"].sort());
    expect([...offered("linux-2.2-klips-2003")].sort()).toEqual([...klips].sort());
  });

  it("offers seed 003's switches on OpenBSD only", () => {
    for (const id of ["no-ipsec-loop-check", "driver-ignores-reminder"] as const) {
      expect(offered("openbsd-2003")).toContain(id);
      expect(offered("netbsd-2003")).not.toContain(id);
      expect(offered("freebsd-7")).not.toContain(id);
    }
  });

  it("every offered switch changes the kernel's behaviour, or is on already", () => {
    for (const p of PERSONALITY_IDS) {
      const personality = PERSONALITIES[p];
      for (const f of fixesFor(personality)) {
        const changed = JSON.stringify(effectiveBehaviour(personality, [f])) !== JSON.stringify(personality.behaviour);
        expect(changed || FIXES[f].isOn(personality.behaviour), `${f} on ${p}`).toBe(true);
      }
    }
  });
});
