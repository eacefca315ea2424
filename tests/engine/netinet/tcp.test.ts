/**
 * The minimal BSD TCP (netinet/tcp_*.ts, NetBSD 1.6) against numbers worked out by hand:
 * MSS = MTU − 40 (tcp_mss_to_advertise, tcp_segsize), the 1500-byte DF segment a 1400-byte hop
 * refuses with need-frag 1400 (RFC 1191 §4), t_segsz 1400 − 40 = 1360 after tcp_mtudisc, the
 * retransmit timer's backoff (3 ticks × tcp_backoff[], capped at 64 s) and the drop after
 * TCP_MAXRXTSHIFT = 12; and the segments' real bytes: checksums, and tshark dissecting them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { espSaTableLines, traceEspSas, traceToPcapng } from "../../../src/export";
import { parseTcp, tcpChecksum, tcpChecksumOk, TCP_BACKOFF } from "../../../src/engine/netinet/tcp_var";
import { tcpInitialWindow } from "../../../src/engine/netinet/tcp_output";
import { ah_hdrsiz, esp_hdrsiz } from "../../../src/engine/netinet/tcp_ipsec";
import type { IpsecRequest } from "../../../src/engine/netipsec/types";
import { loadScenario } from "../../../src/engine";
import { df, dst, expectIpv4, src, totalLength } from "../../helpers/checkers";
import { builtinInput, decisions, eventsOf, findingIds, runBuiltin, transmitted, type OnWire } from "../../helpers/trace";
import { tsharkFields } from "../../support/tshark";

const tcpOf = (w: OnWire<"link.tx">) => parseTcp(w.bytes.subarray((w.bytes[0]! & 0x0f) * 4))!;
const isTcp = (w: OnWire<"link.tx">) => w.bytes[9] === 6;
/** TCP segments a sent onto net-a: [ip_len, flags, data bytes]. */
const fromA = (name: string) =>
  transmitted(runBuiltin(name), "net-a")
    .filter((w) => w.event.host === "a" && isTcp(w))
    .map((w) => {
      const th = tcpOf(w);
      return {
        len: (w.bytes[2]! << 8) | w.bytes[3]!,
        flags: th.flags,
        data: ((w.bytes[2]! << 8) | w.bytes[3]!) - 20 - th.hlen,
        mss: th.mss,
        t: w.event.t,
        w,
      };
    });

describe("TCP header bytes", () => {
  it("computes the checksum over the pseudo header (RFC 793 §3.1), and a flipped bit fails it", () => {
    // A 20-byte SYN 10.0.0.1:1025 → 10.0.0.2:9, seq 0x01020304, off 5, window 0x8000.
    const seg = Uint8Array.from([0x04, 0x01, 0x00, 0x09, 1, 2, 3, 4, 0, 0, 0, 0, 0x50, 0x02, 0x80, 0x00, 0, 0, 0, 0]);
    // By hand: pseudo header 0a00+0001+0a00+0002+0006+0014 = 0x141d; header words
    // 0401+0009+0102+0304+5002+8000 = 0xd812; 0x141d + 0xd812 = 0xec2f (no carry) → ~ = 0x13d0.
    expect(tcpChecksum("10.0.0.1", "10.0.0.2", seg)).toBe(0x13d0);
    seg[16] = 0x13;
    seg[17] = 0xd0;
    expect(tcpChecksumOk("10.0.0.1", "10.0.0.2", seg)).toBe(true);
    seg[4] = 0x00; // was 0x01: one flipped bit
    expect(tcpChecksumOk("10.0.0.1", "10.0.0.2", seg)).toBe(false);
  });

  it("every TCP segment on every link carries a checksum that verifies", () => {
    for (const name of ["tcp-pmtu", "tcp-pmtu-blackhole"]) {
      const segs = transmitted(runBuiltin(name)).filter(isTcp);
      expect(segs.length).toBeGreaterThan(10);
      for (const w of segs)
        expect(
          tcpChecksumOk(
            `${w.bytes[12]}.${w.bytes[13]}.${w.bytes[14]}.${w.bytes[15]}`,
            `${w.bytes[16]}.${w.bytes[17]}.${w.bytes[18]}.${w.bytes[19]}`,
            w.bytes.subarray(20),
          ),
        ).toBe(true);
    }
  });
});

