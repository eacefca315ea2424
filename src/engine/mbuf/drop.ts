/** Dropping a packet: one `drop` event saying why (the kernel's statistics counter), then m_freem. */
import { m_freem, type Mbuf } from "./mbuf";
import type { DropReason } from "../trace/events";
import type { Site } from "../trace/recorder";

/** `socket`: the socket the error is returned to, when the drop refuses a send (ip-msgsize). */
export function drop(site: Site, m: Mbuf, reason: DropReason, detail: string, note: string, socket?: string): void {
  site.emit(m, socket === undefined ? { kind: "drop", reason, detail } : { kind: "drop", reason, detail, socket }, note);
  m_freem(site, m, detail, site.text`${site.fn} frees the chain.`);
}
