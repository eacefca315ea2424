/**
 * A trace exported as pcapng + ESP key table, read back by our strict reader and by the real
 * Wireshark (tshark). Each scenario runs once and is written once; the tests share the files.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { afterAll, describe, expect, it } from "vitest";
import { builtinByName, fromHex, loadScenario, runScenario, type ScenarioInput, type ScenarioTrace, type TraceEvent } from "../../src/engine";
import {
  LINKTYPE,
  TAGFLOW_VERSION,
  espSaTable,
  espSaTableLines,
  readPcapng,
  traceEspSas,
  traceToJson,
  traceToPcapng,
  writePcapng,
} from "../../src/export";
import { tsharkFields, tsharkVersion } from "../support/tshark";
import { toHex } from "./packets";

const FIX = "icmp-reflect-strips-tags";

const traces = new Map<string, ScenarioTrace>();
/** Run a built-in once per (name, fixes), memoised across the file. */
function trace(name: string, fixes: readonly string[] = []): ScenarioTrace {
  const key = `${name}+${fixes.join(",")}`;
  let t = traces.get(key);
  if (!t) {
    const loaded = loadScenario({ ...builtinByName(name), fixes } as ScenarioInput);
    if (!loaded.ok) throw new Error(`${key}: ${JSON.stringify(loaded.problems)}`);
    t = runScenario(loaded.scenario);
    traces.set(key, t);
  }
  return t;
}

const txEvents = (t: ScenarioTrace) => t.events.filter((e): e is TraceEvent & { kind: "link.tx" } => e.kind === "link.tx");

