/**
 * The plain IP path (netinet/: ping, rip_output, ip_output, ip_input, icmp_input, icmp_reflect)
 * without IPsec: lo0-ping, and two hosts on a point-to-point link where the wire can corrupt a
 * packet, a destination can be unroutable or not ours, and a datagram can exceed the MTU.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, runScenario } from "../../../src/engine";
import { merge, push, set, type Edit } from "../../helpers/edit";
import {
  dst,
  echoDataLength,
  echoId,
  echoReply,
  echoRequest,
  echoSeq,
  expectIpv4,
  icmp,
  ipId,
  payloadLength,
  src,
  totalLength,
  ttl,
} from "../../helpers/checkers";
import { chainEvents, decisions, eventsOf, findingIds, firstEchoChain, packetOf, received, traceOf, transmitted } from "../../helpers/trace";

describe("lo0-ping", () => {
  const t = () => traceOf("lo0-ping");

  it("is secure: three echoes, one second apart, all answered", () => {
    expect(t().outcome).toMatchObject({ verdict: "secure", sent: 3, delivered: 3, findings: [] });
    expect(eventsOf(t(), "app.send").map((e) => e.t)).toEqual([0, 1_000_000, 2_000_000]);
  });

  it("sosend leaves leading space, so rip_output's M_PREPEND of the IP header needs no new mbuf", () => {
    const tr = t();
    const chain = chainEvents(tr, firstEchoChain(tr));
    expect(chain[0]).toMatchObject({ kind: "mbuf.alloc", len: 64, fn: "sosend" });
    expect(chain[1]).toMatchObject({ kind: "mbuf.prepend", fn: "rip_output", len: 20, leading: "space" });
    expect(packetOf(tr, chain[1]!).segs).toHaveLength(1);
  });

  it("the request: 127.0.0.1 → 127.0.0.1, TTL 255, ip_len 84, the seeded ip_id; ICMP echo id 0x1234 with 56 data bytes", () => {
    const tr = t();
    const [request] = transmitted(tr, "host:lo0");
    const id = (request!.bytes[4]! << 8) | request!.bytes[5]!;
    expectIpv4(
      request!.bytes,
      src("127.0.0.1"),
      dst("127.0.0.1"),
      ttl(255),
      totalLength(84),
      ipId(id),
      icmp(echoRequest(), echoId(0x1234), echoSeq(0), echoDataLength(56)),
    );
    expect(id).toBeGreaterThan(0); // rip_output filled ping's ip_id 0 with ip_randomid()
  });

  it("the reply is the same mbuf turned around: type 0, addresses swapped, TTL = MAXTTL, a new ip_id, the data echoed", () => {
    const tr = t();
    const [request, reply] = transmitted(tr, "host:lo0");
    expect(reply!.event.chain).toBe(request!.event.chain);
    const reqId = (request!.bytes[4]! << 8) | request!.bytes[5]!;
    expectIpv4(reply!.bytes, src("127.0.0.1"), dst("127.0.0.1"), ttl(255), payloadLength(64), icmp(echoReply(), echoId(0x1234), echoSeq(0)));
    // A new datagram: ip_output.c 1.120 gives it ip_randomid(), not reqId + 1.
    expect((reply!.bytes[4]! << 8) | reply!.bytes[5]!).not.toBe(reqId);
    expect(Buffer.from(reply!.bytes.subarray(28)).equals(Buffer.from(request!.bytes.subarray(28)))).toBe(true);
  });

  it("ping measures the round trip in virtual time from the echoed timestamp", () => {
    const tr = t();
    const delivers = eventsOf(tr, "deliver");
    const sends = eventsOf(tr, "app.send");
    delivers.forEach((d, i) => expect(d.rttMicros).toBe(d.t - sends[i]!.t));
    expect(delivers[0]!.rttMicros).toBeGreaterThan(0);
  });

  it("with no SPD, the output and input policy decisions say none and nothing reads IPsec evidence", () => {
    const tr = t();
    expect(decisions(tr, "ipsec-out-policy").every((d) => d.branch === "no IPsec")).toBe(true);
    expect(decisions(tr, "ipsec-in-reject").every((d) => d.branch === "accept")).toBe(true);
    expect(decisions(tr, "ipsec-evidence")).toEqual([]);
    expect(eventsOf(tr, "tag.prepend")).toEqual([]);
  });
});

/** Two hosts on net0 without IPsec; a's em0 has MTU 576. */
function p2p(...edits: Edit[]) {
  const s = {
    version: 1,
    name: "p2p",
    hosts: [
      { name: "a", interfaces: [{ name: "em0", addr: "10.0.0.1/24", mtu: 576 }] },
      { name: "b", interfaces: [{ name: "em0", addr: "10.0.0.2/24" }] },
    ],
    links: [{ name: "net0", ends: ["a:em0", "b:em0"], delayMicros: 50 }],
    traffic: [{ kind: "ping", from: "a", dst: "10.0.0.2", count: 2 }],
  };
  for (const e of edits) e(s);
  const r = loadScenario(s);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return runScenario(r.scenario);
}

