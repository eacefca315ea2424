/**
 * What each fix toggle changes, against the unfixed seed story (style.md: "A fix toggle must
 * change the snapshot in the way its test describes"): the verdict, exactly which findings
 * disappear and appear, and the first step where the run diverges — the place the fix acts.
 */
import { describe, expect, it } from "vitest";
import type { FixId, ScenarioTrace, TraceEvent } from "../../src/engine";
import { payloadText } from "../helpers/normalize";
import { findingIds, traceOf, type RunOptions } from "../helpers/trace";

/** Event identity for comparing runs: where it happened and what it did (not seq, not notes). */
function key(t: ScenarioTrace, e: TraceEvent): string {
  return `${e.t} ${e.host} ${e.fn} ${e.kind} ${payloadText(t, e)}`;
}

/** How a configured run differs from the unfixed lo0-esp-ping. */
function delta(opts: RunOptions) {
  const base = traceOf("lo0-esp-ping");
  const run = traceOf("lo0-esp-ping", opts);
  const before = new Set(findingIds(base));
  const after = new Set(findingIds(run));
  let i = 0;
  while (i < base.events.length && i < run.events.length && key(base, base.events.at(i)!) === key(run, run.events.at(i)!)) i++;
  return {
    verdict: `${base.outcome.verdict} → ${run.outcome.verdict}`,
    removed: [...before].filter((id) => !after.has(id)).sort(),
    added: [...after].filter((id) => !before.has(id)).sort(),
    kept: [...after].filter((id) => before.has(id)).sort(),
    diverges: run.events.at(i)!,
    baseAt: base.events.at(i)!,
  };
}

const STORY = ["cleartext-accepted", "cleartext-on-wire", "ipsec-evidence-false", "stale-in-done-chose-policy", "stale-out-done-skipped-ipsec"];

describe("each fix against the unfixed lo0-esp-ping (netbsd-2003)", () => {
  it("the unfixed run's findings", () => {
    expect(findingIds(traceOf("lo0-esp-ping")).sort()).toEqual([...STORY, "stale-ipsec-flags"].sort());
  });

  const cases: { fix: FixId; verdict: string; removed: string[]; added: string[]; kept: string[]; diverges: Partial<TraceEvent> }[] = [
    // icmp_reflect strips the tags: the whole stale-tag story goes; the stale M_DECRYPTED stays (info).
    {
      fix: "icmp-reflect-strips-tags",
      verdict: "insecure → secure",
      removed: STORY,
      added: [],
      kept: ["stale-ipsec-flags"],
      diverges: { fn: "icmp_reflect", kind: "tag.deleteNonpersistent" },
    },
    // looutput strips them before the request even comes back up: same outcome, earlier divergence.
    {
      fix: "looutput-strips-tags",
      verdict: "insecure → secure",
      removed: STORY,
      added: [],
      kept: ["stale-ipsec-flags"],
      diverges: { fn: "looutput", kind: "tag.deleteNonpersistent" },
    },
    // Clearing the flags alone fixes nothing the tags decide: only the info finding goes.
    {
      fix: "icmp-reflect-clears-ipsec-flags",
      verdict: "insecure → insecure",
      removed: ["stale-ipsec-flags"],
      added: [],
      kept: STORY,
      diverges: { fn: "icmp_reflect", kind: "flag.clear" },
    },
    // Consumers deleting tags also closes the hole, but the in-kernel reader loses its evidence.
    {
      fix: "consumer-deletes-tags",
      verdict: "insecure → secure",
      removed: STORY,
      added: ["ipsec-evidence-lost"],
      kept: ["stale-ipsec-flags"],
      diverges: { fn: "ip_output", kind: "tag.delete" },
    },
  ];

  it.each(cases)("$fix: $verdict", ({ fix, verdict, removed, added, kept, diverges }) => {
    const d = delta({ fixes: [fix] });
    expect({ verdict: d.verdict, removed: d.removed, added: d.added, kept: d.kept }).toEqual({
      verdict,
      removed: [...removed].sort(),
      added,
      kept: [...kept].sort(),
    });
    expect(d.diverges).toMatchObject(diverges);
  });

  it("icmp-reflect-strips-tags diverges exactly at the first reflection, after the request's whole trip is identical", () => {
    const d = delta({ fixes: ["icmp-reflect-strips-tags"] });
    expect(d.diverges.story).toBe(7);
    expect(d.baseAt).toMatchObject({ fn: "icmp_reflect", kind: "flag.clear" });
  });

  it("icmp-reflect-clears-ipsec-flags changes the flag.clear itself: it now clears M_DECRYPTED", () => {
    const d = delta({ fixes: ["icmp-reflect-clears-ipsec-flags"] });
    expect(d.baseAt).toMatchObject({ kind: "flag.clear", flags: [] });
    if (d.diverges.kind !== "flag.clear") throw new Error(`diverges at ${d.diverges.kind}`);
    expect([...d.diverges.flags].sort()).toEqual(["DECRYPTED"]);
  });

  it("consumer-deletes-tags diverges right after the first (legitimate) OUT_DONE match", () => {
    const d = delta({ fixes: ["consumer-deletes-tags"] });
    const base = traceOf("lo0-esp-ping");
    expect(base.events.at(d.diverges.seq - 1)).toMatchObject({ kind: "decision", check: "ipsec-loop", branch: "skip IPsec" });
  });

  it("freebsd-7 (both strips built in): the same change as icmp-reflect-strips-tags, diverging at if_simloop", () => {
    const d = delta({ personality: "freebsd-7" });
    expect({ verdict: d.verdict, removed: d.removed, added: d.added }).toEqual({ verdict: "insecure → secure", removed: STORY, added: [] });
    // The tag numbers differ from the first tag on (OUT_DONE is 2, not 18) …
    expect(d.diverges).toMatchObject({ kind: "tag.get", fn: "ipsec_process_done", tag: { id: 2 } });
  });

  it("all fixes together are secure too, with the evidence-lost warning of consumer-deletes-tags", () => {
    const d = delta({ fixes: ["icmp-reflect-strips-tags", "looutput-strips-tags", "icmp-reflect-clears-ipsec-flags", "consumer-deletes-tags"] });
    expect(d.verdict).toBe("insecure → secure");
    expect(d.added).toEqual(["ipsec-evidence-lost"]);
    expect(d.kept).toEqual([]);
  });
});
