/**
 * skb->dev and skb->dst->dev of a packet at a step, from the trace's `field.set` facts (header
 * "skb", fields "dev" and "dst->dev", recorded by src/engine/linux/skb.ts). A packet built from
 * another (ip_fragment, skb_copy_expand: field "copied-from") starts with its parent's values.
 * Pure: the SkbPanel renders what this returns.
 */
import { scanAt, type EventList } from "../../engine/index";

/** The two devices as the kernel holds them; null where the trace has not set one yet. */
export interface SkbDevices {
  readonly dev: string | null;
  readonly dstDev: string | null;
  /** The step (seq) that last set either. */
  readonly since: number;
}

/** The devices of packet chain `chain` after step `upTo` (inclusive), or null if it has no skb facts (a BSD trace). */
export function skbDevices(events: EventList, upTo: number, chain: number): SkbDevices | null {
  const state = new Map<number, SkbDevices>();
  const last = Math.min(upTo, events.length - 1);
  for (let i = 0; i <= last; i++) {
    const e = scanAt(events, i);
    if (e.kind !== "field.set" || e.header !== "skb") continue;
    const cur = state.get(e.chain) ?? { dev: null, dstDev: null, since: e.seq };
    if (e.field === "dev") state.set(e.chain, { ...cur, dev: e.to, since: e.seq });
    else if (e.field === "dst->dev") state.set(e.chain, { ...cur, dstDev: e.to === "(none)" ? null : e.to, since: e.seq });
    else if (e.field === "copied-from" && !state.has(e.chain)) {
      const parent = state.get(Number(e.to.replace(/^packet #/, "")));
      if (parent) state.set(e.chain, { ...parent, since: e.seq });
    }
  }
  return state.get(chain) ?? null;
}
