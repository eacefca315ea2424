/**
 * Networks beyond loopback (issue 12): ip_forward, icmp_error, ip_fragment, ip_reass and
 * icmp_mtudisc, checked against numbers worked out by hand from the sources and RFCs:
 * fragment data = (mtu − hlen) & ~7 (ip_fragment), offsets in 8-byte units (RFC 791), the
 * need-frag's next-hop MTU (RFC 1191 §4), the plateau table (ip_icmp.c, RFC 1191 §7).
 */
import { describe, expect, it } from "vitest";
import { ip_optcopy, planFragments } from "../../../src/engine/netinet/ip_fragment";
import { MTU_TABLE, mtudiscValue } from "../../../src/engine/netinet/ip_icmp";
import { expectIpv4, dst, src, ttl } from "../../helpers/checkers";
import { decisions, eventsOf, received, runBuiltin, traceOf, transmitted } from "../../helpers/trace";
import { normalizeTrace } from "../../helpers/normalize";

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const fragField = (b: Uint8Array) => ({ df: (b[6]! & 0x40) !== 0, mf: (b[6]! & 0x20) !== 0, off: u16(b, 6) & 0x1fff, len: u16(b, 2), id: u16(b, 4) });

describe("ip_fragment's arithmetic", () => {
  it("cuts (mtu − hlen) & ~7 data bytes per fragment, offsets in 8-byte units", () => {
    // 2964-byte ESP datagram at MTU 1500: (1500 − 20) & ~7 = 1480; 2944 − 1480 = 1464.
    expect(planFragments(2964, 20, 1500)).toEqual([
      { offset: 0, len: 1480, mf: true },
      { offset: 1480, len: 1464, mf: false },
    ]);
    // 4020 bytes: 1480 + 1480 + 1040, offsets 0, 185, 370 (× 8).
    expect(planFragments(4020, 20, 1500)!.map((p) => [p.offset / 8, p.len, p.mf])).toEqual([
      [0, 1480, true],
      [185, 1480, true],
      [370, 1040, false],
    ]);
    // MTU 1006 (a plateau): (1006 − 20) & ~7 = 984, not 986.
    expect(planFragments(1500, 20, 1006)!.map((p) => p.len)).toEqual([984, 496]);
    // A 65527-byte ping over lo0 (LOMTU 33192): 33168 + 32339.
    expect(planFragments(65527, 20, 33192)!.map((p) => p.len)).toEqual([33168, 32339]);
  });

  it("refuses an MTU that leaves fewer than 8 data bytes (EMSGSIZE), and keeps MF on the last piece of a fragment", () => {
    expect(planFragments(100, 20, 27)).toBeUndefined();
    expect(planFragments(100, 20, 28)![0]).toEqual({ offset: 0, len: 8, mf: true });
    expect(planFragments(2964, 20, 1500, true)!.map((p) => p.mf)).toEqual([true, true]);
  });

  it("ip_optcopy copies only options with the copied bit (and NOPs), padded with EOL to 4 bytes", () => {
    const rr = [0x07, 7, 4, 0, 0, 0, 0]; // record route: not copied
    const lsrr = [0x83, 7, 4, 10, 0, 0, 1]; // loose source route: copied
    expect([...ip_optcopy(Uint8Array.from([...rr, ...lsrr, 0x01, 0x00, 0x00, 0x00]))]).toEqual([...lsrr, 0x01]);
    expect([...ip_optcopy(Uint8Array.from([...rr, 0]))]).toEqual([]);
  });
});

describe("icmp_mtudisc's MTU", () => {
  it("takes the next-hop MTU when the router sent one (RFC 1191 §4)", () => {
    expect(mtudiscValue(1400, 1476, 20, 0, 1500)).toBe(1400);
  });
  it("falls back to the plateau below the quoted ip_len when it is 0 (RFC 1191 §7)", () => {
    expect(MTU_TABLE).toEqual([65535, 65280, 32000, 17914, 9180, 8166, 4352, 2002, 1492, 1006, 508, 296, 68, 0]);
    expect(mtudiscValue(0, 1476, 20, 0, 1500)).toBe(1006);
    expect(mtudiscValue(0, 1500, 20, 0, 1500)).toBe(1492);
    // "Some 4.2BSD-based routers incorrectly adjust the ip_len": above rmx_mtu, the header comes off first.
    expect(mtudiscValue(0, 1500, 20, 1400, 1500)).toBe(1006);
    expect(mtudiscValue(0, 0, 20, 0, 1500)).toBe(1492);
  });
});

