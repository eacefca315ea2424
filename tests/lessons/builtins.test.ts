/**
 * Every built-in lesson is true of its run: it validates, each stop's key resolves to a step of
 * the run at that stop (its scenario, kernel and fixes), and what each stop's text claims about
 * that step — a tag deleted, a branch taken, ciphertext on the wire — is what the event there did.
 */
import { describe, expect, it } from "vitest";
import { builtinByName, logicalIndex, type ScenarioTrace, type TraceEvent } from "../../src/engine/index";

const versionAt = (packets: ScenarioTrace["packets"], id: number) => (id >= 0 ? packets.at(id) : undefined);
import { BUILTIN_LESSONS } from "../../src/lessons/builtins";
import { stateAtStop, stopShareState } from "../../src/lessons/stops";
import { loadLesson } from "../../src/lessons/validate";
import { runTraceSync } from "../../src/worker/runTrace";

type Ctx = { e: TraceEvent; trace: ScenarioTrace };
type Claim = (c: Ctx) => void;

const tagsOf = ({ e, trace }: Ctx) => (versionAt(trace.packets, e.packet)?.tags ?? []).map((t) => t.name);
const flagsOf = ({ e, trace }: Ctx) => versionAt(trace.packets, e.packet)?.flags ?? [];
const hdrKinds = ({ e, trace }: Ctx) => (versionAt(trace.packets, e.packet)?.hdrs ?? []).map((h) => h.kind);
const branch = (c: Ctx) => (c.e.kind === "decision" ? c.e.branch : `(not a decision: ${c.e.kind})`);

