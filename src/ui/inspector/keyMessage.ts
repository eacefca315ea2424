/**
 * Is the packet on screen a key-management message, and what are its fields? A message pluto or
 * the kernel builds (m_gethdr in keying/kernel.ts and keying/pluto.ts) is delivered a few steps
 * later on a NETLINK_XFRM or PF_KEY socket (`deliver`); the socket says which codec decodes the
 * bytes, and the scenario's backend which PF_KEY sockaddr layout they use.
 */
import {
  chainAt,
  isPersonalityId,
  kindAt,
  pfkeyFieldRows,
  pfkeyFlavourOf,
  xfrmFieldRows,
  type KeyFieldRow,
  type ScenarioTrace,
} from "../../engine/index";

/** How far from the step on screen to look for the message's delivery (it follows its allocation within a few steps). */
const WINDOW = 64;

export interface KeyMessageView {
  readonly api: "netlink" | "pfkey";
  readonly socket: string;
  readonly summary: string;
  readonly rows: readonly KeyFieldRow[];
  readonly error?: string;
}

export function keyMessageAt(trace: ScenarioTrace, cursor: number, chain: number, bytes: Uint8Array): KeyMessageView | undefined {
  const events = trace.events;
  const from = Math.max(0, cursor - WINDOW);
  const to = Math.min(events.length, cursor + WINDOW);
  for (let i = from; i < to; i++) {
    // The columns first (trace/store.ts), so only the delivery itself becomes an object.
    if (kindAt(events, i) !== "deliver" || chainAt(events, i) !== chain) continue;
    const e = events.at(i);
    if (!e || e.kind !== "deliver") continue;
    const netlink = e.socket.startsWith("NETLINK_XFRM");
    if (!netlink && !e.socket.startsWith("PF_KEY")) continue;
    const r = netlink ? xfrmFieldRows(bytes) : pfkeyFieldRows(bytes, isPersonalityId(trace.personality) ? pfkeyFlavourOf(trace.personality) : "bsd");
    return {
      api: netlink ? "netlink" : "pfkey",
      socket: e.socket,
      summary: e.summary,
      rows: r.ok ? r.value : [],
      ...(r.ok ? {} : { error: r.error.message }),
    };
  }
  return undefined;
}