describe("routed-ping", () => {
  const t = () => traceOf("routed-ping");

  it("r forwards a's echo to b with the TTL decremented, and the reply back", () => {
    const atB = received(t(), "b")[0]!;
    expectIpv4(atB.bytes, src("10.0.1.1"), dst("10.0.2.2"), ttl(254));
    expect(
      decisions(t(), "ttl")
        .filter((d) => d.host === "r")
        .map((d) => d.branch),
    ).toEqual(["forward", "forward", "time exceeded", "forward", "forward"]);
    expect(t().outcome).toMatchObject({ sent: 3, delivered: 2 });
  });

  it("answers the TTL-1 echo with ICMP time exceeded from the address it came in on, quoting header + 8 bytes", () => {
    const err = transmitted(t(), "net-a").find((w) => w.event.host === "r" && w.bytes[20] === 11)!;
    expectIpv4(err.bytes, src("10.0.1.2"), dst("10.0.1.1"), ttl(255));
    expect(err.bytes[21]).toBe(0); // ICMP_TIMXCEED_INTRANS
    expect(u16(err.bytes, 2)).toBe(20 + 8 + 28);
    const quoted = err.bytes.subarray(28);
    expect(quoted[8]).toBe(1); // the quoted TTL as it arrived
    expect(u16(quoted, 24)).toBe(0x4321); // the echo's identifier, inside the 8 quoted bytes
    expect(eventsOf(t(), "drop").map((d) => [d.host, d.reason])).toEqual([["r", "ip-ttl-exceeded"]]);
  });
});

describe("frag-esp", () => {
  const t = () => traceOf("frag-esp");

  it("encrypts first, then sends two fragments of the ESP datagram: 1500 + 1484 bytes, offsets 0 and 185", () => {
    const frames = transmitted(t(), "net0").filter((w) => w.event.host === "a");
    expect(frames).toHaveLength(2);
    const [f1, f2] = frames.map((w) => fragField(w.bytes));
    expect(f1).toMatchObject({ len: 1500, off: 0, mf: true, df: false });
    expect(f2).toMatchObject({ len: 1484, off: 185, mf: false, df: false });
    expect(f1!.id).toBe(f2!.id);
    for (const w of frames) expect(w.bytes[9]).toBe(50);
    // The ESP header (SPI 0x3001) is in the first fragment only.
    expect(u16(frames[0]!.bytes, 20)).toBe(0);
    expect(u16(frames[0]!.bytes, 22)).toBe(0x3001);
  });

  it("gives each fragment its own chain, linked to the datagram it was cut from (fragOf)", () => {
    const [first, second] = transmitted(t(), "net0").filter((w) => w.event.host === "a");
    const alloc = eventsOf(t(), "mbuf.alloc").find((e) => e.chain === second!.event.chain)!;
    expect(alloc).toMatchObject({ fn: "ip_fragment", fragOf: first!.event.chain });
    expect(second!.packet.tags).toEqual([]);
    expect(first!.packet.tags.map((x) => x.name)).toEqual(["IPSEC_OUT_DONE"]);
  });

  it("reassembles at b before ESP input, then decrypts and answers the same way", () => {
    const reass = decisions(t(), "reass").filter((d) => d.host === "b");
    expect(reass.map((d) => d.branch)).toEqual(["wait", "complete"]);
    const appended = eventsOf(t(), "mbuf.append").filter((e) => e.host === "b" && e.fn === "ip_reass");
    expect(appended.map((e) => e.len)).toEqual([1464]);
    // The datagram is the first fragment's mbuf, m_cat()ed onto (ip_reass returns it).
    const firstAtB = received(t(), "b")[0]!;
    expect(appended[0]).toMatchObject({ chain: firstAtB.event.chain, from: received(t(), "b")[1]!.event.chain });
    const next = t()
      .events.slice(reass[1]!.seq)
      .find((e) => e.kind === "decision" && e.check === "pr-lasthdr");
    expect(next).toMatchObject({ host: "b", chain: firstAtB.event.chain });
    expect(t().outcome).toMatchObject({ verdict: "secure", sent: 1, delivered: 1 });
  });
});

