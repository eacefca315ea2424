/**
 * libreswan-subnets (issue 15 item 2; kernel-notes §10.6 as written): a tunnel between the
 * subnets behind two gateways. Host a's echo is forwarded by west (ip_forward → ip_output), meets
 * the OUT policy 10.1.0.0/16 → 10.2.0.0/16 with no SA, raises the ACQUIRE and is dropped; later
 * echoes cross net0 as ESP tunnel packets between the gateways and the LAN segments in the clear.
 */
import { describe, expect, it } from "vitest";
import { parseIpv4 } from "../../../src/engine/wire/ipv4";
import { decisions, eventsOf, runBuiltin, transmitted } from "../../helpers/trace";

const t = runBuiltin("libreswan-subnets");

function addrs(bytes: Uint8Array): [string, string, number] {
  const h = parseIpv4(bytes);
  if (!h.ok) throw new Error("not IPv4");
  return [h.value.src, h.value.dst, h.value.protocol];
}

describe("libreswan-subnets", () => {
  it("raises the ACQUIRE on west for a forwarded packet, and drops only that one", () => {
    const acq = decisions(t, "km-acquire").filter((d) => d.host === "west" && d.branch === "ACQUIRE sent");
    expect(acq).toHaveLength(1);
    const fwd = eventsOf(t, "drop");
    expect(fwd.map((d) => [d.host, d.reason])).toEqual([["west", "ipsec-larval"]]);
    // The packet west dropped came in from a (it was being forwarded), not from west's own stack.
    const policy = decisions(t, "ipsec-out-policy").find((d) => d.host === "west" && d.branch === "IPsec")!;
    expect(policy.note).toContain("10.1.0.0/16→10.2.0.0/16");
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 6, delivered: 5 });
  });

  it("carries the subnets' traffic as ESP between the gateways only", () => {
    const net0 = transmitted(t, "net0");
    expect(net0.length).toBe(2 * 5);
    for (const w of net0) {
      const [src, dst, proto] = addrs(w.bytes);
      expect(proto).toBe(50);
      expect([src, dst].sort()).toEqual(["192.0.2.1", "192.0.2.2"]);
    }
    const lans = [...transmitted(t, "lan-west"), ...transmitted(t, "lan-east")].map((w) => addrs(w.bytes));
    expect(lans.every(([, , proto]) => proto === 1)).toBe(true);
    expect(lans.some(([src, dst]) => src === "10.1.0.5" && dst === "10.2.0.7")).toBe(true);
    expect(lans.some(([src, dst]) => src === "10.2.0.7" && dst === "10.1.0.5")).toBe(true);
  });

  it("installs IN, FWD and OUT policies for the subnets on both gateways", () => {
    const installed = eventsOf(t, "sa.update")
      .filter((e) => e.field === "installed")
      .map((e) => `${e.host} ${e.sa}`);
    for (const p of ["west policy in 10.2.0.0/16→10.1.0.0/16", "west policy fwd 10.2.0.0/16→10.1.0.0/16", "west policy out 10.1.0.0/16→10.2.0.0/16"])
      expect(installed).toContain(p);
    for (const p of ["east policy in 10.1.0.0/16→10.2.0.0/16", "east policy fwd 10.1.0.0/16→10.2.0.0/16", "east policy out 10.2.0.0/16→10.1.0.0/16"])
      expect(installed).toContain(p);
  });
});
