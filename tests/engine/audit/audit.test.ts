/**
 * The audit (src/engine/audit/audit.ts): findings and the verdict computed from the trace
 * alone. Each finding is anchored at the event that made it true, and rests on the evidence
 * the trace records — take the evidence away and the finding goes with it.
 */
import type { EventList } from "../../../src/engine";
import { describe, expect, it } from "vitest";
import { audit } from "../../../src/engine/audit/audit";
import type { EventOf, ScenarioTrace, TraceEvent } from "../../../src/engine";
import { allConfigurations, findingIds, PERSONALITY_IDS, runBuiltin, traceOf } from "../../helpers/trace";

function reaudit(t: ScenarioTrace, events: EventList = t.events) {
  return audit({ events, packets: t.packets, sent: t.outcome.sent, delivered: t.outcome.delivered });
}

/** The trace's events with one decision's consulted list rewritten. */
function withDecision(
  t: ScenarioTrace,
  pick: (e: EventOf<"decision">) => boolean,
  edit: (e: EventOf<"decision">) => EventOf<"decision">,
): TraceEvent[] {
  return t.events.map((e) => (e.kind === "decision" && pick(e) ? edit(e) : e));
}

const VERDICTS: Record<string, Record<string, string>> = {
  "netbsd-2003": {
    "lo0-esp-ping": "insecure",
    "lo0-ping": "secure",
    "lo0-ah-ping": "insecure",
    "lo0-esp-cbc-ping": "insecure",
    "gw-esp-tunnel": "secure",
    "esp-replay": "dropped",
    "esp-wrong-key": "dropped",
    "esp-tamper": "dropped",
    "routed-ping": "dropped",
    "frag-esp": "secure",
    "pmtu-discovery": "dropped",
    "pmtu-blackhole": "dropped",
    // Issue 12: TCP is judged by bytes delivered (audit/tcp.ts), not by the DF segment path MTU discovery drops.
    "tcp-pmtu": "secure",
    "tcp-pmtu-blackhole": "dropped",
    "tcp-esp": "secure",
  },
  "freebsd-7": {
    "lo0-esp-ping": "secure",
    "lo0-ping": "secure",
    "lo0-ah-ping": "secure",
    "lo0-esp-cbc-ping": "secure",
    "gw-esp-tunnel": "secure",
    "esp-replay": "dropped",
    "esp-wrong-key": "dropped",
    "esp-tamper": "dropped",
    "routed-ping": "dropped",
    "frag-esp": "secure",
    "pmtu-discovery": "dropped",
    "pmtu-blackhole": "dropped",
    // Issue 12: TCP is judged by bytes delivered (audit/tcp.ts), not by the DF segment path MTU discovery drops.
    "tcp-pmtu": "secure",
    "tcp-pmtu-blackhole": "dropped",
    "tcp-esp": "secure",
    // Seed 003: FreeBSD's live IN_CRYPTO_DONE path — the NIC's record skips the crypto.
    "offload-rx-whatif": "secure",
  },
  // Seed 003. The lo0 story is as insecure on OpenBSD 2003 as on NetBSD: its icmp_reflect (not read,
  // [U]) is modelled keeping the request's tags, and both checks trust them.
  "openbsd-2003": {
    "lo0-esp-ping": "insecure",
    "lo0-ping": "secure",
    "lo0-ah-ping": "insecure",
    "lo0-esp-cbc-ping": "insecure",
    "gw-esp-tunnel": "secure",
    "esp-replay": "dropped",
    "esp-wrong-key": "dropped",
    "esp-tamper": "dropped",
    "openbsd-records": "secure",
    "openbsd-offload-whatif": "dropped",
    // The NIC's IN_CRYPTO_DONE is never read (#ifdef notyet): the second ICV check fails.
    "offload-rx-whatif": "dropped",
    "openbsd-gif-loop": "dropped",
  },
  // Seed 002 (src/engine/linux): the Linux stack models ESP transport only, so AH and tunnel
  // scenarios are refused there ("not-modelled"); lo0 policies are bypassed by KLIPS's routing or
  // by lo's disable_xfrm/disable_policy.
  "linux-2.2-klips-1999": {
    "lo0-esp-ping": "insecure",
    "lo0-ping": "secure",
    "lo0-ah-ping": "dropped",
    "gw-esp-tunnel": "dropped",
    "klips-bigpackets": "crash",
    "xfrm-pmtu-per-sa": "dropped",
  },
  "linux-2.2-klips-2003": {
    "lo0-esp-ping": "insecure",
    "lo0-ping": "secure",
    "klips-bigpackets": "secure",
    "xfrm-pmtu-per-sa": "dropped",
  },
  "linux-xfrm": {
    "lo0-esp-ping": "insecure",
    "lo0-ping": "secure",
    "esp-replay": "dropped",
    "klips-bigpackets": "dropped",
    "xfrm-pmtu-per-sa": "dropped",
  },
};

