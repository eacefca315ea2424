/**
 * udp_output() and udp_input() — sys/netinet/udp_usrreq.c (NetBSD 1.10x, 2003; FreeBSD 7 alike),
 * reduced to what the networks stories need: a sender of datagrams of a given size, and a sink.
 *
 * udp_output prepends the UDP and IP headers (ip_len, IPPROTO_UDP, ip_ttl = ip_defttl 64), computes
 * the checksum over the pseudo header (RFC 768) and calls ip_output(m, …, 0), which fills ip_id.
 * DF comes from the socket option IP_DONTFRAG (FreeBSD 7 udp_output: "if (inp->inp_flags &
 * INP_DONTFRAG) ip->ip_off |= IP_DF"); NetBSD 2003 had no such option, so under netbsd-2003 a DF
 * datagram is hypothetical and its step says so. udp_input verifies the checksum, finds a socket
 * bound to the destination port (in_pcblookup) and delivers; with none it answers ICMP port
 * unreachable (icmp_error) — PCB lookups by address, connected sockets and IPsec socket policy
 * (udp_input's own ipsec4_in_reject) are not modelled.
 */
import { m_freem, m_gethdr, m_prepend, m_poke, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Host } from "../sim/world";
import type { UdpSpec } from "../scenario/schema";
import { ip } from "../sim/addr";
import { emitIpv4 } from "../wire/ipv4";
import { IP_PROTO } from "../wire/fields";
import { emitUdp, udpChecksum, udpChecksumOk, UDP_HEADER_LEN } from "../wire/udp";
import { ICMP_TYPE, ICMP_UNREACH } from "../wire/icmp";
import { addrText, getField, IP } from "./headers";
import { ip_output } from "./ip_output";
import { icmp_error } from "./ip_icmp";

/** ip_defttl (sysctl net.inet.ip.ttl, IPDEFTTL): the TTL udp_output gives its datagrams. */
const IP_DEFTTL = 64;

/** A UDP socket bound to a port, counting what it received (the sink of a `udp` traffic entry). */
export interface UdpSocket {
  readonly name: string;
  readonly port: number;
  received: number;
}

/** What one datagram looks like. */
export interface UdpSendOptions {
  readonly socket: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly size: number;
  readonly df: boolean;
}

/** udp_output(m, inp): send one datagram of `size` data bytes. */
export function udp_output(host: Host, o: UdpSendOptions, seq: number): void {
  const site = host.site("app", "sosend");
  site.emit(
    null,
    { kind: "app.send", socket: o.socket, summary: `datagram ${seq} to ${o.dst}:${o.dstPort}`, bytes: o.size, transport: "udp" },
    `${o.socket} sends datagram ${seq}: ${o.size} bytes to ${o.dst}:${o.dstPort}${o.df ? " with IP_DONTFRAG (DF)" : ""}.`,
  );
  const data = new Uint8Array(o.size);
  for (let i = 0; i < data.length; i++) data[i] = (seq + i) & 0xff;
  const m = m_gethdr(site, data, site.text`sosend copies the ${o.size} data bytes into mbufs.`);
  const out = host.site("ip", "udp_output");
  // in_pcbconnect/in_selectsrc: the source is the address of the interface the route leaves by.
  const rt = host.lookupRoute(ip(o.dst));
  const src = rt ? (rt.iface.loopback ? "127.0.0.1" : rt.iface.addr) : "0.0.0.0";
  m_prepend(out, m, 20 + UDP_HEADER_LEN, "ipv4+udp", "udp_output makes room for the IP and UDP headers (M_PREPEND of sizeof(struct udpiphdr)).");
  const hdr = new Uint8Array(20 + UDP_HEADER_LEN);
  const udpLen = UDP_HEADER_LEN + o.size;
  emitUdp({ srcPort: o.srcPort, dstPort: o.dstPort, length: udpLen, checksum: 0 }, hdr, 20);
  emitIpv4(
    {
      tos: 0,
      totalLength: 20 + udpLen,
      id: 0,
      df: o.df,
      mf: false,
      fragOffset: 0,
      ttl: IP_DEFTTL,
      protocol: IP_PROTO.UDP,
      checksum: 0,
      src,
      dst: o.dst,
      options: new Uint8Array(0),
    },
    hdr,
    0,
    { fillChecksum: false },
  );
  m_poke(m, 0, hdr);
  const sum = udpChecksum(src, o.dst, m.bytes().subarray(20));
  m_poke(m, 26, Uint8Array.of(sum >> 8, sum & 0xff));
  const hypothetical = o.df && host.world.personality.id === "netbsd-2003" ? " Hypothetical on NetBSD 2003, which had no IP_DONTFRAG." : "";
  out.emit(
    m,
    { kind: "mbuf.rewrite", what: "ipv4+udp headers", offset: 0, len: 20 + UDP_HEADER_LEN },
    out.text`udp_output writes the headers: ${src}:${o.srcPort} → ${o.dst}:${o.dstPort}, UDP length ${udpLen}, checksum over the pseudo header, ip_len ${20 + udpLen}, TTL ${IP_DEFTTL}${o.df ? ", DF (IP_DONTFRAG)" : ""}.${hypothetical}`,
  );
  ip_output(host, m, 0, o.socket);
}

