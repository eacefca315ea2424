/**
 * Gateway-to-gateway ESP tunnel mode (ChaCha20-Poly1305, RFC 7634) and what the wire can do to
 * it: a replayed packet (RFC 4303 §3.4.3), a mismatched key, a flipped bit (the ICV).
 */
import { describe, expect, it } from "vitest";
import {
  decryptsWith,
  df,
  dst,
  echoReply,
  echoRequest,
  echoSeq,
  esp,
  expectIpv4,
  failsIcvWith,
  icmp,
  inner,
  protocol,
  seq,
  spi,
  src,
  ttl,
} from "../../helpers/checkers";
import { decisions, eventsOf, findingIds, received, runBuiltin, saKeys, traceOf, transmitted } from "../../helpers/trace";

const A_TO_B = 0x2001;
const B_TO_A = 0x2002;

describe("gw-esp-tunnel", () => {
  const t = () => traceOf("gw-esp-tunnel");

  it("is secure: three echoes answered", () => {
    expect(t().outcome).toMatchObject({ verdict: "secure", sent: 3, delivered: 3 });
    expect(findingIds(t())).toEqual(["stale-ipsec-flags"]);
  });

  it("every packet on net0 is ESP between 10.0.0.1 and 10.0.0.2 with the 192.168 datagram inside, after decryption", () => {
    const tr = t();
    const wire = transmitted(tr, "net0");
    expect(wire.map((w) => w.event.host)).toEqual(["gw-a", "gw-b", "gw-a", "gw-b", "gw-a", "gw-b"]);
    wire.forEach((w, i) => {
      const request = i % 2 === 0;
      const n = i >> 1;
      const s = request ? A_TO_B : B_TO_A;
      expectIpv4(
        w.bytes,
        src(request ? "10.0.0.1" : "10.0.0.2"),
        dst(request ? "10.0.0.2" : "10.0.0.1"),
        ttl(64),
        df(false),
        esp(
          spi(s),
          seq(n + 1),
          decryptsWith(
            saKeys(tr, s),
            protocol(4),
            inner(
              src(request ? "192.168.1.1" : "192.168.2.1"),
              dst(request ? "192.168.2.1" : "192.168.1.1"),
              ttl(255),
              icmp(request ? echoRequest() : echoReply(), echoSeq(n)),
            ),
          ),
        ),
      );
    });
  });

  it("the receiving side sees the same bytes and no tags (the wire carries none)", () => {
    const tr = t();
    const tx = transmitted(tr, "net0");
    const rx = received(tr);
    expect(rx.map((r) => Buffer.from(r.bytes).toString("hex"))).toEqual(tx.map((w) => Buffer.from(w.bytes).toString("hex")));
    for (const r of rx) {
      expect(r.packet.tags).toEqual([]);
      expect(r.packet.flags).toEqual([]);
      expect(r.packet.rcvif).toBe("em0");
    }
  });

  it("each direction uses its own SA (key_checkrequest picks by tunnel endpoints)", () => {
    const tr = t();
    const sa = eventsOf(tr, "decision")
      .filter((d) => d.check === "ipsec-out-sa")
      .map((d) => `${d.host} ${d.branch}`);
    expect(sa).toEqual([
      "gw-a use esp 2001",
      "gw-b use esp 2002",
      "gw-a use esp 2001",
      "gw-b use esp 2002",
      "gw-a use esp 2001",
      "gw-b use esp 2002",
    ]);
  });
});

describe("the inbound policy when no tag bypasses it", () => {
  it("a cleartext datagram matching gw-b's require policy is rejected: M_DECRYPTED is missing", () => {
    // gw-a sends without IPsec (its SPD emptied); gw-b still requires ESP from 192.168.1.0/24.
    const t = runBuiltin("gw-esp-tunnel", { patch: (s) => void (s.hosts[0]!.spd = []) });
    const reject = decisions(t, "ipsec-in-reject").filter((d) => d.host === "gw-b");
    expect(reject.map((d) => d.branch)).toEqual(["reject", "reject", "reject"]);
    expect(reject[0]!.consulted).toEqual([
      { kind: "sp", id: "sp2 (in)", summary: expect.stringContaining("esp/tunnel/10.0.0.1-10.0.0.2/require") },
      { kind: "flag", flag: "DECRYPTED", set: false },
    ]);
    const policy = decisions(t, "ipsec-in-policy").filter((d) => d.host === "gw-b");
    expect(policy[0]).toMatchObject({
      fn: "ipsec_getpolicybyaddr",
      consulted: [
        { kind: "tag", name: "IPSEC_IN_DONE", tag: null },
        { kind: "sp", id: "sp2 (in)" },
      ],
    });
    expect(eventsOf(t, "drop").map((d) => [d.host, d.reason])).toEqual(Array(3).fill(["gw-b", "ipsec-policy-reject"]));
    expect(t.outcome).toMatchObject({ verdict: "dropped", delivered: 0 });
  });
});

