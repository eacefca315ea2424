/**
 * ip_output() — sys/netinet/ip_output.c, NetBSD 1.120 (2003-09-06) with FAST_IPSEC.
 *
 * Order as in the source: fill in the header (unless IP_RAWOUTPUT/IP_FORWARDING), route,
 * pick the source address, the FAST_IPSEC block (policy lookup, loop check against OUT_DONE
 * tags, hand-off to ipsec4_process_packet), then at spd_done: checksum, MTU check, if_output.
 */
import type { Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Host, Route } from "../sim/world";
import { ip, prefixContains } from "../sim/addr";
import { ipsec4_output } from "../netipsec/ipsec_output";
import { ipsp_capability_check, ipsp_output } from "../netipsec/ipsp_openbsd";
import { ip_randomid } from "./ip_id";
import { ip_fragment } from "./ip_fragment";
import { if_output } from "../net/if";
import { fillChecksum, getField, IP, ipHeader, ipHeaderLen, setField } from "./headers";
import { itemFor, one } from "../trace/shared";
import type { Consulted } from "../trace/events";

/** The errno values ip_output returns that its callers act on (sys/sys/errno.h). */
export const EMSGSIZE = 40;
export const EHOSTUNREACH = 65;

/** ip_output flags (sys/netinet/ip_var.h). */
export const IP_FORWARDING = 0x1;
export const IP_RAWOUTPUT = 0x2;
export const IP_ALLOWBROADCAST = 0x20;

/**
 * Send `m`, whose IP header is at its front. Consumes `m`. Returns 0 or the errno the kernel's
 * ip_output returns (EMSGSIZE, EHOSTUNREACH): ip_forward turns those into ICMP errors. When IPsec
 * takes the packet the answer is 0: the transform finishes later, in its crypto callback.
 * `so` is the sending socket's name, as NetBSD 1.6's ip_output(m, opt, ro, flags, imo, so) takes
 * the socket: an EMSGSIZE drop records whom sosend returns the error to.
 */
export function ip_output(host: Host, m: Mbuf, flags: number, so?: string): number {
  const site = host.site("ip", "ip_output");
  const hlen = ipHeaderLen(m);
  if ((flags & (IP_FORWARDING | IP_RAWOUTPUT)) === 0) {
    // ip_output.c 1.120: ip->ip_id = ip_randomid() for a datagram this host originates.
    const id = ip_randomid(host);
    setField(
      site,
      m,
      "ipv4",
      0,
      IP.id,
      id,
      `ip_output fills in the header of a locally generated datagram: IP id ${formatIpv4Id(id)} from ip_randomid().`,
    );
  }
  const hdr = ipHeader(m);
  const dst = ip(hdr.dst);
  const rt = host.lookupRoute(dst);
  if (!rt) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "route",
        question: site.text`Is there a route to ${hdr.dst}?`,
        consulted: [{ kind: "route", dst: hdr.dst, summary: "no matching route" }],
        branch: "no route",
      },
      site.text`ip_output finds no route to ${hdr.dst}: EHOSTUNREACH.`,
    );
    drop(site, m, "ip-no-route", site.text`no route to ${hdr.dst}`, `The datagram is dropped (ips_noroute).`);
    return EHOSTUNREACH;
  }
  const via = rt.gateway ? site.text`via ${rt.gateway} ` : "";
  site.emit(
    m,
    {
      kind: "decision",
      check: "route",
      question: site.text`Which route leads to ${hdr.dst}?`,
      consulted: one(itemFor(rt, routeItem, hdr.dst)),
      branch: site.text`out ${rt.iface.name}`,
    },
    site.text`rtalloc() picks the ${rt.origin} route ${rt.dst.text} ${via}out ${rt.iface.name}.`,
  );
  if (hdr.src === "0.0.0.0") {
    // The socket was not bound: the source is the address of the outgoing interface (IA_SIN(ia)).
    setField(
      site,
      m,
      "ipv4",
      0,
      IP.src,
      rt.iface.addrNum,
      site.text`ip_output takes the source address ${rt.iface.addr} from ${rt.iface.name}, the outgoing interface.`,
    );
  }

  // FAST_IPSEC: policy lookup and loop check; IPsec may take the packet (it re-enters later).
  // seed 003: OpenBSD's IPsec block (ipsp_spd_lookup, loop check on OUT_DONE/OUT_CRYPTO_NEEDED)
  // and, at done_spd, its IFCAP_IPSEC check (EHOSTUNREACH once it has unmarked the TDB and dropped).
  const openbsd = host.world.behaviour.ipsecStack === "openbsd";
  const verdict = openbsd ? ipsp_output(host, m) : ipsec4_output(host, m, flags);
  if (verdict === "consumed") return 0;
  if (openbsd && !ipsp_capability_check(host, m, rt.iface)) return EHOSTUNREACH;

  return spd_done(host, m, hlen, rt, rt.gateway ?? hdr.dst, so);
}

