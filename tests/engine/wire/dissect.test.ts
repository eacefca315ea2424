import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dissect, dissectAt, dissectHeader, emitIpv4, emitUdp, summarize, type HeaderSpan } from "../../../src/engine/wire";

import { AH_PACKET, ECHO_PACKET, ECHO_PACKET_WITH_OPTIONS, NEEDFRAG_PACKET, UDP_PACKET, bytes, case5, espVectors } from "./fixtures";
import { garbageFrom } from "./support";

const ESP_PACKET = bytes(case5().derived_full_ipv4_packet ?? "");
const CASE5_HINT = { esp: (spi: number) => (spi === 0x4321 ? { ivLen: 16, icvLen: 0 } : undefined) };

/** Header, start and end of each span: the shape the inspector lays out. */
const layout = (spans: HeaderSpan[]) => spans.map((s) => `${s.header} ${s.start}..${s.end}`);
/** name=value of every field of one span. */
const values = (span: HeaderSpan | undefined) => Object.fromEntries((span?.fields ?? []).map((f) => [f.name, f.value]));

/** An IPv4 packet with `payload` after a 20-byte header; checksum filled. */
function ipv4Packet(protocol: number, payload: Uint8Array, src = "10.0.0.1", dst = "10.0.0.2"): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  emitIpv4(
    {
      tos: 0,
      totalLength: out.length,
      id: 1,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      protocol,
      checksum: 0,
      src,
      dst,
      options: new Uint8Array(0),
    },
    out,
  );
  out.set(payload, 20);
  return out;
}

/** UDP from and to port 4500 around `payload`, checksum 0 (allowed over IPv4). */
function natT(payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(8 + payload.length);
  emitUdp({ srcPort: 4500, dstPort: 4500, length: d.length, checksum: 0 }, d);
  d.set(payload, 8);
  return ipv4Packet(17, d);
}