describe("esp-replay", () => {
  const t = () => traceOf("esp-replay");

  it("gw-b drops the replayed copy at the anti-replay check: reason ipsec-replay", () => {
    const drops = eventsOf(t(), "drop");
    expect(drops.map((d) => [d.host, d.fn, d.reason])).toEqual([["gw-b", "esp_input", "ipsec-replay"]]);
    expect(drops[0]!.detail).toBe("seq 1 was already received (highest seen 1)");
    const replay = decisions(t(), "replay").filter((d) => d.branch === "replay");
    expect(replay).toHaveLength(1);
    expect(replay[0]!.seq).toBe(drops[0]!.seq - 1);
  });

  it("the replayed packet is a genuine one: byte for byte the first ESP packet, and its ICV verifies", () => {
    const tr = t();
    const atB = received(tr, "gw-b");
    expect(atB).toHaveLength(4); // three echo requests and the replay
    const replayed = atB.find((r) => r.event.seq > eventsOf(tr, "deliver")[0]!.seq && r.event.t < 1_000_000)!;
    expect(Buffer.from(replayed.bytes).equals(Buffer.from(atB[0]!.bytes))).toBe(true);
    expectIpv4(replayed.bytes, esp(spi(A_TO_B), seq(1), decryptsWith(saKeys(tr, A_TO_B), inner(icmp(echoRequest(), echoSeq(0))))));
    expect(tr.events.find((e) => e.kind === "mbuf.alloc" && e.seq === replayed.event.seq - 2)?.note).toMatch(/replayed by an attacker/);
  });

  it("the replay is its own step, a fault event by the attacker on the frame it produced, just before gw-b's driver receives it", () => {
    const tr = t();
    const faults = eventsOf(tr, "fault");
    expect(faults).toHaveLength(1);
    const f = faults[0]!;
    expect(f).toMatchObject({ host: "gw-b", layer: "link", fn: "attacker (scenario fault)", fault: "replay", link: "net0" });
    const rx = tr.events.at(f.seq + 1)!;
    expect(rx).toMatchObject({ kind: "link.rx", packet: f.packet, chain: f.chain, fault: { kind: "replay" } });
    // A fault never appears as another kind: no link.rx without a fault step right before it carries one.
    for (const e of eventsOf(tr, "link.rx")) expect(e.fault !== undefined).toBe(tr.events.at(e.seq - 1)?.kind === "fault");
  });

  it("the dropped replay is the only damage: every echo is answered, the verdict is dropped", () => {
    expect(t().outcome).toMatchObject({ verdict: "dropped", sent: 3, delivered: 3 });
    expect(findingIds(t())).toEqual(["drop-ipsec-replay", "stale-ipsec-flags"]);
  });
});

describe("esp-wrong-key", () => {
  const t = () => traceOf("esp-wrong-key");

  it("gw-b drops every packet on the ICV check: reason ipsec-icv, and no reply comes back", () => {
    const drops = eventsOf(t(), "drop");
    expect(drops.map((d) => [d.host, d.fn, d.reason])).toEqual([
      ["gw-b", "esp_input_cb", "ipsec-icv"],
      ["gw-b", "esp_input_cb", "ipsec-icv"],
    ]);
    expect(decisions(t(), "icv").map((d) => d.branch)).toEqual(["ICV mismatch", "ICV mismatch"]);
    expect(eventsOf(t(), "deliver")).toEqual([]);
    expect(t().outcome).toMatchObject({ verdict: "dropped", sent: 2, delivered: 0 });
    expect(findingIds(t())).toEqual(["drop-ipsec-icv", "unanswered"]);
  });

  it("the packets are fine with gw-a's key and fail with gw-b's", () => {
    const tr = t();
    for (const w of transmitted(tr, "net0")) {
      expectIpv4(w.bytes, esp(decryptsWith(saKeys(tr, A_TO_B, "gw-a"), inner(icmp(echoRequest())))));
      expectIpv4(w.bytes, esp(failsIcvWith(saKeys(tr, A_TO_B, "gw-b"))));
    }
  });
});