const dir = mkdtempSync(join(tmpdir(), "tagflow-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write the capture of a run to a file (once) and return its path. */
const files = new Map<string, string>();
function pcapFile(name: string, fixes: readonly string[] = []): string {
  const key = `${name}${fixes.length ? `+${fixes.join(",")}` : ""}`;
  let path = files.get(key);
  if (!path) {
    path = join(dir, `${key}.pcapng`);
    writeFileSync(path, traceToPcapng(trace(name, fixes)));
    files.set(key, path);
  }
  return path;
}

/** What tshark's esp.icv_good and ip/icmp checksum.status print for "good". */
const GOOD = "1";
const TSHARK = { timeout: 120_000 };

describe("traceToPcapng", () => {
  it("lo0-ping: one lo0 interface (DLT_NULL), one packet per link.tx, at its virtual time, with its bytes", () => {
    const t = trace("lo0-ping");
    const cap = readPcapng(traceToPcapng(t));
    expect(cap.interfaces).toEqual([{ name: "lo0", description: "host:lo0: BSD loopback (DLT_NULL), as bpf_mtap sees it", linkType: LINKTYPE.NULL }]);
    const tx = txEvents(t);
    expect(tx).toHaveLength(6);
    expect(cap.packets.map((p) => [p.interfaceId, p.timestampMicros, toHex(p.data)])).toEqual(tx.map((e) => [0, e.t, t.packets.at(e.packet)!.hex]));
    for (const p of cap.packets) expect(Array.from(p.linkHeader)).toEqual([2, 0, 0, 0]); // AF_INET
  });

  it("comments each packet with its step, time, host, sending function and interface, and the step's sentence", () => {
    const t = trace("lo0-ping");
    const cap = readPcapng(traceToPcapng(t));
    expect(cap.packets.map((p) => p.comment)).toEqual(txEvents(t).map((e) => `step ${e.seq + 1} · t=${e.t}µs · host ip_output → lo0: ${e.note}`));
  });

  it("names the tool, scenario, personality and fixes in the section header", () => {
    const plain = readPcapng(traceToPcapng(trace("lo0-ping")));
    expect(plain.application).toBe(`tagflow ${TAGFLOW_VERSION} — lo0-ping (netbsd-2003, fixes: none)`);
    expect(plain.comment).toBe(`tagflow ${TAGFLOW_VERSION} — lo0-ping (netbsd-2003, fixes: none)\nping 127.0.0.1 — no IPsec\noutcome: secure`);
    expect(plain.os).toBe("NetBSD 2003 (FAST_IPSEC), simulated");
    const fixed = readPcapng(traceToPcapng(trace("lo0-esp-ping", [FIX])));
    expect(fixed.application).toBe(`tagflow ${TAGFLOW_VERSION} — lo0-esp-ping (netbsd-2003, fixes: ${FIX})`);
  });

  it("adds Stone's step and the findings that became true at the packet's step", () => {
    const cap = readPcapng(traceToPcapng(trace("lo0-esp-ping")));
    expect(cap.packets.at(0)?.comment).toMatch(/^step 28 · t=4µs · host ip_output → lo0 · Stone step 3: The packet crosses lo0/);
    // The first reflected reply: it crosses lo0 in cleartext, and the audit says so right there.
    expect(cap.packets.at(1)?.comment).toMatch(/^step \d+ · t=12µs · host ip_output → lo0: .*\ncritical: The echo reply crossed lo0 in cleartext/);
  });

  it("gw-esp-tunnel: an interface per link — both lo0s (DLT_NULL) and net0 (raw IP) — with every packet on net0", () => {
    const t = trace("gw-esp-tunnel");
    const cap = readPcapng(traceToPcapng(t));
    expect(cap.interfaces.map((i) => [i.name, i.linkType, i.description])).toEqual([
      ["gw-a:lo0", LINKTYPE.NULL, "gw-a:lo0: BSD loopback (DLT_NULL), as bpf_mtap sees it"],
      ["gw-b:lo0", LINKTYPE.NULL, "gw-b:lo0: BSD loopback (DLT_NULL), as bpf_mtap sees it"],
      ["net0", LINKTYPE.RAW, "net0: gw-a:em0 ↔ gw-b:em0 (raw IP)"],
    ]);
    expect(cap.packets.map((p) => p.interfaceId)).toEqual([2, 2, 2, 2, 2, 2]);
    // Links between hosts are captured where frames arrive: at the peer's ether_input.
    expect(cap.packets.map((p) => /^step \d+ · t=\d+µs · (\S+ \S+ → \S+):/.exec(p.comment ?? "")?.[1])).toEqual(
      ["gw-b", "gw-a", "gw-b", "gw-a", "gw-b", "gw-a"].map((h) => `${h} em0 → ether_input`),
    );
  });

  it("esp-replay: the replayed copy is in the capture, byte-identical to the original", () => {
    const cap = readPcapng(traceToPcapng(trace("esp-replay")));
    const net0 = cap.packets.filter((p) => cap.interfaces[p.interfaceId]?.name === "net0");
    expect(net0).toHaveLength(7);
    const first = net0[0]!;
    const copies = net0.filter((p) => toHex(p.data) === toHex(first.data));
    expect(copies).toHaveLength(2);
    expect(copies[1]!.timestampMicros - first.timestampMicros).toBe(500);
  });

  it("esp-tamper: the capture holds the frame as it arrived, with the flipped bit", () => {
    const t = trace("esp-tamper");
    const cap = readPcapng(traceToPcapng(t));
    const sent = t.events.filter((e) => e.kind === "link.tx" && e.link === "net0").map((e) => t.packets.at(e.packet)!.hex);
    const got = cap.packets.filter((p) => cap.interfaces[p.interfaceId]?.name === "net0").map((p) => toHex(p.data));
    expect(got).toHaveLength(sent.length);
    const differing = got.map((g, i) => (g === sent[i] ? -1 : i)).filter((i) => i >= 0);
    expect(differing).toEqual([1]);
    const a = fromHex(sent[1]!);
    const b = fromHex(got[1]!);
    expect(a[60]! ^ b[60]!).toBe(1 << 3);
  });

  it('link frames name the receiving function once, not "ether_input: ether_input:"', () => {
    const cap = readPcapng(traceToPcapng(trace("gw-esp-tunnel")));
    const net0 = cap.packets.filter((p) => cap.interfaces[p.interfaceId]?.name === "net0");
    expect(net0.length).toBeGreaterThan(0);
    for (const p of net0) {
      expect(p.comment).toMatch(/ em0 → ether_input: rcvif = em0/);
      expect(p.comment).not.toMatch(/ether_input: ether_input:/);
    }
  });

  it("esp-replay: the replayed copy has a fault on its link.rx event and a FAULT mark in its comment", () => {
    const t = trace("esp-replay");
    const faulted = t.events.filter((e) => e.kind === "link.rx" && e.fault !== undefined);
    expect(faulted.map((e) => (e.kind === "link.rx" ? e.fault?.kind : undefined))).toEqual(["replay"]);
    const cap = readPcapng(traceToPcapng(t));
    const marked = cap.packets.filter((p) => /FAULT replay/.test(p.comment ?? ""));
    expect(marked).toHaveLength(1);
    expect(marked[0]!.comment).toMatch(/\ninjected fault \(replay\): a copy of ESP\/AH packet 1 on net0, replayed 500µs later/);
    // The mark is on the copy, the second of the two identical frames, not on the original.
    const net0 = cap.packets.filter((p) => cap.interfaces[p.interfaceId]?.name === "net0");
    const copies = net0.filter((p) => toHex(p.data) === toHex(net0[0]!.data));
    expect(copies.map((p) => /FAULT/.test(p.comment ?? ""))).toEqual([false, true]);
  });

  it("esp-tamper: the frame with the flipped bit is marked, and its link.rx event says which bit", () => {
    const t = trace("esp-tamper");
    const faulted = t.events.filter((e) => e.kind === "link.rx" && e.fault !== undefined);
    expect(faulted).toHaveLength(1);
    const f = faulted[0]!;
    expect(f.kind === "link.rx" ? f.fault : undefined).toEqual({
      kind: "flip-bit",
      detail: "bit 3 of byte 60 flipped in transit on net0 (fault flip-bit, packet 2)",
    });
    const cap = readPcapng(traceToPcapng(t));
    const net0 = cap.packets.filter((p) => cap.interfaces[p.interfaceId]?.name === "net0");
    expect(net0.map((p) => /FAULT flip-bit/.test(p.comment ?? ""))).toEqual(net0.map((_, i) => i === 1));
  });

  it("is byte-identical for the same scenario", () => {
    const a = traceToPcapng(trace("lo0-esp-cbc-ping"));
    const loaded = loadScenario(builtinByName("lo0-esp-cbc-ping"));
    if (!loaded.ok) throw new Error("lo0-esp-cbc-ping does not load");
    expect(traceToPcapng(runScenario(loaded.scenario))).toEqual(a);
  });
});

describe("traceEspSas", () => {
  it("lists the ESP SA of lo0-esp-ping with the scenario's key", () => {
    expect(traceEspSas(trace("lo0-esp-ping"))).toEqual([
      {
        srcAddr: "127.0.0.1",
        dstAddr: "127.0.0.1",
        spi: 0x1000,
        enc: "aes-gcm-16",
        encKey: fromHex("0123456789abcdef0123456789abcdefcafebabe"),
        auth: "none",
        authKey: new Uint8Array(),
      },
    ]);
  });

  it("lists an SA configured the same on both gateways once, and both versions of a mismatched one", () => {
    expect(traceEspSas(trace("gw-esp-tunnel")).map((sa) => [sa.srcAddr, sa.dstAddr, sa.spi])).toEqual([
      ["10.0.0.1", "10.0.0.2", 0x2001],
      ["10.0.0.2", "10.0.0.1", 0x2002],
    ]);
    const wrong = traceEspSas(trace("esp-wrong-key"));
    expect(wrong.map((sa) => [sa.spi, toHex(sa.encKey).slice(0, 4)])).toEqual([
      [0x2001, "1111"],
      [0x2002, "2222"],
      [0x2001, "3333"],
    ]);
  });

  it("leaves out AH SAs (Wireshark's table is for ESP)", () => {
    expect(traceEspSas(trace("lo0-ah-ping"))).toEqual([]);
  });

  it("gives lines Wireshark's esp_sa table accepts (checked below with tshark)", () => {
    expect(espSaTableLines(traceEspSas(trace("lo0-esp-cbc-ping")))).toEqual([
      '"IPv4","127.0.0.1","127.0.0.1","0x00001200","AES-CBC [RFC3602]","0x00112233445566778899aabbccddeeff","HMAC-SHA-1-96 [RFC2404]","0x0102030405060708090a0b0c0d0e0f1011121314"',
    ]);
  });
});

describe("traceToJson", () => {
  it("parses back to the trace, one event and one packet version per line, deterministically", () => {
    const t = trace("lo0-esp-ping");
    // Format 1, every packet version whole (format 2's deltas: tests/export/traceJson.test.ts).
    const json = traceToJson(t, 1);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(t)));
    const lines = json.split("\n");
    expect(lines.filter((l) => l.startsWith('    {"seq":'))).toHaveLength(t.events.length);
    expect(lines.filter((l) => l.startsWith('    {"id":') && l.includes('"hex":'))).toHaveLength(t.packets.length);
    expect(json.endsWith("}\n")).toBe(true);
    expect(traceToJson(t, 1)).toBe(json);
  });
});

