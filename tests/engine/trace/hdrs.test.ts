/**
 * The header stack each packet version carries (trace/hdrs.ts), kept by the mbuf verbs
 * (mbuf/hdrs.ts): asserted at known steps of the seed story (ESP transport), the two-host ESP
 * tunnel and AH, with offsets checked by hand against the RFC layouts —
 * IPv4 20 bytes (RFC 791 §3.1); ESP SPI 4 + sequence 4 + IV 8 for AES-GCM (RFC 4303 §2, RFC 4106
 * §3.1), ICV 16 (RFC 4106 §5), trailer = padding + pad length + next header (RFC 4303 §2.4);
 * AH 12 fixed + 16-byte ICV (HMAC-SHA-256-128, RFC 4302 §2, RFC 4868 §2.3).
 */
import { describe, expect, it } from "vitest";
import {
  PERSONALITIES,
  builtinByName,
  dissectAt,
  dissectHeader,
  fromHex,
  isLinux,
  liveHdrs,
  type FixId,
  type HdrView,
  type PersonalityId,
  type ScenarioTrace,
  type TraceEvent,
} from "../../../src/engine";
import { BUILTIN_NAMES, packetOf, sweepFixes, traceOf } from "../../helpers/trace";

/** "kind[offset,+len]:state" with the flags that are set, e.g. "icmp[36,+64]:encrypted inEsp". */
function show(hs: readonly HdrView[]): string[] {
  return hs.map(
    (h) =>
      `${h.kind}${h.outer ? "(outer)" : ""}${h.proto !== undefined ? `/${h.proto}` : ""}[${h.offset},+${h.len}]` +
      `${h.state === "plain" ? "" : `:${h.state}`}${h.until ? `(${h.until})` : ""}${h.inEsp ? " inEsp" : ""}${h.decrypted ? " dec" : ""}`,
  );
}

function nth(t: ScenarioTrace, n: number, pred: (e: TraceEvent) => boolean): TraceEvent {
  const e = t.events.filter(pred)[n];
  if (!e) throw new Error("no such event");
  return e;
}
const at = (t: ScenarioTrace, e: TraceEvent) => show(packetOf(t, e).hdrs);

