/**
 * ip_forward() — sys/netinet/ip_input.c, NetBSD 1.175 (2003-08-22) with FAST_IPSEC; FreeBSD 5's
 * ip_input.c has the same body. Called by ip_input for a datagram that is not ours when
 * ipforwarding is set, after the FAST_IPSEC forwarding policy check.
 *
 * In the source's order: refuse what cannot be forwarded (ips_cantforward); TTL ≤ IPTTLDEC →
 * icmp_error(TIMXCEED, INTRANS); rtalloc the destination, none → icmp_error(UNREACH, HOST);
 * save the header and 8 bytes of data in `mcopy` "in case we need to generate an ICMP message
 * to the src"; ip_ttl -= IPTTLDEC; ip_output(m, …, IP_FORWARDING). On EMSGSIZE (DF and too big)
 * the error is ICMP_UNREACH_NEEDFRAG carrying `destifp->if_mtu`, the next-hop MTU (RFC 1191 §4);
 * on other errors UNREACH_HOST. The IPsec "tunnel MTU = if MTU − ESP/AH hdrsiz" quick hack for
 * packets routed into a tunnel is not modelled (FAST_IPSEC ip_output never returns EMSGSIZE for
 * them: IPsec takes the packet before the MTU check).
 */
import { m_copydata, m_flags_set, m_freem, m_gethdr, m_set_rcvif, type Mbuf } from "../mbuf/mbuf";
import type { Host } from "../sim/world";
import { ip } from "../sim/addr";
import { ICMP_TYPE, ICMP_UNREACH } from "../wire/icmp";
import { fieldItem, one } from "../trace/shared";
import { getField, IP, ipHeader, setField } from "./headers";
import { EMSGSIZE, ip_output, IP_FORWARDING } from "./ip_output";
import { icmp_error, ICMP_TIMXCEED_INTRANS } from "./ip_icmp";

/** IPTTLDEC (netinet/ip_var.h): what a router subtracts from ip_ttl. */
export const IPTTLDEC = 1;

/** ip_forward(m, srcrt). Consumes `m`. */
export function ip_forward(host: Host, m: Mbuf): void {
  const site = host.site("ip", "ip_forward");
  const hdr = ipHeader(m);
  const ttl = getField(m, 0, IP.ttl);
  const expired = ttl <= IPTTLDEC;
  site.emit(
    m,
    {
      kind: "decision",
      check: "ttl",
      question: site.text`Is the TTL (${ttl}) above IPTTLDEC (${IPTTLDEC}), so the datagram may take another hop?`,
      consulted: one(fieldItem("ipv4", "ttl", String(ttl))),
      branch: expired ? "time exceeded" : "forward",
    },
    expired
      ? site.text`ip_ttl ${ttl} ≤ IPTTLDEC: the datagram may not be forwarded; ip_forward answers with ICMP time exceeded in transit.`
      : site.text`ip_ttl ${ttl} > IPTTLDEC: ${host.name} may forward the datagram.`,
  );
  if (expired) {
    icmp_error(host, m, ICMP_TYPE.TIME_EXCEEDED, ICMP_TIMXCEED_INTRANS, 0, "ip-ttl-exceeded");
    return;
  }
  const rt = host.lookupRoute(ip(hdr.dst));
  if (!rt) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "forward",
        question: site.text`Is there a route to forward ${hdr.dst} on?`,
        consulted: [{ kind: "route", dst: hdr.dst, summary: "no matching route" }],
        branch: "no route",
      },
      site.text`ip_forward finds no route to ${hdr.dst}: ICMP host unreachable.`,
    );
    icmp_error(host, m, ICMP_TYPE.DEST_UNREACH, ICMP_UNREACH.HOST, 0, "ip-no-route");
    return;
  }
  // "Save the IP header and at most 8 bytes of the payload, in case we need to generate an
  // ICMP message to the src." (MGET + m_dup_pkthdr + m_copydata)
  const hlen = (m.bytes()[0]! & 0x0f) * 4;
  const keep = Math.min(hlen + 8, getField(m, 0, IP.totalLength));
  const mcopy = m_gethdr(
    site,
    m_copydata(m, 0, keep),
    site.text`ip_forward saves the IP header and 8 bytes of data (${keep} bytes, mcopy) in case it must send an ICMP error back to ${hdr.src}.`,
  );
  m_set_rcvif(mcopy, m.rcvif);
  // m_dup_pkthdr copies M_COPYFLAGS: icmp_error will test M_DECRYPTED on the copy.
  if (m.flags.size > 0) m_flags_set(site, mcopy, [...m.flags], "m_dup_pkthdr gives mcopy the datagram's m_flags (M_COPYFLAGS).");
  setField(
    site,
    m,
    "ipv4",
    0,
    IP.ttl,
    ttl - IPTTLDEC,
    site.text`ip_forward decrements the TTL: ${ttl} → ${ttl - IPTTLDEC} (ip_output recomputes the checksum).`,
  );
  const error = ip_output(host, m, IP_FORWARDING);
  if (error === 0) {
    // ips_forward++; ipflow_create(&ipforward_rt, mcopy); m_freem(mcopy).
    m_freem(site, mcopy, "forwarded", "The datagram was forwarded: ip_forward frees mcopy (ips_forward).");
    return;
  }
  if (error === EMSGSIZE) {
    // case EMSGSIZE: type = ICMP_UNREACH; code = ICMP_UNREACH_NEEDFRAG; destifp = ipforward_rt.ro_rt->rt_ifp.
    const mtu = rt.iface.mtu;
    site.emit(
      mcopy,
      {
        kind: "decision",
        check: "forward",
        question: "ip_output failed with EMSGSIZE (DF set, too big): what does ip_forward tell the source?",
        consulted: one({ kind: "route", dst: hdr.dst, summary: `${rt.dst.text} dev ${rt.iface.name} (if_mtu ${mtu})` }),
        branch: site.text`need-frag, MTU ${mtu}`,
      },
      site.text`ip_forward answers EMSGSIZE with ICMP unreachable "fragmentation needed and DF set", carrying the next-hop MTU ${mtu} of ${rt.iface.name} (RFC 1191 §4; ips_cantfrag).`,
    );
    icmp_error(host, mcopy, ICMP_TYPE.DEST_UNREACH, ICMP_UNREACH.NEEDFRAG, mtu, undefined);
    return;
  }
  icmp_error(host, mcopy, ICMP_TYPE.DEST_UNREACH, ICMP_UNREACH.HOST, 0, undefined);
}