describe("tcp-pmtu: need-frag lowers the segment size", () => {
  it("SYN and SYN|ACK offer MSS 1460 (1500 − 40) in a 24-byte header, with DF", () => {
    const t = runBuiltin("tcp-pmtu");
    const syn = transmitted(t, "net-a").find((w) => isTcp(w) && tcpOf(w).flags === 0x02)!;
    expectIpv4(syn.bytes, src("10.0.1.1"), dst("10.0.3.2"), totalLength(44), df(true));
    expect(tcpOf(syn)).toMatchObject({ hlen: 24, mss: 1460, dstPort: 9, srcPort: 1025 });
    const synack = transmitted(t, "net-b").find((w) => isTcp(w) && tcpOf(w).flags === 0x12)!;
    expect(tcpOf(synack)).toMatchObject({ mss: 1460, ack: (tcpOf(syn).seq + 1) >>> 0 });
  });

  it("the first full segment is 1460 + 40 = 1500 bytes; r1 answers need-frag with next-hop MTU 1400", () => {
    const segs = fromA("tcp-pmtu");
    // SYN, ACK, 1500-byte data, then after tcp_mtudisc 1360 + 1360 + 1280 (+FIN), then the last ACK.
    expect(segs.map((s) => [s.len, s.data])).toEqual([
      [44, 0],
      [40, 0],
      [1500, 1460],
      [1400, 1360],
      [1400, 1360],
      [1320, 1280],
      [40, 0],
    ]);
    expect(segs[5]!.flags & 0x01).toBe(1); // FIN rides on the last byte
    const t = runBuiltin("tcp-pmtu");
    const needfrag = transmitted(t, "net-a").find((w) => w.event.host === "r1" && w.bytes[20] === 3 && w.bytes[21] === 4)!;
    expect((needfrag.bytes[26]! << 8) | needfrag.bytes[27]!).toBe(1400);
    expect(decisions(t, "pmtu").find((d) => d.fn === "icmp_mtudisc")?.branch).toBe("rmx_mtu 1400");
    expect(decisions(t, "tcp-segsize").map((d) => [d.host, d.branch])).toEqual([
      ["b", "t_segsz 1460"],
      ["a", "t_segsz 1460"],
      ["a", "resend from snd_una, snd_cwnd 1400"],
      ["a", "t_segsz 1360"],
    ]);
    // TCP_INITIAL_WINDOW(tcp_init_win = 1, rmx_mtu 1400) = 1400, as tcp_mtudisc sets it.
    expect(tcpInitialWindow(1, 1400)).toBe(1400);
    expect(tcpInitialWindow(0, 1460)).toBe(4380);
  });

  it("b receives all 4000 bytes in order and both sides close (FIN each way)", () => {
    const t = runBuiltin("tcp-pmtu");
    const got = eventsOf(t, "deliver").filter((e) => e.host === "b");
    expect(got.map((e) => e.summary)).toEqual(["1360 bytes, 1360 in all", "1360 bytes, 2720 in all", "1280 bytes, 4000 in all"]);
    const closes = decisions(t, "tcp-input").filter((d) => /^What does a FIN/.test(d.question));
    expect(closes.map((d) => [d.host, d.branch])).toEqual([
      ["b", "CLOSE_WAIT"],
      ["a", "TIME_WAIT"],
    ]);
    expect(eventsOf(t, "drop").map((d) => d.reason)).toEqual(["ip-msgsize", "no-socket"]);
    expect(findingIds(t)).toContain("pmtu-learned");
  });
});

describe("tcp-pmtu-blackhole: retransmissions back off, then ETIMEDOUT", () => {
  it("resends the 1500-byte DF segment 12 times at 1.5 s × tcp_backoff[] (capped at 64 s), then tcp_drop sends a RST", () => {
    const segs = fromA("tcp-pmtu-blackhole");
    const data = segs.filter((s) => s.data > 0);
    expect(data.map((s) => s.len)).toEqual(Array<number>(13).fill(1500));
    const t0 = data[0]!.t;
    // The first RTO is 3 ticks (1.5 s: one sub-tick RTT sample, srtt 8/8 + rttvar 2); each
    // timeout multiplies by tcp_backoff[shift], capped at TCPTV_REXMTMAX = 128 ticks (64 s).
    let at = 0;
    const expected = [0];
    for (let shift = 0; shift < 12; shift++) {
      at += Math.min(3 * TCP_BACKOFF[shift]!, 128) * 500_000;
      expected.push(at);
    }
    expect(data.map((s) => s.t - t0)).toEqual(expected);
    expect(expected.at(-1)).toBe(478_500_000);
    const t = runBuiltin("tcp-pmtu-blackhole");
    const last = decisions(t, "tcp-rexmt")
      .filter((d) => d.host === "a")
      .at(-1)!;
    expect(last.branch).toBe("tcp_drop ETIMEDOUT");
    expect(last.t - t0).toBe(542_500_000);
    const rst = segs.at(-1)!;
    expect([rst.len, rst.flags]).toEqual([40, 0x14]);
    expect(
      eventsOf(t, "drop")
        .filter((d) => d.reason.startsWith("tcp-"))
        .map((d) => [d.host, d.reason]),
    ).toEqual([
      ["a", "tcp-timeout"],
      ["b", "tcp-reset"],
    ]);
    expect(findingIds(t)).toContain("pmtu-blackhole");
    // The handshake's small segments got through; no data byte ever reached b.
    expect(eventsOf(t, "deliver").filter((e) => e.host === "b")).toEqual([]);
  });

  it("is deterministic: two runs give the same trace", () => {
    const a = runBuiltin("tcp-pmtu-blackhole");
    const b = runBuiltin("tcp-pmtu-blackhole");
    expect(b.events.length).toBe(a.events.length);
    expect(transmitted(b).map((w) => w.packet.hex)).toEqual(transmitted(a).map((w) => w.packet.hex));
  });
});

