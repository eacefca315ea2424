/**
 * Key-management messages in the pcapng capture: netlink as nlmon records it (LINKTYPE_NETLINK,
 * its own interface per host), read back by our strict reader and by the real Wireshark
 * (tshark), which must decode the netlink header; PF_KEY on USER0 with its setkey decode.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LINKTYPE, espSaTableLines, readPcapng, traceEspSas, traceToPcapng } from "../../../src/export";
import { eventsOf, runBuiltin } from "../../helpers/trace";
import { tsharkFields } from "../../support/tshark";

const TSHARK = { timeout: 120_000 };
const dir = mkdtempSync(join(tmpdir(), "tagflow-keying-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const xfrm = runBuiltin("libreswan-ondemand");
const xfrmPcap = traceToPcapng(xfrm);
const xfrmFile = join(dir, "ondemand.pcapng");
writeFileSync(xfrmFile, xfrmPcap);

describe("netlink in the capture", () => {
  it("puts every XFRM message delivered on a per-host nlmon0 interface with the 16-byte cooked header", () => {
    const cap = readPcapng(xfrmPcap);
    const nl = cap.interfaces.flatMap((itf, i) => (itf.linkType === LINKTYPE.NETLINK ? [i] : []));
    expect(nl.map((i) => cap.interfaces[i]!.name)).toEqual(["west:nlmon0", "east:nlmon0"]);
    const frames = cap.packets.filter((p) => nl.includes(p.interfaceId));
    const delivered = eventsOf(xfrm, "deliver").filter((e) => e.socket.startsWith("NETLINK_XFRM"));
    expect(frames).toHaveLength(delivered.length);
    const f = frames[0]!;
    // pkttype PACKET_HOST, ARPHRD_NETLINK 824, halen 0, address 0, family NETLINK_XFRM 6 (all big-endian), then the message.
    expect(Array.from(f.data.subarray(0, 16))).toEqual([0, 0, 0x03, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]);
    expect(new DataView(f.data.buffer, f.data.byteOffset).getUint32(16, true)).toBe(f.data.length - 16);
    expect(f.comment).toContain("XFRM_MSG_UPDPOLICY");
    expect(f.comment).toContain("\tdir out priority 2084814");
  });

  it("tshark decodes the netlink header of every message: family IPsec, type, length, seq", TSHARK, () => {
    const rows = tsharkFields(xfrmFile, ["frame.interface_name", "netlink.hatype", "netlink.family", "netlink.hdr_type", "netlink.hdr_len"]);
    const nl = rows.filter((r) => r[0]!.endsWith(":nlmon0"));
    const delivered = eventsOf(xfrm, "deliver").filter((e) => e.socket.startsWith("NETLINK_XFRM"));
    expect(nl).toHaveLength(delivered.length);
    expect(new Set(nl.map((r) => `${r[1]} ${r[2]}`))).toEqual(new Set(["824 0x0006"]));
    // An ACK (NLMSG_ERROR) also carries the request header, which tshark decodes too: take the outer one.
    const types = new Set(nl.map((r) => Number(r[3]!.split(",")[0])));
    // UPDPOLICY 0x19, ACK (NLMSG_ERROR 2), ACQUIRE 0x17, ALLOCSPI 0x16, NEWSA 0x10, UPDSA 0x1a, EXPIRE 0x18, DELSA 0x11.
    expect([...types].sort((a, b) => a - b)).toEqual([0x2, 0x10, 0x11, 0x16, 0x17, 0x18, 0x19, 0x1a]);
    const acquire = nl.find((r) => Number(r[3]) === 0x17)!;
    expect(Number(acquire[4])).toBe(376);
    // The ESP frames are still there, on net0.
    expect(rows.filter((r) => r[0] === "net0")).toHaveLength(26);
  });
});

describe("PF_KEY in the capture", () => {
  it("puts PF_KEY messages on USER0 with setkey's decode in the comment", () => {
    const t = runBuiltin("ondemand-pfkeyv2");
    const cap = readPcapng(traceToPcapng(t));
    const pf = cap.interfaces.flatMap((itf, i) => (itf.linkType === LINKTYPE.USER0 ? [i] : []));
    expect(pf.map((i) => cap.interfaces[i]!.name)).toEqual(["west:pfkey", "east:pfkey"]);
    const frames = cap.packets.filter((p) => pf.includes(p.interfaceId));
    expect(frames.length).toBe(eventsOf(t, "deliver").filter((e) => e.socket.startsWith("PF_KEY")).length);
    const spdadd = frames.find((p) => p.comment?.includes("PF_KEY (kernel): SADB_X_SPDADD"))!;
    expect(spdadd.data[0]).toBe(2); // PF_KEY_V2
    expect(spdadd.comment).toContain("192.0.2.1[any] 192.0.2.2[any] any\n\tout ipsec\n\tesp/tunnel/192.0.2.1-192.0.2.2/require#16389");
    const add = frames.find((p) => p.comment?.includes("PF_KEY (kernel): SADB_ADD"))!;
    expect(add.comment).toMatch(/\tesp mode=tunnel spi=\d+\(0x[0-9a-f]{8}\) reqid=16389\(0x00004005\)/);
  });
});

describe("the negotiated SAs in the ESP key table", () => {
  it("lists each SA the daemons installed once, and Wireshark decrypts every ESP frame with it", TSHARK, () => {
    const sas = traceEspSas(xfrm);
    // Two generations (the first pair, then the rekey), each one SA per direction.
    expect(sas).toHaveLength(4);
    expect(sas.every((s) => s.enc === "aes-gcm-16" && s.encKey.length === 20)).toBe(true);
    const rows = tsharkFields(xfrmFile, ["frame.interface_name", "esp.spi", "esp.icv_good", "icmp.type"], {
      espSaLines: espSaTableLines(sas),
    }).filter((r) => r[0] === "net0");
    expect(rows).toHaveLength(26);
    expect(rows.every((r) => r[2] === "1" || r[2] === "True")).toBe(true);
    expect(new Set(rows.map((r) => r[3]))).toEqual(new Set(["8", "0"]));
    expect(new Set(rows.map((r) => r[1])).size).toBe(4);
  });
});

describe("the capture of a linux-xfrm run (pluto on the Linux stack)", () => {
  const linux = runBuiltin("libreswan-ondemand", { personality: "linux-xfrm" });
  const file = join(dir, "ondemand-linux.pcapng");
  writeFileSync(file, traceToPcapng(linux));

  it("tshark decodes every netlink frame, and decrypts every ESP tunnel frame with the negotiated SAs", TSHARK, () => {
    const delivered = eventsOf(linux, "deliver").filter((e) => e.socket.startsWith("NETLINK_XFRM"));
    const sas = traceEspSas(linux);
    expect(sas).toHaveLength(4);
    const rows = tsharkFields(
      file,
      ["frame.interface_name", "netlink.family", "netlink.hdr_type", "esp.spi", "esp.icv_good", "icmp.type", "ip.src"],
      {
        espSaLines: espSaTableLines(sas),
      },
    );
    const nl = rows.filter((r) => r[0]!.endsWith(":nlmon0"));
    expect(nl).toHaveLength(delivered.length);
    expect(new Set(nl.map((r) => r[1]))).toEqual(new Set(["0x0006"]));
    expect(nl.some((r) => Number(r[2]!.split(",")[0]) === 0x17)).toBe(true); // XFRM_MSG_ACQUIRE
    const esp = rows.filter((r) => r[0] === "net0");
    expect(esp).toHaveLength(26);
    expect(esp.every((r) => r[4] === "1" || r[4] === "True")).toBe(true);
    // Tunnel mode: Wireshark shows the outer and the decrypted inner IPv4 header, then the echo.
    expect(new Set(esp.map((r) => r[5]))).toEqual(new Set(["8", "0"]));
    expect(esp.every((r) => r[6]!.split(",").length === 2)).toBe(true);
  });
});
