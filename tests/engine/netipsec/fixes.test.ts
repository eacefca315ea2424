/**
 * Each fix toggle on the seed story (kernels/personality.ts FIXES), and the freebsd-7
 * personality: what changes in the trace — which verbs run where, what crosses lo0 — and why
 * the verdict follows.
 */
import { describe, expect, it } from "vitest";
import type { EventOf } from "../../../src/engine";
import { decryptsWith, echoId, echoReply, echoRequest, echoSeq, esp, expectIpv4, icmp, seq, spi } from "../../helpers/checkers";
import {
  chainEvents,
  decisions,
  eventsOf,
  findingIds,
  firstEchoChain,
  packetOf,
  replyTrip,
  saKeys,
  severityOf,
  traceOf,
  transmitted,
} from "../../helpers/trace";

const SPI = 0x1000;
const LO0 = "host:lo0";

/** Every packet on lo0 is ESP with sequence numbers 1..6 in order, decrypting to request, reply, request, … */
function expectAllEsp(t: ReturnType<typeof traceOf>): void {
  const wire = transmitted(t, LO0);
  expect(wire).toHaveLength(6);
  const keys = saKeys(t, SPI);
  wire.forEach((w, i) => {
    const echo = i % 2 === 0 ? echoRequest() : echoReply();
    expectIpv4(w.bytes, esp(spi(SPI), seq(i + 1), decryptsWith(keys, icmp(echo, echoId(0x1234), echoSeq(Math.floor(i / 2))))));
  });
}

describe("fix: icmp-reflect-strips-tags (Stone, 2003-08-18)", () => {
  const t = () => traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });

  it("is secure; only the info finding about the stale M_DECRYPTED remains", () => {
    expect(t().outcome.verdict).toBe("secure");
    expect(t().outcome.findings.map((f) => [f.id, f.severity])).toEqual([["stale-ipsec-flags", "info"]]);
    expect(t().outcome).toMatchObject({ sent: 3, delivered: 3 });
  });

  it("every packet on lo0 is ESP, sequence numbers 1..6 in order (request and reply share the SA), real ciphertext that decrypts to the echoes", () => {
    expectAllEsp(t());
  });

  it("icmp_reflect deletes both stale tags, so the reply's loop check finds no OUT_DONE and applies ESP", () => {
    const tr = t();
    const trip = replyTrip(tr, firstEchoChain(tr));
    const strip = trip.find((e): e is EventOf<"tag.deleteNonpersistent"> => e.kind === "tag.deleteNonpersistent")!;
    expect(strip.fn).toBe("icmp_reflect");
    expect(strip.deleted.map((x) => x.name)).toEqual(["IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
    expect(packetOf(tr, strip).tags).toEqual([]); // (not strip.kept: see the aliasing bug in tests/engine/mbuf/tag.test.ts)
    const loop = trip.find((e): e is EventOf<"decision"> => e.kind === "decision" && e.check === "ipsec-loop")!;
    expect(loop.branch).toBe("apply IPsec");
    expect(loop.consulted.filter((c) => c.kind === "tag")).toEqual([]);
    expect(trip.some((e) => e.kind === "crypto.submit" && e.op === "encrypt")).toBe(true);
  });

  it("the reply's IN_DONE on the way up is fresh, from its own ESP input", () => {
    const tr = t();
    const policy = decisions(tr, "ipsec-in-policy");
    expect(policy).toHaveLength(6);
    for (const d of policy) expect(d.consulted[0]).toMatchObject({ kind: "tag", name: "IPSEC_IN_DONE", stale: false });
  });
});

describe("fix: looutput-strips-tags (if_loop.c 1.62)", () => {
  const t = () => traceOf("lo0-esp-ping", { fixes: ["looutput-strips-tags"] });

  it("is secure; every packet on lo0 is ESP 1..6", () => {
    expect(t().outcome.verdict).toBe("secure");
    expect(findingIds(t())).toEqual(["stale-ipsec-flags"]);
    expectAllEsp(t());
  });

  it("looutput deletes the tags before every crossing: nothing crosses lo0 with a tag", () => {
    const tr = t();
    const strips = eventsOf(tr, "tag.deleteNonpersistent");
    expect(strips.map((s) => s.fn)).toEqual(Array(6).fill("looutput"));
    // The request carries its fresh OUT_DONE; the reply its own OUT_DONE plus the IN_DONE it
    // was reflected with (stale, but ip_output never consults IN_DONE).
    expect(strips.map((s) => s.deleted.map((x) => x.name))).toEqual([
      ["IPSEC_OUT_DONE"],
      ["IPSEC_OUT_DONE", "IPSEC_IN_DONE"],
      ["IPSEC_OUT_DONE"],
      ["IPSEC_OUT_DONE", "IPSEC_IN_DONE"],
      ["IPSEC_OUT_DONE"],
      ["IPSEC_OUT_DONE", "IPSEC_IN_DONE"],
    ]);
    for (const w of transmitted(tr, LO0)) expect(w.packet.tags).toEqual([]);
    // With no OUT_DONE left to find, the reply's loop check applies ESP.
    const trip = replyTrip(tr, firstEchoChain(tr));
    expect(trip.find((e) => e.kind === "decision" && e.check === "ipsec-loop")).toMatchObject({ branch: "apply IPsec" });
  });
});