describe("header stacks", () => {
  // The header stack is kept by the BSD mbuf verbs and by the Linux skb verbs (src/engine/linux/skb.ts)
  // through the same helpers (mbuf/hdrs.ts): every built-in, BSD and Linux, and the seed story on Linux.
  const runs: (readonly [string, readonly FixId[], PersonalityId?])[] = [
    ...BUILTIN_NAMES.map((n) => [n, []] as const),
    ...sweepFixes("lo0-esp-ping").map((f) => ["lo0-esp-ping", [f]] as const),
    ["klips-bigpackets", [], "linux-2.2-klips-2003"],
    ["klips-bigpackets", [], "linux-xfrm"],
    ["lo0-esp-ping", [], "linux-xfrm"],
    ["lo0-esp-ping", ["xfrm-lo-policy"], "linux-xfrm"],
  ];
  for (const [name, fixes, personality] of runs) {
    it(`tile every version's bytes exactly in ${name}${fixes.length ? ` +${fixes.join(",")}` : ""}${personality ? ` on ${personality}` : ""}`, () => {
      const t = traceOf(name, { fixes, ...(personality ? { personality } : {}) });
      const linux = isLinux(PERSONALITIES[personality ?? builtinByName(name)!.personality ?? "netbsd-2003"]);
      let checked = 0;
      for (const v of t.packets) {
        // Key messages (netlink, PF_KEY) are not IP packets: their versions have no stack.
        if (v.hdrs.length === 0 && !linux) continue;
        let end = 0;
        for (const h of liveHdrs(v.hdrs)) {
          expect({ v: v.id, offset: h.offset }).toEqual({ v: v.id, offset: end });
          expect(h.len).toBeGreaterThan(0);
          end += h.len;
        }
        if (v.hdrs.length === 0 && linux && v.hex.length > 0 && fromHex(v.hex)[0]! >> 4 !== 4) continue;
        expect({ v: v.id, end }).toEqual({ v: v.id, end: v.hex.length / 2 });
        // What the stack calls a plain header is that header, as wire/dissect reads the bytes there.
        const bytes = fromHex(v.hex);
        for (const h of v.hdrs) {
          if (h.state !== "plain") continue;
          if (h.kind === "ipv4") {
            expect({ v: v.id, b: bytes[h.offset] }).toEqual({ v: v.id, b: 0x40 | (h.len / 4) });
            expect(dissectHeader(bytes, "ipv4", h.offset, h.len).map((sp) => [sp.header, sp.start, sp.end])).toEqual([
              ["ipv4", h.offset, h.offset + h.len],
            ]);
            checked++;
          } else if (h.kind === "icmp" && !h.inEsp) {
            const spans = dissectAt(bytes, 1, h.offset, h.offset + h.len);
            expect({ v: v.id, first: spans[0]?.header, start: spans[0]?.start }).toEqual({ v: v.id, first: "icmp", start: h.offset });
            expect({ v: v.id, end: spans.at(-1)?.end }).toEqual({ v: v.id, end: h.offset + h.len });
          } else if (h.kind === "esp") {
            expect(dissectHeader(bytes, "esp", h.offset, h.len)[0]).toMatchObject({ header: "esp", start: h.offset });
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
      // On Linux too, no IP packet version is left without its stack (the inspector would have to dissect it).
      if (linux) expect(t.packets.filter((v) => v.hdrs.length === 0 && fromHex(v.hex)[0]! >> 4 === 4).map((v) => v.id)).toEqual([]);
    });
  }

  it("follow the seed story's echo request through esp_output, lo0 and esp_input (ESP transport)", () => {
    const t = traceOf("lo0-esp-ping");
    const req = (pred: (e: TraceEvent) => boolean) => at(t, nth(t, 0, pred));
    expect(req((e) => e.kind === "mbuf.alloc")).toEqual(["icmp[0,+64]"]);
    expect(req((e) => e.kind === "mbuf.prepend")).toEqual(["ipv4[0,+20]:pending(write)", "icmp[20,+64]"]);
    expect(req((e) => e.kind === "mbuf.rewrite" && e.fn === "rip_output")).toEqual(["ipv4[0,+20]", "icmp[20,+64]"]);
    // m_makespace at skip 20 opens SPI + seq + 8-byte IV = 16 bytes; ip_p still says ICMP.
    expect(req((e) => e.kind === "mbuf.makespace")).toEqual(["ipv4[0,+20]", "esp[20,+16]:pending(link)", "icmp[36,+64]"]);
    // m_pad: 64 + 2 = 66 → 2 bytes of padding to a multiple of 4, + pad length + next header = 4; ICV room 16.
    expect(req((e) => e.kind === "mbuf.append")).toEqual([
      "ipv4[0,+20]",
      "esp[20,+16]:pending(link)",
      "icmp[36,+64]",
      "esp-trailer[100,+4]:pending(link)",
      "esp-icv[104,+16]:pending(write)",
    ]);
    expect(req((e) => e.kind === "field.set" && e.field === "protocol" && e.to === "50")).toEqual([
      "ipv4[0,+20]",
      "esp[20,+16]",
      "icmp[36,+64] inEsp",
      "esp-trailer[100,+4] inEsp",
      "esp-icv[104,+16]:pending(write)",
    ]);
    const sealed = ["ipv4[0,+20]", "esp[20,+16]", "icmp[36,+64]:encrypted inEsp", "esp-trailer[100,+4]:encrypted inEsp", "esp-icv[104,+16]"];
    expect(req((e) => e.kind === "mbuf.rewrite" && e.fn === "esp_output_cb")).toEqual(sealed);
    expect(req((e) => e.kind === "link.tx")).toEqual(sealed);
    expect(req((e) => e.kind === "mbuf.rewrite" && e.fn === "esp_input_cb")).toEqual([
      "ipv4[0,+20]",
      "esp[20,+16]",
      "icmp[36,+64] inEsp dec",
      "esp-trailer[100,+4] inEsp dec",
      "esp-icv[104,+16]",
    ]);
    expect(req((e) => e.kind === "mbuf.adj" && e.fn === "esp_input_cb")).toEqual([
      "ipv4[0,+20]",
      "esp[20,+16]",
      "icmp[36,+64] inEsp dec",
      "esp-trailer[100,+4] inEsp dec",
      "esp-icv[104,+16]:trimmed",
    ]);
    // m_striphdr(skip 20, 16): the ICMP message moves up to 20; ip_p (byte 9) still says ESP.
    const strip = nth(t, 0, (e) => e.kind === "mbuf.strip");
    expect(at(t, strip)).toEqual(["ipv4[0,+20]", "icmp[20,+64]", "esp[20,+16]:trimmed", "esp-trailer[84,+4]"]);
    expect(fromHex(packetOf(t, strip).hex)[9]).toBe(50);
    expect(req((e) => e.kind === "field.set" && e.fn === "esp_input_cb")).toEqual(["ipv4[0,+20]", "icmp[20,+64]"]);
  });

  it("follow the seed story's echo request on Linux XFRM: skb_push/skb_put make room, esp_output seals, skb_pull/skb_trim take it apart", () => {
    const t = traceOf("lo0-esp-ping", { personality: "linux-xfrm", fixes: ["xfrm-lo-policy"] });
    const req = (pred: (e: TraceEvent) => boolean) =>
      at(
        t,
        nth(t, 0, (e) => e.chain === 1 && pred(e)),
      );
    // ip_append_data builds the 84-byte datagram: it knows what it wrote (RFC 791 §3.1: 20-byte header).
    expect(req((e) => e.kind === "mbuf.alloc")).toEqual(["ipv4[0,+20]", "icmp[20,+64]"]);
    // skb_push(16) in esp_output: SPI 4 + seq 4 + 8-byte IV for AES-GCM (RFC 4303 §2, RFC 4106 §3.1), not yet written;
    // the bytes in front are zeros and the old IP header still follows them (the model's skb_push does not memmove).
    expect(req((e) => e.kind === "mbuf.prepend")).toEqual(["esp[0,+16]:pending(write)", "ipv4[16,+20]", "icmp[36,+64]"]);
    // skb_put: 64 + 2 → 2 bytes of padding, pad length, next header = 4 (RFC 4303 §2.4), ICV 16 (RFC 4106 §5).
    expect(req((e) => e.kind === "mbuf.append")).toEqual([
      "esp[0,+16]:pending(write)",
      "ipv4[16,+20]",
      "icmp[36,+64]",
      "esp-trailer[100,+4]:pending(write)",
      "esp-icv[104,+16]:pending(write)",
    ]);
    const sealed = ["ipv4[0,+20]", "esp[20,+16]", "icmp[36,+64]:encrypted inEsp", "esp-trailer[100,+4]:encrypted inEsp", "esp-icv[104,+16]"];
    expect(req((e) => e.kind === "crypto.done" && e.op === "encrypt")).toEqual(sealed);
    expect(req((e) => e.kind === "link.tx")).toEqual(sealed);
    // The IP header is rewritten just before the plaintext, and skb_pull drops the 16 bytes in front of it.
    expect(req((e) => e.kind === "mbuf.adj" && e.from === "head")).toEqual([
      "ipv4[0,+20]",
      "data[0,+16]:trimmed",
      "icmp[20,+64] inEsp dec",
      "esp-trailer[84,+4] inEsp dec",
      "esp-icv[88,+16]",
    ]);
    expect(req((e) => e.kind === "mbuf.adj" && e.from === "tail")).toEqual([
      "ipv4[0,+20]",
      "icmp[20,+64] inEsp dec",
      "esp-trailer[84,+4]:trimmed inEsp dec",
      "esp-icv[88,+16]:trimmed",
    ]);
    expect(req((e) => e.kind === "decision" && e.fn === "icmp_rcv")).toEqual(["ipv4[0,+20]", "icmp[20,+64]"]);
  });

  it("read a frame KLIPS receives from the wire: unread data until ip_rcv reads the IP header", () => {
    const t = traceOf("klips-bigpackets", { personality: "linux-2.2-klips-2003" });
    const rx = nth(t, 0, (e) => e.kind === "link.rx");
    const v = packetOf(t, rx);
    expect(show(v.hdrs)).toEqual([`data/4[0,+${v.hex.length / 2}]`]);
    const rcv = nth(t, 0, (e) => e.fn === "ip_rcv" && e.chain === rx.chain);
    expect(show(packetOf(t, rcv).hdrs)[0]).toBe("ipv4[0,+20]");
  });

  it("say the bytes the stack calls ESP, ICMP and ciphertext are that", () => {
    const t = traceOf("lo0-esp-ping");
    const wire = packetOf(
      t,
      nth(t, 0, (e) => e.kind === "link.tx"),
    );
    const b = fromHex(wire.hex);
    const esp = wire.hdrs.find((h) => h.kind === "esp")!;
    expect([...b.subarray(esp.offset, esp.offset + 4)]).toEqual([0, 0, 0x10, 0]); // SPI 0x1000
    const icmp = wire.hdrs.find((h) => h.kind === "icmp")!;
    // Encrypted: the bytes there are not the cleartext the engine kept beside the packet.
    expect(wire.hex.slice(icmp.offset * 2, (icmp.offset + icmp.len) * 2)).not.toBe(wire.cleartext);
    expect(wire.cleartext?.slice(0, 2)).toBe("08"); // echo request, in the clear
    const reply = packetOf(
      t,
      nth(t, 1, (e) => e.kind === "link.tx"),
    );
    // The bug: the reply leaves in cleartext, and its stack says so.
    expect(show(reply.hdrs)).toEqual(["ipv4[0,+20]", "icmp[20,+64]"]);
    expect(fromHex(reply.hex)[20]).toBe(0);
  });

  it("follow a tunnel-mode packet: outer header pushed on gw-a, consumed and decrypted on gw-b", () => {
    const t = traceOf("gw-esp-tunnel");
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "mbuf.prepend" && e.fn === "ipip_output"),
      ),
    ).toEqual(["ipv4(outer)[0,+20]:pending(write)", "ipv4[20,+20]", "icmp[40,+64]"]);
    // 84-byte inner datagram: 84 + 2 = 86 → 2 bytes of padding; 20 + 16 + 84 + 4 + 16 = 140.
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "link.tx"),
      ),
    ).toEqual([
      "ipv4(outer)[0,+20]",
      "esp[20,+16]",
      "ipv4[36,+20]:encrypted inEsp",
      "icmp[56,+64]:encrypted inEsp",
      "esp-trailer[120,+4]:encrypted inEsp",
      "esp-icv[124,+16]",
    ]);
    // gw-b received bytes: nothing is known until ip_input and esp_input read their headers.
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "link.rx"),
      ),
    ).toEqual(["data/4[0,+140]"]);
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "crypto.submit" && e.host === "gw-b"),
      ),
    ).toEqual(["ipv4[0,+20]", "esp[20,+16]", "data[36,+88]:encrypted inEsp", "esp-icv[124,+16]"]);
    // esp_input_cb's decryption says what the plaintext is: an inner IPv4 datagram (next header 4) and the trailer.
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "mbuf.rewrite" && e.fn === "esp_input_cb"),
      ),
    ).toEqual(["ipv4[0,+20]", "esp[20,+16]", "data/4[36,+84] inEsp dec", "esp-trailer[120,+4] inEsp dec", "esp-icv[124,+16]"]);
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "mbuf.adj" && e.fn === "ipip_input"),
      ),
    ).toEqual(["data/4[0,+84]", "ipv4[0,+20]:trimmed"]);
  });

  it("follow AH: the header and its ICV pending until ip_p names AH, stripped on input", () => {
    const t = traceOf("lo0-ah-ping");
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "mbuf.makespace"),
      ),
    ).toEqual(["ipv4[0,+20]", "ah[20,+28]:pending(link)", "icmp[48,+64]"]);
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "field.set" && e.to === "51"),
      ),
    ).toEqual(["ipv4[0,+20]", "ah[20,+28]", "icmp[48,+64]"]);
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "link.tx"),
      ),
    ).toEqual(["ipv4[0,+20]", "ah[20,+28]", "icmp[48,+64]"]);
    expect(
      at(
        t,
        nth(t, 0, (e) => e.kind === "mbuf.strip"),
      ),
    ).toEqual(["ipv4[0,+20]", "icmp[20,+64]", "ah[20,+28]:trimmed"]);
  });

  it("share one stack between versions with the same layout", () => {
    const t = traceOf("lo0-esp-ping");
    const wires = t.events.filter((e) => e.kind === "link.tx" && packetOf(t, e).hdrs.length === 5);
    expect(wires.length).toBeGreaterThan(1);
    expect(packetOf(t, wires[0]!).hdrs).toBe(packetOf(t, wires[1]!).hdrs);
  });
});