describe("dissect", () => {
  it("walks an echo request: IPv4 fields with their bit ranges, ICMP fields, echo data", () => {
    const spans = dissect(ECHO_PACKET);
    expect(layout(spans)).toEqual(["ipv4 0..20", "icmp 20..28", "payload 28..36"]);
    expect(values(spans[0])).toEqual({
      version: "4",
      ihl: "5 (20 bytes)",
      tos: "0x00",
      totalLength: "36",
      id: "0x1234",
      reserved: "0",
      df: "0",
      mf: "0",
      fragOffset: "0",
      ttl: "64",
      protocol: "icmp (1)",
      checksum: "0x6aa3",
      src: "127.0.0.1",
      dst: "127.0.0.1",
    });
    expect(spans[0]?.fields.find((f) => f.name === "df")).toEqual({
      name: "df",
      label: "Don't fragment",
      start: 6,
      end: 8,
      bitOffset: 1,
      bitWidth: 1,
      value: "0",
    });
    expect(spans[0]?.fields.find((f) => f.name === "src")).toEqual({ name: "src", label: "Source address", start: 12, end: 16, value: "127.0.0.1" });
    expect(values(spans[1])).toEqual({ type: "echo request (8)", code: "0", checksum: "0x2672", id: "0x1234", seq: "1" });
    expect(spans[1]?.fields.map((f) => [f.start, f.end])).toEqual([
      [20, 21],
      [21, 22],
      [22, 24],
      [24, 26],
      [26, 28],
    ]);
    expect(spans[2]?.note).toBe("echo data");
  });

  it("shows IPv4 options as a field of the header", () => {
    const spans = dissect(ECHO_PACKET_WITH_OPTIONS);
    expect(layout(spans)).toEqual(["ipv4 0..24", "icmp 24..32", "payload 32..40"]);
    expect(spans[0]?.fields.at(-1)).toEqual({ name: "options", label: "Options", start: 20, end: 24, value: "94040000" });
  });

  it("walks ESP: one encrypted region without a hint, IV and ciphertext with one", () => {
    expect(layout(dissect(ESP_PACKET))).toEqual(["ipv4 0..20", "esp 20..28", "esp-encrypted 28..124"]);
    const spans = dissect(ESP_PACKET, CASE5_HINT);
    expect(layout(spans)).toEqual(["ipv4 0..20", "esp 20..28", "esp-iv 28..44", "esp-ciphertext 44..124"]);
    expect(values(spans[1])).toEqual({ spi: "0x00004321", seq: "1" });
    expect(values(spans[0]).protocol).toBe("esp (50)");
    const withIcv = dissect(ESP_PACKET, { esp: () => ({ ivLen: 16, icvLen: 12 }) });
    expect(layout(withIcv).slice(2)).toEqual(["esp-iv 28..44", "esp-ciphertext 44..112", "esp-icv 112..124"]);
    const tooLong = dissect(ESP_PACKET, { esp: () => ({ ivLen: 64, icvLen: 64 }) });
    expect(layout(tooLong).slice(2)).toEqual(["esp-encrypted 28..124"]);
    expect(tooLong[2]?.note).toMatch(/shorter than/);
  });

  it("walks AH, its ICV, then the header it protects", () => {
    const spans = dissect(AH_PACKET);
    expect(layout(spans)).toEqual(["ipv4 0..20", "ah 20..32", "ah-icv 32..44", "icmp 44..52", "payload 52..60"]);
    expect(values(spans[1])).toEqual({ nextHeader: "icmp (1)", payloadLen: "4 (24 bytes)", reserved: "0x0000", spi: "0x00001000", seq: "1" });
  });

  it("walks UDP, and ESP inside UDP on port 4500 (RFC 3948)", () => {
    const spans = dissect(UDP_PACKET);
    expect(layout(spans)).toEqual(["ipv4 0..20", "udp 20..28", "payload 28..57"]);
    expect(values(spans[1])).toEqual({ srcPort: "54321", dstPort: "53", length: "37", checksum: "0x2bcb" });
    const esp = ESP_PACKET.subarray(20);
    expect(layout(dissect(natT(esp), CASE5_HINT))).toEqual(["ipv4 0..20", "udp 20..28", "esp 28..36", "esp-iv 36..52", "esp-ciphertext 52..132"]);
    // Four zero bytes are the non-ESP marker (IKE), one 0xff a keepalive: not ESP.
    expect(layout(dissect(natT(bytes("00000000aabbccddeeff"))))).toEqual(["ipv4 0..20", "udp 20..28", "payload 28..38"]);
    expect(layout(dissect(natT(bytes("ff"))))).toEqual(["ipv4 0..20", "udp 20..28", "payload 28..29"]);
  });

  it("walks IPIP into the inner packet (RFC 3602 case 7 tunnel payload)", () => {
    const v = espVectors().find((c) => c.id === "rfc3602-case7");
    const inner = bytes(v?.plaintext_payload ?? "");
    const spans = dissect(ipv4Packet(4, inner, "192.168.123.3", "192.168.123.200"));
    expect(layout(spans)).toEqual(["ipv4 0..20", "ipv4 20..40", "icmp 40..48", "payload 48..104"]);
    expect(values(spans[0]).protocol).toBe("ipip (4)");
    expect(values(spans[1]).dst).toBe("192.168.123.200");
  });

  it("walks an ICMP needfrag into the quoted header and its ESP SPI", () => {
    const spans = dissect(NEEDFRAG_PACKET);
    expect(layout(spans)).toEqual(["ipv4 0..20", "icmp 20..28", "ipv4 28..48", "esp 48..56"]);
    expect(values(spans[1])).toEqual({
      type: "destination unreachable (3)",
      code: "needfrag (4)",
      checksum: "0xe77c",
      unused: "0x0000",
      nextHopMtu: "1400",
    });
    expect(values(spans[2])).toMatchObject({ totalLength: "1500", df: "1", protocol: "esp (50)", dst: "192.0.2.9" });
    expect(spans[2]?.note).toBe("quoted by ICMP");
    expect(values(spans[3])).toEqual({ spi: "0x00001000", seq: "7" });
  });

  it("stops with one undecoded span that says why", () => {
    expect(dissect(ECHO_PACKET.subarray(0, 30))).toEqual([
      { header: "undecoded", start: 0, end: 30, fields: [], note: "total length is 36, only 30 bytes present" },
    ]);
    const badSpi = ESP_PACKET.slice();
    badSpi.fill(0, 20, 24);
    const spans = dissect(badSpi);
    expect(layout(spans)).toEqual(["ipv4 0..20", "undecoded 20..124"]);
    expect(spans[1]?.note).toMatch(/SPI 0 is reserved/);
    expect(dissect(new Uint8Array(0))).toEqual([]);
    const trailing = dissect(new Uint8Array([...ECHO_PACKET, 1, 2, 3]));
    expect(layout(trailing).at(-1)).toBe("undecoded 36..39");
  });

  it("shows non-first fragments as opaque payload", () => {
    const frag = ECHO_PACKET.slice();
    frag[7] = 2; // fragment offset 16 bytes
    expect(layout(dissect(frag))).toEqual(["ipv4 0..20", "payload 20..36"]);
    expect(dissect(frag)[1]?.note).toBe("non-first fragment of icmp at byte 16");
  });

  it("gives up on nesting deeper than 8 headers", () => {
    let p = ECHO_PACKET;
    for (let i = 0; i < 12; i++) p = ipv4Packet(4, p);
    const spans = dissect(p);
    expect(spans.filter((s) => s.header === "ipv4").length).toBe(9); // the outer one and 8 nested
    expect(spans.at(-1)).toMatchObject({ header: "undecoded", note: "more than 8 nested headers" });
  });

  it("spans tile the bytes and fields stay inside their span, whatever the input; it never throws", () => {
    const esp = ESP_PACKET.subarray(20);
    const packets = [ECHO_PACKET, ECHO_PACKET_WITH_OPTIONS, ESP_PACKET, AH_PACKET, UDP_PACKET, NEEDFRAG_PACKET, natT(esp), ipv4Packet(4, AH_PACKET)];
    fc.assert(
      fc.property(garbageFrom(packets), fc.boolean(), (b, hinted) => {
        const spans = dissect(b, hinted ? { esp: (spi) => ({ ivLen: spi % 20, icvLen: spi % 17 }) } : {});
        let at = 0;
        for (const s of spans) {
          expect(s.start).toBe(at);
          expect(s.end).toBeGreaterThanOrEqual(s.start);
          for (const f of s.fields) {
            expect(f.start).toBeGreaterThanOrEqual(s.start);
            expect(f.end).toBeLessThanOrEqual(s.end);
          }
          at = s.end;
        }
        expect(at).toBe(b.length);
        expect(typeof summarize(b)).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("summarize", () => {
  it("says what a packet is in one line", () => {
    expect(summarize(ECHO_PACKET)).toBe("127.0.0.1 → 127.0.0.1 ICMP echo request id=0x1234 seq=1");
    expect(summarize(ESP_PACKET)).toBe("192.168.123.3 → 192.168.123.100 ESP spi=0x00004321 seq=1");
    expect(summarize(AH_PACKET)).toBe("127.0.0.1 → 127.0.0.1 AH spi=0x00001000 seq=1 next=icmp");
    expect(summarize(UDP_PACKET)).toBe("192.0.2.1 → 192.0.2.53 UDP 54321 → 53 len=37");
    expect(summarize(NEEDFRAG_PACKET)).toBe("10.0.0.1 → 10.0.0.2 ICMP destination unreachable (needfrag) mtu=1400");
    expect(summarize(natT(ESP_PACKET.subarray(20)))).toBe("10.0.0.1 → 10.0.0.2 UDP 4500 → 4500 len=112 ESP spi=0x00004321 seq=1");
    expect(summarize(ipv4Packet(4, ECHO_PACKET))).toBe("10.0.0.1 → 10.0.0.2 IPIP 127.0.0.1 → 127.0.0.1 ICMP echo request id=0x1234 seq=1");
    expect(summarize(ipv4Packet(6, new Uint8Array(20)))).toBe("10.0.0.1 → 10.0.0.2 TCP len=20");
    expect(summarize(ipv4Packet(99, new Uint8Array(4)))).toBe("10.0.0.1 → 10.0.0.2 proto 99 len=4");
    expect(summarize(bytes("6000"))).toBe("undecoded 2 bytes (need 20 bytes for an IPv4 header, have 2)");
  });
});

describe("dissectAt / dissectHeader: starting at any header", () => {
  const echo = ECHO_PACKET;
  it("walks an ICMP message at its own offset with the same spans a whole-packet walk gives", () => {
    const whole = dissect(echo);
    expect(dissectAt(echo, 1, 20)).toEqual(whole.slice(1));
  });
  it("reads one IPv4 header alone, without checking the total length against what follows", () => {
    const head = echo.slice(0, 20);
    const [ip] = dissectHeader(head, "ipv4", 0, 20);
    expect(ip).toMatchObject({ header: "ipv4", start: 0, end: 20 });
    expect(ip!.fields.map((f) => f.name)).toEqual(dissect(echo)[0]!.fields.map((f) => f.name));
    // The whole-packet walk refuses the same 20 bytes: ip_len says more than there is.
    expect(dissect(head)[0]!.header).toBe("undecoded");
  });
  it("splits an ESP header from its IV by the length it is given", () => {
    const esp = new Uint8Array(16);
    esp.set([0, 0, 0x10, 0, 0, 0, 0, 1]);
    expect(dissectHeader(esp, "esp", 0, 16).map((s) => [s.header, s.start, s.end])).toEqual([
      ["esp", 0, 8],
      ["esp-iv", 8, 16],
    ]);
    expect(dissectHeader(esp, "esp", 0, 16)[0]!.fields.find((f) => f.name === "spi")?.value).toBe("0x00001000");
  });
});
