/**
 * Comparing two runs (src/engine/audit/compare.ts): the baseline (the scenario's own kernel, no
 * fixes) against a run with fixes or another kernel. Where they part must be the kernel function
 * the fix changes, the finding and verdict deltas must be the audit's, and what shifts between
 * runs without the kernel doing anything different (seq, time, packet ids, tag uids and
 * numbering, narration) must not count as a difference.
 */
import { describe, expect, it } from "vitest";
import { compareTraces, type ScenarioTrace, type TraceEvent } from "../../../src/engine";
import { eventMeaning } from "../../../src/engine/audit/compare";
import { isLinuxFix } from "../../../src/engine/kernels/personality";
import { BUILTIN_NAMES, FIX_IDS, findingIds, traceOf } from "../../helpers/trace";

/** The fixes of the BSD seed story (the Linux switches of seed 002 change nothing on netbsd-2003). */
const BSD_FIX_IDS = FIX_IDS.filter((id) => !isLinuxFix(id)) as (keyof typeof FIX_DIVERGENCE)[];

const bug = traceOf("lo0-esp-ping");

/** A copy of `t` with other events (or a prefix of them). */
function withEvents(t: ScenarioTrace, events: readonly TraceEvent[]): ScenarioTrace {
  return { ...t, events };
}

describe("comparing a run with itself", () => {
  it.each(BUILTIN_NAMES)("%s: identical, no divergence, nothing added or removed", (name) => {
    const t = traceOf(name);
    const c = compareTraces(t, t);
    expect(c).toMatchObject({
      identical: true,
      divergeAt: null,
      baseEvent: null,
      runEvent: null,
      common: t.events.length,
      findingsAdded: [],
      findingsRemoved: [],
    });
    expect(c.verdicts).toEqual({ base: t.outcome.verdict, run: t.outcome.verdict });
    expect(c.sentence).toBe(`The two runs are identical: all ${t.events.length} steps match, and the verdict is ${t.outcome.verdict} in both.`);
  });

  it("ignores seq, time, packet and chain ids, tag uids and numbering, and the narration", () => {
    const shifted = bug.events.map((e): TraceEvent => {
      const moved = {
        ...e,
        seq: e.seq,
        t: e.t + 1000,
        packet: e.packet + 7,
        chain: e.chain + 3,
        note: `${e.note} (reworded)`,
        story: undefined,
      } as TraceEvent;
      if (moved.kind === "tag.prepend" || moved.kind === "tag.get" || moved.kind === "tag.delete")
        return { ...moved, tag: { ...moved.tag, uid: moved.tag.uid + 100, id: moved.tag.id + 1 } };
      if (moved.kind === "decision") return { ...moved, question: "reworded?", consulted: [] };
      return moved;
    });
    expect(compareTraces(bug, withEvents(bug, shifted)).identical).toBe(true);
  });

  it("counts a different branch, tag, field value or drop reason as a difference", () => {
    const loop = bug.events.findIndex((e) => e.kind === "decision" && e.check === "ipsec-loop" && e.branch === "skip IPsec");
    const prepend = bug.events.findIndex((e) => e.kind === "tag.prepend");
    const field = bug.events.findIndex((e) => e.kind === "field.set");
    const edits: [number, (e: TraceEvent) => TraceEvent][] = [
      [loop, (e) => ({ ...e, branch: "apply IPsec" }) as TraceEvent],
      [prepend, (e) => (e.kind === "tag.prepend" ? { ...e, tag: { ...e.tag, name: "IPSEC_IN_DONE" } } : e)],
      [field, (e) => (e.kind === "field.set" ? { ...e, to: `${e.to}0` } : e)],
      [loop, (e) => ({ ...e, fn: "ip_input" })],
    ];
    for (const [at, edit] of edits) {
      expect(at).toBeGreaterThan(0);
      const events = bug.events.map((e, i) => (i === at ? edit(e) : e));
      const c = compareTraces(bug, withEvents(bug, events));
      expect(c.identical).toBe(false);
      expect(c.divergeAt).toEqual({ base: at, run: at });
      expect(c.common).toBe(at);
    }
    const drop = {
      seq: 0,
      t: 0,
      host: "host",
      layer: "ip",
      fn: "ip_input",
      packet: -1,
      chain: -1,
      note: "",
      kind: "drop",
      reason: "ip-bad-len",
      detail: "x",
    } as const;
    expect(eventMeaning(drop)).not.toBe(eventMeaning({ ...drop, reason: "ip-bad-checksum" }));
    expect(eventMeaning(drop)).toBe(eventMeaning({ ...drop, detail: "something else", seq: 9 }));
  });
});

