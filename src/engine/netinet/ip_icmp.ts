/**
 * icmp_input(), icmp_reflect(), icmp_send() — sys/netinet/ip_icmp.c (NetBSD 1.68-era, 2002–03).
 *
 * An echo request becomes an echo reply *in the same mbuf*: icmp_input changes the type and
 * icmp_reflect swaps the addresses and sends it back through ip_output. In 2003 nothing here
 * touched the mbuf's tags or IPsec m_flags (seed 001, Stone's steps 6–8); later kernels strip
 * tags (ip_icmp.c 1.168; FreeBSD 1.118) — the `icmpReflectStripsTags` switch.
 */
import { m_copydata, m_flags_clear, m_freem, m_gethdr, m_set_rcvif, m_turnaround, type Mbuf } from "../mbuf/mbuf";
import { m_tag_delete_nonpersistent } from "../mbuf/tag";
import { drop } from "../mbuf/drop";
import type { Host, Route } from "../sim/world";
import { ip, parsePrefix } from "../sim/addr";
import { emitIcmp, ICMP_ERROR_FIELDS, ICMP_TYPE, ICMP_UNREACH, icmpChecksumOk, icmpTypeName } from "../wire/icmp";
import { emitIpv4 } from "../wire/ipv4";
import { fieldsByName, ipProtoName } from "../wire/fields";
import type { DropReason } from "../trace/events";
import { addrText, fillChecksum, getField, ICMP, IP, setField } from "./headers";
import { protoswFor } from "./in_proto";
import { ip_output } from "./ip_output";
import { rip_input } from "./raw_ip";
import { IP_PROTO } from "../wire/fields";
import { fieldItem, one } from "../trace/shared";

const ICMP_ERR = fieldsByName(ICMP_ERROR_FIELDS);

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
  // case ICMP_UNREACH / ICMP_TIMXCEED / ICMP_SOURCEQUENCH: "deliver" — advise the protocol of
  // the quoted datagram through its pr_ctlinput, then the raw sockets get the message too.
  const advise = type === ICMP_TYPE.DEST_UNREACH || type === ICMP_TYPE.TIME_EXCEEDED || type === ICMP_TYPE.SOURCE_QUENCH;
  site.emit(
    m,
    {
      kind: "decision",
      check: "icmp-type",
      question: site.text`What does icmp_input do with an ICMP ${icmpTypeName(type, getField(m, hlen, ICMP.code))}?`,
      consulted: one(fieldItem("icmp", "type", String(type))),
      branch: reflect ? "reflect" : advise ? "pr_ctlinput, then raw sockets" : "to raw sockets",
    },
    reflect
      ? "icmp_input: an echo request is answered by the kernel itself (case ICMP_ECHO)."
      : advise
        ? 'icmp_input: an error about a datagram we sent; the protocol of the quoted datagram is advised through its pr_ctlinput ("deliver"), then the message goes to the raw sockets.'
        : "icmp_input: no kernel processing for this type; it falls through to the raw sockets (rip_input).",
  );
  if (advise) icmp_deliver(host, m, hlen, type, getField(m, hlen, ICMP.code));
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
  if (host.isLocal(dst)) {
    // The request was addressed to us directly, so its destination becomes the reply's source.
    setField(site, m, "ipv4", 0, IP.src, dst, "…and uses the address the request was sent to as the reply's source.");
  } else {
    // An error about a datagram for someone else (icmp_error from ip_forward): "use an address
    // which corresponds to the incoming interface" (ip_icmp.c 1.68) — the address on rcvif.
    const ifp = (m.rcvif ? host.ifaceByName(m.rcvif) : undefined) ?? host.ifaces.find((i) => !i.loopback);
    if (ifp)
      setField(
        site,
        m,
        "ipv4",
        0,
        IP.src,
        ifp.addrNum,
        site.text`…and, the quoted datagram not being addressed to ${host.name}, takes the address of ${ifp.name}, the interface it came in on, as the source.`,
      );
  }
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

/** ICMP_TIMXCEED_INTRANS (netinet/ip_icmp.h): TTL reached 0 in transit. */
export const ICMP_TIMXCEED_INTRANS = 0;
/** icmpreturndatabytes (ip_icmp.c): how much of the offending datagram's data an error quotes. */
export const ICMP_RETURN_DATA_BYTES = 8;

