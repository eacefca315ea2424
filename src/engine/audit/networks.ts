/**
 * Findings of the networks stories (issue 12), from the trace alone: a path MTU learned from a
 * router's need-frag, and a PMTU black hole — the need-frag that would have taught it, filtered.
 */
import type { EventOf, Severity } from "../trace/events";
import { versionAt, type PacketList } from "../trace/store";
import { fromHex } from "../wire/fields";

/** What the audit's finding list offers (audit.ts Findings). */
export interface FindingSink {
  add(id: string, severity: Severity, step: number, sentence: () => string): void;
  /** Has a finding with this id been added? */
  has(id: string): boolean;
}

/** icmp_mtudisc lowered a route's MTU. */
export function pmtuFinding(e: EventOf<"decision">, f: FindingSink): void {
  if (e.check !== "pmtu" || !e.branch.startsWith("rmx_mtu")) return;
  const route = e.consulted.find((c) => c.kind === "route");
  f.add(
    "pmtu-learned",
    "info",
    e.seq,
    () =>
      `${e.host} learned a path MTU from an ICMP need-frag: ${e.branch.replace("rmx_mtu", "rmx_mtu =")} on its route to ${route && route.kind === "route" ? route.dst : "the destination"}; DF datagrams larger than that now fail at ${e.host} with EMSGSIZE instead of vanishing on the way.`,
  );
}

/** A filter dropped an ICMP need-frag: the sender it was meant for never learns the path MTU. */
export function blackholeFinding(e: EventOf<"drop">, packets: PacketList, f: FindingSink): void {
  if (e.reason !== "icmp-filtered") return;
  const p = versionAt(packets, e.packet);
  if (!p) return;
  const b = fromHex(p.hex);
  const hl = (b[0]! & 0x0f) * 4;
  if (b[hl] !== 3 || b[hl + 1] !== 4) return;
  const mtu = (b[hl + 6]! << 8) | b[hl + 7]!;
  const dst = `${b[16]}.${b[17]}.${b[18]}.${b[19]}`;
  const link = e.detail.replace(/^ICMP filtered on /, "");
  f.add(
    "pmtu-blackhole",
    "warning",
    e.seq,
    () =>
      `PMTU black hole: the ICMP need-frag (next-hop MTU ${mtu}) that ${e.host} sent to ${dst} was filtered on ${link}; ${dst} never learns the path MTU and keeps sending DF packets too big for ${e.host}'s next hop, which are dropped there without a word reaching the sender.`,
  );
}
