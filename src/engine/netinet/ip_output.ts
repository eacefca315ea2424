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
import { if_output } from "../net/if";
import { fillChecksum, getField, IP, ipHeader, ipHeaderLen, setField } from "./headers";
import { itemFor, one } from "../trace/shared";
import type { Consulted } from "../trace/events";

/** ip_output flags (sys/netinet/ip_var.h). */
export const IP_FORWARDING = 0x1;
export const IP_RAWOUTPUT = 0x2;
export const IP_ALLOWBROADCAST = 0x20;

/** Send `m`, whose IP header is at its front. Consumes `m`. */
export function ip_output(host: Host, m: Mbuf, flags: number): void {
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
    return;
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
  // and, at done_spd, its IFCAP_IPSEC check.
  const openbsd = host.world.behaviour.ipsecStack === "openbsd";
  const verdict = openbsd ? ipsp_output(host, m) : ipsec4_output(host, m, flags);
  if (verdict === "consumed") return;
  if (openbsd && !ipsp_capability_check(host, m, rt.iface)) return;

  spd_done(host, m, hlen, rt.iface, rt.gateway ?? hdr.dst);
}

/** The route as the "route" decision consults it, for destination `dst`. */
function routeItem(rt: Route, dst: string): Consulted {
  const via = rt.gateway ? `via ${rt.gateway} ` : "";
  return { kind: "route", dst, summary: `${rt.dst.text} ${via}dev ${rt.iface.name} (${rt.origin})` };
}

function formatIpv4Id(id: number): string {
  return `0x${id.toString(16).padStart(4, "0")}`;
}

/** The tail of ip_output after the IPsec block: checksum, MTU, hand to the interface. */
function spd_done(host: Host, m: Mbuf, hlen: number, ifp: Host["ifaces"][number], nextHop: string): void {
  const site = host.site("ip", "ip_output");
  const len = getField(m, 0, IP.totalLength);
  if (len <= ifp.mtu) {
    fillChecksum(site, m, "ipv4", 0, hlen, IP.checksum, "ip_output computes the header checksum (ip_sum = in_cksum(m, hlen)).");
    if_output(host, ifp, m, nextHop);
    return;
  }
  const df = getField(m, 0, IP.df) === 1;
  site.emit(
    m,
    {
      kind: "decision",
      check: "mtu",
      question: site.text`Does a ${len}-byte datagram fit the ${ifp.mtu}-byte MTU of ${ifp.name}?`,
      consulted: [{ kind: "field", header: "ipv4", field: "df", value: df ? "1" : "0" }],
      branch: df ? "EMSGSIZE" : "ip_fragment (not modelled)",
    },
    df
      ? `The datagram is larger than the MTU and DF is set: ip_output fails with EMSGSIZE.`
      : `The datagram is larger than the MTU and DF is clear: ip_output would call ip_fragment() — which this engine does not model yet.`,
  );
  if (df) {
    drop(site, m, "ip-msgsize", site.text`${len} bytes > MTU ${ifp.mtu} with DF`, `The datagram is dropped (ips_cantfrag).`);
    return;
  }
  // ip_output.c 1.120: no DF → ip_fragment(); ips_cantfrag counts only the DF case. Until the
  // engine has ip_fragment the run stops this datagram here, counted as nothing the kernel counts.
  drop(
    site,
    m,
    "not-modelled",
    site.text`${len} bytes > MTU ${ifp.mtu}: ip_fragment is not modelled yet`,
    "The engine stops here: the kernel would fragment this datagram (ip_fragment), which is not modelled yet; no kernel counter is bumped.",
  );
}

/** Is `addr` on the connected network of one of the host's interfaces? */
export function onLink(host: Host, addr: string): boolean {
  const a = ip(addr);
  return host.ifaces.some((i) => prefixContains(i.prefix, a));
}