describe("pmtu-discovery and pmtu-blackhole", () => {
  it("gw-a copies DF into the tunnel's outer header (ip4_ipsec_dfbit 2) and r answers with need-frag carrying MTU 1400", () => {
    const t = traceOf("pmtu-discovery");
    const esp = transmitted(t, "net-a").find((w) => w.event.host === "gw-a")!;
    expect(fragField(esp.bytes)).toMatchObject({ df: true, len: 1476 });
    const nf = transmitted(t, "net-a").find((w) => w.event.host === "r")!;
    expectIpv4(nf.bytes, src("10.0.1.2"), dst("10.0.1.1"));
    expect([nf.bytes[20], nf.bytes[21]]).toEqual([3, 4]);
    expect(u16(nf.bytes, 26)).toBe(1400);
    // The quoted datagram is gw-a's ESP packet: its header, then the SPI.
    expect(nf.bytes[28 + 9]).toBe(50);
    expect(u16(nf.bytes, 48) * 0x10000 + u16(nf.bytes, 50)).toBe(0x4001);
  });

  it("with the ICMP delivered, gw-a learns rmx_mtu 1400 and its next DF packets fail at home with EMSGSIZE", () => {
    const t = traceOf("pmtu-discovery");
    expect(decisions(t, "pmtu").map((d) => [d.fn, d.branch])).toEqual([
      ["esp4_ctlinput", "icmp_mtudisc"],
      ["icmp_mtudisc", "rmx_mtu 1400"],
    ]);
    expect(eventsOf(t, "drop").map((d) => [d.host, d.reason])).toEqual([
      ["r", "ip-msgsize"],
      ["gw-a", "ip-msgsize"],
      ["gw-a", "ip-msgsize"],
    ]);
    expect(t.outcome.findings.map((f) => f.id)).toContain("pmtu-learned");
  });

  it("with ICMP filtered on net-a, gw-a never learns, every echo dies at r, and a finding says why", () => {
    const t = traceOf("pmtu-blackhole");
    expect(decisions(t, "pmtu")).toEqual([]);
    expect(eventsOf(t, "drop").map((d) => [d.host, d.reason])).toEqual([
      ["r", "ip-msgsize"],
      ["r", "icmp-filtered"],
      ["r", "ip-msgsize"],
      ["r", "icmp-filtered"],
      ["r", "ip-msgsize"],
      ["r", "icmp-filtered"],
    ]);
    const f = t.outcome.findings.find((x) => x.id === "pmtu-blackhole")!;
    expect(f.sentence).toMatch(/need-frag \(next-hop MTU 1400\) that r sent to 10\.0\.1\.1 was filtered on net-a/);
    expect(t.events.at(f.step)).toMatchObject({ kind: "drop", reason: "icmp-filtered" });
  });
});

describe("ip_reass's drops", () => {
  it("drops a duplicate fragment wholly covered by a queued one (overlap)", () => {
    // The second fragment is corrupted (its checksum byte), so the first waits; its replayed copy then overlaps it.
    const t = runBuiltin("frag-esp", {
      patch: (s) =>
        (s.links![0]!.faults = [
          { kind: "flip-bit", nth: 2, byte: 10 },
          { kind: "replay", nth: 1, delayMicros: 500 },
        ]),
    });
    expect(eventsOf(t, "drop").map((d) => [d.host, d.reason])).toEqual([
      ["b", "ip-bad-checksum"],
      ["b", "ip-frag-overlap"],
      ["b", "ip-frag-timeout"],
    ]);
    expect(t.outcome).toMatchObject({ delivered: 0 });
  });

  it("frees an incomplete datagram after IPFRAGTTL (60 ticks of 500 ms: 30 s)", () => {
    const t = runBuiltin("frag-esp", { patch: (s) => (s.links![0]!.faults = [{ kind: "replay", nth: 1, delayMicros: 500 }]) });
    const d = eventsOf(t, "drop");
    expect(d.map((x) => [x.host, x.fn, x.reason])).toEqual([["b", "ip_slowtimo", "ip-frag-timeout"]]);
    const replayedAt = eventsOf(t, "link.rx").find((e) => e.fault?.kind === "replay")!.t;
    expect(d[0]!.t - replayedAt).toBeGreaterThan(29_500_000);
    expect(d[0]!.t - replayedAt).toBeLessThanOrEqual(30_000_000);
  });

  it("refuses a new reassembly queue beyond ip_maxfragpackets (too many)", () => {
    const t = runBuiltin("frag-esp", { patch: (s) => (s.hosts[1]!.ipMaxFragPackets = 0) });
    expect(eventsOf(t, "drop").map((d) => [d.host, d.reason])).toEqual([
      ["b", "ip-frag-toomany"],
      ["b", "ip-frag-toomany"],
    ]);
    expect(t.outcome).toMatchObject({ delivered: 0 });
  });
});

