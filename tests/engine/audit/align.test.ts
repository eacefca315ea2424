/**
 * The aligned two-run view (src/engine/audit/compare.ts alignTraces): both runs step against
 * step, paired by meaning, with gaps where only one run takes a step. A fix's extra steps must
 * sit in gaps (the rest stays paired), the decision a fix turns must stand beside the one it
 * replaces, and between two kernels the checks that do the same job must pair — with what each
 * consulted and the findings, all read from the events.
 */
import { describe, expect, it } from "vitest";
import { CHECK_NAMES, PERSONALITIES, alignTraces, alignedStepOf, compareTraces, type Alignment, type ScenarioTrace } from "../../../src/engine";
import { sweepFixes, traceOf } from "../../helpers/trace";

const bug = traceOf("lo0-esp-ping");

/** Every step of each run sits in exactly one row, in order; a pair has both sides. */
function expectWellFormed(al: Alignment, base: ScenarioTrace, run: ScenarioTrace): void {
  const seen = (col: readonly number[]) => col.filter((s) => s >= 0);
  expect(seen(al.base)).toEqual(Array.from({ length: base.events.length }, (_, i) => i));
  expect(seen(al.run)).toEqual(Array.from({ length: run.events.length }, (_, i) => i));
  al.kinds.forEach((k, r) => {
    expect(al.base[r]! >= 0).toBe(k !== "run");
    expect(al.run[r]! >= 0).toBe(k !== "base");
  });
  al.base.forEach((s, r) => s >= 0 && expect(al.rowOfBase[s]).toBe(r));
  al.run.forEach((s, r) => s >= 0 && expect(al.rowOfRun[s]).toBe(r));
}

describe("a run against itself", () => {
  it("is one row per step, all the same, with no divergence", () => {
    const al = alignTraces(bug, bug)!;
    expectWellFormed(al, bug, bug);
    expect(new Set(al.kinds)).toEqual(new Set(["same"]));
    expect(al.first).toBeNull();
    expect(al.divergences).toEqual([]);
    expect(al.approximate).toBe(false);
  });
});

describe("same scenario, a fix on", () => {
  const fixed = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
  const al = alignTraces(bug, fixed)!;

  it("starts to differ where compareTraces says, with the fix's tag strip on the run's side only", () => {
    expectWellFormed(al, bug, fixed);
    const c = compareTraces(bug, fixed);
    expect(c.alignment).toEqual(al);
    const first = al.first!;
    expect(al.run[first]).toBe(c.divergeAt!.run);
    expect(al.kinds[first]).toBe("run");
    expect(al.steps.run[al.run[first]!]).toMatchObject({ fn: "icmp_reflect", kind: "tag.deleteNonpersistent" });
    // The steps before are paired one for one.
    for (let r = 0; r < first; r++) expect([al.kinds[r], al.base[r], al.run[r]]).toEqual(["same", r, r]);
  });

  it("puts the reply's loop check “skip IPsec” beside the fixed reply's “apply IPsec”, and the ESP output in a gap", () => {
    const loop = al.divergences.flatMap((d) => d.decisions).find((d) => d.base?.check === "ipsec-loop" && d.run?.check === "ipsec-loop")!;
    expect(loop).toBeDefined();
    expect(al.kinds[loop.row]).toBe("differs");
    expect(loop.base).toMatchObject({ fn: "ip_output", checkName: CHECK_NAMES["ipsec-loop"], branch: "skip IPsec" });
    expect(loop.run).toMatchObject({ fn: "ip_output", branch: "apply IPsec" });
    expect(loop.base!.consulted!.some((c) => c.includes("IPSEC_OUT_DONE"))).toBe(true);
    expect(loop.base!.source).toBe(PERSONALITIES["netbsd-2003"].sources.ip_output);
    // Right after it, the run encrypts the reply: esp_output steps the baseline never takes.
    const next = al.run[loop.row + 1]!;
    expect(al.kinds[loop.row + 1]).toBe("run");
    expect(al.steps.run.slice(next, next + 3).some((s) => s.fn === "esp_output")).toBe(true);
  });

  it("lists the baseline's cleartext finding in the stretch where the reply crosses lo0", () => {
    const d = al.divergences.find((x) => x.findings.base.includes("cleartext-on-wire"))!;
    expect(d).toBeDefined();
    const tx = al.steps.base[bug.outcome.findings.find((f) => f.id === "cleartext-on-wire")!.step]!;
    expect(al.rowOfBase[tx.seq]! >= d.from && al.rowOfBase[tx.seq]! < d.to).toBe(true);
  });

  it("maps a step in a gap to the other run's nearest earlier step", () => {
    const first = al.first!;
    expect(alignedStepOf(al, "run", al.run[first]!)).toBe(al.base[first - 1]);
    const loop = al.kinds.findIndex((k) => k === "differs");
    expect(alignedStepOf(al, "base", al.base[loop]!)).toBe(al.run[loop]);
    expect(alignedStepOf(al, "run", al.run[loop]!)).toBe(al.base[loop]);
  });

  it.each(sweepFixes("lo0-esp-ping"))("%s: well formed and exact (no stretch paired by position)", (fix) => {
    const run = traceOf("lo0-esp-ping", { fixes: [fix] });
    const a = alignTraces(bug, run)!;
    expectWellFormed(a, bug, run);
    expect(a.approximate).toBe(false);
  });
});

