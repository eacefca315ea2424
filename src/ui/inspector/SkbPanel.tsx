/**
 * Seed 002's question, shown at projector scale: which device does the skb name (skb->dev) and
 * which does its route name (skb->dst->dev)? When they disagree the badge says so in large type —
 * the mismatch Richard Guy Briggs's mail is about. Renders nothing for a BSD trace (no skb).
 */
import type { ReactElement } from "react";
import type { ScenarioTrace } from "../../engine/index";
import { skbDevices } from "./skbDevices";

/** Props: the trace, the step on screen, and the packet chain the inspector shows. */
export interface SkbPanelProps {
  readonly trace: ScenarioTrace;
  readonly cursor: number;
  readonly chain: number;
}

export function SkbPanel({ trace, cursor, chain }: SkbPanelProps): ReactElement | null {
  const d = skbDevices(trace.events, cursor, chain);
  if (!d || (d.dev === null && d.dstDev === null)) return null;
  const disagree = d.dev !== null && d.dstDev !== null && d.dev !== d.dstDev;
  return (
    <div
      className={`skb-panel${disagree ? " is-disagree" : ""}`}
      role="status"
      aria-label={`skb->dev ${d.dev ?? "unset"}, skb->dst->dev ${d.dstDev ?? "none"}${disagree ? ": they disagree" : ""}`}
    >
      <code>skb-&gt;dev = {d.dev ?? "—"}</code>
      <span aria-hidden="true">{disagree ? "≠" : "="}</span>
      <code>skb-&gt;dst-&gt;dev = {d.dstDev ?? "—"}</code>
      {disagree && <span className="skb-panel-note">they disagree (since step {d.since + 1})</span>}
    </div>
  );
}