describe("fix: icmp-reflect-clears-ipsec-flags alone", () => {
  const t = () => traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-clears-ipsec-flags"] });

  it("clears M_DECRYPTED (the only IPsec flag ESP input set) at icmp_reflect — really", () => {
    const tr = t();
    const clears = eventsOf(tr, "flag.clear");
    expect(clears).toHaveLength(3);
    for (const c of clears) {
      expect(c.fn).toBe("icmp_reflect");
      expect([...c.flags].sort()).toEqual(["DECRYPTED"]);
      expect(packetOf(tr, c).flags).toEqual([]);
    }
    for (const w of transmitted(tr, LO0)) expect(w.packet.flags).toEqual([]);
    expect(findingIds(tr)).not.toContain("stale-ipsec-flags");
  });

  it("is still insecure: the stale OUT_DONE still skips ESP and the reply crosses lo0 in cleartext", () => {
    const tr = t();
    expect(tr.outcome.verdict).toBe("insecure");
    expect(severityOf(tr, "stale-out-done-skipped-ipsec")).toBe("critical");
    expect(severityOf(tr, "cleartext-on-wire")).toBe("critical");
    expect(transmitted(tr, LO0).map((w) => w.bytes[9])).toEqual([50, 1, 50, 1, 50, 1]);
  });
});

describe("fix: consumer-deletes-tags (the producer/consumer model seed 000 argues against)", () => {
  const t = () => traceOf("lo0-esp-ping", { fixes: ["consumer-deletes-tags"] });

  it("ip_output deletes the OUT_DONE it matched; ip_input deletes the IN_DONE it used", () => {
    const tr = t();
    const deletes = eventsOf(tr, "tag.delete");
    expect(deletes.filter((e) => e.fn === "ip_output").map((e) => e.tag.name)).toEqual(Array(6).fill("IPSEC_OUT_DONE"));
    expect(deletes.filter((e) => e.fn === "ip_input").map((e) => e.tag.name)).toEqual(Array(6).fill("IPSEC_IN_DONE"));
    expect(deletes).toHaveLength(12);
    // The OUT_DONE is deleted right after the loop check that matched it.
    for (const d of deletes.filter((e) => e.fn === "ip_output")) {
      const before = tr.events.at(d.seq - 1)!;
      expect(before).toMatchObject({ kind: "decision", check: "ipsec-loop", branch: "skip IPsec" });
    }
  });

  it("is secure (every packet on lo0 is ESP), but the in-kernel reader loses its evidence: warning ipsec-evidence-lost", () => {
    const tr = t();
    expect(tr.outcome.verdict).toBe("secure");
    expectAllEsp(tr);
    expect(severityOf(tr, "ipsec-evidence-lost")).toBe("warning");
    const evidence = decisions(tr, "ipsec-evidence");
    expect(evidence).toHaveLength(3);
    for (const d of evidence) {
      expect(d.fn).toBe("reader (hypothetical)");
      expect(d.branch).toBe("not via IPsec");
      expect(d.consulted).toEqual([{ kind: "tag", name: "IPSEC_IN_DONE", tag: null }]);
    }
  });
});

describe("personality: freebsd-7", () => {
  const t = () => traceOf("lo0-esp-ping", { personality: "freebsd-7" });

  it("is secure; every packet on lo0 is ESP 1..6", () => {
    expect(t().outcome.verdict).toBe("secure");
    expect(t().personality).toBe("freebsd-7");
    expectAllEsp(t());
  });

  it("if_simloop (not looutput) deletes the non-persistent tags before every crossing, and icmp_reflect does too", () => {
    const tr = t();
    expect(tr.events.some((e) => e.fn === "looutput")).toBe(false);
    const strips = eventsOf(tr, "tag.deleteNonpersistent");
    expect(strips.filter((e) => e.fn === "if_simloop")).toHaveLength(6);
    expect(strips.filter((e) => e.fn === "icmp_reflect").map((e) => e.deleted.map((x) => x.name))).toEqual(Array(3).fill(["IPSEC_IN_DONE"]));
    expect(
      eventsOf(tr, "queue.enqueue")
        .filter((e) => e.queue === "ipintrq" && e.host === "host")
        .some((e) => e.fn === "if_simloop"),
    ).toBe(true);
  });

  it("tags carry FreeBSD numbers: IN_DONE 1, OUT_DONE 2", () => {
    const tr = t();
    const ids = new Map<string, Set<number>>();
    for (const e of eventsOf(tr, "tag.prepend")) ids.set(e.tag.name, (ids.get(e.tag.name) ?? new Set()).add(e.tag.id));
    expect(Object.fromEntries([...ids].map(([k, v]) => [k, [...v]]))).toEqual({ IPSEC_OUT_DONE: [2], IPSEC_IN_DONE: [1] });
    const chain = chainEvents(tr, firstEchoChain(tr));
    expect(chain.filter((e) => e.kind === "tag.prepend").every((e) => e.kind === "tag.prepend" && !e.tag.persistent)).toBe(true);
  });

  it("with the netbsd fixes on as well, the trace is the same as without (they are already on)", () => {
    const plain = traceOf("lo0-esp-ping", { personality: "freebsd-7" });
    const fixed = traceOf("lo0-esp-ping", { personality: "freebsd-7", fixes: ["icmp-reflect-strips-tags", "looutput-strips-tags"] });
    expect(JSON.stringify(fixed.events)).toBe(JSON.stringify(plain.events));
  });
});
