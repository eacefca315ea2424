/**
 * Seed 002 on the Linux stack: the numbers of kernel-notes §8.4 (1536, 1463, 1466, 1370), the
 * three outcomes of klips-bigpackets, the fixes panel's switches, the seed story on linux-xfrm
 * (§11), the skb->dev / skb->dst->dev facts, and captures that tshark reassembles and decrypts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { espSaTableLines, traceEspSas, traceToPcapng } from "../../../src/export";
import { xfrm_state_mtu } from "../../../src/engine/linux/xfrm";
import type { SecAssoc } from "../../../src/engine/netipsec/types";
import type { EventOf, ScenarioTrace } from "../../../src/engine";
import { skbDevices } from "../../../src/ui/inspector/skbDevices";
import { tsharkFields } from "../../support/tshark";
import { decisions, eventsOf, findingIds, runBuiltin } from "../../helpers/trace";

const notes = (t: ScenarioTrace): string => t.events.map((e) => e.note).join("\n");
const onWire = (t: ScenarioTrace, link: string): number[] =>
  eventsOf(t, "link.tx")
    .filter((e) => e.link === link)
    .map((e) => e.bytes);
const skbSets = (t: ScenarioTrace, field: string): EventOf<"field.set">[] =>
  eventsOf(t, "field.set").filter((e) => e.header === "skb" && e.field === field);

describe("xfrm_state_mtu (net/xfrm/xfrm_state.c)", () => {
  const sa = (enc: SecAssoc["enc"], auth: SecAssoc["auth"], mode: SecAssoc["mode"]): SecAssoc =>
    ({ proto: "esp", enc, auth, mode }) as unknown as SecAssoc;
  it("gives kernel-notes §8.4's numbers", () => {
    expect(xfrm_state_mtu(sa("3des-cbc", "hmac-md5-96", "transport"), 1500)).toBe(1466);
    expect(xfrm_state_mtu(sa("3des-cbc", "hmac-md5-96", "transport"), 1400)).toBe(1370);
    expect(xfrm_state_mtu(sa("aes-gcm-16", "none", "transport"), 1500)).toBe(1466);
    expect(xfrm_state_mtu(sa("aes-gcm-16", "none", "tunnel"), 1500)).toBe(1446);
  });
});

describe("klips-bigpackets, 1999 KLIPS (ip_fragment(skb, skb->dst->output))", () => {
  const t = runBuiltin("klips-bigpackets");

  it("encrypts the 1500-byte DF packet to 1536 bytes and ratchets prv->mtu to 1463", () => {
    const done = eventsOf(t, "crypto.done").find((e) => e.op === "encrypt");
    expect(done?.detail).toBe("ESP 1536 bytes");
    expect(eventsOf(t, "field.set").find((e) => e.header === "ipsec0" && e.field === "prv->mtu")).toMatchObject({ from: "1500", to: "1463" });
  });

  it("fragments by the ipsec0 route's pmtu, and a fragment re-enters ipsec0: crash", () => {
    expect(decisions(t, "mtu").some((d) => d.fn === "ip_fragment" && d.branch === "1500 + 56")).toBe(true);
    const reentry = decisions(t, "klips-recursion").find((d) => d.branch === "re-entry: oops");
    expect(reentry?.consulted).toEqual(expect.arrayContaining([{ kind: "field", header: "skb", field: "dev", value: "ipsec0" }]));
    expect(t.outcome.verdict).toBe("crash");
    expect(findingIds(t)).toContain("kernel-oops");
    // Nothing reached the wire: the oops came first.
    expect(onWire(t, "wire")).toEqual([]);
  });

  it("shows skb->dev and skb->dst->dev disagreeing before ip_fragment, and ip_finish_output resetting skb->dev", () => {
    const dev = skbSets(t, "dev");
    expect(dev.some((e) => e.to === "eth0" && /disagree/.test(e.note))).toBe(true);
    expect(dev.some((e) => e.fn === "ip_finish_output" && e.from === "eth0" && e.to === "ipsec0")).toBe(true);
  });

  it("quotes the mail where the code does what it says", () => {
    expect(notes(t)).toContain('"The output function passed to ip_fragment() was skb->dst->output()."');
    expect(notes(t)).toContain("the machine oopsed, sometimes hard");
  });

  it("with neigh_compat_output the fragments go out on eth0 (1500 + 56) and east gets the datagram", () => {
    const n = runBuiltin("klips-bigpackets", { fixes: ["klips-neigh-compat-output"] });
    expect(onWire(n, "wire").slice(0, 2)).toEqual([1500, 56]);
    expect(eventsOf(n, "deliver").some((e) => e.host === "east" && e.socket === "udp:9")).toBe(true);
    expect(n.outcome.verdict).toBe("secure");
  });

  it("with neigh_compat_output and ipsec0 MTU 16260 eth0 is handed a 1536-byte frame: worse for others", () => {
    const n = runBuiltin("klips-bigpackets", { fixes: ["klips-neigh-compat-output", "klips-ipsec0-mtu-16260"] });
    const drop = eventsOf(n, "drop").find((e) => e.reason === "oversize-frame");
    expect(drop?.detail).toBe("a 1536-byte frame on eth0, whose MTU is 1500");
    expect(n.outcome.verdict).toBe("dropped");
  });
});

describe("klips-bigpackets, KLIPS as shipped (2003: re-route via eth0, ipsec0 MTU 16260)", () => {
  const t = runBuiltin("klips-bigpackets", { personality: "linux-2.2-klips-2003" });

  it("r1 fragments the 1500-byte fragment again for its 1400 link (DF is clear); no ICMP comes back", () => {
    expect(onWire(t, "r1-east").slice(0, 3)).toEqual([1396, 124, 56]);
    expect(eventsOf(t, "drop")).toEqual([]);
    expect(eventsOf(t, "decision").filter((d) => d.fn === "icmp_send")).toEqual([]);
  });

  it("re-routes via eth0 and fragments after encryption: 1500 + 56, DF cleared", () => {
    expect(decisions(t, "klips-recursion").find((d) => d.fn === "ipsec_tunnel_send")?.branch).toBe("via eth0");
    expect(onWire(t, "wire").slice(0, 2)).toEqual([1500, 56]);
    const frags = eventsOf(t, "link.tx")
      .slice(0, 2)
      .map((e) => t.packets.at(e.packet)!.hex);
    for (const hex of frags) expect(parseInt(hex.slice(12, 14), 16) & 0x40).toBe(0);
    expect(parseInt(frags[0]!.slice(12, 16), 16)).toBe(0x2000); // MF, offset 0
    expect(parseInt(frags[1]!.slice(12, 16), 16)).toBe(185); // 1480 / 8
  });

  it("east reassembles before ipsec_rcv, decrypts and delivers; the ping is answered; secure", () => {
    expect(decisions(t, "ip-defrag").some((d) => d.host === "east" && d.branch === "reassembled")).toBe(true);
    expect(eventsOf(t, "deliver").some((e) => e.host === "east" && e.socket === "udp:9" && e.summary === "1472-byte UDP datagram")).toBe(true);
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 1, delivered: 1 });
    expect(eventsOf(t, "decision").some((d) => d.fn === "icmp_send")).toBe(false); // sysctl_ipsec_icmp = 0
  });

  it("with net.ipsec.icmp = 1 the sender is told 1463 and the packet is still sent", () => {
    const n = runBuiltin("klips-bigpackets", { personality: "linux-2.2-klips-2003", fixes: ["klips-ipsec-icmp"] });
    const icmp = eventsOf(n, "link.tx").find((e) => e.link === "west:lo");
    const hex = n.packets.at(icmp!.packet)!.hex;
    expect(hex.slice(40, 44)).toBe("0304"); // ICMP type 3 code 4
    expect(parseInt(hex.slice(52, 56), 16)).toBe(1463); // RFC 1191 next-hop MTU
    expect(notes(n)).toContain("MTU 1463");
    expect(onWire(n, "wire").slice(0, 2)).toEqual([1500, 56]);
  });
});

describe("klips-bigpackets and xfrm-pmtu-per-sa on modern XFRM", () => {
  const t = runBuiltin("klips-bigpackets", { personality: "linux-xfrm" });

  it("refuses the 1500-byte DF datagram with EMSGSIZE, bundle MTU 1466, and the sender tries 1466 bytes", () => {
    expect(eventsOf(t, "drop")[0]).toMatchObject({ host: "west", reason: "ip-msgsize", detail: "EMSGSIZE: 1500 bytes > MTU 1466" });
    expect(decisions(t, "xfrm-bundle-mtu")[0]?.branch).toBe("MTU 1466");
    const sends = eventsOf(t, "app.send").filter((e) => e.socket === "udp:1024");
    expect(sends.map((e) => e.summary)).toEqual(["1472-byte datagram", "1438-byte datagram", "1472-byte datagram", "1342-byte datagram"]);
    // 1466 bytes of IP are 1496 of ESP (16 + 1448 + 12 + 20): they fit west's 1500, not r1's 1400.
    expect(onWire(t, "wire")[0]).toBe(1496);
    expect(notes(t)).toContain("getsockopt(IP_MTU) says 1466");
  });

  it("r1's FRAG_NEEDED (1400) about the 1496-byte ESP packet lowers the bundle MTU to 1370; the second datagram goes at 1370", () => {
    expect(eventsOf(t, "drop").find((e) => e.host === "r1")).toMatchObject({
      reason: "frag-needed",
      detail: "1496 bytes with DF > next-hop MTU 1400",
    });
    expect(eventsOf(t, "field.set").find((e) => e.fn === "esp4_err")).toMatchObject({ host: "west", header: "route", field: "mtu", to: "1400" });
    expect(decisions(t, "xfrm-bundle-mtu").some((d) => d.host === "west" && d.branch === "MTU 1466 → 1370")).toBe(true);
    expect(
      eventsOf(t, "drop")
        .filter((e) => e.reason === "ip-msgsize")
        .map((e) => e.detail),
    ).toEqual(["EMSGSIZE: 1500 bytes > MTU 1466", "EMSGSIZE: 1500 bytes > MTU 1370"]);
    // The 1370-byte datagram is 1400 bytes of ESP: it crosses r1's 1400 link and east delivers it; the ping fits too.
    expect(
      eventsOf(t, "link.tx")
        .filter((e) => e.host === "r1" && e.link === "r1-east")
        .map((e) => e.bytes),
    ).toEqual([1400, 1032]);
    expect(eventsOf(t, "deliver").some((e) => e.host === "east" && e.summary === "1342-byte UDP datagram")).toBe(true);
    expect(t.outcome).toMatchObject({ verdict: "dropped", sent: 1, delivered: 1 });
  });

  it("prints 1466 and 1370 in the narration, KLIPS 1536 and 1463", () => {
    expect(notes(t)).toMatch(/xfrm_state_mtu\(route mtu 1500\) = .* = 1466/);
    expect(notes(t)).toMatch(/the bundle's MTU becomes xfrm_state_mtu = .* = 1370/);
    for (const p of ["linux-2.2-klips-1999", "linux-2.2-klips-2003"] as const) {
      const k = notes(runBuiltin("klips-bigpackets", { personality: p }));
      expect(k).toContain("The ESP packet is 1536 bytes");
      expect(k).toContain("prv->mtu = 1500 − (16 + ((20 + 2) & ~7) + 5) = 1463");
    }
  });

  it("r1's FRAG_NEEDED (1400) about the ESP packet lowers the bundle MTU to 1370: PMTU per SA", () => {
    const t = runBuiltin("xfrm-pmtu-per-sa");
    expect(eventsOf(t, "drop").find((e) => e.host === "r1")).toMatchObject({ reason: "frag-needed" });
    expect(eventsOf(t, "field.set").find((e) => e.fn === "esp4_err")).toMatchObject({ header: "route", field: "mtu", to: "1400" });
    expect(decisions(t, "xfrm-bundle-mtu").some((d) => d.host === "west" && d.branch === "MTU 1466 → 1370")).toBe(true);
    expect(eventsOf(t, "drop").find((e) => e.reason === "ip-msgsize")?.detail).toBe("EMSGSIZE: 1466 bytes > MTU 1370");
    // The 1370-byte datagram (1400 bytes of ESP) goes through.
    expect(eventsOf(t, "deliver").some((e) => e.host === "east" && e.summary === "1342-byte UDP datagram")).toBe(true);
    expect(onWire(t, "r1-east")).toContain(1400);
  });
});

describe("the seed story on linux-xfrm (kernel-notes §11)", () => {
  it("by default lo's disable_xfrm/disable_policy keep the ping in cleartext both ways, no SA consulted: insecure", () => {
    const t = runBuiltin("lo0-esp-ping", { personality: "linux-xfrm" });
    expect(t.outcome.verdict).toBe("insecure");
    expect(findingIds(t)).toEqual(expect.arrayContaining(["policy-bypassed-out", "policy-bypassed-in"]));
    const words = t.outcome.findings.map((f) => f.sentence).join(" ");
    expect(words).toContain("net.ipv4.conf.lo.disable_xfrm = 1");
    expect(words).toContain("net.ipv4.conf.lo.disable_policy = 1");
    expect(eventsOf(t, "crypto.submit")).toEqual([]);
    expect(eventsOf(t, "link.tx").every((e) => t.packets.at(e.packet)!.hex.slice(18, 20) === "01")).toBe(true);
  });

  it("with both sysctls 0 the reply is a new skb (copied from the request, no sec_path), encrypted: secure, no fix needed", () => {
    const t = runBuiltin("lo0-esp-ping", { personality: "linux-xfrm", fixes: ["xfrm-lo-policy"] });
    expect(t.outcome).toMatchObject({ verdict: "secure", findings: [], sent: 3, delivered: 3 });
    const copied = skbSets(t, "copied-from").filter((e) => e.fn === "ip_append_data");
    expect(copied.length).toBeGreaterThanOrEqual(3);
    for (const c of copied) expect(c.chain).not.toBe(Number(c.to.replace("packet #", "")));
    expect(eventsOf(t, "link.tx").every((e) => t.packets.at(e.packet)!.hex.slice(18, 20) === "32")).toBe(true);
  });
});

describe("captures of the Linux runs validate in tshark", () => {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-klips-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("2003 KLIPS: the 1500 + 56 fragments reassemble and decrypt (3DES-CBC, HMAC-MD5-96) to the UDP datagram", { timeout: 300_000 }, () => {
    const t = runBuiltin("klips-bigpackets", { personality: "linux-2.2-klips-2003" });
    const path = join(dir, "klips-2003.pcapng");
    writeFileSync(path, traceToPcapng(t));
    const rows = tsharkFields(path, ["ip.len", "esp.spi", "udp.length", "esp.icv_good", "icmp.type"], {
      espSaLines: espSaTableLines(traceEspSas(t)),
    });
    // On west–r1, frame 1 is the first fragment and frame 2 completes the ESP packet → UDP 1480
    // (8 + 1472), ICV good; on r1–east the same ESP packet in three pieces (r1 re-fragmented the 1500).
    expect(rows[0]?.[0]).toBe("1500");
    expect(rows[1]).toEqual(["56", "0x00001001", "1480", "1", ""]);
    expect(rows.slice(2, 4).map((r) => r[0])).toEqual(["1396", "124"]);
    expect(rows[4]).toEqual(["56", "0x00001001", "1480", "1", ""]);
    // The second datagram the same way (frames 6–10), then the ping and its reply on both links: ICMP inside ESP, ICV good.
    expect(rows.slice(5, 10).map((r) => r[0])).toEqual(["1500", "56", "1396", "124", "56"]);
    expect(rows.slice(10).map((r) => [r[1], r[3], r[4]])).toEqual([
      ["0x00001001", "1", "8"],
      ["0x00001001", "1", "8"],
      ["0x00001002", "1", "0"],
      ["0x00001002", "1", "0"],
    ]);
  });
});

describe("skbDevices (the inspector's skb->dev / skb->dst->dev badge)", () => {
  it("follows a packet's two devices, through fragments, and knows nothing of a BSD trace", () => {
    const t = runBuiltin("klips-bigpackets");
    const split = skbSets(t, "dev").find((e) => e.to === "eth0" && /disagree/.test(e.note))!;
    expect(skbDevices(t.events, split.seq, split.chain)).toMatchObject({ dev: "eth0", dstDev: "ipsec0" });
    // The first fragment: parent's eth0 copied, then ip_finish_output resets it to skb->dst->dev.
    const reset = skbSets(t, "dev").find((e) => e.fn === "ip_finish_output" && e.from === "eth0")!;
    expect(skbDevices(t.events, reset.seq - 1, reset.chain)).toMatchObject({ dev: "eth0", dstDev: "ipsec0" });
    expect(skbDevices(t.events, reset.seq, reset.chain)).toMatchObject({ dev: "ipsec0", dstDev: "ipsec0" });
    const bsd = runBuiltin("lo0-esp-ping");
    expect(skbDevices(bsd.events, bsd.events.length - 1, bsd.events.at(0)!.chain)).toBeNull();
  });
});
