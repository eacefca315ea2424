/** Dropping a packet: one `drop` event saying why (the kernel's statistics counter), then m_freem. */
import { m_freem, type Mbuf } from "./mbuf";
import type { DropReason } from "../trace/events";
import type { Site } from "../trace/recorder";

export function drop(site: Site, m: Mbuf, reason: DropReason, detail: string, note: string): void {
  site.emit(m, { kind: "drop", reason, detail }, note);
  m_freem(site, m, detail, site.text`${site.fn} frees the chain.`);
}