describe("esp-tamper", () => {
  const t = () => traceOf("esp-tamper");

  it("one packet (the second on net0, the first reply) fails the ICV at gw-a; the other echoes are answered", () => {
    const tr = t();
    const drops = eventsOf(tr, "drop");
    expect(drops.map((d) => [d.host, d.reason])).toEqual([["gw-a", "ipsec-icv"]]);
    expect(tr.outcome).toMatchObject({ verdict: "dropped", sent: 3, delivered: 2 });
    expect(eventsOf(tr, "deliver").map((d) => d.summary)).toEqual([
      "echo reply from 192.168.2.1: icmp_seq=1",
      "echo reply from 192.168.2.1: icmp_seq=2",
    ]);
  });

  it("the flipped bit is a fault step of its own (flip-bit, on net0), not a kernel function", () => {
    const faults = eventsOf(t(), "fault");
    expect(faults.map((f) => [f.host, f.fn, f.fault, f.link])).toEqual([["gw-a", "attacker (scenario fault)", "flip-bit", "net0"]]);
    expect(faults[0]!.detail).toMatch(/bit 3 of byte 60 flipped/);
  });

  it("the bytes received differ from the bytes sent in exactly one bit, byte 60", () => {
    const tr = t();
    const sent = transmitted(tr, "net0")[1]!.bytes;
    const got = received(tr, "gw-a")[0]!.bytes;
    expect(got.length).toBe(sent.length);
    const diffs = [...sent].flatMap((b, i) => (b !== got[i] ? [[i, b ^ got[i]!]] : []));
    expect(diffs).toEqual([[60, 1 << 3]]);
    expectIpv4(sent, esp(spi(B_TO_A), decryptsWith(saKeys(tr, B_TO_A), inner(icmp(echoReply())))));
    expectIpv4(got, esp(spi(B_TO_A), failsIcvWith(saKeys(tr, B_TO_A))));
  });
});

describe("ipip_output's outer ip_id, as each tree's xform_ipip.c takes it", () => {
  /** The outer ip_id of every ESP packet gw-a sends (the outer IPv4 header is ipip_output's). */
  const outerIds = (personality: "netbsd-2003" | "freebsd-7"): number[] =>
    transmitted(runBuiltin("gw-esp-tunnel", { personality }), "net0")
      .filter((w) => w.event.host === "gw-a")
      .map((w) => (w.bytes[4]! << 8) | w.bytes[5]!);

  it("freebsd-7 (xform_ipip.c 1.3.2.1 without RANDOM_IP_ID): htons(ip_id++), one after another", () => {
    const ids = outerIds("freebsd-7");
    expect(ids).toHaveLength(3);
    expect(ids.slice(1)).toEqual([(ids[0]! + 1) & 0xffff, (ids[0]! + 2) & 0xffff]);
  });

  it("netbsd-2003 (ip_newid, the generator ip_output uses): not a counter, and the step says where the id came from", () => {
    const ids = outerIds("netbsd-2003");
    expect(ids).toHaveLength(3);
    expect(ids[1] === ((ids[0]! + 1) & 0xffff) && ids[2] === ((ids[0]! + 2) & 0xffff)).toBe(false);
    const notes = eventsOf(runBuiltin("gw-esp-tunnel"), "mbuf.rewrite")
      .filter((e) => e.fn === "ipip_output")
      .map((e) => e.note);
    expect(notes).toHaveLength(6);
    expect(notes.every((n) => /ip_id \d+ from ip_randomid\(\)/.test(n))).toBe(true);
    expect(notes.map((n) => Number(/ip_id (\d+)/.exec(n)![1]))).toEqual(expect.arrayContaining(ids));
  });
});
