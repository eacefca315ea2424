/**
 * The seed story (kernel-notes §7; seeds 000/001): ping 127.0.0.1 under esp/transport//require
 * on NetBSD 2003 FAST_IPSEC. The echo reply is reflected in the request's mbuf with the stale
 * OUT_DONE and IN_DONE tags and M_DECRYPTED; ip_output's loop check skips ESP, the reply
 * crosses lo0 in cleartext, and ip_input accepts it through the default policy. These tests
 * read the trace's content — which tag each decision consulted, what crossed the wire — not
 * just the verdict.
 */
import type { EventList } from "../../../src/engine";
import { describe, expect, it } from "vitest";
import type { EventOf, TraceEvent } from "../../../src/engine";
import { dst, echoId, echoReply, echoRequest, echoSeq, esp, expectIpv4, icmp, decryptsWith, seq, spi, src, ttl } from "../../helpers/checkers";
import { bytesOf, chainEvents, eventsOf, firstEchoChain, packetOf, replyTrip, saKeys, severityOf, traceOf, transmitted } from "../../helpers/trace";

const SPI = 0x1000;
const TDBI = { dst: "127.0.0.1", proto: "esp", spi: SPI };
const LO0 = "host:lo0";

const trace = () => traceOf("lo0-esp-ping");

function firstOf<K extends TraceEvent["kind"]>(events: EventList, kind: K, pred: (e: EventOf<K>) => boolean = () => true): EventOf<K> {
  const e = events.find((x): x is EventOf<K> => x.kind === kind && pred(x as EventOf<K>));
  if (!e) throw new Error(`no ${kind} event matching`);
  return e;
}

/** The first echo's reply trip, and the part of it after the reply crossed lo0. */
function reply() {
  const t = trace();
  const trip = replyTrip(t, firstEchoChain(t));
  const tx = firstOf(trip, "link.tx");
  const up = trip.filter((e) => e.seq > tx.seq);
  return { t, trip, tx, up };
}

describe("lo0-esp-ping on netbsd-2003, unfixed: the request", () => {
  it("leaves as ESP (SPI 0x1000, seq 1) carrying only its fresh OUT_DONE, and decrypts to the echo request", () => {
    const t = trace();
    const first = transmitted(t, LO0)[0]!;
    expectIpv4(
      first.bytes,
      src("127.0.0.1"),
      dst("127.0.0.1"),
      esp(spi(SPI), seq(1), decryptsWith(saKeys(t, SPI), icmp(echoRequest(), echoId(0x1234), echoSeq(0)))),
    );
    expect(first.packet.tags.map((x) => [x.name, x.id, x.tdbi])).toEqual([["IPSEC_OUT_DONE", 18, TDBI]]);
    expect(first.packet.flags).toEqual([]);
  });

  it("the second ip_output pass skips IPsec on the fresh OUT_DONE (not stale): the legitimate use of the loop check", () => {
    const t = trace();
    const chain = chainEvents(t, firstEchoChain(t));
    const loops = chain.filter((e): e is EventOf<"decision"> => e.kind === "decision" && e.check === "ipsec-loop");
    expect(loops.map((d) => d.branch)).toEqual(["apply IPsec", "skip IPsec", "skip IPsec"]);
    const legit = loops[1]!;
    expect(legit.consulted).toContainEqual(expect.objectContaining({ kind: "tag", name: "IPSEC_OUT_DONE", stale: false }));
  });
});

