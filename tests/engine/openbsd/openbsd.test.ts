/**
 * Seed 003 on openbsd-2003 (kernel-notes §9): records (OUT_DONE, IN_DONE, GIF) and reminders
 * (OUT_CRYPTO_NEEDED), each function's branches, and each scenario's verdict under each switch.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PERSONALITIES, TAG_CLASS } from "../../../src/engine/kernels/personality";
import { readPcapng, traceToPcapng } from "../../../src/export";
import { decryptsWith, echoRequest, esp, expectIpv4, icmp, spi } from "../../helpers/checkers";
import { bytesOf, decisions, eventsOf, findingIds, packetOf, saKeys, severityOf, traceOf, transmitted } from "../../helpers/trace";
import { runTshark, tsharkFields } from "../../support/tshark";

const records = () => traceOf("openbsd-records");
const offload = () => traceOf("openbsd-offload-whatif");
const ignored = () => traceOf("openbsd-offload-whatif", { fixes: ["driver-ignores-reminder"] });

describe("openbsd-2003 personality", () => {
  it("numbers tags as OpenBSD's mbuf.h (1.75) and classes every tag type record or reminder", () => {
    const p = PERSONALITIES["openbsd-2003"];
    expect(p.tagIds).toMatchObject({ IPSEC_IN_DONE: 1, IPSEC_OUT_DONE: 2, IPSEC_OUT_CRYPTO_NEEDED: 4, IPSEC_PENDING_TDB: 6, GIF: 8 });
    expect(Object.keys(TAG_CLASS).sort()).toEqual(Object.keys(p.tagIds).sort());
    expect(TAG_CLASS.IPSEC_OUT_DONE).toBe("record");
    expect(TAG_CLASS.IPSEC_IN_DONE).toBe("record");
    expect(TAG_CLASS.GIF).toBe("record");
    expect(TAG_CLASS.IPSEC_OUT_CRYPTO_NEEDED).toBe("reminder");
    expect(TAG_CLASS.IPSEC_PENDING_TDB).toBe("reminder");
  });

  it("every tag the trace records carries its class and the personality's number", () => {
    const tags = eventsOf(offload(), "tag.get").map((e) => e.tag);
    expect(new Set(tags.map((t) => `${t.name}=${t.id}:${t.class}`))).toEqual(
      new Set(["IPSEC_OUT_CRYPTO_NEEDED=4:reminder", "IPSEC_OUT_DONE=2:record", "IPSEC_IN_DONE=1:record"]),
    );
  });

  it("narration names OpenBSD's functions on an OpenBSD run, FAST_IPSEC's on a NetBSD one", () => {
    const fns = new Set(records().events.map((e) => e.fn));
    for (const f of ["ipsp_spd_lookup", "ipsp_process_done", "ipsec_local_check", "ipsec_common_input_cb"]) expect(fns).toContain(f);
    for (const f of ["ipsec4_checkpolicy", "ipsec_process_done", "ipsec4_common_input_cb"]) expect(fns).not.toContain(f);
    expect(records().events.some((e) => e.note.includes("ipsec_process_done"))).toBe(false);
    const nb = new Set(traceOf("openbsd-records", { personality: "netbsd-2003" }).events.map((e) => e.fn));
    expect(nb).toContain("ipsec_process_done");
    expect(nb).not.toContain("ipsp_process_done");
  });
});

describe("esp_input's IN_CRYPTO_DONE lookup", () => {
  it("is compiled out on openbsd-2003 (#ifdef notyet, mtag = NULL) and live on netbsd-2003", () => {
    const finds = (t: ReturnType<typeof records>) => eventsOf(t, "tag.find").filter((e) => e.name === "IPSEC_IN_CRYPTO_DONE");
    expect(finds(records())).toEqual([]);
    expect(finds(traceOf("openbsd-records", { personality: "netbsd-2003" })).length).toBe(4);
  });
});

describe("openbsd-records", () => {
  it("is secure: two echoes answered, the forgery rejected", () => {
    const t = records();
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 2, delivered: 2 });
    expect(severityOf(t, "forged-packet-rejected")).toBe("info");
  });

  it("ip_output's second pass finds the OUT_DONE record naming the TDB and sends the ESP packet once", () => {
    const t = records();
    const west = decisions(t, "ipsec-loop").filter((d) => d.host === "west");
    expect(west.map((d) => d.branch)).toEqual(["apply IPsec", "skip IPsec", "apply IPsec", "skip IPsec"]);
    const hit = west[1]!.consulted.find((c) => c.kind === "tag");
    expect(hit).toMatchObject({
      kind: "tag",
      name: "IPSEC_OUT_DONE",
      tag: { class: "record", tdbi: { dst: "10.0.0.2", proto: "esp", spi: 0x1001 } },
    });
    // Once encrypted: each request on the wire is one ESP layer over ICMP.
    const keys = saKeys(t, 0x1001, "west");
    const requests = transmitted(t, "net0").filter((w) => w.event.host === "west");
    expect(requests).toHaveLength(2);
    for (const w of requests) expectIpv4(w.bytes, esp(spi(0x1001), decryptsWith(keys, icmp(echoRequest()))));
  });

  it("east accepts the decrypted echo through its IN_DONE record and rejects the forged cleartext one that has none", () => {
    const t = records();
    const checks = decisions(t, "ipsec-in-reject").filter((d) => d.host === "east");
    expect(checks.map((d) => d.branch)).toEqual(["accept", "accept", "reject"]);
    expect(checks[0]!.consulted[0]).toMatchObject({ kind: "tag", name: "IPSEC_IN_DONE", tag: { tdbi: { spi: 0x1001 } } });
    expect(checks[2]!.consulted[0]).toMatchObject({ kind: "tag", name: "IPSEC_IN_DONE", tag: null });
    const forged = eventsOf(t, "link.rx").find((e) => e.fault?.kind === "forge")!;
    expect(forged.host).toBe("east");
    expectIpv4(bytesOf(t, forged), icmp(echoRequest()));
    const drop = eventsOf(t, "drop").find((e) => e.chain === forged.chain)!;
    expect(drop.reason).toBe("ipsec-policy-reject");
  });

  it("ESP itself is not policy-checked in ip_input (a protected packet for us)", () => {
    const t = records();
    const skips = decisions(t, "pr-lasthdr").filter((d) => d.fn === "ipsec_local_check");
    expect(skips.length).toBe(4);
    expect(skips.every((d) => d.branch === "no policy check")).toBe(true);
  });

  it("no-ipsec-loop-check: the ESP packet is encrypted again and again — the first real `loop`, ended by the step limit", () => {
    const t = traceOf("openbsd-records", { fixes: ["no-ipsec-loop-check"] });
    expect(t.outcome.verdict).toBe("loop");
    expect(findingIds(t)).toContain("step-limit");
    expect(eventsOf(t, "link.tx")).toEqual([]);
    const layers = eventsOf(t, "tag.prepend").filter((e) => e.tag.name === "IPSEC_OUT_DONE");
    expect(layers.length).toBeGreaterThan(20);
    expect(new Set(layers.map((e) => e.chain)).size).toBe(1);
    // Each pass adds a layer: the packet only grows.
    const lens = eventsOf(t, "tag.prepend").map((e) => packetOf(t, e).hex.length);
    for (let i = 1; i < lens.length; i++) expect(lens[i]!).toBeGreaterThan(lens[i - 1]!);
  });
});

describe("openbsd-offload-whatif (hypothetical NIC)", () => {
  it("TDBF_SKIPCRYPTO: esp_output skips the cipher, ipsp_process_done leaves an OUT_CRYPTO_NEEDED reminder, the loop check treats it as done", () => {
    const t = offload();
    expect(decisions(t, "skip-crypto").filter((d) => d.fn === "esp_output")).toHaveLength(3);
    const firstLoop = decisions(t, "ipsec-loop").filter((d) => d.host === "west")[1]!;
    expect(firstLoop.branch).toBe("skip IPsec");
    expect(firstLoop.consulted[0]).toMatchObject({ name: "IPSEC_OUT_CRYPTO_NEEDED", tag: { class: "reminder" } });
  });

  it("em0 (IFCAP_IPSEC, hypothetical) honours the reminder: real ciphertext on net0 that east decrypts", () => {
    const t = offload();
    const honoured = decisions(t, "reminder");
    expect(honoured.map((d) => d.branch)).toEqual(["honour: encrypt in the NIC", "honour: encrypt in the NIC"]);
    const keys = saKeys(t, 0x2001, "west");
    const wire = transmitted(t, "net0").filter((w) => w.event.host === "west");
    expect(wire).toHaveLength(2);
    for (const w of wire) {
      expect(w.packet.tags.filter((x) => x.class === "reminder")).toEqual([]);
      expectIpv4(w.bytes, esp(spi(0x2001), decryptsWith(keys, icmp(echoRequest()))));
    }
    expect(findingIds(t)).not.toContain("reminder-unhonoured");
  });

  it("fxp0 lacks IFCAP_IPSEC: ip_output unmarks the TDB and drops; the next echo takes the software path with an OUT_DONE record", () => {
    const t = offload();
    const cap = decisions(t, "ipsec-capability");
    expect(cap.map((d) => `${d.branch}`)).toEqual(["to the NIC", "to the NIC", "unmark TDB, drop"]);
    const unmark = eventsOf(t, "sa.update").find((e) => e.fn === "ipsp_skipcrypto_unmark")!;
    expect(unmark.sa).toContain("0x00002101");
    expect(eventsOf(t, "drop").map((e) => e.reason)).toEqual(["ipsec-crypto-needed"]);
    const north = transmitted(t, "net1").filter((w) => w.event.host === "west");
    expect(north).toHaveLength(1);
    expectIpv4(north[0]!.bytes, esp(spi(0x2101), decryptsWith(saKeys(t, 0x2101, "west"), icmp(echoRequest()))));
    expect(t.outcome).toMatchObject({ verdict: "dropped", sent: 4, delivered: 3 });
  });

  it("driver-ignores-reminder: ESP-formatted plaintext on the wire, east's ICV check fails, finding reminder-unhonoured", () => {
    const t = ignored();
    expect(t.outcome.verdict).toBe("insecure");
    expect(severityOf(t, "reminder-unhonoured")).toBe("critical");
    const wire = transmitted(t, "net0").filter((w) => w.event.host === "west");
    expect(wire.length).toBeGreaterThan(0);
    for (const w of wire) {
      expect(w.packet.tags.map((x) => x.name)).toContain("IPSEC_OUT_CRYPTO_NEEDED");
      // The ICMP echo request sits in the clear right after the ESP header and 8-byte IV.
      expect(w.bytes[9]).toBe(50);
      expect(w.bytes[20 + 16]).toBe(8);
    }
    expect(eventsOf(t, "drop").some((e) => e.host === "east" && e.reason === "ipsec-icv")).toBe(true);
  });
});

describe("openbsd-offload-whatif capture", () => {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-openbsd-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the unhonoured reminder's frame in the pcapng carries the echo request in plaintext inside ESP", () => {
    const cap = readPcapng(traceToPcapng(ignored()));
    const esp0 = cap.packets.find((p) => p.data[9] === 50 && p.data[16] === 10 && p.data[19] === 2)!;
    const icmpAt = 20 + 16;
    expect(esp0.data[icmpAt]).toBe(8);
    // ping's id 0x1234 right where ICMP puts it.
    expect((esp0.data[icmpAt + 4]! << 8) | esp0.data[icmpAt + 5]!).toBe(0x1234);
    // With the NIC honouring the reminder the same bytes are ciphertext.
    const good = readPcapng(traceToPcapng(offload())).packets.find((p) => p.data[9] === 50 && p.data[16] === 10 && p.data[19] === 2)!;
    expect((good.data[icmpAt + 4]! << 8) | good.data[icmpAt + 5]!).not.toBe(0x1234);
  });

  it("Wireshark shows it: an ESP packet (SPI 0x2001) whose bytes after the header and IV are ping's echo request", { timeout: 120_000 }, () => {
    const path = join(dir, "ignored.pcapng");
    writeFileSync(path, traceToPcapng(ignored()));
    expect(tsharkFields(path, ["ip.src", "ip.proto", "esp.spi"], { args: ["-Y", "esp.spi == 0x2001"] })[0]).toEqual(["10.0.0.1", "50", "0x00002001"]);
    // tshark's own hex dump of that frame (-x): no key is needed to read the payload.
    const dump = runTshark(path, ["-x", "-Y", "esp.spi == 0x2001"]);
    const first = dump.split(/\n\s*\n/)[0]!;
    const bytes = first
      .split("\n")
      .map((l) => /^[0-9a-f]{4} {2}((?:[0-9a-f]{2} )+)/.exec(l)?.[1] ?? "")
      .join("")
      .trim()
      .split(/\s+/)
      .map((h) => parseInt(h, 16));
    // 20-byte IP header, SPI, sequence, 8-byte IV, then ICMP: type 8, code 0, checksum, id 0x1234, seq 0, data 08 09 0a …
    expect(bytes.slice(36, 38)).toEqual([8, 0]);
    expect(bytes.slice(40, 44)).toEqual([0x12, 0x34, 0, 0]);
    expect(bytes.slice(52, 56)).toEqual([8, 9, 10, 11]);
  });
});

describe("openbsd-gif-loop", () => {
  it("openbsd-2003: gif_start finds its own GIF record on the re-routed packet and drops it", () => {
    const t = traceOf("openbsd-gif-loop");
    const d = decisions(t, "gif-loop");
    expect(d.map((x) => x.branch)).toEqual(["no: encapsulate", "loop: drop"]);
    expect(d[1]!.consulted[0]).toMatchObject({ kind: "tag", name: "GIF", tag: { ifname: "gif0", class: "record", id: 8 } });
    expect(eventsOf(t, "drop").map((e) => e.reason)).toEqual(["gif-loop"]);
    expect(t.outcome.verdict).toBe("dropped");
    // The first pass really encapsulated: IPIP 10.0.0.1 → 10.9.9.9 around the echo.
    const enc = eventsOf(t, "mbuf.rewrite").find((e) => e.fn === "in_gif_output")!;
    const hex = packetOf(t, enc).hex;
    expect(hex.slice(18, 20)).toBe("04");
  });

  it("netbsd-2003: KAME's counter is reset before gifintr encapsulates, never passes 1 — `loop` to the step limit", () => {
    const t = traceOf("openbsd-gif-loop", { personality: "netbsd-2003" });
    expect(t.outcome.verdict).toBe("loop");
    expect(findingIds(t)).toContain("step-limit");
    const d = decisions(t, "gif-loop");
    expect(d.length).toBeGreaterThan(20);
    expect(d.every((x) => x.branch === "no: queue" && x.consulted[0]!.kind === "switch" && x.consulted[0]!.value === "1")).toBe(true);
    expect(eventsOf(t, "tag.get")).toEqual([]);
  });
});

describe("offload-rx-whatif: IN_CRYPTO_DONE, FreeBSD's live path against OpenBSD's #ifdef notyet", () => {
  const east = (t: ReturnType<typeof traceOf>) => t.events.filter((e) => e.host === "east");

  it("on freebsd-7 esp_input finds the NIC's record after the replay check, sends no crypto request, and the tag is retyped to IN_DONE", () => {
    const t = traceOf("offload-rx-whatif");
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 2, delivered: 2 });
    const e = east(t);
    // The NIC decrypted in place and left the record.
    expect(e.filter((x) => x.kind === "decision" && x.check === "rx-offload").map((x) => x.kind === "decision" && x.branch)).toEqual([
      "ICV ok: decrypt in the NIC",
      "ICV ok: decrypt in the NIC",
    ]);
    // East's software crypto never ran on input: its only crypto requests are for the replies.
    expect(e.filter((x) => x.kind === "crypto.submit").map((x) => x.kind === "crypto.submit" && x.op)).toEqual(["encrypt", "encrypt"]);
    expect(e.filter((x) => x.kind === "crypto.done" && x.op === "decrypt")).toEqual([]);
    // FreeBSD's order: ipsec_chkreplay, then the IN_CRYPTO_DONE lookup.
    const fns = e.filter((x) => x.fn === "esp_input").map((x) => (x.kind === "decision" ? x.check : x.kind));
    expect(fns.slice(0, 3)).toEqual(["replay", "tag.find", "icv"]);
    const retypes = eventsOf(t, "tag.retype");
    expect(retypes).toHaveLength(2);
    for (const r of retypes) {
      expect(r.fn).toBe("ipsec4_common_input_cb");
      expect([r.from.name, r.to.name]).toEqual(["IPSEC_IN_CRYPTO_DONE", "IPSEC_IN_DONE"]);
      expect(r.to.tdbi).toEqual(r.from.tdbi);
      expect(r.to.uid).not.toBe(r.from.uid);
    }
    // No second IN_DONE is allocated on east: the record became IPsec's.
    expect(eventsOf(t, "tag.get").filter((g) => g.host === "east" && g.tag.name === "IPSEC_IN_DONE")).toEqual([]);
    expect(findingIds(t)).not.toContain("record-unread");
    // The layout records what the NIC left: once esp_input_cb has read the trailer the payload is
    // plaintext ICMP (never "encrypted"), and after the strips it is an IPv4 + ICMP datagram.
    const hdrsAt = (seq: number) => t.packets.at(t.events.at(seq)!.packet)!.hdrs.map((h) => `${h.kind}:${h.len}:${h.state}`);
    const icvTrim = e.find((x) => x.kind === "mbuf.adj" && x.fn === "esp_input_cb")!;
    expect(hdrsAt(icvTrim.seq)).toEqual(["ipv4:20:plain", "esp:16:plain", "icmp:64:plain", "esp-trailer:4:plain", "esp-icv:16:trimmed"]);
    expect(hdrsAt(retypes[0]!.seq)).toEqual(["ipv4:20:plain", "icmp:64:plain"]);
  });

  it("on openbsd-2003 the record is never read: the software crypto runs on plaintext and the ICV fails (finding record-unread)", () => {
    const t = traceOf("offload-rx-whatif", { personality: "openbsd-2003" });
    expect(t.outcome).toMatchObject({ verdict: "dropped", sent: 2, delivered: 0 });
    expect(decisions(t, "rx-offload").map((d) => d.branch)).toEqual([
      "ICV ok: decrypt in the NIC",
      "not looked for (#ifdef notyet)",
      "ICV ok: decrypt in the NIC",
      "not looked for (#ifdef notyet)",
    ]);
    expect(eventsOf(t, "tag.find").filter((f) => f.name === "IPSEC_IN_CRYPTO_DONE")).toEqual([]);
    expect(eventsOf(t, "tag.retype")).toEqual([]);
    expect(eventsOf(t, "drop").map((d) => `${d.host}:${d.reason}`)).toEqual(["east:ipsec-icv", "east:ipsec-icv"]);
    expect(severityOf(t, "record-unread")).toBe("warning");
  });

  it("without the ipsec-rx capability nothing is left for esp_input to find", () => {
    const t = traceOf("lo0-esp-ping", { personality: "freebsd-7" });
    expect(eventsOf(t, "tag.retype")).toEqual([]);
    expect(decisions(t, "rx-offload")).toEqual([]);
  });
});
