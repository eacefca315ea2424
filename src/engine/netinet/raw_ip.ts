/**
 * rip_output() and rip_input() — sys/netinet/raw_ip.c. NetBSD ping (sbin/ping/ping.c) sets
 * IP_HDRINCL and builds its own IP header with ip_id 0; rip_output (INP_HDRINCL) fills ip_id
 * only when it is 0, with ip_randomid(), and calls ip_output with IP_RAWOUTPUT so ip_output
 * leaves the header alone (kernel-notes §7, corrections). rip_input hands received datagrams of
 * the socket's protocol to each raw socket.
 */
import { isStale, m_copyback, m_freem, m_prepend, type Mbuf } from "../mbuf/mbuf";
import { m_tag_list } from "../mbuf/tag";
import type { Host } from "../sim/world";
import { emitIpv4 } from "../wire/ipv4";
import { IP_PROTO, ipProtoName } from "../wire/fields";
import { IP_ALLOWBROADCAST, IP_RAWOUTPUT, ip_output } from "./ip_output";
import { ip_randomid } from "./ip_id";
import { IP, setField } from "./headers";
import { MAXTTL } from "./ip_icmp";
import { noTagItem, one } from "../trace/shared";
import { ipsec4_in_reject_so } from "../netipsec/ipsec_input";

export interface RawSendOptions {
  readonly src: string;
  readonly dst: string;
  readonly df: boolean;
  /** ip_ttl of the user's header; MAXTTL unless set. */
  readonly ttl?: number;
}

/** rip_output(m, so, dst): consumes `m` (the ICMP message). */
export function rip_output(host: Host, m: Mbuf, opts: RawSendOptions): void {
  const site = host.site("ip", "rip_output");
  m_prepend(site, m, 20, "ipv4", "rip_output makes room for a 20-byte IP header in front of the ICMP message (M_PREPEND).", { kind: "ipv4" });
  const header = new Uint8Array(20);
  emitIpv4(
    {
      tos: 0,
      totalLength: m.len,
      id: 0,
      df: opts.df,
      mf: false,
      fragOffset: 0,
      ttl: opts.ttl ?? MAXTTL,
      protocol: IP_PROTO.ICMP,
      checksum: 0,
      src: opts.src,
      dst: opts.dst,
      options: new Uint8Array(0),
    },
    header,
    0,
    { fillChecksum: false },
  );
  m_copyback(
    site,
    m,
    0,
    header,
    "ipv4 header",
    site.text`ping's own IP header (IP_HDRINCL): ${opts.src} → ${opts.dst}, protocol ICMP, ip_len ${m.len}, TTL ${opts.ttl ?? MAXTTL}${opts.df ? ", DF" : ""}, ip_id 0.`,
  );
  // raw_ip.c rip_output, INP_HDRINCL: "if (ip->ip_id == 0) ip->ip_id = ip_randomid()".
  setField(site, m, "ipv4", 0, IP.id, ip_randomid(host), "rip_output finds ip_id 0 in the user's header and fills it with ip_randomid().");
  ip_output(host, m, IP_ALLOWBROADCAST | IP_RAWOUTPUT);
}

/** rip_input(m): deliver to matching raw sockets. False if none wanted it (m not consumed). */
export function rip_input(host: Host, m: Mbuf, proto: number): boolean {
  const sockets = host.sockets.filter((s) => s.proto === proto);
  if (sockets.length === 0) return false;
  const site = host.site("app", "rip_input");
  // The real check (a personality switch): ipsec4_in_reject on the socket's policy, by m_flags.
  if (host.world.behaviour.ripInputChecksPolicy && !ipsec4_in_reject_so(host, m)) return true;
  if (host.spd.length > 0) ipsecEvidence(host, m);
  for (const s of sockets) s.receive(m, site);
  m_freem(
    site,
    m,
    "delivered",
    site.text`The datagram has been copied to ${sockets.length === 1 ? "the" : sockets.length} raw ${ipProtoName(proto)} socket${sockets.length === 1 ? "" : "s"}; the chain is freed.`,
  );
  return true;
}

/** The function name the hypothetical reader's step carries, so no one mistakes it for rip_input. */
export const HYPOTHETICAL_READER = "reader (hypothetical)";

/**
 * Seed 000, reason 1: "some in-kernel applications test whether or not this packet chain came
 * in via IPsec, and was IPsec-approved. Currently done by checking for IPSEC_DONE tags." We
 * model such a reader at the raw socket, on hosts with IPsec policy, so the trace shows what it
 * concludes — and what it concludes when a tag is stale, or was consumed before it looked.
 */
function ipsecEvidence(host: Host, m: Mbuf): void {
  // Its own step, not rip_input: no kernel source has this reader (seed 000 calls them proprietary).
  const site = host.site("app", HYPOTHETICAL_READER);
  const tag = m_tag_list(m).find((t) => t.name === "IPSEC_IN_DONE") ?? null;
  const stale = tag ? isStale(m, tag.uid) : false;
  site.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-evidence",
      question: "Did this datagram come in through IPsec? (an in-kernel reader checks for an IN_DONE tag, as seed 000 describes)",
      consulted: tag ? [{ kind: "tag", name: "IPSEC_IN_DONE", tag, stale }] : one(noTagItem("IPSEC_IN_DONE")),
      branch: tag ? "via IPsec" : "not via IPsec",
    },
    tag
      ? site.text`Hypothetical (seed 000's in-kernel application, not in any kernel source): the reader finds an IN_DONE tag and concludes the datagram came in through IPsec${stale ? " — but the tag is stale, from the packet's trip the other way" : ""}.`
      : "Hypothetical (seed 000's in-kernel application, not in any kernel source): the reader finds no IN_DONE tag and concludes the datagram did not come in through IPsec.",
  );
}
