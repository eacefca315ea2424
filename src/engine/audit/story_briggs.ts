/**
 * Seed 002's story annotator: the claims of Richard Guy Briggs's mail ("IPSEC transport mode
 * w/2.2.x kernels and large packets", linux-ipsec, 1999-08-06) mapped to the steps of a run that
 * show them — the same idea as Stone's steps for seed 001 (story.ts), one mechanism: the events get
 * `story` numbers, the narration quotes STORIES. A claim is marked only where it is true in this run
 * (personality + switches), read from the trace's facts: the skb fields (`field.set` header "skb",
 * src/engine/linux/skb.ts), the decisions and the drops. Where the mail and the code that shipped
 * differ (kernel-notes §8), BRIGGS_CAVEATS says so.
 */
import type { TraceEvent } from "../trace/events";
import type { EventTable } from "../trace/store";

/** The mail's claims, one line each, quoted (shortened with "…"). */
export const BRIGGS_STEPS: readonly string[] = [
  "When large packets … were passed to ip_fragment(), the machine oopsed … The output function passed to ip_fragment() was skb->dst->output().",
  "Once it was changed to neigh_compat_output() … the problem went away *for me*",
  "… and got worse for others.",
  "Alan Cox suggested setting the MTU to the maximum allowed: 0xfff0, then fragmenting after encryption to the MTU of the physical device.",
  "Even if I change the ownership of the skb, skb->dev, the skb still has a dst cache entry pointer, skb->dst, which still assumes the old device, skb->dst->dev.",
  "ip_fragment() … takes its MTU information … from skb->dst->pmtu, not from skb->dev->mtu.",
  "Alexey Kuznetsov … suggested I was passing an invalid packet to the output function skb->dst->output … skb->dev … does not agree with skb->dst->dev.",
  "We can't do another routing table lookup since that is unreliable and prone to route stealing.",
  "He also suggests that our eroute lookup should happen when the dst stuff does now, and … that we should store a per-eroute pmtu.",
];

/** Where the mail and the code read differ (kernel-notes §8.1–8.3), per step (index = step − 1). */
export const BRIGGS_CAVEATS: readonly (string | undefined)[] = [
  undefined,
  undefined,
  "Here it is worse because ipsec0's route pmtu is larger than eth0's MTU: one 1536-byte \"fragment\" is handed to eth0, whose MTU is 1500.",
  "As shipped the ipsec0 MTU is 16260 (ipsec_tunnel.c RCS 1.81, 1999-10-05); 0xfff0 survives only as a comment in ipsec_tunnel_attach.",
  undefined,
  undefined,
  undefined,
  'What shipped does exactly this: ipsec_tunnel_send re-routes with ip_route_output via the physical device (James Morris\'s dst cache code) and drops on "suspect recursion"; in this run the lookup finds eth0.',
  "Modern XFRM does both: xfrm_lookup runs inside the route lookup, and the bundle keeps an MTU per SA (xfrm_init_pmtu / xfrm_bundle_ok).",
];

/** At most this many events carry one claim, so the label is not repeated on every packet of a flood. */
const PER_STEP = 3;

/** The skb devices a chain holds as the run goes (the facts skbDevices() reads in the UI). */
interface Devs {
  dev: string | null;
  dstDev: string | null;
}

const isVirtual = (dev: string | null): boolean => dev !== null && /^ipsec\d/.test(dev);

/**
 * Mark the events of a Linux run with the mail's claims (1-based, BRIGGS_STEPS), each only where
 * it holds in this run. A no-op on a run with none of the facts (a BSD trace).
 */
