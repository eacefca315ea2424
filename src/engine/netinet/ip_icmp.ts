/**
 * icmp_input(), icmp_reflect(), icmp_send() — sys/netinet/ip_icmp.c (NetBSD 1.68-era, 2002–03).
 *
 * An echo request becomes an echo reply *in the same mbuf*: icmp_input changes the type and
 * icmp_reflect swaps the addresses and sends it back through ip_output. In 2003 nothing here
 * touched the mbuf's tags or IPsec m_flags (seed 001, Stone's steps 6–8); later kernels strip
 * tags (ip_icmp.c 1.168; FreeBSD 1.118) — the `icmpReflectStripsTags` switch.
 */
import { m_flags_clear, m_turnaround, type Mbuf } from "../mbuf/mbuf";
import { m_tag_delete_nonpersistent } from "../mbuf/tag";
import { drop } from "../mbuf/drop";
import type { Host } from "../sim/world";
import { ICMP_TYPE, icmpChecksumOk, icmpTypeName } from "../wire/icmp";
import { fillChecksum, getField, ICMP, IP, setField } from "./headers";
import { ip_output } from "./ip_output";
import { rip_input } from "./raw_ip";
import { IP_PROTO } from "../wire/fields";
import { fieldItem, one } from "../trace/shared";

/** ICMP_MINLEN. */
const ICMP_MINLEN = 8;
/** MAXTTL (sys/netinet/ip.h): NetBSD 1.68's icmp_reflect sends replies with the maximum TTL. */
export const MAXTTL = 255;
/** IPDEFTTL (sys/netinet/ip.h), the default of sysctl net.inet.ip.ttl (ip_defttl). */
export const IP_DEFTTL = 64;

/** icmp_input(m, hlen). Consumes `m`. */
export function icmp_input(host: Host, m: Mbuf, hlen: number): void {
  const site = host.site("icmp", "icmp_input");
  const icmplen = getField(m, 0, IP.totalLength) - hlen;
  if (icmplen < ICMP_MINLEN) {
    drop(site, m, "icmp-too-short", site.text`${icmplen} bytes`, "The ICMP message is too short (icps_tooshort).");
    return;
  }
  const sumOk = icmpChecksumOk(m.bytes(), hlen, icmplen);
  if (!sumOk) {
    drop(site, m, "icmp-bad-checksum", "in_cksum != 0", "The ICMP checksum does not verify (icps_checksum).");
    return;
  }
  const type = getField(m, hlen, ICMP.type);
  const reflect = type === ICMP_TYPE.ECHO_REQUEST;
  site.emit(
    m,
    {
      kind: "decision",
      check: "icmp-type",
      question: site.text`What does icmp_input do with an ICMP ${icmpTypeName(type, getField(m, hlen, ICMP.code))}?`,
      consulted: one(fieldItem("icmp", "type", String(type))),
      branch: reflect ? "reflect" : "to raw sockets",
    },
    reflect
      ? "icmp_input: an echo request is answered by the kernel itself (case ICMP_ECHO)."
      : "icmp_input: no kernel processing for this type; it falls through to the raw sockets (rip_input).",
  );
  if (reflect) {
    setField(
      site,
      m,
      "icmp",
      hlen,
      ICMP.type,
      ICMP_TYPE.ECHO_REPLY,
      "icmp_input turns the echo request into an echo reply in place (icp->icmp_type = ICMP_ECHOREPLY) and reflects the same mbuf.",
    );
    icmp_reflect(host, m, hlen);
    return;
  }
  // Echo replies and everything else go to raw sockets (ping's).
  if (!rip_input(host, m, IP_PROTO.ICMP)) {
    drop(site, m, "no-socket", site.text`ICMP type ${type}`, "No raw socket wants this ICMP message; it is freed.");
  }
}

/** icmp_reflect(m): send the packet back where it came from. Consumes `m`. */
export function icmp_reflect(host: Host, m: Mbuf, hlen: number): void {
  const site = host.site("icmp", "icmp_reflect");
  const b = host.world.behaviour;
  // The same mbuf now travels back down: what it carries describes its trip up.
  m_turnaround(m);
  const src = getField(m, 0, IP.src);
  const dst = getField(m, 0, IP.dst);
  setField(site, m, "ipv4", 0, IP.dst, src, "icmp_reflect sends the reply back to the request's source (ip_dst = ip_src).");
  // The request was addressed to us directly, so its destination becomes the reply's source.
  setField(site, m, "ipv4", 0, IP.src, dst, "…and uses the address the request was sent to as the reply's source.");
  // NetBSD ip_icmp.c 1.68: ip_ttl = MAXTTL; FreeBSD ip_icmp.c 1.111+: ip_ttl = V_ip_defttl.
  if (b.icmpReflectTtl === "defttl") setField(site, m, "ipv4", 0, IP.ttl, IP_DEFTTL, site.text`icmp_reflect sets ip_ttl = ip_defttl (${IP_DEFTTL}).`);
  else setField(site, m, "ipv4", 0, IP.ttl, MAXTTL, "icmp_reflect sets ip_ttl = MAXTTL.");
  if (b.icmpReflectStripsTags) {
    m_tag_delete_nonpersistent(site, m, "icmp_reflect deletes the mbuf's tags: the reply starts with no IPsec history (the fix Stone proposed).");
  }
  const clear: ("BCAST" | "MCAST" | "DECRYPTED" | "AUTHIPHDR" | "AUTHIPDGM")[] = ["BCAST", "MCAST"];
  if (b.icmpReflectClearsIpsecFlags) clear.push("DECRYPTED", "AUTHIPHDR", "AUTHIPDGM");
  const stale = [...m.flags].filter((f) => f === "DECRYPTED" || f === "AUTHIPHDR" || f === "AUTHIPDGM");
  m_flags_clear(
    site,
    m,
    clear,
    b.icmpReflectClearsIpsecFlags
      ? "icmp_reflect clears M_BCAST|M_MCAST and the IPsec flags M_DECRYPTED|M_AUTHIPHDR|M_AUTHIPDGM."
      : stale.length > 0
        ? site.text`icmp_reflect clears only M_BCAST|M_MCAST; ${stale.map((f) => `M_${f}`).join(", ")} stays set from the request.`
        : "icmp_reflect clears only M_BCAST|M_MCAST.",
  );
  icmp_send(host, m, hlen);
}

/** icmp_send(m, opts): checksum the ICMP message and hand it to ip_output(m, opts, NULL, 0). */
function icmp_send(host: Host, m: Mbuf, hlen: number): void {
  const site = host.site("icmp", "icmp_send");
  const len = getField(m, 0, IP.totalLength) - hlen;
  fillChecksum(site, m, "icmp", hlen, len, ICMP.checksum, "icmp_send recomputes the ICMP checksum (icmp_cksum = in_cksum(m, ip_len - hlen)).");
  ip_output(host, m, 0);
}
