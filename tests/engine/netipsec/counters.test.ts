/**
 * FAST_IPSEC's counters as the source names them (issue 10): a policy rejection on the FAST_IPSEC
 * path counts newipsecstat.ips_in_polvio (ipsec4_in_reject, sys/netipsec/ipsec.c), not KAME's
 * ipsecstat.in_polvio (which KAME callers bump only under `#ifdef IPSEC`).
 */
import { describe, expect, it } from "vitest";
import { eventsOf, runBuiltin } from "../../helpers/trace";

describe("FAST_IPSEC counter names in the drop steps", () => {
  it("ipsec_in_reject's drops name newipsecstat.ips_in_polvio and never KAME's ipsecstat.in_polvio", () => {
    const t = runBuiltin("lo0-esp-ping", { fixes: ["icmp-reflect-clears-ipsec-flags", "rip-input-checks-policy"] });
    const rejects = eventsOf(t, "drop").filter((d) => d.reason === "ipsec-policy-reject");
    expect(rejects.length).toBeGreaterThan(0);
    for (const d of rejects) expect(d.note).toMatch(/\(newipsecstat\.ips_in_polvio\)/);
    expect(t.events.some((e) => /\bipsecstat\.in_polvio/.test(e.note))).toBe(false);
  });
});