/**
 * icmp_error(n, type, code, dest, destifp) — ip_icmp.c 1.68 (2002). "Don't send error if the
 * original packet was encrypted", nor for a non-first fragment, an ICMP error, or a broadcast;
 * otherwise build a new mbuf: ICMP type/code (for UNREACH_NEEDFRAG `icmp_nextmtu =
 * htons(destifp->if_mtu)`, RFC 1191 §4), the offending header and `icmpreturndatabytes` (8) of
 * its data, behind a new IP header from the old source to the old destination, and icmp_reflect
 * it. Consumes `n` — recorded as a drop with `reason` when the caller's datagram dies here
 * (TTL exceeded, no route), or freed quietly when `n` is ip_forward's mcopy.
 */
export function icmp_error(host: Host, n: Mbuf, type: number, code: number, nextMtu: number, reason: DropReason | undefined): void {
  const site = host.site("icmp", "icmp_error");
  const b = n.bytes();
  const oiplen = (b[0]! & 0x0f) * 4;
  const ipOff = (b[6]! << 8) | b[7]!;
  const oproto = b[9]!;
  const oipLen = (b[2]! << 8) | b[3]!;
  const decrypted = n.flags.has("DECRYPTED");
  const notFirst = (ipOff & 0x1fff) !== 0;
  const quotedType = oproto === IP_PROTO.ICMP && b.length >= oiplen + ICMP_MINLEN ? b[oiplen]! : undefined;
  // ICMP_INFOTYPE: echo reply/request, router advert/solicit, timestamp(s), info, mask — errors are not.
  const aboutError = quotedType !== undefined && ![0, 8, 9, 10, 13, 14, 15, 16, 17, 18].includes(quotedType);
  const bcast = n.flags.has("BCAST") || n.flags.has("MCAST");
  const why = decrypted
    ? "the original packet was decrypted (M_DECRYPTED)"
    : notFirst
      ? "it is not the first fragment"
      : aboutError
        ? "the original is itself an ICMP error"
        : bcast
          ? "the original was broadcast or multicast"
          : undefined;
  site.emit(
    n,
    {
      kind: "decision",
      check: "icmp-error",
      question: site.text`May ${host.name} send an ICMP ${icmpTypeName(type, code)} about this datagram?`,
      consulted: [
        { kind: "flag", flag: "DECRYPTED", set: decrypted },
        { kind: "field", header: "ipv4", field: "fragOffset", value: String(ipOff & 0x1fff) },
        { kind: "field", header: "ipv4", field: "protocol", value: String(oproto) },
      ],
      branch: why ? "no error" : "send",
    },
    why
      ? site.text`icmp_error sends nothing: ${why}.`
      : site.text`icmp_error builds an ICMP ${icmpTypeName(type, code)} for ${addrText(((b[12]! << 24) >>> 0) + ((b[13]! << 16) | (b[14]! << 8) | b[15]!))}.`,
  );
  const finish = (): void => {
    if (reason) drop(site, n, reason, site.text`ICMP ${icmpTypeName(type, code)}`, "icmp_error frees the offending datagram (freeit: m_freem(n)).");
    else m_freem(site, n, "quoted", "icmp_error frees the copy it quoted (freeit: m_freem(n)).");
  };
  if (why) return finish();
  const icmplen = oiplen + Math.min(ICMP_RETURN_DATA_BYTES, oipLen - oiplen);
  const quoted = m_copydata(n, 0, Math.min(icmplen, n.len));
  const msg = new Uint8Array(20 + ICMP_MINLEN + quoted.length);
  const nextHopMtu = type === ICMP_TYPE.DEST_UNREACH && code === ICMP_UNREACH.NEEDFRAG ? nextMtu : 0;
  emitIcmp({ kind: "error", type: type as 3 | 4 | 11, code, checksum: 0, nextHopMtu, original: quoted }, msg, 20, { fillChecksum: false });
  emitIpv4(
    {
      tos: 0,
      totalLength: msg.length,
      id: 0,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: 0,
      protocol: IP_PROTO.ICMP,
      checksum: 0,
      src: addrText(((b[12]! << 24) >>> 0) + ((b[13]! << 16) | (b[14]! << 8) | b[15]!)),
      dst: addrText(((b[16]! << 24) >>> 0) + ((b[17]! << 16) | (b[18]! << 8) | b[19]!)),
      options: new Uint8Array(0),
    },
    msg,
    0,
    { fillChecksum: false },
  );
  const m = m_gethdr(
    site,
    msg,
    nextHopMtu
      ? site.text`icmp_error builds the error in a new mbuf: ICMP ${icmpTypeName(type, code)} with next-hop MTU ${nextHopMtu} (icmp_nextmtu), quoting the offending IP header and ${quoted.length - oiplen} bytes of its data.`
      : site.text`icmp_error builds the error in a new mbuf: ICMP ${icmpTypeName(type, code)}, quoting the offending IP header and ${quoted.length - oiplen} bytes of its data.`,
  );
  m_set_rcvif(m, n.rcvif);
  finish();
  // ip_id is set in ip_output, ip_ttl in icmp_reflect.
  icmp_reflect(host, m, 20);
}