describe("verdicts of the built-ins", () => {
  for (const personality of PERSONALITY_IDS) {
    it(`under ${personality}`, () => {
      const got = Object.fromEntries(Object.keys(VERDICTS[personality]!).map((name) => [name, traceOf(name, { personality }).outcome.verdict]));
      expect(got).toEqual(VERDICTS[personality]);
    });
  }
});

describe("the audit reads only the trace", () => {
  it.each(allConfigurations())("$label: a saved (JSON round-tripped) trace audits to the same outcome", ({ name, personality, fixes }) => {
    const t = runBuiltin(name, { personality, fixes });
    const saved = JSON.parse(JSON.stringify(t)) as ScenarioTrace;
    expect(reaudit(saved)).toEqual(t.outcome);
  });
});

describe("findings are anchored at the event that made them true", () => {
  const ANCHOR: Record<string, (e: TraceEvent) => boolean> = {
    "stale-out-done-skipped-ipsec": (e) => e.kind === "decision" && e.check === "ipsec-loop" && e.branch === "skip IPsec",
    "cleartext-on-wire": (e) => e.kind === "link.tx",
    "stale-in-done-chose-policy": (e) => e.kind === "decision" && e.check === "ipsec-in-policy",
    "cleartext-accepted": (e) => e.kind === "decision" && e.check === "ipsec-in-reject" && e.branch === "accept",
    "ipsec-evidence-false": (e) => e.kind === "decision" && e.check === "ipsec-evidence" && e.branch === "via IPsec",
    "ipsec-evidence-lost": (e) => e.kind === "decision" && e.check === "ipsec-evidence" && e.branch === "not via IPsec",
    "stale-ipsec-flags": (e) => e.kind === "flag.clear" && e.fn === "icmp_reflect",
    "step-limit": (e) => e.kind === "drop" && e.reason === "step-limit",
    "pmtu-learned": (e) => e.kind === "decision" && e.check === "pmtu" && e.fn === "icmp_mtudisc",
    "pmtu-blackhole": (e) => e.kind === "drop" && e.reason === "icmp-filtered",
    // seed 003: the reminder still on the packet as it is transmitted; the forgery's fate.
    "reminder-unhonoured": (e) => e.kind === "link.tx",
    "record-unread": (e) => e.kind === "decision" && e.check === "rx-offload" && e.branch === "not looked for (#ifdef notyet)",
    "forged-packet-rejected": (e) => e.kind === "drop",
    // openbsd-offload-whatif without the loop check stops at its event budget, not in a loop.
    "trace-limit": (e) => e.kind === "drop" && e.reason === "trace-limit",
    "forged-packet-accepted": (e) => e.kind === "decision" && e.check === "ipsec-in-reject" && e.branch === "accept",
    "kernel-oops": (e) => e.kind === "drop" && e.reason === "kernel-oops",
    "policy-bypassed-out": (e) => e.kind === "decision" && e.branch.startsWith("bypass"),
    "policy-bypassed-in": (e) => e.kind === "decision" && e.check === "xfrm-policy-check" && e.branch.startsWith("bypass"),
    // Seed 004 (keying).
    "acquire-trigger-dropped": (e) => e.kind === "drop" && e.reason === "ipsec-larval",
    "acquire-never-answered": (e) => e.kind === "drop" && e.reason === "ipsec-larval",
    "acquire-discarded": (e) => e.kind === "decision" && e.check === "km-acquire" && e.branch === "discarded",
    "sa-never-installed": (e) => e.kind === "decision" && e.check === "km-install" && e.branch === "no-op (nokernel)",
    // Issue 12 (audit/tcp.ts): the last byte's arrival, the dropped segment TCP recovered from, tcp_drop.
    "tcp-complete": (e) => e.kind === "deliver" && e.bytes !== undefined,
    "tcp-segment-recovered-ip-msgsize": (e) => e.kind === "drop" && e.reason === "ip-msgsize",
    "tcp-stalled": (e) => e.kind === "drop" && (e.reason === "tcp-timeout" || e.reason === "tcp-reset"),
  };

  it.each(allConfigurations())("$label", ({ name, personality, fixes }) => {
    const t = runBuiltin(name, { personality, fixes });
    for (const f of t.outcome.findings) {
      const e = t.events.at(f.step);
      expect(e, `${f.id} step ${f.step}`).toBeDefined();
      if (f.id.startsWith("drop-")) expect(e).toMatchObject({ kind: "drop", reason: f.id.slice(5) });
      else if (f.id === "unanswered") expect(f.step).toBe(t.events.length - 1);
      else expect(ANCHOR[f.id]?.(e!), `${f.id} anchored at a ${e!.kind} event`).toBe(true);
      expect(f.sentence.length).toBeGreaterThan(20);
    }
  });
});