describe("determinism", () => {
  it.each(["routed-ping", "frag-esp", "pmtu-discovery", "pmtu-blackhole"])("%s gives a byte-identical trace twice", (name) => {
    expect(JSON.stringify(runBuiltin(name))).toBe(JSON.stringify(runBuiltin(name)));
    expect(normalizeTrace(runBuiltin(name))).toBe(normalizeTrace(runBuiltin(name)));
  });
});

describe("UDP datagrams (udp_output, udp_input)", () => {
  const withUdp = (d: Record<string, unknown>) =>
    runBuiltin("routed-ping", {
      patch: (s) => void (s as { traffic: unknown[] }).traffic.push({ kind: "udp", from: "a", dst: "10.0.2.2", count: 1, ...d }),
    });

  it("a 2000-byte datagram is fragmented at a (1500 + 528), forwarded in pieces by r, reassembled at b and delivered", () => {
    const t = withUdp({ size: 2000 });
    const udp = transmitted(t, "net-a").filter((w) => w.event.host === "a" && w.bytes[9] === 17);
    expect(udp.map((w) => fragField(w.bytes))).toEqual([
      expect.objectContaining({ len: 1500, off: 0, mf: true }),
      expect.objectContaining({ len: 548, off: 185, mf: false }),
    ]);
    // 2028 = 20 + 8 + 2000: 1480 data bytes, then 548 − 20 = 528.
    const sink = eventsOf(t, "deliver").filter((e) => e.socket.startsWith("udp#"));
    expect(sink).toHaveLength(1);
    expect(sink[0]).toMatchObject({ host: "b", summary: "datagram from 10.0.1.1:1024, 2000 bytes" });
  });

  it("with DF and no sink: b answers ICMP port unreachable, and a DF datagram too big for the path draws need-frag", () => {
    const t = withUdp({ size: 100, sink: false });
    const pu = transmitted(t, "net-b").find((w) => w.event.host === "b" && w.bytes[9] === 1 && w.bytes[20] === 3)!;
    expect(pu.bytes[21]).toBe(3); // ICMP_UNREACH_PORT
    const big = runBuiltin("pmtu-discovery", {
      patch: (s) => void (s as { traffic: unknown[] }).traffic.push({ kind: "udp", from: "gw-a", dst: "10.0.2.2", count: 1, size: 1450, df: true }),
    });
    const nf = transmitted(big, "net-a").filter((w) => w.event.host === "r" && w.bytes[20] === 3 && w.bytes[21] === 4);
    expect(nf.some((w) => w.bytes[28 + 9] === 17 && u16(w.bytes, 26) === 1400)).toBe(true);
  });

  it("the outcome tallies datagrams: a DF datagram over the interface MTU is refused with EMSGSIZE to its socket", () => {
    expect(withUdp({ size: 2000 }).outcome.udp).toEqual({ sent: 1, refused: 0, delivered: 1 });
    const t = withUdp({ size: 2000, df: true });
    const refusal = eventsOf(t, "drop").find((e) => e.reason === "ip-msgsize")!;
    // udp#2: the third traffic entry. 2028 bytes > a's 1500-byte interface: ip_output fails before anything is sent.
    expect(refusal).toMatchObject({ host: "a", socket: "udp#2", detail: "2028 bytes > MTU 1500 with DF" });
    expect(t.outcome.udp).toEqual({ sent: 1, refused: 1, delivered: 0 });
  });
});