describe("lo0-esp-ping on netbsd-2003, unfixed: the request on its way up (kernel-notes §2)", () => {
  /** The first echo's events from its crossing of lo0 to icmp_input. */
  function upTrip() {
    const t = trace();
    const chain = chainEvents(t, firstEchoChain(t));
    const from = chain.findIndex((e) => e.kind === "link.tx");
    const to = chain.findIndex((e) => e.fn === "icmp_input");
    return chain.slice(from, to);
  }

  it("ESP lacks PR_LASTHDR: no inbound policy check before esp4_input; the check runs on the decrypted ICMP", () => {
    const up = upTrip();
    const common = up.findIndex((e) => e.fn === "ipsec_common_input");
    expect(common).toBeGreaterThan(0);
    expect(up.slice(0, common).filter((e) => e.kind === "decision" && (e.check === "ipsec-in-policy" || e.check === "ipsec-in-reject"))).toEqual([]);
    const policy = up.filter((e) => e.kind === "decision" && e.check === "ipsec-in-policy");
    expect(policy).toHaveLength(1);
    expect(policy[0]!.seq).toBeGreaterThan(up.find((e) => e.fn === "ipsec4_common_input_cb")!.seq);
  });

  it("esp_input: replay check, then the crypto callback verifies the ICV and sets M_DECRYPTED (only) before the replay window is updated", () => {
    const up = upTrip();
    const order = up
      .filter(
        (e) =>
          (e.kind === "decision" && (e.check === "replay" || e.check === "icv")) ||
          e.kind === "flag.set" ||
          (e.kind === "sa.update" && e.field === "replay") ||
          e.kind === "mbuf.strip",
      )
      .map((e) => (e.kind === "decision" ? `${e.check}:${e.branch}` : e.kind === "flag.set" ? `set:${e.flags.join("|")}` : e.kind));
    expect(order).toEqual(["replay:maybe new", "icv:ICV ok", "set:DECRYPTED", "sa.update", "mbuf.strip"]);
  });

  it("ipsec4_common_input_cb fixes ip_len and ip_sum, prepends IN_DONE{127.0.0.1, esp, 0x1000}, and re-queues on ipintrq", () => {
    const cb = upTrip().filter((e) => e.fn === "ipsec4_common_input_cb");
    expect(cb.map((e) => (e.kind === "field.set" ? `${e.kind}:${e.field}` : e.kind))).toEqual([
      "field.set:totalLength",
      "field.set:checksum",
      "tag.get",
      "tag.prepend",
      "queue.enqueue",
    ]);
    expect(cb[3]).toMatchObject({ tag: { name: "IPSEC_IN_DONE", id: 17, tdbi: TDBI } });
    expect(cb[4]).toMatchObject({ queue: "ipintrq" });
    // Now the mbuf holds both tags (Stone's step 8 starts here).
    expect(packetOf(trace(), cb[3]!).tags.map((x) => x.name)).toEqual(["IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
  });
});

describe("lo0-esp-ping on netbsd-2003, unfixed: the reply", () => {
  it("ip_output's loop check skipped IPsec because of the request's stale OUT_DONE{127.0.0.1, esp, 0x1000}", () => {
    const { t, trip } = reply();
    const d = firstOf(trip, "decision", (e) => e.check === "ipsec-loop");
    expect(d).toMatchObject({ fn: "ip_output", branch: "skip IPsec" });
    const tag = d.consulted.find((c) => c.kind === "tag");
    expect(tag).toMatchObject({ kind: "tag", name: "IPSEC_OUT_DONE", stale: true, tag: { id: 18, tdbi: TDBI } });
    expect(d.consulted).toContainEqual(expect.objectContaining({ kind: "sa", id: "esp 0x00001000 127.0.0.1→127.0.0.1" }));
    // The very tag the request's ipsec_process_done prepended: the same uid, not a new one.
    const prepended = firstOf(t.events, "tag.prepend", (e) => e.tag.name === "IPSEC_OUT_DONE");
    expect(prepended.fn).toBe("ipsec_process_done");
    expect(tag?.kind === "tag" && tag.tag?.uid).toBe(prepended.tag.uid);
    // It happened after icmp_reflect turned the packet around, on the same chain.
    expect(d.seq).toBeGreaterThan(firstOf(trip, "field.set", (e) => e.fn === "icmp_reflect").seq);
    expect(d.note).toMatch(/stale/);
  });

  it("no ESP: nothing in the reply's trip reaches esp_output or the crypto queue", () => {
    const { trip, tx } = reply();
    expect(trip.filter((e) => e.seq < tx.seq && (e.fn.startsWith("esp_") || e.layer === "crypto"))).toEqual([]);
  });

  it("crosses lo0 as a plain ICMP echo reply carrying IN_DONE, OUT_DONE and M_DECRYPTED", () => {
    const { t, tx } = reply();
    expectIpv4(bytesOf(t, tx), src("127.0.0.1"), dst("127.0.0.1"), ttl(255), icmp(echoReply(), echoId(0x1234), echoSeq(0)));
    const p = packetOf(t, tx);
    expect(p.tags.map((x) => x.name)).toEqual(["IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
    expect(p.tags.every((x) => x.tdbi?.spi === SPI)).toBe(true);
    // esp_input_cb sets M_DECRYPTED only (FAST_IPSEC xform_esp.c): no M_AUTHIPDGM ever appears.
    expect(p.flags).toEqual(["DECRYPTED"]);
    expect(tx).toMatchObject({ ifname: "lo0", link: LO0, fn: "bpf_mtap" });
  });

  it("ip_input chose the inbound policy through the stale IN_DONE: the default policy, none", () => {
    const { up } = reply();
    const find = firstOf(up, "tag.find");
    expect(find).toMatchObject({ fn: "ip_input", name: "IPSEC_IN_DONE", found: { name: "IPSEC_IN_DONE", tdbi: TDBI } });
    const d = firstOf(up, "decision", (e) => e.check === "ipsec-in-policy");
    expect(d).toMatchObject({ fn: "ipsec_getpolicy", branch: "default (in): none" });
    expect(d.consulted).toEqual([
      { kind: "tag", name: "IPSEC_IN_DONE", tag: expect.objectContaining({ id: 17, tdbi: TDBI }), stale: true },
      { kind: "sp", id: "default (in)", summary: expect.stringContaining("none") },
    ]);
  });

  it("ipsec_in_reject accepted the cleartext reply and ping got it", () => {
    const { up } = reply();
    const d = firstOf(up, "decision", (e) => e.check === "ipsec-in-reject");
    expect(d).toMatchObject({ fn: "ipsec_in_reject", branch: "accept" });
    expect(firstOf(up, "deliver")).toMatchObject({ socket: "ping#0", summary: "echo reply from 127.0.0.1: icmp_seq=0" });
  });

  it("ping received 3 replies, each a cleartext ICMP echo reply on lo0", () => {
    const t = trace();
    expect(eventsOf(t, "deliver")).toHaveLength(3);
    expect(t.outcome).toMatchObject({ sent: 3, delivered: 3 });
    const wire = transmitted(t, LO0);
    expect(wire.map((w) => w.bytes[9])).toEqual([50, 1, 50, 1, 50, 1]);
    wire.filter((w) => w.bytes[9] === 1).forEach((w, i) => expectIpv4(w.bytes, icmp(echoReply(), echoSeq(i))));
    wire.filter((w) => w.bytes[9] === 50).forEach((w, i) => expectIpv4(w.bytes, esp(spi(SPI), seq(i + 1))));
  });

  it("the verdict is insecure, with the story's findings at the right steps", () => {
    const { t, trip, tx, up } = reply();
    expect(t.outcome.verdict).toBe("insecure");
    expect(severityOf(t, "stale-out-done-skipped-ipsec")).toBe("critical");
    expect(severityOf(t, "cleartext-on-wire")).toBe("critical");
    expect(severityOf(t, "stale-in-done-chose-policy")).toBe("critical");
    expect(severityOf(t, "cleartext-accepted")).toBe("critical");
    expect(severityOf(t, "stale-ipsec-flags")).toBe("info");
    const step = (id: string) => t.outcome.findings.find((f) => f.id === id)!.step;
    expect(step("stale-out-done-skipped-ipsec")).toBe(firstOf(trip, "decision", (e) => e.check === "ipsec-loop").seq);
    expect(step("cleartext-on-wire")).toBe(tx.seq);
    expect(step("stale-in-done-chose-policy")).toBe(firstOf(up, "decision", (e) => e.check === "ipsec-in-policy").seq);
    expect(step("cleartext-accepted")).toBe(firstOf(up, "decision", (e) => e.check === "ipsec-in-reject").seq);
    expect(step("stale-ipsec-flags")).toBe(firstOf(trip, "flag.clear").seq);
    expect(t.outcome.findings.find((f) => f.id === "cleartext-on-wire")!.sentence).toMatch(/3 times/);
  });
});

describe("Stone's eight steps (seed 001)", () => {
  it("the first echo's events carry steps 1..8 in order, and nothing else does", () => {
    const t = trace();
    const chain = firstEchoChain(t);
    const marked = t.events.filter((e) => e.story !== undefined);
    expect(marked.map((e) => e.chain).filter((c) => c !== chain)).toEqual([-1]); // only ping's app.send has no chain
    const steps = marked.map((e) => e.story!);
    expect([...new Set(steps)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // The marked events are one contiguous stretch of the first echo's life.
    const chainSeqs = t.events.filter((e) => e.chain === chain || e === marked[0]).map((e) => e.seq);
    expect(marked.map((e) => e.seq)).toEqual(chainSeqs.slice(0, marked.length));
  });

  it("each step marks the events that illustrate it", () => {
    const t = trace();
    const at = (n: number) => t.events.filter((e) => e.story === n);
    expect(at(1).map((e) => e.kind)).toContain("app.send");
    expect(at(1).every((e) => ["ping", "sosend", "rip_output"].includes(e.fn))).toBe(true);
    expect(at(2)[0]!.fn).toBe("ip_output");
    expect(at(2)).toContainEqual(
      expect.objectContaining({ kind: "tag.prepend", fn: "ipsec_process_done", tag: expect.objectContaining({ name: "IPSEC_OUT_DONE" }) }),
    );
    expect(at(3).map((e) => e.kind)).toEqual(["link.tx", "queue.enqueue"]);
    expect(at(4)).toContainEqual(expect.objectContaining({ kind: "decision", check: "icv", branch: "ICV ok" }));
    expect(at(4)).toContainEqual(expect.objectContaining({ kind: "flag.set", flags: ["DECRYPTED"] }));
    expect(at(5)).toContainEqual(expect.objectContaining({ kind: "tag.prepend", tag: expect.objectContaining({ name: "IPSEC_IN_DONE" }) }));
    expect(at(5).every((e) => e.fn === "ipsec4_common_input_cb")).toBe(true);
    expect(at(6)).toContainEqual(expect.objectContaining({ kind: "field.set", fn: "icmp_input", field: "type", to: "0" }));
    expect(at(7).every((e) => e.fn === "icmp_reflect" || e.fn === "icmp_send")).toBe(true);
    expect(at(7)).toContainEqual(expect.objectContaining({ kind: "field.set", field: "dst" }));
    const last = at(8).at(-1)!;
    expect(last).toMatchObject({ kind: "decision", check: "ipsec-loop", branch: "skip IPsec" });
  });
});