/** Where each fix of the seed story first changes what the kernel does, and what it changes. */
const FIX_DIVERGENCE = {
  "icmp-reflect-strips-tags": { fn: "icmp_reflect", kind: "tag.deleteNonpersistent", verdict: "secure" },
  "looutput-strips-tags": { fn: "looutput", kind: "tag.deleteNonpersistent", verdict: "secure" },
  "icmp-reflect-clears-ipsec-flags": { fn: "icmp_reflect", kind: "flag.clear", verdict: "insecure" },
  "consumer-deletes-tags": { fn: "ip_output", kind: "tag.delete", verdict: "secure" },
  "rip-input-checks-policy": { fn: "ipsec_getpolicybyaddr", kind: "decision", verdict: "insecure" },
} as const;

describe("each fix of lo0-esp-ping against the run without it", () => {
  it("covers every fix", () => {
    expect(Object.keys(FIX_DIVERGENCE).sort()).toEqual([...BSD_FIX_IDS].sort());
  });

  it.each(BSD_FIX_IDS)("%s: diverges at the kernel function the fix changes", (fix) => {
    const run = traceOf("lo0-esp-ping", { fixes: [fix] });
    const c = compareTraces(bug, run);
    const want = FIX_DIVERGENCE[fix];
    expect(c.identical).toBe(false);
    expect(c.divergeAt).not.toBeNull();
    const at = c.divergeAt!.run;
    expect(c.common).toBe(at);
    expect(c.runEvent).toMatchObject({ seq: at, fn: want.fn, kind: want.kind, host: "host" });
    expect(c.runEvent!.note).toBe(run.events[at]!.note);
    expect(c.baseEvent).toMatchObject({ seq: c.divergeAt!.base });
    // Everything before is the same step for step; the step itself is not.
    for (let i = 0; i < at; i++) expect(eventMeaning(run.events[i]!), `step ${i + 1}`).toBe(eventMeaning(bug.events[i]!));
    expect(eventMeaning(run.events[at]!)).not.toBe(eventMeaning(bug.events[c.divergeAt!.base]!));
    expect(c.verdicts).toEqual({ base: "insecure", run: want.verdict });
    expect(c.steps).toEqual({ base: bug.events.length, run: run.events.length });
  });

  it("icmp-reflect-strips-tags: at icmp_reflect's m_tag_delete_nonpersistent, insecure → secure, the stale-tag findings gone", () => {
    const run = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const c = compareTraces(bug, run);
    const reflect = bug.events.findIndex((e) => e.fn === "icmp_reflect" && e.kind === "flag.clear");
    expect(c.divergeAt).toEqual({ base: reflect, run: reflect });
    expect(c.baseEvent).toMatchObject({ fn: "icmp_reflect", kind: "flag.clear" });
    expect(c.findingsAdded).toEqual([]);
    expect(c.findingsRemoved).toEqual(findingIds(bug).filter((id) => !findingIds(run).includes(id)));
    expect(c.findingsRemoved).toEqual(expect.arrayContaining(["stale-out-done-skipped-ipsec", "cleartext-on-wire", "cleartext-accepted"]));
    expect(c.findingsRemoved).not.toContain("stale-ipsec-flags");
    expect(c.findingSeverity["stale-out-done-skipped-ipsec"]).toBe("critical");
    expect(c.sentence).toBe(
      `The runs are the same for ${reflect} steps; at step ${reflect + 1} icmp_reflect deletes the packet's IPSEC_IN_DONE and IPSEC_OUT_DONE tags (m_tag_delete_nonpersistent), where without the fix the tags stay on the packet — and the verdict goes from insecure to secure.`,
    );
  });

  it("looutput-strips-tags: at looutput on the request's first trip down lo0, before it crosses", () => {
    const run = traceOf("lo0-esp-ping", { fixes: ["looutput-strips-tags"] });
    const c = compareTraces(bug, run);
    const firstTx = bug.events.findIndex((e) => e.kind === "link.tx");
    expect(c.divergeAt).toEqual({ base: firstTx, run: firstTx });
    expect(c.baseEvent).toMatchObject({ fn: "bpf_mtap", kind: "link.tx" });
    expect(c.sentence).toContain(
      `at step ${firstTx + 1} looutput deletes the packet's IPSEC_OUT_DONE tag (m_tag_delete_nonpersistent), where without the fix the tag stays on the packet`,
    );
    expect(c.sentence).toMatch(/the verdict goes from insecure to secure\.$/);
  });

  it("consumer-deletes-tags: ip_output deletes the OUT_DONE its loop check consumed; one finding appears", () => {
    const run = traceOf("lo0-esp-ping", { fixes: ["consumer-deletes-tags"] });
    const c = compareTraces(bug, run);
    const at = c.divergeAt!.run;
    expect(run.events[at - 1]).toMatchObject({ fn: "ip_output", kind: "decision", check: "ipsec-loop", branch: "skip IPsec" });
    expect(run.events[at]).toMatchObject({ fn: "ip_output", kind: "tag.delete", tag: { name: "IPSEC_OUT_DONE" } });
    expect(c.findingsAdded).toEqual(["ipsec-evidence-lost"]);
    expect(c.findingSeverity["ipsec-evidence-lost"]).toBe("warning");
    expect(c.findingsRemoved).toContain("stale-out-done-skipped-ipsec");
    expect(c.sentence).toContain(
      `at step ${at + 1}, just after its IPsec loop check, ip_output deletes the packet's IPSEC_OUT_DONE tag (m_tag_delete)`,
    );
  });

  it("icmp-reflect-clears-ipsec-flags: the same step clears the IPsec flags; the verdict stays insecure", () => {
    const run = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-clears-ipsec-flags"] });
    const c = compareTraces(bug, run);
    expect(c.divergeAt!.base).toBe(c.divergeAt!.run);
    expect(c.baseEvent).toMatchObject({ fn: "icmp_reflect", kind: "flag.clear" });
    expect(c.findingsRemoved).toEqual(["stale-ipsec-flags"]);
    expect(c.findingsAdded).toEqual([]);
    expect(c.sentence).toMatch(/icmp_reflect clears M_DECRYPTED, where without the fix M_DECRYPTED stays set — and the verdict stays insecure\.$/);
  });

  it("names the fixes in the plural when there are several", () => {
    const run = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags", "looutput-strips-tags"] });
    const c = compareTraces(bug, run);
    expect(c.baseLabel).toBe("without the fixes");
    expect(c.runEvent?.fn).toBe("looutput");
  });
});