export function annotateBriggs(events: EventTable): void {
  const marks = new Map<number, TraceEvent[]>();
  const mark = (n: number, e: TraceEvent): void => {
    let list = marks.get(n);
    if (list === undefined) marks.set(n, (list = []));
    if (list.length < PER_STEP && !list.includes(e)) list.push(e);
  };
  const devs = new Map<number, Devs>();
  // Every mark depends only on the event itself and those before it: a trace is a record, and a
  // run stopped early must carry the same labels on the steps it has (tests/engine/sim/immutability).
  let dstOutput = false;
  /** Chains ip_fragment allocated (the pieces of a large packet), and those of them neigh_compat_output sends. */
  const fragChains = new Set<number>();
  const neighFrags = new Set<number>();
  /** Chains KLIPS re-routed (ipsec_tunnel_send): the encrypted packets, not a router's forwarded ones. */
  const rerouted = new Set<number>();
  for (const e of events) {
    if (e.kind === "field.set" && e.header === "skb") {
      const d = devs.get(e.chain) ?? { dev: null, dstDev: null };
      const before = d.dev !== null && d.dstDev !== null && d.dev !== d.dstDev;
      if (e.field === "dev") d.dev = e.to;
      else if (e.field === "dst->dev") d.dstDev = e.to === "(none)" ? null : e.to;
      else if (e.field === "copied-from") {
        const parent = devs.get(Number(e.to.replace(/^packet #/, "")));
        if (parent) Object.assign(d, parent);
      }
      devs.set(e.chain, d);
      // Claim 5: the moment skb->dev is changed to the physical device and skb->dst still names ipsec0.
      if (!before && d.dev !== null && !isVirtual(d.dev) && isVirtual(d.dstDev)) mark(5, e);
      // Claim 7: ip_finish_output sets skb->dev back to dst->dev — the fragment is handed to ipsec0 again.
      if (e.fn === "ip_finish_output" && e.field === "dev" && before && isVirtual(e.to)) mark(7, e);
      continue;
    }
    if (e.kind === "decision") {
      const d = devs.get(e.chain);
      if (e.check === "skb-dev-dst" && e.branch.includes("skb->dst->output")) dstOutput = true;
      if (e.fn === "neigh_compat_output" && fragChains.has(e.chain)) neighFrags.add(e.chain);
      if (e.fn === "ip_fragment" && e.check === "mtu" && d) {
        // Claim 6: ip_fragment sizes from skb->dst while skb->dev names another device — one of
        // them ipsec0 (a router's forwarded packet, in on eth0 and out via eth1, is not the mail's case).
        if (d.dev !== null && d.dstDev !== null && d.dev !== d.dstDev && (isVirtual(d.dev) || isVirtual(d.dstDev))) mark(6, e);
        // Claim 4: fragmenting after encryption to the MTU of the physical device: the packet KLIPS
        // re-routed, now on a route via eth0 rather than ipsec0.
        if (rerouted.has(e.chain) && d.dstDev !== null && !isVirtual(d.dstDev)) mark(4, e);
      }
      if (e.check === "klips-recursion" && e.fn === "ipsec_tunnel_send") {
        rerouted.add(e.chain);
        mark(8, e);
      }
      if (e.check === "klips-recursion" && e.fn !== "ipsec_tunnel_send" && /re-entry|oops/.test(e.branch)) mark(7, e);
      if (e.check === "xfrm-bundle-mtu" || (e.check === "xfrm-lookup" && /bundle/i.test(e.branch))) mark(9, e);
      continue;
    }
    if (e.kind === "mbuf.alloc" && e.fn === "ip_fragment") fragChains.add(e.chain);
    // Claim 1 on the oops itself, after ip_fragment(skb, skb->dst->output) was chosen.
    if (e.kind === "drop" && e.reason === "kernel-oops" && dstOutput) mark(1, e);
    // Claims 2 and 3: with neigh_compat_output the frame goes out while it fits ("for me") and
    // eth0 is handed an oversize frame when it does not ("worse for others").
    if (neighFrags.has(e.chain) && e.kind === "link.tx") mark(2, e);
    if (neighFrags.has(e.chain) && e.kind === "drop" && e.reason === "oversize-frame") mark(3, e);
  }
  for (const [n, list] of marks) for (const e of list) if (events.storyAt(e.seq) === undefined) events.setStory(e.seq, n);
}
