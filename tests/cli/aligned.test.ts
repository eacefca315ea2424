/**
 * `tagflow run … --compare` / `--compare-with ID`: the aligned two-run view in the terminal
 * (src/cli/aligned.ts), through the real command. Every step number it prints is checked against
 * the engine's own alignment (audit/compare.ts alignTraces), for two fixes and for two kernels
 * (NetBSD 2003 against Linux XFRM, KLIPS 2003 against KLIPS 1999).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { alignTraces, type Alignment, type ScenarioTrace } from "../../src/engine";
import { runBuiltin } from "../helpers/trace";
import { tagflow, type CliResult } from "./tagflow";

const RUNS = {
  linux: ["run", "lo0-esp-ping", "--personality", "linux-xfrm", "--compare", "-q"],
  linuxAgainst: ["run", "lo0-esp-ping", "--compare-with", "linux-xfrm", "-q"],
  fix: ["run", "lo0-esp-ping", "--fix", "icmp-reflect-strips-tags", "--compare", "-q"],
  twoFixes: ["run", "lo0-esp-ping", "--fix", "looutput-strips-tags", "--compare-with", "icmp-reflect-strips-tags", "-q"],
  klips: ["run", "klips-bigpackets", "--personality", "linux-2.2-klips-2003", "--compare", "-q"],
  itself: ["run", "lo0-esp-ping", "--compare-with", "netbsd-2003", "-q"],
  unknown: ["run", "lo0-esp-ping", "--compare-with", "no-such-thing"],
  twoKernels: ["run", "lo0-esp-ping", "--compare-with", "linux-xfrm", "--compare-with", "freebsd-7"],
} as const;

let out: Record<keyof typeof RUNS, CliResult>;

beforeAll(async () => {
  const entries = await Promise.all(Object.entries(RUNS).map(async ([k, args]) => [k, await tagflow(args)] as const));
  out = Object.fromEntries(entries) as Record<keyof typeof RUNS, CliResult>;
}, 120_000);

/** The side-by-side block: from its heading to the line before `compared with`. */
function block(r: CliResult): string[] {
  const lines = r.stdout.trimEnd().split("\n");
  const from = lines.findIndex((l) => l.startsWith("side by side — "));
  return from < 0 ? [] : lines.slice(from, lines.length - 2);
}

/** The first pair of decisions in stretch 1 whose two sides are both there. */
function firstPair(al: Alignment) {
  return al.divergences[0]!.decisions.find((x) => x.base && x.run)!;
}

function aligned(base: ScenarioTrace, run: ScenarioTrace): Alignment {
  const al = alignTraces(base, run);
  if (!al) throw new Error("too long to align");
  return al;
}