describe("another kernel", () => {
  it("freebsd-7 against netbsd-2003: parts at if_simloop's tag strip on the first trip down lo0", () => {
    const run = traceOf("lo0-esp-ping", { personality: "freebsd-7" });
    const c = compareTraces(bug, run);
    const firstTx = bug.events.findIndex((e) => e.kind === "link.tx");
    expect(c.divergeAt).toEqual({ base: firstTx, run: firstTx });
    expect(c.runEvent).toMatchObject({ fn: "if_simloop", kind: "tag.deleteNonpersistent" });
    expect(c.verdicts).toEqual({ base: "insecure", run: "secure" });
    expect(c.baseLabel).toBe("on NetBSD 2003 (FAST_IPSEC)");
    expect(c.sentence).toContain(
      "if_simloop deletes the packet's IPSEC_OUT_DONE tag (m_tag_delete_nonpersistent), where on NetBSD 2003 (FAST_IPSEC) the tag stays on the packet",
    );
  });

  it("a fix already built into the kernel changes nothing, and says so", () => {
    const freebsd = traceOf("lo0-esp-ping", { personality: "freebsd-7" });
    const withFix = traceOf("lo0-esp-ping", { personality: "freebsd-7", fixes: ["icmp-reflect-strips-tags"] });
    const c = compareTraces(freebsd, withFix);
    expect(c.identical).toBe(true);
    expect(c.sentence).toBe(
      `The fix changes nothing here: all ${freebsd.events.length} steps are the same without the fix, and the verdict is secure either way.`,
    );
  });
});

describe("runs of different lengths", () => {
  const fixed = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });

  it("the run stops early: diverges where it ends, its event is null", () => {
    const cut = 100;
    const c = compareTraces(fixed, withEvents(fixed, fixed.events.slice(0, cut)));
    expect(c).toMatchObject({
      identical: false,
      divergeAt: { base: cut, run: cut },
      common: cut,
      runEvent: null,
      steps: { base: fixed.events.length, run: cut },
    });
    expect(c.baseEvent).toMatchObject({ seq: cut, fn: fixed.events[cut]!.fn });
    expect(c.sentence).toMatch(
      new RegExp(`^The runs are the same for ${cut} steps; then this run ends, while the run in the baseline goes on: at step ${cut + 1} `),
    );
  });

  it("the baseline stops early: diverges where it ends, its event is null", () => {
    const cut = 40;
    const c = compareTraces(withEvents(bug, bug.events.slice(0, cut)), bug);
    expect(c).toMatchObject({ identical: false, divergeAt: { base: cut, run: cut }, common: cut, baseEvent: null });
    expect(c.runEvent).toMatchObject({ seq: cut, fn: bug.events[cut]!.fn });
    expect(c.sentence).toContain("has already ended");
  });

  it("an empty run against a full one diverges at the first step", () => {
    const c = compareTraces(bug, withEvents(bug, []));
    expect(c).toMatchObject({ identical: false, divergeAt: { base: 0, run: 0 }, common: 0, runEvent: null });
    expect(c.sentence).toMatch(/^The runs differ from the first step/);
    expect(compareTraces(withEvents(bug, []), withEvents(bug, [])).identical).toBe(true);
  });
});