/**
 * icmp_input's "deliver" step: `ctlfunc = inetsw[ip_protox[icp->icmp_ip.ip_p]].pr_ctlinput`. Only
 * ESP's is modelled — esp4_ctlinput (NetBSD sys/netipsec/ipsec_input.c, NetBSD 8-era text; whether
 * the 2003 port had it is not known): for PRC_MSGSIZE with ip_mtudisc it looks the quoted SA up and,
 * if it is ours, calls icmp_mtudisc. ICMP's inetsw entry has no pr_ctlinput, so a need-frag about a
 * plain ping teaches the route nothing; TCP's (tcp_ctlinput → icmp_mtudisc) is not modelled.
 */
function icmp_deliver(host: Host, m: Mbuf, hlen: number, type: number, code: number): void {
  const site = host.site("icmp", "icmp_input");
  const b = m.bytes();
  const q = hlen + ICMP_MINLEN;
  if (b.length < q + 20) return;
  const qproto = b[q + 9]!;
  const qhl = (b[q]! & 0x0f) * 4;
  const qdst = addrText(((b[q + 16]! << 24) >>> 0) + ((b[q + 17]! << 16) | (b[q + 18]! << 8) | b[q + 19]!));
  const pr = protoswFor(qproto);
  const needfrag = type === ICMP_TYPE.DEST_UNREACH && code === ICMP_UNREACH.NEEDFRAG;
  // A protocol with its own modelled pr_ctlinput (tcp_ctlinput) decides for itself.
  if (pr.ctlinput) return pr.ctlinput(host, m, hlen, type, code);
  if (!needfrag || pr.ctlinputName === undefined) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "pmtu",
        question: site.text`Does the quoted ${ipProtoName(qproto)} datagram's protocol act on this ICMP ${icmpTypeName(type, code)} (pr_ctlinput)?`,
        consulted: one({ kind: "switch", name: "pr_ctlinput", value: pr.ctlinputName ?? "none" }),
        branch: "no",
      },
      pr.ctlinputName === undefined
        ? site.text`The ${ipProtoName(qproto)} entry of inetsw has no pr_ctlinput${needfrag ? ": the path MTU to " + qdst + " is not updated" : ""}.`
        : site.text`${pr.ctlinputName} ignores this message (only PRC_MSGSIZE is modelled).`,
    );
    return;
  }
  const spi = b.length >= q + qhl + 4 ? ((b[q + qhl]! << 24) >>> 0) + ((b[q + qhl + 1]! << 16) | (b[q + qhl + 2]! << 8) | b[q + qhl + 3]!) : -1;
  const sa = host.sad.find((s) => s.proto === "esp" && s.spi === spi && s.dst === qdst);
  site.at("ipsec", pr.ctlinputName).emit(
    m,
    {
      kind: "decision",
      check: "pmtu",
      question: site.text`Is the quoted ESP packet to ${qdst} (SPI 0x${spi.toString(16)}) one of ours (KEY_LOOKUP_SA)?`,
      consulted: sa ? one({ kind: "sa", id: sa.id, summary: sa.id }) : one({ kind: "sa", id: "none", summary: "no SA" }),
      branch: sa ? "icmp_mtudisc" : "ignore",
    },
    sa
      ? site.text`${pr.ctlinputName}: PRC_MSGSIZE about an ESP packet of ${sa.id}, an SA we hold: "we are actually communicating with the host indicated in the ICMP message", so it calls icmp_mtudisc.`
      : site.text`${pr.ctlinputName}: no SA matches the quoted ESP packet; the message is ignored.`,
  );
  if (!sa) return;
  icmp_mtudisc(host, m, getField(m, hlen, ICMP_ERR.nextHopMtu), (b[q + 2]! << 8) | b[q + 3]!, qhl, qdst);
}