describe("tcp-esp: IPsec overhead taken off the segment size (ipsec4_hdrsiz_tcp)", () => {
  it("esp_hdrsiz: 8 + 16 + 9 + ah_hdrsiz (12 + 12) = 57 with the SA, 49 before it is known; tunnel mode adds 20", () => {
    const cbc = { sav: { enc: "aes-cbc", auth: "hmac-sha1-96" } } as unknown as Pick<IpsecRequest, "sav">;
    expect(ah_hdrsiz(cbc)).toBe(24);
    expect(esp_hdrsiz(cbc)).toBe(57);
    expect(esp_hdrsiz({ sav: null })).toBe(49);
    expect(ah_hdrsiz({ sav: null })).toBe(28);
  });

  it("a's data segments carry 1460 − 57 = 1403 bytes, whose ESP packets are 1496 bytes and fit the 1500-byte link", () => {
    const t = runBuiltin("tcp-esp");
    expect(decisions(t, "tcp-segsize").map((d) => [d.host, d.branch])).toEqual([
      ["a", "t_segsz 463"],
      ["b", "t_segsz 1411"],
      ["a", "t_segsz 1403"],
      ["b", "t_segsz 1403"],
    ]);
    const esp = transmitted(t, "net0").filter((w) => w.event.host === "a" && w.bytes[9] === 50);
    // inner 1443 = 20 + 20 + 1403: ESP payload 1423 + 2 → 1440 (16-byte blocks); 20 + 8 + 16 + 1440 + 12 = 1496.
    // The last (1194 bytes + FIN): 1214 + 2 = 1216 → 20 + 8 + 16 + 1216 + 12 = 1272.
    expect(esp.map((w) => (w.bytes[2]! << 8) | w.bytes[3]!).filter((n) => n > 1000)).toEqual([1496, 1496, 1272]);
    expect(
      eventsOf(t, "deliver")
        .filter((e) => e.host === "b")
        .at(-1)?.summary,
    ).toBe("1194 bytes, 4000 in all");
    expect(t.outcome.verdict).toBe("secure");
  });
});

describe("tcp traffic validation", () => {
  it("names the path of a bad tcp entry", () => {
    const bad = builtinInput("tcp-pmtu", {
      patch: (s) => {
        s.traffic[0] = { kind: "tcp", from: "a", dst: "10.9.9.9", src: "10.0.2.1", bytes: 10 };
      },
    });
    const r = loadScenario(bad);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toEqual(
        expect.arrayContaining([
          { path: "$.traffic[0].src", message: "10.0.2.1 is not an address of a" },
          { path: "$.traffic[0].dst", message: "no host has the address 10.9.9.9: a TCP transfer needs a host there to listen on port 9" },
        ]),
      );
    // On a Linux personality the run says TCP is not modelled there, rather than skipping it.
    const linux = runBuiltin("tcp-pmtu", { personality: "linux-xfrm" });
    expect(eventsOf(linux, "drop").map((d) => [d.reason, d.detail])).toEqual([["not-modelled", "TCP on linux-xfrm"]]);
  });
});

describe("tcp-pmtu's capture in tshark", () => {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-tcp-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("dissects every segment as TCP with a good checksum, the MSS option and the ICMP's next-hop MTU", { timeout: 300_000 }, () => {
    const path = join(dir, "tcp-pmtu.pcapng");
    writeFileSync(path, traceToPcapng(runBuiltin("tcp-pmtu")));
    const rows = tsharkFields(path, ["ip.len", "tcp.flags", "tcp.options.mss_val", "tcp.checksum.status", "icmp.mtu", "_ws.malformed"], {
      args: ["-o", "tcp.check_checksum:TRUE"],
    });
    const tcp = rows.filter((r) => r[1] !== "");
    expect(tcp.length).toBeGreaterThan(10);
    for (const r of tcp) expect(r[3]).toBe("1");
    expect(rows.every((r) => r[5] === "")).toBe(true);
    expect(tcp.filter((r) => r[2] !== "").map((r) => r[2])).toEqual(expect.arrayContaining(["1460"]));
    expect(rows.some((r) => r[4] === "1400")).toBe(true);
  });

  it("tcp-esp's ESP packets decrypt (AES-CBC, HMAC-SHA1-96 ICV good) to TCP segments with good checksums", { timeout: 300_000 }, () => {
    const t = runBuiltin("tcp-esp");
    const path = join(dir, "tcp-esp.pcapng");
    writeFileSync(path, traceToPcapng(t));
    const rows = tsharkFields(path, ["esp.spi", "esp.icv_good", "tcp.len", "tcp.checksum.status", "_ws.malformed"], {
      espSaLines: espSaTableLines(traceEspSas(t)),
      args: ["-o", "tcp.check_checksum:TRUE"],
    });
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect([r[1], r[3], r[4]]).toEqual(["1", "1", ""]);
    expect(rows.map((r) => r[2]).filter((n) => Number(n) > 0)).toEqual(["1403", "1403", "1194"]);
  });
});
