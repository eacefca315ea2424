/**
 * Seed story annotation: which events illustrate which step of Jonathan Stone's eight-step
 * root-cause analysis (seed 001, tech-net 2003-08-18), for the first echo of a lo0 IPsec
 * scenario. Narration cites "Stone step n" on the events marked here.
 */
import type { TraceEvent } from "../trace/events";

/** Stone's steps, one line each, as the narration and the UI quote them. */
export const STONE_STEPS: readonly string[] = [
  "ping generates an ICMP echo request and sends it to a socket.",
  "The kernel applies IPsec on output and, after the output callback completes, adds an IPSEC_OUT_DONE tag.",
  "ip_output enqueues the packet on lo0, which routes it straight back up the stack, complete with tags.",
  "The packet arrives back in ip_input: no IN_DONE tag, it matches a policy, and goes to ESP (or AH) input.",
  "IPsec input processing marks the packet with PACKET_TAG_IPSEC_IN_DONE.",
  "The packet is re-dispatched and reaches icmp_input, which changes the type to echo reply and passes the same mbuf to icmp_reflect.",
  "icmp_reflect reverses the IP addresses and passes the rewritten chain to ip_output.",
  "The outbound echo reply still bears tags saying IPsec output and IPsec input have been done.",
];

/** Mark the first echo's events with Stone's step numbers (mutates the freshly recorded events). */
export function annotateStone(events: readonly TraceEvent[]): void {
  const first = events.find((e) => e.kind === "app.send");
  if (!first) return;
  const alloc = events.find((e) => e.seq > first.seq && e.kind === "mbuf.alloc");
  if (!alloc) return;
  const chain = alloc.chain;
  let step = 1;
  mark(first, 1);
  for (const e of events) {
    if (e.seq <= first.seq || e.chain !== chain) continue;
    if (step === 1 && e.fn === "ip_output") step = 2;
    if (step === 2 && (e.fn === "looutput" || e.fn === "if_simloop" || e.kind === "link.tx")) step = 3;
    if (step === 3 && e.layer !== "if" && e.layer !== "link") step = 4;
    if (step === 4 && e.fn === "ipsec4_common_input_cb") step = 5;
    if (step === 5 && e.fn !== "ipsec4_common_input_cb") step = 6;
    if (step === 6 && e.fn === "icmp_reflect") step = 7;
    if (step === 7 && e.fn !== "icmp_reflect" && e.fn !== "icmp_send") step = 8;
    mark(e, step);
    if (step === 8 && e.kind === "decision" && e.check === "ipsec-loop") return;
  }
}

function mark(e: TraceEvent, step: number): void {
  (e as { story?: number }).story = step;
}