/** The plateau table of ip_icmp.c ("Table of common MTUs", RFC 1191 §7). */
export const MTU_TABLE: readonly number[] = [65535, 65280, 32000, 17914, 9180, 8166, 4352, 2002, 1492, 1006, 508, 296, 68, 0];

/**
 * The MTU icmp_mtudisc settles on for a need-frag with next-hop MTU `nextMtu` about a datagram of
 * `quotedLen` bytes with a `quotedHl`-byte header, given the route's rmx_mtu and interface MTU.
 * With `nextMtu` 0 (a router older than RFC 1191) it guesses: the quoted ip_len ("some 4.2BSD-based
 * routers incorrectly adjust the ip_len": minus the header when above rmx_mtu), else the route's
 * or interface's MTU, then the next plateau below it.
 */
export function mtudiscValue(nextMtu: number, quotedLen: number, quotedHl: number, rmxMtu: number, ifMtu: number): number {
  if (nextMtu !== 0) return nextMtu;
  let mtu = quotedLen;
  if (mtu > rmxMtu && rmxMtu !== 0) mtu -= quotedHl;
  if (mtu === 0) mtu = rmxMtu || ifMtu;
  for (const p of MTU_TABLE) {
    if (mtu > p) return p;
  }
  return mtu;
}

/**
 * icmp_mtudisc(icp, faddr) — ip_icmp.c 1.68: find the route to `dst`; if it is not a host route,
 * clone one (RTF_GATEWAY|RTF_HOST|RTF_DYNAMIC) carrying its metrics; settle the MTU (mtudiscValue);
 * below 296 or above the interface MTU the MTU is locked instead (RTV_MTU), else rmx_mtu is
 * lowered (icps_pmtuchg). The rt_timer that restores the MTU after ip_mtudisc_timeout (600 s) is
 * not modelled: no run lasts that long.
 */
export function icmp_mtudisc(host: Host, m: Mbuf, nextMtu: number, quotedLen: number, quotedHl: number, dst: string): void {
  const site = host.site("icmp", "icmp_mtudisc");
  let rt = host.lookupRoute(ip(dst));
  if (!rt) return;
  const before = rt.mtu;
  if (rt.dst.len !== 32) {
    const clone: Route = { dst: parsePrefix(`${dst}/32`), gateway: rt.gateway, iface: rt.iface, origin: "dynamic", mtu: rt.mtu };
    host.routes.push(clone);
    rt = clone;
  }
  const mtu = mtudiscValue(nextMtu, quotedLen, quotedHl, rt.mtu, rt.iface.mtu);
  const locked = mtu < 296 || mtu > rt.iface.mtu;
  const lower = !locked && (rt.mtu > mtu || rt.mtu === 0);
  if (lower) rt.mtu = mtu;
  const via = rt.gateway ? ` via ${rt.gateway}` : "";
  site.emit(
    m,
    {
      kind: "decision",
      check: "pmtu",
      question: site.text`What path MTU does ${host.name} learn for ${dst} (next-hop MTU ${nextMtu}${nextMtu === 0 ? ", so the plateau table" : ""})?`,
      consulted: [
        { kind: "field", header: "icmp", field: "nextHopMtu", value: String(nextMtu) },
        { kind: "route", dst, summary: `${rt.dst.text}${via} dev ${rt.iface.name} mtu ${rt.mtu} (${rt.origin})` },
      ],
      branch: locked ? "lock RTV_MTU" : lower ? site.text`rmx_mtu ${mtu}` : "unchanged",
    },
    locked
      ? site.text`icmp_mtudisc: ${mtu} is below 296 or above ${rt.iface.name}'s MTU; the route's MTU is locked (RTV_MTU) rather than trusted.`
      : lower
        ? site.text`icmp_mtudisc sets the host route ${dst}${via}'s rmx_mtu to ${mtu} (was ${before || "unset"}): later datagrams to ${dst} are measured against it (icps_pmtuchg).`
        : site.text`icmp_mtudisc: the route already has an MTU of ${rt.mtu} or less; nothing changes.`,
  );
}