/** udp_input(m, hlen): deliver to the socket bound to the destination port. Consumes `m`. */
export function udp_input(host: Host, m: Mbuf, hlen: number): void {
  const site = host.site("ip", "udp_input");
  const b = m.bytes();
  const len = getField(m, 0, IP.totalLength) - hlen;
  if (len < UDP_HEADER_LEN) return drop(site, m, "ip-too-short", site.text`${len} bytes`, "The datagram is shorter than a UDP header (udps_hdrops).");
  const src = addrText(((b[12]! << 24) >>> 0) + ((b[13]! << 16) | (b[14]! << 8) | b[15]!));
  const dst = addrText(((b[16]! << 24) >>> 0) + ((b[17]! << 16) | (b[18]! << 8) | b[19]!));
  const seg = b.subarray(hlen, hlen + len);
  if (((seg[6]! << 8) | seg[7]!) !== 0 && !udpChecksumOk(src, dst, seg))
    return drop(site, m, "ip-bad-checksum", "UDP checksum", "The UDP checksum does not verify (udps_badsum).");
  const port = (seg[2]! << 8) | seg[3]!;
  const so = host.udpSockets.find((s) => s.port === port);
  if (!so) {
    // "No socket": udps_noport, and an ICMP port unreachable back to the sender.
    icmp_error(host, m, ICMP_TYPE.DEST_UNREACH, ICMP_UNREACH.PORT, 0, "no-socket");
    return;
  }
  so.received++;
  site.at("app", "udp_input").emit(
    m,
    {
      kind: "deliver",
      socket: so.name,
      summary: `datagram from ${src}:${(seg[0]! << 8) | seg[1]!}, ${len - UDP_HEADER_LEN} bytes`,
      bytes: len - UDP_HEADER_LEN,
      transport: "udp",
    },
    site.text`udp_input appends the ${len - UDP_HEADER_LEN}-byte datagram to ${so.name}'s receive buffer (sbappendaddr).`,
  );
  m_freem(site, m, "delivered", "The data is in the socket buffer; the chain is freed.");
}

/** Start a `datagrams` entry: bind the sink on the destination host, then send one datagram per interval. */
export function startUdp(world: Host["world"], spec: UdpSpec, index: number): void {
  const host = world.host(spec.from);
  const name = `udp#${index}`;
  if (spec.sink) {
    const target = world.hosts.find((h) => h.isLocal(ip(spec.dst)));
    target?.udpSockets.push({ name: `${name} sink :${spec.dstPort}`, port: spec.dstPort, received: 0 });
  }
  let sent = 0;
  const next = (): void => {
    udp_output(host, { socket: name, dst: spec.dst, srcPort: spec.srcPort, dstPort: spec.dstPort, size: spec.size, df: spec.df }, sent);
    sent++;
    if (sent < spec.count) world.after(spec.intervalMs * 1000, next);
  };
  world.after(spec.startMs * 1000, next);
}
