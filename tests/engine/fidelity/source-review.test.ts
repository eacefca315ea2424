/**
 * Issue 10, "Fidelity": each test pins one place where the engine used to tell a learner
 * something the 2003 kernel never did (kernel-notes §7, "Corrections to §2 and §7").
 */
import { describe, expect, it } from "vitest";
import { FIXES, PERSONALITIES } from "../../../src/engine/kernels/personality";
import { loadScenario, runScenario } from "../../../src/engine";
import { STONE_CAVEATS } from "../../../src/engine/audit/story";
import { hasLastHdr } from "../../../src/engine/netinet/ip_input";
import { IP_PROTO } from "../../../src/engine/wire/fields";
import { builtinInput, chainEvents, decisions, eventsOf, firstEchoChain, runBuiltin, traceOf, transmitted } from "../../helpers/trace";

describe("PR_LASTHDR (in_proto.c): which packets ip_input policy-checks", () => {
  it("ICMP, IGMP, IP-in-IP and the raw wildcard have it; ESP, AH, UDP and TCP do not", () => {
    expect(hasLastHdr(IP_PROTO.ICMP)).toBe(true);
    expect(hasLastHdr(2)).toBe(true);
    expect(hasLastHdr(IP_PROTO.IPIP)).toBe(true);
    expect(hasLastHdr(253)).toBe(true);
    for (const p of [IP_PROTO.ESP, IP_PROTO.AH, IP_PROTO.UDP, IP_PROTO.TCP]) expect(hasLastHdr(p)).toBe(false);
  });

  it("the ESP packet's ip_input step names PR_LASTHDR and makes no policy lookup before esp4_input", () => {
    const t = traceOf("lo0-esp-ping");
    const chain = chainEvents(t, firstEchoChain(t));
    const d = chain.find((e) => e.kind === "decision" && e.check === "pr-lasthdr");
    expect(d).toMatchObject({ fn: "ip_input", branch: "no policy check" });
    expect(d!.note).toMatch(/PR_LASTHDR \(in_proto\.c\)/);
    // Between that decision and ipsec_common_input's SA lookup, no inbound policy is consulted.
    const sa = chain.find((e) => e.seq > d!.seq && e.kind === "decision" && e.check === "ipsec-in-sa")!;
    expect(chain.filter((e) => e.seq > d!.seq && e.seq < sa.seq && e.kind === "decision" && e.check === "ipsec-in-policy")).toEqual([]);
    expect(decisions(t, "pr-lasthdr")).toHaveLength(3);
  });

  it("a tunnel's decapsulated IP-in-IP packet gets its IN_DONE policy check before ipip_input", () => {
    const t = traceOf("gw-esp-tunnel");
    const ipip = eventsOf(t, "mbuf.adj").filter((e) => e.fn === "ipip_input");
    expect(ipip.length).toBeGreaterThan(0);
    for (const e of ipip) {
      const before = t.events.filter((x) => x.chain === e.chain && x.seq < e.seq);
      const last = [...before].reverse().find((x) => x.kind === "decision");
      expect(last).toMatchObject({ check: "ipsec-in-reject", branch: "accept" });
    }
  });
});

describe("icmp_reflect's TTL and the personality texts", () => {
  const replyTtls = (personality?: "freebsd-7") =>
    eventsOf(traceOf("lo0-esp-ping", personality ? { personality } : {}), "field.set")
      .filter((e) => e.fn === "icmp_reflect" && e.field === "ttl")
      .map((e) => e.to);

  it("netbsd-2003 uses MAXTTL (ip_icmp.c 1.68); freebsd-7 uses ip_defttl (ip_icmp.c 1.111)", () => {
    expect(replyTtls()).toEqual(["255", "255", "255"]);
    expect(replyTtls("freebsd-7")).toEqual(["64", "64", "64"]);
  });

  it("freebsd-7's summary says both strips were in FreeBSD 6-era sources and either alone suffices", () => {
    const s = PERSONALITIES["freebsd-7"].summary;
    expect(s).toMatch(/FreeBSD 6-era/);
    expect(s).toMatch(/either alone makes the lo0 story secure/);
  });

  it('the icmp_reflect strip is "the fix Stone proposed", never "the 2003 fix"', () => {
    const f = FIXES["icmp-reflect-strips-tags"];
    expect(f.explanation).toContain("the fix Stone proposed");
    expect(`${f.explanation} ${f.source}`).not.toMatch(/2003 fix|2003 commit/);
    const notes = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] }).events.map((e) => e.note);
    expect(notes.some((n) => n.includes("the fix Stone proposed"))).toBe(true);
    expect(notes.some((n) => n.includes("2003 fix"))).toBe(false);
  });
});

