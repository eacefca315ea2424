/**
 * Seed 002's story annotator (audit/story_briggs.ts): the mail's claims on the steps of a run that
 * show them, each only where it is true in this run — the mechanism of Stone's steps (story.ts).
 */
import { describe, expect, it } from "vitest";
import { STORIES, storyOf, type ScenarioTrace } from "../../../src/engine/index";
import { runBuiltin } from "../../helpers/trace";
import { makePaint, stepLines } from "../../../src/cli/narrate";

/** claim number → the events (fn, kind) it is printed on. */
function claims(t: ScenarioTrace): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const e of t.events) if (e.story !== undefined) m.set(e.story, [...(m.get(e.story) ?? []), `${e.fn} ${e.kind}`]);
  return m;
}

describe("the mail's claims in klips-bigpackets", () => {
  it("the scenario names the story, and STORIES gives its words and citation", () => {
    const t = runBuiltin("klips-bigpackets");
    expect(t.scenario.story).toBe("briggs-1999");
    expect(storyOf(t.scenario)).toBe(STORIES["briggs-1999"]);
    expect(STORIES["briggs-1999"]).toMatchObject({ who: "Briggs", cite: "linux-ipsec, 6 Aug 1999" });
  });

  it("1999 (skb->dst->output): the oops claim on the output decision and the oops, ip_fragment sizing from skb->dst, Alexey's invalid packet", () => {
    const c = claims(runBuiltin("klips-bigpackets"));
    expect([...c.keys()].sort()).toEqual([1, 5, 6, 7]);
    expect(c.get(1)).toEqual(["ipsec_tunnel_start_xmit drop"]);
    expect(c.get(6)).toEqual(["ip_fragment decision"]);
    expect(c.get(7)).toEqual(["ip_finish_output field.set", "ipsec_tunnel_start_xmit decision"]);
  });

  it("2003 as shipped: no oops claim; fragmenting after encryption on eth0 (Alan Cox, with the 16260 caveat) and the re-route the mail called unreliable", () => {
    const t = runBuiltin("klips-bigpackets", { personality: "linux-2.2-klips-2003" });
    const c = claims(t);
    expect(c.has(1)).toBe(false);
    expect(c.has(6)).toBe(false); // skb->dev and skb->dst->dev agree (eth0) when ip_fragment runs
    // Both datagrams are fragmented after encryption on west; r1's re-fragmenting for its 1400 link is not the mail's case.
    expect(c.get(4)).toEqual(["ip_fragment decision", "ip_fragment decision"]);
    expect(t.events.filter((e) => e.story !== undefined).every((e) => e.host === "west")).toBe(true);
    expect(c.get(8)?.every((x) => x === "ipsec_tunnel_send decision")).toBe(true);
    expect(STORIES["briggs-1999"].caveats[3]).toMatch(/16260/);
    expect(STORIES["briggs-1999"].caveats[7]).toMatch(/ipsec_tunnel_send re-routes/);
  });

  it("neigh_compat_output: 'went away for me' while the frames fit, 'worse for others' with a big ipsec0 MTU — never both", () => {
    const fits = claims(runBuiltin("klips-bigpackets", { fixes: ["klips-neigh-compat-output"] }));
    // The first datagram's 1500 + 56 and the second's first fragment (at most three marks per claim).
    expect(fits.get(2)).toEqual(["dev_queue_xmit link.tx", "dev_queue_xmit link.tx", "dev_queue_xmit link.tx"]);
    expect(fits.has(3)).toBe(false);
    expect(fits.has(1)).toBe(false);
    const worse = claims(runBuiltin("klips-bigpackets", { fixes: ["klips-neigh-compat-output", "klips-ipsec0-mtu-16260"] }));
    expect(worse.has(2)).toBe(false);
    expect(worse.get(3)).toEqual(["dev_queue_xmit drop", "dev_queue_xmit drop"]); // one 1536-byte frame per datagram
  });

  it("modern XFRM: only Alexey's per-eroute pmtu, on the bundle lookup and its MTU", () => {
    const c = claims(runBuiltin("klips-bigpackets", { personality: "linux-xfrm" }));
    expect([...c.keys()]).toEqual([9]);
    expect(c.get(9)).toContain("xfrm_bundle_ok decision");
  });

  it("the CLI prints the claim as 'Briggs step n' with the caveat, and the seed story still says 'Stone step'", () => {
    const text = [...stepLines(runBuiltin("klips-bigpackets", { personality: "linux-2.2-klips-2003" }), makePaint(false))].join("\n");
    expect(text).toContain("Briggs step 4: Alan Cox suggested setting the MTU");
    expect(text).toContain("(the code differs: As shipped the ipsec0 MTU is 16260");
    expect(text).not.toContain("Stone step");
    expect([...stepLines(runBuiltin("lo0-esp-ping"), makePaint(false))].join("\n")).toContain("Stone step 8");
  });

  it("Stone's steps are claims about the BSD code: the seed story on linux-xfrm prints none of them", () => {
    expect(claims(runBuiltin("lo0-esp-ping", { personality: "linux-xfrm" })).size).toBe(0);
    expect(claims(runBuiltin("lo0-esp-ping", { personality: "linux-xfrm", fixes: ["xfrm-lo-policy"] })).size).toBe(0);
    expect(claims(runBuiltin("lo0-esp-ping")).size).toBe(8);
  });
});