/** Per lesson, per stop: what the stop's text says happens at its step. */
const CLAIMS: Record<string, Claim[]> = {
  "lo0-2003": [
    (c) => expect(c.e.kind).toBe("app.send"),
    (c) => {
      expect(c.e.kind).toBe("tag.prepend");
      expect(tagsOf(c)).toContain("IPSEC_OUT_DONE");
    },
    (c) => {
      expect(c.e.kind).toBe("link.tx");
      expect(tagsOf(c)).toEqual(["IPSEC_OUT_DONE"]);
      expect(hdrKinds(c)).toContain("esp");
    },
    (c) => expect(branch(c)).toBe("no policy check"),
    (c) => {
      expect(tagsOf(c).sort()).toEqual(["IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
      expect(flagsOf(c)).toContain("DECRYPTED");
    },
    (c) => expect(c.e.fn).toBe("icmp_input"),
    (c) => {
      expect(c.e.fn).toBe("icmp_reflect");
      expect(tagsOf(c).sort()).toEqual(["IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
      expect(flagsOf(c)).toContain("DECRYPTED");
    },
    (c) => expect(branch(c)).toBe("skip IPsec"),
    (c) => {
      expect(c.e.kind).toBe("link.tx");
      expect(hdrKinds(c)).not.toContain("esp");
      expect(hdrKinds(c)).toContain("icmp");
      expect(tagsOf(c).sort()).toEqual(["IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
    },
    (c) => {
      expect(branch(c)).toBe("accept");
      expect(c.trace.outcome.verdict).toBe("insecure");
      // "ping succeeds": the reply reaches ping after this accept.
      const after = [...c.trace.events].slice(c.e.seq).find((e) => e.kind === "deliver" && e.fn === "ping");
      expect(after?.note).toMatch(/ping receives the echo reply .*icmp_seq=0/);
    },
    (c) => {
      expect(c.e.kind).toBe("tag.deleteNonpersistent");
      expect(tagsOf(c)).toEqual([]);
    },
    (c) => {
      expect(branch(c)).toBe("apply IPsec");
      expect(c.trace.outcome.verdict).toBe("secure");
      // The predicted next step: key_checkrequest finds the SA.
      const next = c.trace.events.at(c.e.seq + 1)!;
      expect(next.fn).toBe("ipsec4_process_packet");
    },
    (c) => {
      expect(c.e.fn).toBe("icmp_reflect");
      expect(tagsOf(c)).toEqual([]);
      expect(flagsOf(c)).toContain("DECRYPTED");
      // "a *stale* M_DECRYPTED": the trace marks it stale on the reflected packet.
      expect(versionAt(c.trace.packets, c.e.packet)?.staleFlags).toContain("DECRYPTED");
      expect(c.trace.fixes).toEqual(["icmp-reflect-strips-tags"]);
    },
  ],
  "klips-bigpackets": [
    (c) => expect(c.e.kind).toBe("app.send"),
    (c) => expect(c.e.kind === "decision" && c.e.question + c.e.branch + (c.e.note ?? "")).toMatch(/1536/),
    (c) => expect(c.e.note).toMatch(/skb->dev = eth0.*disagree/),
    (c) => expect(branch(c)).toBe("1500 + 56"),
    (c) => {
      expect(branch(c)).toBe("re-entry: oops");
      expect(c.trace.outcome.verdict).toBe("crash");
    },
    (c) => expect(branch(c)).toBe("via eth0"),
    (c) => {
      expect(branch(c)).toBe("ip_fragment");
      const at = (key: string) => c.trace.events.at(logicalIndex(c.trace).seqOf.get(key)!)!;
      expect(at("1/west ip ip_fragment decision mtu/0").note).toMatch(/DF is not copied into the fragments/);
      expect(at("1/west ipsec ipsec_xmit_encap_bundle decision klips-mtu/0").note).toMatch(/sysctl_ipsec_icmp = 0: no ICMP is sent/);
    },
    (c) => {
      expect(branch(c)).toBe("reassembled");
      expect(c.trace.outcome.verdict).toBe("secure");
    },
  ],
  "openbsd-records": [
    (c) => {
      expect(c.e.kind).toBe("tag.prepend");
      expect(tagsOf(c)).toContain("IPSEC_OUT_DONE");
    },
    (c) => expect(branch(c)).toBe("skip IPsec"),
    (c) => {
      expect(c.e.kind).toBe("tag.prepend");
      expect(c.e.host).toBe("east");
      expect(tagsOf(c)).toEqual(["IPSEC_IN_DONE"]);
    },
    (c) => expect(branch(c)).toBe("accept"),
    (c) => {
      expect(flagsOf(c)).toContain("DECRYPTED");
      expect(tagsOf(c)).not.toContain("IPSEC_OUT_DONE");
      const loop = logicalIndex(c.trace).seqOf.get("1/east ip ip_output decision ipsec-loop/0")!;
      expect(branch({ e: c.trace.events.at(loop)!, trace: c.trace })).toBe("apply IPsec");
    },
    (c) => {
      expect(branch(c)).toBe("reject");
      expect(c.trace.outcome.verdict).toBe("secure");
    },
  ],
  "libreswan-ondemand": [
    (c) => expect(c.e.note).toMatch(/XFRM_MSG_UPDPOLICY dir out/),
    (c) => expect(branch(c)).toBe("ACQUIRE sent"),
    (c) => {
      expect(c.e.kind).toBe("drop");
      expect(c.e.note).toMatch(/xfrm_larval_drop is 1/);
    },
    (c) => expect(branch(c)).toBe("initiate"),
    (c) => expect(branch(c)).toBe("replace ACQ"),
    (c) => {
      expect(branch(c)).toBe("installed");
      const before = [...c.trace.events]
        .slice(0, c.e.seq)
        .filter((e) => e.host === "west" && e.fn === "xfrm_user_rcv_msg")
        .map((e) => e.note ?? "");
      for (const m of [/XFRM_MSG_NEWSA/, /XFRM_MSG_UPDSA/, /UPDPOLICY dir in/, /UPDPOLICY dir fwd/, /UPDPOLICY dir out/])
        expect(before.some((n) => m.test(n))).toBe(true);
    },
    (c) => {
      expect(c.e.kind).toBe("link.tx");
      expect(hdrKinds(c)).toContain("esp");
      expect(c.trace.outcome.verdict).toBe("secure");
      expect(c.trace.outcome.findings.map((f) => f.id)).toContain("acquire-trigger-dropped");
    },
  ],
};

describe("built-in lessons", () => {
  for (const { id, lesson } of BUILTIN_LESSONS) {
    describe(id, () => {
      it("is a valid lesson", () => {
        const loaded = loadLesson(JSON.parse(JSON.stringify(lesson)));
        expect(loaded.ok ? [] : loaded.problems).toEqual([]);
      });

      it("has a claim check for every stop", () => {
        expect(CLAIMS[id]?.length).toBe(lesson.stops.length);
      });

      lesson.stops.forEach((stop, i) => {
        it(`stop ${i + 1} resolves in its run and its text holds there`, () => {
          const { personality, fixes } = stateAtStop(lesson, i);
          const share = stopShareState(lesson, i);
          expect(share.cursor.key).toBe(stop.key);
          const input = typeof lesson.scenario === "string" ? builtinByName(lesson.scenario) : lesson.scenario;
          const run = runTraceSync(input, { ...(personality ? { personality } : {}), ...(fixes ? { fixes } : {}) });
          if (!run.ok) throw new Error(JSON.stringify(run.problems));
          const seq = logicalIndex(run.trace).seqOf.get(stop.key);
          expect(seq, `key ${stop.key}`).toBeDefined();
          CLAIMS[id]![i]!({ e: run.trace.events.at(seq!)!, trace: run.trace });
        });
      });
    });
  }
});