describe("latent inventions removed (fidelity 6) and the IP_MAXPACKET defect", () => {
  it('a "use" request with no SA is an EINVAL drop (ipsec_nextisr), not a cleartext send', () => {
    const t = runBuiltin("lo0-esp-ping", {
      patch: (s) => {
        const h = s.hosts[0]!;
        h.sad = [];
        for (const sp of h.spd ?? []) for (const r of sp.requests ?? []) r.level = "use";
      },
    });
    const d = decisions(t, "ipsec-out-sa");
    expect(d.map((x) => x.branch)).toEqual(["no SA: EINVAL", "no SA: EINVAL", "no SA: EINVAL"]);
    expect(eventsOf(t, "drop").map((x) => x.detail)).toEqual(Array(3).fill("no SA for esp/transport//use (use): EINVAL"));
    expect(transmitted(t)).toEqual([]);
  });

  it("an oversized datagram without DF is fragmented (ip_fragment), reassembled and answered, not counted as ips_cantfrag", () => {
    const t = runBuiltin("lo0-ping", { patch: (s) => Object.assign(s.traffic[0]!, { size: 65499, count: 1 }) });
    // 65527 bytes over lo0 (LOMTU 33192): (33192 - 20) & ~7 = 33168 data bytes, then 32339.
    expect(decisions(t, "mtu").map((d) => d.branch)).toEqual(["ip_fragment", "2 fragments", "ip_fragment", "2 fragments"]);
    expect(eventsOf(t, "drop")).toEqual([]);
    expect(decisions(t, "reass").map((d) => d.branch)).toEqual(["wait", "complete", "wait", "complete"]);
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 1, delivered: 1 });
  });

  it("tdb_ident is 36 bytes (union sockaddr_union + proto + spi)", () => {
    const tags = eventsOf(traceOf("lo0-esp-ping"), "tag.get");
    expect(tags.length).toBeGreaterThan(0);
    for (const e of tags) expect(e.tag.len).toBe(36);
  });

  it.each(["lo0-esp-ping", "lo0-ah-ping"])("%s with a 65499-byte ping: EMSGSIZE drop in the transform, no crash", (name) => {
    const t = runBuiltin(name, { patch: (s) => Object.assign(s.traffic[0]!, { size: 65499, count: 1 }) });
    const d = decisions(t, "ip-maxpacket");
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ branch: "EMSGSIZE" });
    expect(d[0]!.note).toMatch(/IP_MAXPACKET 65535/);
    expect(eventsOf(t, "drop")).toEqual([expect.objectContaining({ reason: "ip-msgsize" })]);
    expect(t.outcome).toMatchObject({ verdict: "dropped", sent: 1, delivered: 0 });
  });

  it("65471 bytes, the size the defect report used, also drops instead of throwing", () => {
    const t = runBuiltin("lo0-esp-ping", { patch: (s) => Object.assign(s.traffic[0]!, { size: 65471, count: 1 }) });
    expect(decisions(t, "ip-maxpacket").map((d) => d.branch)).toEqual(["EMSGSIZE"]);
  });
});

