/**
 * inetsw[] and ip_protox[] — sys/netinet/in_proto.c (NetBSD 1.5x–1.6x with FAST_IPSEC, 2003;
 * FreeBSD 5–7 in_proto.c alike) and the pr_flags of sys/sys/protosw.h.
 *
 * ip_input hands a datagram to `inetsw[ip_protox[ip->ip_p]].pr_input`. ip_protox starts out
 * pointing every protocol at the raw wildcard entry (pr_protocol 0, rip_input) and ip_init()
 * then points each protocol that has its own entry at it, so a protocol nobody registered
 * reaches the raw sockets. PR_LASTHDR ("enforce ipsec policy; last header") is what makes
 * ip_input run the FAST_IPSEC input policy check before pr_input: ICMP, IGMP, IPPROTO_IPV4
 * (encap4_input) and the raw entry have it; UDP and TCP do not (udp_input and tcp_input make
 * their own check), nor do the FAST_IPSEC ESP and AH entries (kernel-notes §7, corrections).
 * A new protocol is one entry here.
 */
import type { Mbuf } from "../mbuf/mbuf";
import type { Host } from "../sim/world";
import { IP_PROTO } from "../wire/fields";
import { icmp_input } from "./ip_icmp";
import { ah4_input, esp4_input, ipip_input } from "../netipsec/ipsec_input";
import { udp_input } from "./udp_usrreq";
import { tcp_ctlinput, tcp_input } from "./tcp_input";

/** pr_flags (sys/sys/protosw.h, NetBSD and FreeBSD alike). */
export const PR = {
  /** Exchange atomic messages only. */
  ATOMIC: 0x01,
  /** Addresses given with messages. */
  ADDR: 0x02,
  /** Connection required by protocol. */
  CONNREQUIRED: 0x04,
  /** Want PRU_RCVD calls. */
  WANTRCVD: 0x08,
  /** Enforce IPsec policy; last header. */
  LASTHDR: 0x40,
} as const;

/** IPPROTO_IGMP (netinet/in.h). */
export const IPPROTO_IGMP = 2;

/** `(*pr_input)(m, hlen, proto)`: consumes `m`. */
export type PrInput = (host: Host, m: Mbuf, hlen: number, proto: number) => void;

/** One `struct protosw` of inetsw[], reduced to what ip_input reads. */
export interface Protosw {
  /** pr_protocol; 0 for the raw wildcard entry. */
  readonly protocol: number;
  /** The kernel's pr_input function, for narration. */
  readonly inputName: string;
  readonly flags: number;
  /**
   * The modelled pr_input; undefined where the engine has no model of the protocol's input
   * (IGMP, TCP): the datagram then goes to the raw sockets as the wildcard entry's would.
   */
  readonly input: PrInput | undefined;
  /** pr_ctlinput, where icmp_input's "deliver" step does something the engine models (esp4_ctlinput). */
  readonly ctlinputName?: string;
  /** The modelled pr_ctlinput for an ICMP error quoting this protocol (tcp_ctlinput); `m` is not consumed. */
  readonly ctlinput?: (host: Host, m: Mbuf, hlen: number, type: number, code: number) => void;
}

/**
 * inetsw[] in in_proto.c's order (FAST_IPSEC build). The functions are wrapped so the table can
 * be built while the modules that define them are still loading (ip_input ↔ icmp_input cycle).
 */
export const inetsw: readonly Protosw[] = [
  { protocol: IP_PROTO.UDP, inputName: "udp_input", flags: PR.ATOMIC | PR.ADDR, input: (h, m, hlen) => udp_input(h, m, hlen) },
  {
    protocol: IP_PROTO.TCP,
    inputName: "tcp_input",
    flags: PR.CONNREQUIRED | PR.WANTRCVD,
    input: (h, m, hlen) => tcp_input(h, m, hlen),
    ctlinputName: "tcp_ctlinput",
    ctlinput: (h, m, hlen, type, code) => tcp_ctlinput(h, m, hlen, type, code),
  },
  { protocol: IP_PROTO.ICMP, inputName: "icmp_input", flags: PR.ATOMIC | PR.ADDR | PR.LASTHDR, input: (h, m, hlen) => icmp_input(h, m, hlen) },
  { protocol: IPPROTO_IGMP, inputName: "igmp_input", flags: PR.ATOMIC | PR.ADDR | PR.LASTHDR, input: undefined },
  // FAST_IPSEC: the transforms' entries lack PR_LASTHDR — the inner packet is checked later.
  { protocol: IP_PROTO.AH, inputName: "ah4_input", flags: PR.ATOMIC | PR.ADDR, input: (h, m, hlen) => ah4_input(h, m, hlen) },
  {
    protocol: IP_PROTO.ESP,
    inputName: "esp4_input",
    flags: PR.ATOMIC | PR.ADDR,
    input: (h, m, hlen) => esp4_input(h, m, hlen),
    ctlinputName: "esp4_ctlinput",
  },
  // encap4_input → ipip_input (xform_ipip.c) for a tunnel-mode inner datagram.
  { protocol: IP_PROTO.IPIP, inputName: "encap4_input", flags: PR.ATOMIC | PR.ADDR | PR.LASTHDR, input: (h, m, hlen) => ipip_input(h, m, hlen) },
  // The raw wildcard entry: everything else goes to rip_input.
  { protocol: 0, inputName: "rip_input", flags: PR.ATOMIC | PR.ADDR | PR.LASTHDR, input: undefined },
];

/** The index of the raw wildcard entry (pffindproto(PF_INET, IPPROTO_RAW, SOCK_RAW) in ip_init). */
const RAW_INDEX = inetsw.findIndex((p) => p.protocol === 0);

/**
 * ip_protox[IPPROTO_MAX], as ip_init() fills it: every slot the raw entry, then each protocol
 * with its own inetsw entry pointed at it.
 */
export const ip_protox: readonly number[] = (() => {
  const t = new Array<number>(256).fill(RAW_INDEX);
  inetsw.forEach((pr, i) => {
    if (pr.protocol !== 0) t[pr.protocol] = i;
  });
  return t;
})();

/** inetsw[ip_protox[proto]]. */
export function protoswFor(proto: number): Protosw {
  return inetsw[ip_protox[proto & 0xff]!]!;
}

/** Does inetsw[ip_protox[proto]] have PR_LASTHDR? (the raw wildcard entry does) */
export function hasLastHdr(proto: number): boolean {
  return (protoswFor(proto).flags & PR.LASTHDR) !== 0;
}