describe("tagflow run --compare: the runs side by side", () => {
  it("Linux XFRM against NetBSD 2003: both kernels' step counts, and xfrm_lookup's bypass beside ipsec4_checkpolicy's IPsec", () => {
    const r = out.linux;
    expect(r.code).toBe(0);
    const base = runBuiltin("lo0-esp-ping");
    const run = runBuiltin("lo0-esp-ping", { personality: "linux-xfrm" });
    const al = aligned(base, run);
    const b = block(r);
    expect(b[0]).toBe(
      `side by side — this run: Linux XFRM, no fixes (${run.events.length} steps); baseline: NetBSD 2003, no fixes (${base.events.length} steps); ${al.kinds.length} rows`,
    );
    // The programs' first sends pair (same socket name on both stacks); they part at once after.
    expect(al.first).toBe(1);
    expect(b[1]).toMatch(/^ {2}first difference: row 2 — this run no step \(nearest: step 1\), baseline step 2$/);
    expect(b[2]).toBe(`  where the runs part (${al.divergences.length} stretches):`);
    const p = firstPair(al);
    expect(p.run).toMatchObject({ fn: "xfrm_lookup", branch: "bypass: DST_NOXFRM" });
    expect(p.base).toMatchObject({ fn: "ipsec4_checkpolicy", branch: "IPsec" });
    const text = b.join("\n");
    expect(text).toContain(
      `this run  step ${p.run!.seq + 1}  xfrm_lookup (net/xfrm/xfrm_policy.c): “bypass: DST_NOXFRM” — consulted net.ipv4.conf.lo.disable_xfrm = 1`,
    );
    expect(text).toContain(`baseline  step ${p.base!.seq + 1}  ipsec4_checkpolicy (sys/netipsec/ipsec.c): “IPsec”`);
    expect(text).toContain("__xfrm_policy_check (net/xfrm/xfrm_policy.c): “bypass: disable_policy” — consulted net.ipv4.conf.lo.disable_policy = 1");
    expect(text).toMatch(/findings: this run policy-bypassed-out, policy-bypassed-in; baseline .*stale-out-done-skipped-ipsec/);
    // The sentence is still the line before the outcome, and now starts where the kernels part.
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.at(-2)).toMatch(
      /^compared with no fixes: The runs are the same for 1 step; at step 2 xfrm_lookup's XFRM policy lookup decides “bypass: DST_NOXFRM”/,
    );
    expect(lines.at(-1)).toBe("outcome: insecure");
  });

  it("--compare-with linux-xfrm puts the kernels the other way round", () => {
    const al = aligned(runBuiltin("lo0-esp-ping", { personality: "linux-xfrm" }), runBuiltin("lo0-esp-ping"));
    const b = block(out.linuxAgainst);
    expect(b[0]).toMatch(/^side by side — this run: NetBSD 2003, no fixes \(\d+ steps\); baseline: Linux XFRM, no fixes/);
    const p = firstPair(al);
    expect(b.join("\n")).toContain(`this run  step ${p.run!.seq + 1}  ${p.run!.fn} (`);
    expect(b.join("\n")).toContain(`baseline  step ${p.base!.seq + 1}  ${p.base!.fn} (`);
    expect(out.linuxAgainst.stdout.trimEnd().split("\n").at(-2)).toMatch(/^compared with linux-xfrm, no fixes: /);
  });

  it("one fix against none: the IPsec loop check that now applies IPsec beside the one that skipped it", () => {
    const base = runBuiltin("lo0-esp-ping");
    const run = runBuiltin("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const al = aligned(base, run);
    const loop = al.divergences.flatMap((d) => d.decisions).find((x) => x.base?.check === "ipsec-loop" && x.run?.check === "ipsec-loop")!;
    expect([loop.run!.branch, loop.base!.branch]).toEqual(["apply IPsec", "skip IPsec"]);
    const text = block(out.fix).join("\n");
    expect(text).toContain(`this run  step ${loop.run!.seq + 1}  ip_output (sys/netinet/ip_output.c): “apply IPsec”`);
    expect(text).toContain(
      `baseline  step ${loop.base!.seq + 1}  ip_output (sys/netinet/ip_output.c): “skip IPsec” — consulted IPSEC_OUT_DONE tag (stale)`,
    );
    // The first stretch has no decision: its step is said from its event.
    expect(text).toMatch(
      new RegExp(
        `1\\. row ${al.first! + 1}: this run step ${al.run[al.first!]! + 1}, baseline no step\\n {7}this run {2}step \\d+ {2}icmp_reflect deletes the packet's IPSEC_IN_DONE and IPSEC_OUT_DONE tags`,
      ),
    );
  });

  it("two fixes: looutput's stripping against icmp_reflect's, each side's step numbers, and the sentence names the other fix", () => {
    const base = runBuiltin("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const run = runBuiltin("lo0-esp-ping", { fixes: ["looutput-strips-tags"] });
    const al = aligned(base, run);
    const b = block(out.twoFixes);
    expect(b[0]).toMatch(
      /^side by side — this run: NetBSD 2003, looutput-strips-tags on \(\d+ steps\); baseline: NetBSD 2003, icmp-reflect-strips-tags on/,
    );
    const r = al.first!;
    expect(al.run[r]).toBeGreaterThanOrEqual(0);
    expect(b[1]).toBe(`  first difference: row ${r + 1} — this run step ${al.run[r]! + 1}, baseline no step (nearest: step ${al.run[r]!})`);
    expect(b.join("\n")).toMatch(/this run {2}step \d+ {2}looutput deletes the packet's IPSEC_OUT_DONE tag/);
    expect(b.join("\n")).toMatch(/baseline {2}step \d+ {2}icmp_reflect deletes the packet's IPSEC_IN_DONE and IPSEC_OUT_DONE tags/);
    expect(out.twoFixes.stdout.trimEnd().split("\n").at(-2)).toMatch(
      /^compared with netbsd-2003 with icmp-reflect-strips-tags: .* where with icmp-reflect-strips-tags the tag stays on the packet — and the verdict stays secure\.$/,
    );
  });

  it("KLIPS 2003 against 1999: the oops is the baseline's finding, the re-route this run's decision", () => {
    const text = block(out.klips).join("\n");
    expect(text).toMatch(
      /^side by side — this run: Linux 2\.2 \+ KLIPS as shipped, no fixes \(\d+ steps\); baseline: Linux 2\.2 \+ FreeS\/WAN KLIPS, Aug 1999, no fixes \(28 steps\)/,
    );
    expect(text).toContain("findings: this run none; baseline kernel-oops");
    // The 1999 re-entry check has no 2003 partner in the first datagram's round: counted on its side.
    expect(text).toMatch(/other decisions: .*1 only in baseline \(KLIPS recursion check\)/);
    expect(text).toMatch(/1\. rows 18–\d+: this run steps 18–\d+, baseline steps 18–20/);
    expect(out.klips.stdout.trimEnd().split("\n").at(-1)).toBe("outcome: secure");
  });

  it("--compare-with the run itself is a note; an unknown id or two kernels are bad input (exit 2)", () => {
    expect(out.itself.code).toBe(0);
    expect(out.itself.stdout.trimEnd().split("\n").at(-2)).toBe(
      "compared with netbsd-2003, no fixes: nothing to compare — this run is that run; name another fix or personality.",
    );
    expect(out.unknown.code).toBe(2);
    expect(out.unknown.stderr).toMatch(
      /^tagflow: unknown fix or personality 'no-such-thing' \(--compare-with\)\. Fixes: .*Personalities: .*linux-xfrm/,
    );
    expect(out.twoKernels.code).toBe(2);
    expect(out.twoKernels.stderr).toContain("--compare-with names more than one personality");
  });
});
