/**
 * Where a kernel's own output path meets the key manager (keying/kernel.ts) — one small adapter
 * per stack, so the stacks call a single function and the key manager stays in one place.
 *
 * FAST_IPSEC (NetBSD/FreeBSD) calls `KeyKernel.acquire`/`checkExpire` from ipsec_output.ts
 * directly; these are the others.
 */
import type { Mbuf } from "../mbuf/mbuf";
import type { Selectors } from "../netipsec/key";
import type { IpsecRequest, SecAssoc, SecPolicy } from "../netipsec/types";
import type { LinuxBehaviour } from "../linux/behaviour";
import type { Scenario } from "../scenario/schema";
import type { Host } from "../sim/world";

/**
 * OpenBSD ipsp_spd_lookup(), sys/netinet/ip_spd.c 1.48 (2004-04-14; the 2003 revision was not
 * read): a flow with no TDB — "So, we don't have an SA -- just a policy." For
 * IPSP_IPSEC_REQUIRE it calls `ipsp_acquire_sa(ipo, dst, src, ddst, m)` (which sends
 * pfkeyv2_acquire to the registered PF_KEY sockets, once per ipsec_acquire entry) and then
 * falls through to `*error = -EINVAL` ("Silently drop packet.") — OpenBSD has no hold queue.
 *
 * Returns true when the key manager took the packet (an ACQUIRE was raised or was already
 * outstanding, and the packet was dropped); false when the host runs no key daemon.
 */
export function ipspAcquireSa(host: Host, m: Mbuf, sp: SecPolicy, isr: IpsecRequest, sel: Selectors): boolean {
  if (!host.keyKernel) return false;
  return host.keyKernel.acquire(m, sp, isr, sel, {
    acquireFn: "ipsp_acquire_sa",
    dropFn: "ipsp_spd_lookup",
    dropText: {
      detail: "ipsp_acquire_sa: -EINVAL, silently dropped while acquiring",
      text: "ipsp_spd_lookup: after ipsp_acquire_sa the error is -EINVAL — the packet is silently dropped while the key daemon negotiates (OpenBSD holds no packet).",
    },
  });
}

/**
 * The lifetime check before a TDB is used. OpenBSD counts per TDB in ipsp_process_packet
 * (tdb_cur_bytes, with the soft/hard timeouts sending pfkeyv2_expire); the model shares the key
 * manager's packet-limit check (KeyKernel.checkExpire). False: the TDB hit its hard limit and
 * the packet was dropped.
 */
export function ipspCheckExpire(host: Host, tdb: SecAssoc, m: Mbuf): boolean {
  return !host.keyKernel || host.keyKernel.checkExpire(tdb, m);
}

/**
 * What the Linux stack (src/engine/linux) cannot do with a scenario's `keying`, or undefined.
 *
 * On `linux-xfrm` pluto and the XFRM key manager run on the skb path (linux/xfrm_km.ts,
 * linux/xfrm_tunnel.ts): xfrm_lookup → xfrm_state_find → km_query, ESP tunnel mode. KLIPS
 * (the 2.2 personalities) has no XFRM and no PF_KEY key manager in this model — its eroutes
 * are static — so a keying scenario there is refused, with the reason, rather than run with
 * nothing consulting the SAs pluto negotiates.
 */
export function linuxKeyingUnmodelled(s: Scenario, stack: LinuxBehaviour["stack"]): string | undefined {
  if (!s.keying || stack === "xfrm") return undefined;
  return `a keying daemon (pluto, backend ${s.keying.backend}) with an ESP tunnel — on the KLIPS personalities tagflow runs no key manager (KLIPS's PF_KEY and eroutes are static here), so nothing would consult the SAs it negotiates`;
}
