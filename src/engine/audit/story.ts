/**
 * Seed story annotation: which events illustrate which step of a seed's text — Jonathan Stone's
 * eight-step root-cause analysis (seed 001, tech-net 2003-08-18) for the first echo of a lo0 IPsec
 * scenario, and the claims of Richard Guy Briggs's mail (seed 002, linux-ipsec 1999-08-06) for a
 * KLIPS/XFRM large-packet run. The scenario's `story` names which; each step is marked only
 * where its claim holds in this run. Narration cites "<who> step n" on the events marked here
 * (STORIES gives the words).
 */
import type { TraceEvent } from "../trace/events";
import { versionAt, type EventTable, type PacketList } from "../trace/store";
import { annotateBriggs, BRIGGS_CAVEATS, BRIGGS_STEPS } from "./story_briggs";

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

/**
 * Where Stone's wording and the code read differ (kernel-notes §7 and its corrections), per step
 * (index = step − 1); shown beside the step so the label does not claim more than the code does.
 */
export const STONE_CAVEATS: readonly (string | undefined)[] = [
  undefined,
  "Stone also speaks of a first tag saying the packet needs IPsec; in ip_output.c 1.120 PENDING_TDB is only looked for, never added on this path.",
  undefined,
  "In the code, ip_input makes no policy check for the ESP/AH packet: its protosw lacks PR_LASTHDR (in_proto.c). The policy is matched later, for the decrypted inner packet.",
  undefined,
  undefined,
  undefined,
  undefined,
];

/**
 * Does step `step`'s claim hold for the events marked with it, in this run (personality and
 * fixes)? Step 3 says the packet loops back "complete with tags" (false where looutput strips
 * them); step 8 says the reply "still bears tags saying IPsec output and IPsec input have been
 * done" (false where icmp_reflect, looutput or a consumer deleted them).
 */
function claimHolds(step: number, marked: readonly TraceEvent[], packets: PacketList): boolean {
  if (step === 3) return !marked.some((e) => e.kind === "tag.deleteNonpersistent" || e.kind === "tag.deleteChain" || e.kind === "tag.delete");
  if (step === 8) {
    const first = marked.find((e) => e.packet >= 0);
    const names = first ? (versionAt(packets, first.packet)?.tags.map((t) => t.name) ?? []) : [];
    return names.includes("IPSEC_OUT_DONE") && names.includes("IPSEC_IN_DONE");
  }
  return true;
}

/**
 * Mark the first echo's events with Stone's step numbers (in the freshly recorded event table).
 * A step is marked only where its claim holds in this run: with a fix on, the label of a step
 * that did not happen the way Stone describes is not printed.
 */
export function annotateStone(events: EventTable, packets: PacketList): void {
  const first = events.find((e) => e.kind === "app.send");
  if (!first) return;
  const alloc = events.find((e) => e.seq > first.seq && e.kind === "mbuf.alloc");
  if (!alloc) return;
  const chain = alloc.chain;
  let step = 1;
  const byStep = new Map<number, TraceEvent[]>([[1, [first]]]);
  const mark = (e: TraceEvent, n: number): void => {
    let list = byStep.get(n);
    if (list === undefined) byStep.set(n, (list = []));
    list.push(e);
  };
  const apply = (): void => {
    for (const [n, list] of byStep) if (claimHolds(n, list, packets)) for (const e of list) events.setStory(e.seq, n);
  };
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
    if (step === 8 && e.kind === "decision" && e.check === "ipsec-loop") break;
  }
  apply();
}

/** The seed stories a scenario can name (scenario/schema.ts `story`). */
export type StoryId = "stone-2003" | "briggs-1999";

/** A seed text as the narration quotes it: who, where, the steps and where the code differs. */
export interface StoryDef {
  /** "Stone", "Briggs": the label reads "Stone's step 3 of 8". */
  readonly who: string;
  /** Where the text was published, for the citation. */
  readonly cite: string;
  readonly steps: readonly string[];
  readonly caveats: readonly (string | undefined)[];
}

/** One entry per seed story: the one place the narration, the CLI and the capture read a step's words from. */
export const STORIES: Readonly<Record<StoryId, StoryDef>> = {
  "stone-2003": { who: "Stone", cite: "tech-net, 18 Aug 2003", steps: STONE_STEPS, caveats: STONE_CAVEATS },
  "briggs-1999": { who: "Briggs", cite: "linux-ipsec, 6 Aug 1999", steps: BRIGGS_STEPS, caveats: BRIGGS_CAVEATS },
};

/** The story a scenario names, or undefined. */
export function storyOf(scenario: { readonly story?: string | undefined }): StoryDef | undefined {
  return scenario.story !== undefined ? STORIES[scenario.story as StoryId] : undefined;
}

/**
 * Mark the events of a freshly recorded run with the steps of the story its scenario names.
 * Stone's steps are claims about the BSD code (OUT_DONE, looutput, icmp_reflect): on the Linux
 * stack (the seed story under linux-xfrm) none of them holds, so none is printed there.
 */
export function annotateStory(story: string | undefined, events: EventTable, packets: PacketList, stack: "bsd" | "linux"): void {
  if (story === "stone-2003" && stack === "bsd") annotateStone(events, packets);
  else if (story === "briggs-1999") annotateBriggs(events);
}