describe("findings rest on their evidence", () => {
  it("without the stale mark on the OUT_DONE the loop check consulted, there is no stale-out-done finding", () => {
    const t = traceOf("lo0-esp-ping");
    const events = withDecision(
      t,
      (e) => e.check === "ipsec-loop",
      (e) => ({ ...e, consulted: e.consulted.map((c) => (c.kind === "tag" ? { ...c, stale: false } : c)) }),
    );
    const ids = reaudit(t, events).findings.map((f) => f.id);
    expect(ids).not.toContain("stale-out-done-skipped-ipsec");
    expect(ids).toContain("cleartext-on-wire"); // the wire still saw cleartext
  });

  it("cleartext-on-wire needs an IPsec output policy: with the policy decisions saying no IPsec, it goes", () => {
    const t = traceOf("lo0-esp-ping");
    const events = withDecision(
      t,
      (e) => e.check === "ipsec-out-policy",
      (e) => ({ ...e, branch: "no IPsec" }),
    );
    expect(reaudit(t, events).findings.map((f) => f.id)).not.toContain("cleartext-on-wire");
  });

  it("a fresh IN_DONE choosing the default policy is not a finding; a stale one is", () => {
    const fixed = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    expect(findingIds(fixed)).not.toContain("stale-in-done-chose-policy");
    const events = withDecision(
      fixed,
      (e) => e.check === "ipsec-in-policy",
      (e) => ({ ...e, consulted: e.consulted.map((c) => (c.kind === "tag" ? { ...c, stale: true } : c)) }),
    );
    expect(reaudit(fixed, events).findings.find((f) => f.id === "stale-in-done-chose-policy")?.severity).toBe("critical");
  });

  it("cleartext-accepted is not raised when the accepted packet did come through IPsec", () => {
    const t = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    expect(findingIds(t)).not.toContain("cleartext-accepted");
  });

  it("delivered < sent raises unanswered; a drop makes the verdict dropped", () => {
    const t = traceOf("lo0-ping");
    expect(audit({ events: t.events, packets: t.packets, sent: 3, delivered: 2 })).toMatchObject({
      verdict: "dropped",
      findings: [{ id: "unanswered", severity: "warning", sentence: "1 of 3 echo requests got no reply." }],
    });
  });
});

describe("the outcome's shape", () => {
  it("orders findings critical, warning, info, then by step; counts repeats in the sentence", () => {
    for (const name of ["lo0-esp-ping", "esp-tamper", "lo0-ah-ping"]) {
      const { findings } = traceOf(name).outcome;
      const rank = { critical: 0, warning: 1, info: 2 } as const;
      const keys = findings.map((f) => [rank[f.severity], f.step] as const);
      expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
      expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
    }
    const stale = traceOf("lo0-esp-ping").outcome.findings.find((f) => f.id === "stale-out-done-skipped-ipsec")!;
    expect(stale.sentence).toMatch(/^ip_output skipped IPsec for the echo reply because a stale IPSEC_OUT_DONE\{127\.0\.0\.1, esp, 0x00001000\}/);
    expect(stale.sentence).toMatch(/\(3 times in this run\)$/);
  });

  it("insecure outranks loop, loop outranks dropped; a truncated run is judged on what ran", () => {
    const withLoop = (t: ReturnType<typeof runBuiltin>) => {
      const loopEnd = {
        seq: t.events.length,
        t: 0,
        host: "host",
        layer: "ip",
        fn: "runScenario",
        packet: -1,
        chain: -1,
        note: "loop",
        kind: "drop",
        reason: "step-limit",
        detail: "x events",
      } as const;
      return audit({ events: [...t.events, loopEnd], packets: t.packets, sent: t.outcome.sent, delivered: t.outcome.delivered }).verdict;
    };
    expect(withLoop(runBuiltin("lo0-esp-ping"))).toBe("insecure");
    expect(withLoop(runBuiltin("esp-tamper"))).toBe("loop");
    expect(withLoop(runBuiltin("lo0-ping"))).toBe("loop");
    expect(runBuiltin("lo0-ping", { maxEvents: 100 }).outcome.verdict).toBe("secure");
  });
});
