/**
 * inetsw[]/ip_protox[] (sys/netinet/in_proto.c, FAST_IPSEC era): ip_input dispatches through the
 * table, so PR_LASTHDR and pr_input are data — one entry per protocol, the raw wildcard for the rest.
 */
import { describe, expect, it } from "vitest";
import { hasLastHdr, inetsw, ip_protox, PR, protoswFor } from "../../../src/engine/netinet/in_proto";
import { IP_PROTO } from "../../../src/engine/wire/fields";

describe("inetsw / ip_protox", () => {
  it("points every protocol without its own entry at the raw wildcard entry (ip_init)", () => {
    const raw = inetsw.findIndex((p) => p.protocol === 0);
    expect(ip_protox).toHaveLength(256);
    expect(ip_protox[253]).toBe(raw);
    expect(ip_protox[0]).toBe(raw);
    expect(protoswFor(IP_PROTO.ESP).inputName).toBe("esp4_input");
    expect(protoswFor(IP_PROTO.IPIP).inputName).toBe("encap4_input");
    expect(protoswFor(200).inputName).toBe("rip_input");
  });

  it("has one entry per protocol", () => {
    const protocols = inetsw.map((p) => p.protocol);
    expect(new Set(protocols).size).toBe(protocols.length);
  });

  it("gives PR_LASTHDR to ICMP, IGMP, IPv4-in-IPv4 and raw, not to UDP, TCP, ESP or AH", () => {
    expect(PR.LASTHDR).toBe(0x40);
    for (const p of [IP_PROTO.ICMP, 2, IP_PROTO.IPIP, 253]) expect(hasLastHdr(p)).toBe(true);
    for (const p of [IP_PROTO.UDP, IP_PROTO.TCP, IP_PROTO.ESP, IP_PROTO.AH]) expect(hasLastHdr(p)).toBe(false);
  });
});
