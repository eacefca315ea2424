import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LINKTYPE, WIRESHARK_AUTH_NAME, WIRESHARK_ENC_NAME, espSaTable, espSaTableLines, writePcapng } from "../../src/export";
import type { EspSaForExport } from "../../src/export";
import { tsharkFields, tsharkJson, tsharkVersion } from "../support/tshark";
import { IPPROTO_ESP, counting, espPayload, icmpEcho, ipv4 } from "./packets";
import type { TestSa } from "./packets";

const NO_KEY = new Uint8Array();

const CBC_SHA1: EspSaForExport = {
  srcAddr: "10.0.0.1",
  dstAddr: "10.0.0.2",
  spi: 0x1000,
  enc: "aes-cbc",
  encKey: counting(16, 0x50),
  auth: "hmac-sha1-96",
  authKey: counting(20, 0x60),
};

const GCM: EspSaForExport = {
  srcAddr: "10.0.0.2",
  dstAddr: "10.0.0.1",
  spi: 0xdeadbeef,
  enc: "aes-gcm-16",
  encKey: counting(20, 0x40),
  auth: "none",
  authKey: NO_KEY,
};

describe("espSaTableLines", () => {
  it("writes the 8 quoted fields of Wireshark's esp_sa UAT", () => {
    expect(espSaTableLines([CBC_SHA1, GCM])).toEqual([
      `"IPv4","10.0.0.1","10.0.0.2","0x00001000","AES-CBC [RFC3602]","0x505152535455565758595a5b5c5d5e5f",` +
        `"HMAC-SHA-1-96 [RFC2404]","0x606162636465666768696a6b6c6d6e6f70717273"`,
      `"IPv4","10.0.0.2","10.0.0.1","0xdeadbeef","AES-GCM with 16 octet ICV [RFC4106]",` + `"0x404142434445464748494a4b4c4d4e4f50515253","NULL",""`,
    ]);
  });

  it("spells the algorithms as Wireshark's esp_*_type_vals do", () => {
    // Read from epan/dissectors/packet-ipsec.c and from libwireshark.so of Wireshark 4.0.17.
    expect(WIRESHARK_ENC_NAME).toEqual({
      "aes-gcm-16": "AES-GCM with 16 octet ICV [RFC4106]",
      "chacha20-poly1305": "ChaCha20 with Poly1305 [RFC7634]",
      "aes-cbc": "AES-CBC [RFC3602]",
      null: "NULL",
      "3des-cbc": "TripleDES-CBC [RFC2451]",
    });
    expect(WIRESHARK_AUTH_NAME).toEqual({
      "hmac-sha1-96": "HMAC-SHA-1-96 [RFC2404]",
      "hmac-sha256-128": "HMAC-SHA-256-128 [RFC4868]",
      none: "NULL",
      "hmac-md5-96": "HMAC-MD5-96 [RFC2403]",
    });
  });

  it("marks IPv6 SAs and passes wildcards through", () => {
    const [line] = espSaTableLines([{ ...CBC_SHA1, srcAddr: "2001:db8::1", dstAddr: "*", spi: 0xffffffff }]);
    expect(line).toMatch(/^"IPv6","2001:db8::1","\*","0xffffffff",/);
  });

  it.each([
    ["a negative SPI", { spi: -1 }, /SPI/],
    ["a 33-bit SPI", { spi: 2 ** 32 }, /SPI/],
    ["a quote in an address", { srcAddr: '10.0.0.1","' }, /not an IP address/],
    ["mixed IP versions", { dstAddr: "::1" }, /different IP versions/],
    ["a 15-byte AES-CBC key", { encKey: counting(15) }, /aes-cbc needs a 16 or 24 or 32-byte key, got 15/],
    ["a GCM key without salt", { ...GCM, encKey: counting(16) }, /20 or 28 or 36-byte key/],
    ["GCM with a separate integrity algorithm", { ...GCM, auth: "hmac-sha1-96", authKey: counting(20) }, /combined-mode/],
    ["an HMAC without a key", { authKey: NO_KEY }, /hmac-sha1-96 with a 0-byte key/],
  ] satisfies [string, Partial<EspSaForExport>, RegExp][])("rejects %s", (_name, change, message) => {
    expect(() => espSaTableLines([{ ...CBC_SHA1, ...change }])).toThrow(message);
  });
});