describe("Wireshark reads the captures", () => {
  it("lo0-ping: every packet is IPv4/ICMP with good checksums, on lo0, at its virtual time, with its comment", TSHARK, () => {
    const t = trace("lo0-ping");
    const rows = tsharkFields(pcapFile("lo0-ping"), [
      "frame.interface_name",
      "frame.time_epoch",
      "ip.version",
      "ip.proto",
      "ip.checksum.status",
      "icmp.type",
      "icmp.checksum.status",
      "_ws.malformed",
      "frame.comment",
    ]);
    expect(rows).toEqual(
      txEvents(t).map((e, i) => [
        "lo0",
        (e.t / 1e6).toFixed(9),
        "4",
        "1",
        GOOD,
        i % 2 === 0 ? "8" : "0",
        GOOD,
        "",
        `step ${e.seq + 1} · t=${e.t}µs · host ip_output → lo0: ${e.note}`,
      ]),
    );
  });

  it("lo0-esp-ping with the fix: every packet on lo0 is ESP, decrypts to an ICMP echo with a good ICV, sequence numbers 1..6", TSHARK, () => {
    const t = trace("lo0-esp-ping", [FIX]);
    const rows = tsharkFields(
      pcapFile("lo0-esp-ping", [FIX]),
      ["ip.proto", "esp.spi", "esp.sequence", "esp.icv_good", "icmp.type", "icmp.checksum.status"],
      {
        espSaFile: espSaTable(traceEspSas(t)),
      },
    );
    expect(rows).toEqual([1, 2, 3, 4, 5, 6].map((seq) => ["50", "0x00001000", String(seq), GOOD, seq % 2 === 1 ? "8" : "0", GOOD]));
  });

  it("…and a flipped ciphertext bit fails the ICV (the control for the check above)", TSHARK, () => {
    const t = trace("lo0-esp-ping", [FIX]);
    const cap = readPcapng(traceToPcapng(t));
    const first = cap.packets.at(0)!;
    const data = first.data.slice();
    data[40] = data[40]! ^ 0x01; // 20-byte IP header, 8-byte ESP header, 8-byte IV: well inside the ciphertext
    const path = join(dir, "tampered.pcapng");
    writeFileSync(path, writePcapng({ interfaces: cap.interfaces, packets: [{ interfaceId: 0, timestampMicros: first.timestampMicros, data }] }));
    expect(tsharkFields(path, ["esp.sequence", "esp.icv_good", "esp.icv_bad"], { espSaLines: espSaTableLines(traceEspSas(t)) })).toEqual([
      ["1", "0", "1"],
    ]);
  });

  it("lo0-esp-ping without the fix: the requests are ESP, the replies cross lo0 in cleartext", TSHARK, () => {
    const t = trace("lo0-esp-ping");
    const rows = tsharkFields(pcapFile("lo0-esp-ping"), ["ip.proto", "esp.sequence", "esp.icv_good", "icmp.type", "icmp.checksum.status"], {
      espSaLines: espSaTableLines(traceEspSas(t)),
    });
    expect(rows).toEqual([
      ["50", "1", GOOD, "8", GOOD],
      ["1", "", "", "0", GOOD],
      ["50", "2", GOOD, "8", GOOD],
      ["1", "", "", "0", GOOD],
      ["50", "3", GOOD, "8", GOOD],
      ["1", "", "", "0", GOOD],
    ]);
  });

  it("lo0-esp-cbc-ping with the fix: AES-CBC + HMAC-SHA1-96 decrypts, every ICV good", TSHARK, () => {
    const t = trace("lo0-esp-cbc-ping", [FIX]);
    const rows = tsharkFields(pcapFile("lo0-esp-cbc-ping", [FIX]), ["esp.spi", "esp.sequence", "esp.icv_good", "icmp.type", "icmp.checksum.status"], {
      espSaLines: espSaTableLines(traceEspSas(t)),
    });
    expect(rows).toEqual([1, 2, 3, 4, 5, 6].map((seq) => ["0x00001200", String(seq), GOOD, seq % 2 === 1 ? "8" : "0", GOOD]));
  });

  it("lo0-ah-ping with the fix: every packet is AH over ICMP; tshark 4.0 does not check AH ICVs, so we recompute them", TSHARK, () => {
    const t = trace("lo0-ah-ping", [FIX]);
    const path = pcapFile("lo0-ah-ping", [FIX]);
    const rows = tsharkFields(path, ["ah.spi", "ah.sequence", "ah.next_header", "ah.icv", "ip.checksum.status", "icmp.type", "icmp.checksum.status"]);
    const sa = t.scenario.hosts[0]!.sad[0]!;
    const key = fromHex(sa.authKey.replace(/^0x/, ""));
    const expected = readPcapng(traceToPcapng(t)).packets.map((p, i) => {
      // RFC 4302 §3.3.3.1: the ICV covers the IP header with TOS, flags/offset, TTL and checksum
      // zeroed, the AH header with its ICV zeroed, and the payload.
      const m = p.data.slice();
      for (const at of [1, 6, 7, 8, 10, 11]) m[at] = 0;
      const ahLen = (m[21]! + 2) * 4;
      m.fill(0, 32, 20 + ahLen);
      const icv = hmac(sha256, key, m).slice(0, 16);
      return ["0x00001100", String(i + 1), "1", toHex(icv), GOOD, i % 2 === 0 ? "8" : "0", GOOD];
    });
    expect(rows).toEqual(expected);
  });

  it("gw-esp-tunnel: ESP on net0 with the right SPIs; the ChaCha20-Poly1305 key lines are as Wireshark 4.2+ expects", TSHARK, () => {
    const t = trace("gw-esp-tunnel");
    const path = pcapFile("gw-esp-tunnel");
    const rows = tsharkFields(path, ["frame.interface_name", "ip.src", "ip.dst", "ip.proto", "esp.spi", "esp.sequence", "ip.checksum.status"]);
    expect(rows).toEqual(
      [1, 1, 2, 2, 3, 3].map((seq, i) =>
        i % 2 === 0
          ? ["net0", "10.0.0.1", "10.0.0.2", "50", "0x00002001", String(seq), GOOD]
          : ["net0", "10.0.0.2", "10.0.0.1", "50", "0x00002002", String(seq), GOOD],
      ),
    );
    const lines = espSaTableLines(traceEspSas(t));
    expect(lines).toEqual([
      `"IPv4","10.0.0.1","10.0.0.2","0x00002001","ChaCha20 with Poly1305 [RFC7634]","0x${"11".repeat(32)}a0a1a2a3","NULL",""`,
      `"IPv4","10.0.0.2","10.0.0.1","0x00002002","ChaCha20 with Poly1305 [RFC7634]","0x${"22".repeat(32)}b0b1b2b3","NULL",""`,
    ]);
    const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(tsharkVersion()) ?? []).slice(1).map(Number);
    if (major * 100 + minor < 402) {
      // Wireshark 4.0 has no ChaCha20-Poly1305 in its esp_sa table (docs/cli.md says so).
      expect(() => tsharkFields(path, ["esp.icv_good"], { espSaLines: lines })).toThrow(/invalid value: ChaCha20 with Poly1305 \[RFC7634\]/);
    } else {
      const decrypted = tsharkFields(path, ["esp.icv_good", "icmp.type"], { espSaLines: lines });
      // Tunnel mode: the inner packet is 192.168.1.1 ↔ 192.168.2.1, an echo request then its reply.
      expect(decrypted).toEqual([1, 2, 3, 4, 5, 6].map((n) => [GOOD, n % 2 === 1 ? "8" : "0"]));
    }
  });
  it("frag-esp: tshark -o ip.defragment:TRUE reassembles each ESP datagram from its two fragments, decrypts it, no malformed frames", TSHARK, () => {
    const t = trace("frag-esp");
    const rows = tsharkFields(
      pcapFile("frag-esp"),
      ["ip.flags.mf", "ip.frag_offset", "ip.reassembled.length", "esp.spi", "esp.icv_good", "icmp.type", "icmp.checksum.status", "_ws.malformed"],
      { espSaLines: espSaTableLines(traceEspSas(t)), args: ["-o", "ip.defragment:TRUE"] },
    );
    // 2964-byte ESP datagrams at MTU 1500: 1480 data bytes at offset 0 with MF, then 1464 at offset 185 (× 8).
    expect(rows).toEqual([
      ["1", "0", "", "", "", "", "", ""],
      ["0", "185", "2944", "0x00003001", GOOD, "8", GOOD, ""],
      ["1", "0", "", "", "", "", "", ""],
      ["0", "185", "2944", "0x00003002", GOOD, "0", GOOD, ""],
    ]);
  });

  it(
    "routed-ping and pmtu-discovery: the ICMP time exceeded and need-frag are real frames (type, code, next-hop MTU, good checksums)",
    TSHARK,
    () => {
      const te = tsharkFields(pcapFile("routed-ping"), ["icmp.type", "icmp.code", "icmp.checksum.status", "ip.checksum.status", "_ws.malformed"], {
        args: ["-Y", "icmp.type == 11"],
      });
      // tshark dissects the quoted echo request too: type 8 code 0 inside, its checksum unverifiable
      // (2: only 8 bytes of it are quoted), the quoted IP header's checksum good.
      expect(te).toEqual([[`11,8`, "0,0", `${GOOD},2`, `${GOOD},${GOOD}`, ""]]);
      const nf = tsharkFields(pcapFile("pmtu-discovery"), ["ip.src", "ip.dst", "icmp.code", "icmp.mtu", "icmp.checksum.status", "_ws.malformed"], {
        args: ["-Y", "icmp.type == 3"],
      });
      // ip.src/ip.dst list the outer header, then the quoted ESP packet's (gw-a → gw-b).
      expect(nf).toEqual([["10.0.1.2,10.0.1.1", "10.0.1.1,10.0.2.2", "4", "1400", GOOD, ""]]);
    },
  );
});