describe("two hosts on a link", () => {
  it("an unbound raw socket's datagram takes its source from the outgoing interface; the link delay shows in time", () => {
    const t = p2p();
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 2, delivered: 2 });
    const [request, reply] = transmitted(t, "net0");
    expectIpv4(request!.bytes, src("10.0.0.1"), dst("10.0.0.2"), icmp(echoRequest()));
    expectIpv4(reply!.bytes, src("10.0.0.2"), dst("10.0.0.1"), ttl(255), icmp(echoReply()));
    expect(decisions(t, "route")[0]).toMatchObject({ host: "a", branch: "out em0" });
    const rx = received(t, "b")[0]!;
    expect(rx.event.t - request!.event.t).toBe(50);
    expect(rx.packet.rcvif).toBe("em0");
  });

  it("a corrupted IP header is dropped by ip_input: ip-bad-checksum", () => {
    const t = p2p(set("links[0].faults", [{ kind: "flip-bit", nth: 1, byte: 8, bit: 0 }]));
    const d = decisions(t, "ip-checksum").find((x) => x.branch === "bad checksum")!;
    expect(d.host).toBe("b");
    expect(eventsOf(t, "drop").map((x) => [x.host, x.fn, x.reason])).toEqual([["b", "ip_input", "ip-bad-checksum"]]);
    expect(t.outcome).toMatchObject({ verdict: "dropped", delivered: 1 });
    expect(findingIds(t)).toEqual(["drop-ip-bad-checksum", "unanswered"]);
  });

  it("a corrupted ICMP message is dropped by icmp_input: icmp-bad-checksum", () => {
    const t = p2p(set("links[0].faults", [{ kind: "flip-bit", nth: 1, byte: 40 }]));
    expect(eventsOf(t, "drop").map((x) => [x.host, x.fn, x.reason])).toEqual([["b", "icmp_input", "icmp-bad-checksum"]]);
  });

  it("no route: ip_output drops with ip-no-route and nothing reaches the wire", () => {
    const t = p2p(set("traffic[0].dst", "8.8.8.8"));
    expect(decisions(t, "route").map((d) => d.branch)).toEqual(["no route", "no route"]);
    expect(eventsOf(t, "drop").map((x) => x.reason)).toEqual(["ip-no-route", "ip-no-route"]);
    expect(transmitted(t)).toEqual([]);
  });

  it("a datagram for an address nobody has is dropped by the receiver as not ours (no forwarding)", () => {
    const t = p2p(set("traffic[0].dst", "10.0.0.9"));
    expect(decisions(t, "ours").map((d) => [d.host, d.branch])).toEqual([
      ["b", "not ours"],
      ["b", "not ours"],
    ]);
    expect(eventsOf(t, "drop").every((d) => d.reason === "ip-not-ours")).toBe(true);
  });

  it("DF and larger than the MTU: EMSGSIZE (ip_len > mtu), nothing transmitted", () => {
    const t = p2p(merge("traffic[0]", { df: true, size: 600 }));
    expect(decisions(t, "mtu").map((d) => d.branch)).toEqual(["EMSGSIZE", "EMSGSIZE"]);
    expect(eventsOf(t, "drop")[0]).toMatchObject({ reason: "ip-msgsize", detail: "628 bytes > MTU 576 with DF" });
    expect(transmitted(t)).toEqual([]);
  });

  it("exactly the MTU fits (ip_len <= mtu)", () => {
    const t = p2p(merge("traffic[0]", { df: true, size: 576 - 28 }));
    expect(decisions(t, "mtu")).toEqual([]);
    expect(t.outcome.delivered).toBe(2);
  });

  it("ping -f sends the next request as soon as the reply arrives", () => {
    const t = p2p(merge("traffic[0]", { flood: true, count: 4 }));
    const sends = eventsOf(t, "app.send");
    const delivers = eventsOf(t, "deliver");
    expect(sends).toHaveLength(4);
    expect(delivers).toHaveLength(4);
    for (let i = 1; i < 4; i++) {
      expect(sends[i]!.t).toBe(delivers[i - 1]!.t);
      expect(sends[i]!.seq).toBe(delivers[i - 1]!.seq + 1);
    }
  });

  it("ping -f without replies waits 10 ms before the next request", () => {
    const t = p2p(merge("traffic[0]", { flood: true, count: 3, dst: "10.0.0.9" }));
    expect(eventsOf(t, "app.send").map((e) => e.t)).toEqual([0, 10_000, 20_000]);
  });

  it("two pings at once interleave deterministically, in the order the scenario lists them", () => {
    const t = p2p(push("traffic", { kind: "ping", from: "b", dst: "10.0.0.1", count: 2, id: 0x4321 }));
    expect(t.outcome).toMatchObject({ sent: 4, delivered: 4 });
    expect(eventsOf(t, "app.send").map((e) => `${e.t} ${e.host}`)).toEqual(["0 a", "0 b", "1000000 a", "1000000 b"]);
    expect(eventsOf(t, "deliver").map((e) => e.socket)).toEqual(["ping#0", "ping#1", "ping#0", "ping#1"]);
  });
});