describe("espSaTable", () => {
  it("is a '#' comment, then one line per SA, each ending in a newline", () => {
    expect(espSaTable([CBC_SHA1, GCM], "tagflow scenario\n\nping")).toBe(
      `# tagflow scenario\n#\n# ping\n${espSaTableLines([CBC_SHA1, GCM]).join("\n")}\n`,
    );
  });

  it("an ESN SA keeps its 8-field line and gets a '#' note on what Wireshark's table cannot express", () => {
    const esn = { ...GCM, esn: true };
    expect(espSaTableLines([esn])).toEqual(espSaTableLines([GCM]));
    const text = espSaTable([CBC_SHA1, esn], "x");
    const lines = text.split("\n");
    expect(lines[1]).toMatch(/^# SPI 0x[0-9a-f]{8} uses 64-bit extended sequence numbers \(RFC 4303 §2\.2\.1\): Wireshark 4\.0 cannot express them/);
    expect(lines.filter((l) => l.startsWith("# SPI"))).toHaveLength(1);
    expect(espSaTable([CBC_SHA1, GCM], "x")).not.toMatch(/extended sequence/);
  });

  // Wireshark 4.2+ packet-ipsec.c esp_uat_flds: …, sn_length ("32-bit" | "64-bit"), sn_upper (hex), defaults "32-bit", "0".
  it('format "4.2" adds the SN length and ESN high bits columns after the same 8 fields', () => {
    const esn = { ...GCM, esn: true };
    const [cbc, gcm] = espSaTableLines([CBC_SHA1, esn], "4.2");
    expect(cbc).toBe(`${espSaTableLines([CBC_SHA1])[0]},"32-bit","0"`);
    expect(gcm).toBe(`${espSaTableLines([GCM])[0]},"64-bit","0"`);
    expect(espSaTableLines([{ ...esn, esnHigh: 0x1f }], "4.2")[0]).toMatch(/,"64-bit","1f"$/);
    expect(() => espSaTableLines([{ ...esn, esnHigh: 2 ** 32 }], "4.2")).toThrow(/ESN high bits/);
    const text = espSaTable([CBC_SHA1, esn], "x", "4.2");
    expect(text).toMatch(/^# SPI 0x[0-9a-f]{8} uses 64-bit extended sequence numbers .* one value for the whole capture/m);
    expect(text.split("\n").filter((l) => l.startsWith('"'))).toEqual([cbc, gcm]);
  });
});

/** tshark -T json frame → its protocol layers. */
type Layers = Record<string, Record<string, unknown> | undefined>;
const layersOf = (frame: unknown): Layers => (frame as { _source: { layers: Layers } })._source.layers;
const icvTree = (layers: Layers): unknown => layers.esp?.["esp.icv_tree"];

describe("Wireshark decrypts ESP with the exported SA table", () => {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-esp-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const inner = icmpEcho({ type: 8, id: 0x7467, seq: 9, data: counting(13) });
  const sa = (spi: number, enc: TestSa["enc"], encKey: Uint8Array, auth: TestSa["auth"], authKey: Uint8Array, iv: Uint8Array): TestSa => ({
    srcAddr: "192.0.2.1",
    dstAddr: "192.0.2.2",
    spi,
    enc,
    encKey,
    auth,
    authKey,
    iv,
  });
  const SAS = {
    "aes-gcm-16 (AES-128)": sa(0x1001, "aes-gcm-16", counting(20, 0x40), "none", NO_KEY, counting(8, 0x90)),
    "aes-gcm-16 (AES-256)": sa(0x1002, "aes-gcm-16", counting(36, 0x41), "none", NO_KEY, counting(8, 0x91)),
    "aes-cbc + hmac-sha1-96": sa(0x1003, "aes-cbc", counting(16, 0x50), "hmac-sha1-96", counting(20, 0x60), counting(16, 0xa0)),
    "aes-cbc + hmac-sha256-128": sa(0x1004, "aes-cbc", counting(32, 0x51), "hmac-sha256-128", counting(32, 0x70), counting(16, 0xb0)),
    "null + hmac-sha256-128": sa(0x1005, "null", NO_KEY, "hmac-sha256-128", counting(32, 0x71), NO_KEY),
    // The suite of 1999 (seed 002, FreeS/WAN KLIPS): RFC 2451 + RFC 2403.
    "3des-cbc + hmac-md5-96": sa(0x1007, "3des-cbc", counting(24, 0x30), "hmac-md5-96", counting(16, 0x20), counting(8, 0xd0)),
  } satisfies Record<string, TestSa>;
  const CHACHA = sa(0x1006, "chacha20-poly1305", counting(36, 0x10), "none", NO_KEY, counting(8, 0xc0));

  /** A pcapng holding one ESP packet per SA; with `tamper`, a second copy with one ciphertext bit flipped. */
  function capture(name: string, sas: readonly TestSa[], tamper = false): string {
    const packets = sas.flatMap((s, i) => {
      const esp = espPayload(s, i + 1, inner);
      const copies = [esp];
      if (tamper) copies.push(esp.map((b, at) => (at === 8 + s.iv.length ? b ^ 0x01 : b)));
      return copies.map((payload, k) => ({
        interfaceId: 0,
        timestampMicros: 1000 * (2 * i + k),
        data: ipv4({ src: s.srcAddr, dst: s.dstAddr, protocol: IPPROTO_ESP, id: 2 * i + k, payload }),
        comment: `${s.enc}/${s.auth}${k ? " (tampered)" : ""}`,
      }));
    });
    const path = join(dir, `${name}.pcapng`);
    writeFileSync(path, writePcapng({ interfaces: [{ name: "host-a:em0", linkType: LINKTYPE.RAW }], packets }));
    return path;
  }

  it("decrypts each cipher suite, finds the inner ICMP echo and a good ICV", { timeout: 300_000 }, () => {
    const sas = Object.values(SAS);
    const frames = tsharkJson(capture("suites", sas, true), espSaTableLines(sas)).map(layersOf);
    expect(frames).toHaveLength(2 * sas.length);
    Object.keys(SAS).forEach((name, i) => {
      const [good, tampered] = [frames[2 * i], frames[2 * i + 1]];
      expect.soft(good?.icmp?.["icmp.type"], name).toBe("8");
      expect.soft(good?.icmp?.["icmp.checksum.status"], name).toBe("1");
      expect.soft(icvTree(good ?? {}), name).toEqual({ "esp.icv_good": "1", "esp.icv_bad": "0" });
      // The control: one flipped bit must turn the verdict, or the check above proves nothing.
      expect.soft(icvTree(tampered ?? {}), `${name}, tampered`).toEqual({ "esp.icv_good": "0", "esp.icv_bad": "1" });
    });
  });

  it("loads the same SAs from an esp_sa file with a comment line", { timeout: 300_000 }, () => {
    const sas = Object.values(SAS);
    const rows = tsharkFields(capture("file", sas), ["esp.spi", "icmp.type", "esp.icv_good"], { espSaFile: espSaTable(sas) });
    expect(rows).toEqual(sas.map((s) => [`0x${s.spi.toString(16).padStart(8, "0")}`, "8", "1"]));
  });

  it('format "4.2" lines (10 fields) decrypt the same SAs; Wireshark 4.0 warns and keeps the first eight', { timeout: 300_000 }, () => {
    const sas = Object.values(SAS);
    const path = capture("lines42", sas);
    const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(tsharkVersion()) ?? []).slice(1).map(Number);
    const fields = ["esp.spi", "icmp.type", "esp.icv_good"];
    const lines = espSaTableLines(sas, "4.2");
    if (major * 100 + minor < 402) {
      // The UAT loader's own words: the SN length and ESN high bits columns are not 4.0's.
      expect(() => tsharkFields(path, fields, { espSaLines: lines })).toThrow(/More fields than required\. Discarding ',"32-bit","0"'/);
      // …and the SAs still decrypt, from the first eight fields (the same lines, cut to 8).
      const eight = lines.map((l) => l.split(",").slice(0, 8).join(","));
      expect(eight).toEqual(espSaTableLines(sas));
      return;
    }
    expect(tsharkFields(path, fields, { espSaLines: lines })).toEqual(sas.map((x) => [`0x${x.spi.toString(16).padStart(8, "0")}`, "8", "1"]));
  });

  it("decrypts chacha20-poly1305 on newer Wireshark; 4.0 rejects the algorithm by name", { timeout: 300_000 }, () => {
    const path = capture("chacha", [CHACHA], true);
    const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(tsharkVersion()) ?? []).slice(1).map(Number);
    if (major * 100 + minor < 402) {
      // Wireshark 4.0 has no ChaCha20-Poly1305 in its esp_sa table: the README says so, and this
      // proves it is the only reason (the line is well-formed and everything else decrypts).
      expect(() => tsharkJson(path, espSaTableLines([CHACHA]))).toThrow(/invalid value: ChaCha20 with Poly1305 \[RFC7634\]/);
      return;
    }
    const frames = tsharkJson(path, espSaTableLines([CHACHA])).map(layersOf);
    expect(frames[0]?.icmp?.["icmp.type"]).toBe("8");
    expect(icvTree(frames[0] ?? {})).toEqual({ "esp.icv_good": "1", "esp.icv_bad": "0" });
    expect(icvTree(frames[1] ?? {})).toEqual({ "esp.icv_good": "0", "esp.icv_bad": "1" });
  });
});