describe("Stone's step labels know the run (fidelity 1)", () => {
  const steps = (opts: Parameters<typeof traceOf>[1]) => [
    ...new Set(traceOf("lo0-esp-ping", opts).events.flatMap((e) => (e.story ? [e.story] : []))),
  ];

  it("unfixed netbsd-2003: all eight steps", () => {
    expect(steps({})).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("icmp-reflect-strips-tags: no step 8 — the reply bears no tags", () => {
    expect(steps({ fixes: ["icmp-reflect-strips-tags"] })).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("looutput-strips-tags and freebsd-7: no step 3 ('complete with tags') and no step 8", () => {
    expect(steps({ fixes: ["looutput-strips-tags"] })).toEqual([1, 2, 4, 5, 6, 7]);
    expect(steps({ personality: "freebsd-7" })).toEqual([1, 2, 4, 5, 6, 7]);
  });

  it("where Stone's wording and the code differ, the step says so (step 4: no policy check in ip_input)", () => {
    expect(STONE_CAVEATS[3]).toMatch(/PR_LASTHDR/);
    expect(STONE_CAVEATS[1]).toMatch(/PENDING_TDB/);
  });
});

describe("the tag lookups that find nothing (fidelity 8)", () => {
  it("every ip_output pass looks for PENDING_TDB first; esp_input looks for IN_CRYPTO_DONE; both find none", () => {
    const t = traceOf("lo0-esp-ping");
    const finds = eventsOf(t, "tag.find");
    const pending = finds.filter((e) => e.name === "IPSEC_PENDING_TDB");
    const policy = decisions(t, "ipsec-out-policy");
    expect(pending.length).toBe(policy.length);
    expect(pending.every((e) => e.fn === "ip_output" && e.found === null)).toBe(true);
    const crypto = finds.filter((e) => e.name === "IPSEC_IN_CRYPTO_DONE");
    expect(crypto.map((e) => [e.fn, e.found])).toEqual(Array(3).fill(["esp_input", null]));
  });

  it("ah_input looks for IN_CRYPTO_DONE too", () => {
    const crypto = eventsOf(traceOf("lo0-ah-ping"), "tag.find").filter((e) => e.name === "IPSEC_IN_CRYPTO_DONE");
    expect(crypto.length).toBeGreaterThan(0);
    expect(crypto.every((e) => e.fn === "ah_input" && e.found === null)).toBe(true);
  });
});

describe("two pings with one ICMP id (defect)", () => {
  const twoPings = (id2: number) => {
    const input = builtinInput("lo0-ping");
    input.traffic = [
      { kind: "ping", from: "host", dst: "127.0.0.1", count: 2, id: 0x1234 },
      { kind: "ping", from: "host", dst: "127.0.0.1", count: 2, id: id2 },
    ];
    return loadScenario(input);
  };

  it("is rejected with a message that says why (ping's id is its pid)", () => {
    const r = twoPings(0x1234);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toContainEqual(
      expect.objectContaining({ path: "$.traffic[1].id", message: expect.stringMatching(/already used by traffic\[0\].*process id/) }),
    );
  });

  it("with distinct ids each ping counts only its own replies: 4 sent, 4 delivered", () => {
    const r = twoPings(0x4321);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const t = runScenario(r.scenario);
    expect(t.outcome).toMatchObject({ sent: 4, delivered: 4 });
  });
});

describe("replay as FAST_IPSEC does it (fidelity 5)", () => {
  it("an SA with no window (replayWindow 0): no sequence numbers counted, no replay check, no window update", () => {
    const t = runBuiltin("lo0-esp-ping", { patch: (s) => void (s.hosts[0]!.sad![0]!.replayWindow = 0) });
    expect(eventsOf(t, "sa.update").filter((e) => e.field === "seq" || e.field === "replay")).toEqual([]);
    expect(decisions(t, "replay").map((d) => d.branch)).toEqual(Array(3).fill("not checked"));
    expect(t.outcome.delivered).toBe(3);
  });

  it("ESP without authentication is never checked by ipsec_chkreplay, even with a window", () => {
    const t = runBuiltin("lo0-esp-ping", {
      patch: (s) => {
        const sa = s.hosts[0]!.sad![0]!;
        Object.assign(sa, { enc: "aes-cbc", encKey: "0x" + "11".repeat(16), auth: "none", replayWindow: 64 });
      },
    });
    const d = decisions(t, "replay");
    expect(d.map((x) => x.branch)).toEqual(Array(3).fill("not checked"));
    expect(d[0]!.note).toMatch(/never replay-checked/);
  });

  it("an authenticated SA with a window is still checked", () => {
    expect(decisions(traceOf("lo0-esp-ping"), "replay").map((d) => d.branch)).toEqual(Array(3).fill("maybe new"));
  });
});

describe("ping's IP_HDRINCL path and ip_randomid (fidelity 7)", () => {
  it("rip_output fills ip_id (it was 0) with ip_randomid and passes IP_RAWOUTPUT: ip_output does not touch the request's id", () => {
    const t = traceOf("lo0-esp-ping");
    const chain = chainEvents(t, firstEchoChain(t));
    const ids = chain.filter((e) => e.kind === "field.set" && e.field === "id");
    expect(ids[0]).toMatchObject({ fn: "rip_output", from: "0x0000" });
    expect(ids[0]!.note).toMatch(/ip_randomid/);
    // Up to icmp_reflect, nothing in ip_output sets the id: the request went down with IP_RAWOUTPUT.
    const reflect = chain.find((e) => e.fn === "icmp_reflect")!;
    expect(ids.filter((e) => e.seq < reflect.seq && e.fn === "ip_output")).toEqual([]);
    // The reply, a kernel-built datagram, gets its id from ip_randomid in ip_output (1.120).
    expect(ids.find((e) => e.seq > reflect.seq)).toMatchObject({ fn: "ip_output" });
    expect(ids.find((e) => e.seq > reflect.seq)!.note).toMatch(/ip_randomid\(\)/);
  });

  it("the ids come from the seeded RNG: same seed, same ids; another seed, others", () => {
    const ids = (seed: number) =>
      eventsOf(runBuiltin("lo0-ping", { seed }), "field.set")
        .filter((e) => e.field === "id")
        .map((e) => e.to);
    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
  });
});

describe("rip_input: the real socket check and seed 000's hypothetical reader (fidelity 4)", () => {
  it("the in-kernel reader is its own step, labelled hypothetical, not rip_input", () => {
    const d = decisions(traceOf("lo0-esp-ping"), "ipsec-evidence");
    expect(d.length).toBeGreaterThan(0);
    for (const e of d) {
      expect(e.fn).toBe("reader (hypothetical)");
      expect(e.note).toMatch(/^Hypothetical/);
    }
  });

  it("netbsd-2003 (raw_ip.c 1.66) makes no socket policy check; freebsd-7 does (ipsec4_in_reject)", () => {
    const rejects = (opts: Parameters<typeof traceOf>[1]) =>
      decisions(traceOf("lo0-esp-ping", opts), "ipsec-in-reject").filter((e) => e.note.includes("rip_input") || e.seq >= 0).length;
    expect(PERSONALITIES["netbsd-2003"].behaviour.ripInputChecksPolicy).toBe(false);
    expect(PERSONALITIES["freebsd-7"].behaviour.ripInputChecksPolicy).toBe(true);
    expect(rejects({ personality: "freebsd-7" })).toBeGreaterThan(rejects({}));
  });

  it("with the socket check on, the stale M_DECRYPTED lets the cleartext reply in; icmp-reflect-clears-ipsec-flags makes it a drop", () => {
    const on = traceOf("lo0-esp-ping", { fixes: ["rip-input-checks-policy"] });
    expect(on.outcome.delivered).toBe(3);
    const both = traceOf("lo0-esp-ping", { fixes: ["rip-input-checks-policy", "icmp-reflect-clears-ipsec-flags"] });
    expect(both.outcome.delivered).toBe(0);
    expect(eventsOf(both, "drop").map((e) => [e.fn, e.reason])).toEqual(Array(3).fill(["ipsec_in_reject", "ipsec-policy-reject"]));
    // Without the socket check the flag fix changes nothing a learner can see in the outcome.
    expect(traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-clears-ipsec-flags"] }).outcome.delivered).toBe(3);
  });
});