describe("Linux against NetBSD on the seed story (kernel-notes §11)", () => {
  const linux = traceOf("lo0-esp-ping", { personality: "linux-xfrm" });
  const al = alignTraces(bug, linux)!;

  it("pairs NetBSD's outbound policy lookup with xfrm_lookup, which consulted disable_xfrm on lo and applied none", () => {
    expectWellFormed(al, bug, linux);
    const out = al.divergences[0]!.decisions.find((d) => d.run?.fn === "xfrm_lookup")!;
    expect(al.kinds[out.row]).toBe("counterpart");
    expect(out.base).toMatchObject({ fn: "ipsec4_checkpolicy", check: "ipsec-out-policy", checkName: CHECK_NAMES["ipsec-out-policy"] });
    expect(out.run).toMatchObject({ check: "xfrm-lookup", checkName: CHECK_NAMES["xfrm-lookup"] });
    expect(out.run!.branch).toMatch(/DST_NOXFRM/);
    expect(out.run!.consulted!.join(" ")).toMatch(/disable_xfrm/);
    expect(out.run!.source).toBe(PERSONALITIES["linux-xfrm"].sources.xfrm_lookup ?? null);
  });

  it("pairs the inbound checks (ipsec_getpolicy against __xfrm_policy_check) and keeps each kernel's findings on its side", () => {
    const d = al.divergences[0]!;
    const inb = d.decisions.find((x) => x.run?.fn === "__xfrm_policy_check")!;
    expect(inb.base?.check).toBe("ipsec-in-policy");
    expect(inb.run!.branch).toMatch(/disable_policy/);
    expect(d.findings.run).toEqual(linux.outcome.findings.filter((f) => f.step < al.run[d.to - 1]! + 1).map((f) => f.id));
    expect(d.findings.base).toContain("cleartext-on-wire");
    expect(d.findings.run).not.toContain("cleartext-on-wire");
  });

  it("keeps the rounds side by side: each echo's app.send in one row", () => {
    const sends = al.kinds.map((_, r) => r).filter((r) => al.steps.run[al.run[r]!]?.kind === "app.send");
    expect(sends.length).toBe(3);
    for (const r of sends) expect(al.steps.base[al.base[r]!]!.kind).toBe("app.send");
  });
});

describe("KLIPS 1999 against 2003 (kernel-notes §8.4)", () => {
  it("pairs both runs' ip_fragment (1500 + 56) as the same step; the 1999 oops at the recursion check stands alone", () => {
    const old = traceOf("klips-bigpackets", { personality: "linux-2.2-klips-1999" });
    const shipped = traceOf("klips-bigpackets", { personality: "linux-2.2-klips-2003" });
    const al = alignTraces(old, shipped)!;
    expectWellFormed(al, old, shipped);
    // The first datagram is fragmented 1500 + 56 either way, after encryption.
    const frag = al.kinds.findIndex(
      (k, r) => k === "same" && al.steps.base[al.base[r]!]?.fn === "ip_fragment" && al.steps.base[al.base[r]!]?.check === "mtu",
    );
    expect(al.steps.run[al.run[frag]!]!.branch).toBe("1500 + 56");
    // 1999's re-entry check comes after the fragment, 2003's re-route before it: they cannot share
    // a row, and a check of the second datagram (another round) is not paired with the first's.
    const decisions = al.divergences.flatMap((d) => d.decisions);
    const oops = decisions.find((d) => d.base?.check === "klips-recursion")!;
    expect(oops.base!.branch).toMatch(/oops/);
    expect(oops.run).toBeNull();
    const secondSend = al.steps.run.findIndex((x, i) => i > 0 && x.kind === "app.send");
    expect(decisions.some((d) => d.base && d.run && d.run.seq > secondSend)).toBe(false);
    expect(al.divergences.some((d) => d.findings.base.includes("kernel-oops") && !d.findings.run.includes("kernel-oops"))).toBe(true);
  });
});