/** The route as the "route" decision consults it, for destination `dst`. */
function routeItem(rt: Route, dst: string): Consulted {
  const via = rt.gateway ? `via ${rt.gateway} ` : "";
  const mtu = rt.mtu ? ` mtu ${rt.mtu}` : "";
  return { kind: "route", dst, summary: `${rt.dst.text} ${via}dev ${rt.iface.name}${mtu} (${rt.origin})` };
}

function formatIpv4Id(id: number): string {
  return `0x${id.toString(16).padStart(4, "0")}`;
}

/**
 * The tail of ip_output after the IPsec block: checksum, MTU, hand to the interface. The MTU is
 * the route's rmx_mtu when it has one (a path MTU icmp_mtudisc learned, or `route add -mtu`),
 * else the interface's (ip_output.c 1.120: "mtu = rt->rt_rmx.rmx_mtu ? : ifp->if_mtu").
 */
function spd_done(host: Host, m: Mbuf, hlen: number, rt: Route, nextHop: string, so?: string): number {
  const site = host.site("ip", "ip_output");
  const ifp = rt.iface;
  const mtu = rt.mtu || ifp.mtu;
  const len = getField(m, 0, IP.totalLength);
  if (len <= mtu) {
    fillChecksum(site, m, "ipv4", 0, hlen, IP.checksum, "ip_output computes the header checksum (ip_sum = in_cksum(m, hlen)).");
    if_output(host, ifp, m, nextHop);
    return 0;
  }
  const df = getField(m, 0, IP.df) === 1;
  const consulted: Consulted[] = [{ kind: "field", header: "ipv4", field: "df", value: df ? "1" : "0" }];
  if (rt.mtu) consulted.push(itemFor(rt, routeItem, ipHeader(m).dst));
  site.emit(
    m,
    {
      kind: "decision",
      check: "mtu",
      question: rt.mtu
        ? site.text`Does a ${len}-byte datagram fit the route's ${mtu}-byte MTU (rmx_mtu) towards ${ifp.name}?`
        : site.text`Does a ${len}-byte datagram fit the ${ifp.mtu}-byte MTU of ${ifp.name}?`,
      consulted,
      branch: df ? "EMSGSIZE" : "ip_fragment",
    },
    df
      ? `The datagram is larger than the MTU and DF is set: ip_output fails with EMSGSIZE.`
      : site.text`The datagram is larger than the ${mtu}-byte MTU and DF is clear: ip_output calls ip_fragment().`,
  );
  if (df) {
    drop(
      site,
      m,
      "ip-msgsize",
      site.text`${len} bytes > MTU ${mtu} with DF`,
      so === undefined
        ? `The datagram is dropped (ips_cantfrag).`
        : site.text`The datagram is dropped (ips_cantfrag); sosend returns EMSGSIZE to ${so}.`,
      so,
    );
    return EMSGSIZE;
  }
  // ip_output.c 1.120: no DF → ip_fragment(); ips_cantfrag counts only the DF case.
  return ip_fragment(host, m, ifp, mtu, nextHop);
}

/** Is `addr` on the connected network of one of the host's interfaces? */
export function onLink(host: Host, addr: string): boolean {
  const a = ip(addr);
  return host.ifaces.some((i) => prefixContains(i.prefix, a));
}
