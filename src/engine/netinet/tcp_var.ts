/**
 * The TCP header (RFC 793 §3.1) and the TCP control block (struct tcpcb, netinet/tcp_var.h) of a
 * minimal BSD TCP, NetBSD 1.6 (2002–03): tcp_output.c 1.79.4.1 (netbsd-1-6, 2002-06-14), and
 * tcp_input.c / tcp_subr.c of the same branch.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |          Source Port          |       Destination Port        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        Sequence Number                        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Acknowledgment Number                      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  Data |           |U|A|P|R|S|F|                               |
 *    | Offset| Reserved  |R|C|S|S|Y|I|            Window             |
 *    |       |           |G|K|H|T|N|N|                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           Checksum            |         Urgent Pointer        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                    Options                    |    Padding    |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The checksum covers a pseudo header (source, destination, zero, protocol 6, TCP length), the
 * header and the data (RFC 793 §3.1, "Checksum"). The only option modelled is Maximum Segment
 * Size (kind 2, length 4, RFC 793 §3.1 "Options"; RFC 879): the hosts run with
 * net.inet.tcp.win_scale=0 and net.inet.tcp.timestamps=0 (NetBSD's defaults are 1), so a SYN
 * carries the MSS option alone and data segments carry none — said where a SYN is built.
 */
import type { Host } from "../sim/world";
import { onesComplementSum, pseudoHeaderSum } from "../wire/checksum";
import { IP_PROTO } from "../wire/fields";
import { TCP_HDRLEN, TCPOLEN_MAXSEG, TCPOPT_MAXSEG, TH, type TcpRepr } from "./tcp";
export { flagNames, parseTcp, TCP_HDRLEN, TCPOLEN_MAXSEG, TCPOPT_MAXSEG, TH, type TcpRepr } from "./tcp";

/** sizeof(struct ip) + sizeof(struct tcphdr): what tcp_segsize subtracts from an MTU. */
export const TCPIP_HDRLEN = 40;
/** tcp_mssdflt = TCP_MSS (netinet/tcp.h): 512, the MSS assumed until the peer offers one. */
export const TCP_MSSDFLT = 512;
/** tcp_recvspace / tcp_sendspace (tcp_usrreq.c): 32 KiB socket buffers; the window a receiver offers. */
export const TCP_RECVSPACE = 32 * 1024;
/** tcp_init_win (tcp_subr.c): NetBSD 1.6's initial window, in segments. */
export const TCP_INIT_WIN = 1;

/**
 * The slow timeout's tick (PR_SLOWHZ = 2 a second, sys/protosw.h): TCP's timers count in these
 * 500 ms ticks. Virtual µs per tick.
 */
export const SLOW_TICK = 500_000;
/** TCPTV_MIN (tcp_timer.h): the retransmit timeout never goes below 2 ticks (1 s). */
export const TCPTV_MIN = 2;
/** TCPTV_REXMTMAX (tcp_timer.h): nor above 128 ticks (64 s). */
export const TCPTV_REXMTMAX = 128;
/** TCP_MAXRXTSHIFT (tcp_timer.h): after 12 backed-off retransmissions the connection is dropped. */
export const TCP_MAXRXTSHIFT = 12;
/** tcp_backoff[] (tcp_timer.c): the RTO multiplier for each retransmission. */
export const TCP_BACKOFF: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 64, 64, 64, 64, 64, 64];
/**
 * t_rxtcur of a new tcpcb (tcp_newtcpcb, tcp_subr.c): t_srtt = TCPTV_SRTTBASE (0) and
 * t_rttvar = tcp_rttdflt (3 s) × PR_SLOWHZ << (TCP_RTTVAR_SHIFT + 2 − 1) = 48, so
 * TCP_REXMTVAL = ((0 >> 3) + 48) >> 2 = 12 ticks: the classic 6 s before a SYN is resent.
 */
export const TCP_RXTCUR_INITIAL = 12;

/** TCP states (netinet/tcp_fsm.h), the ones this model reaches. */
export type TcpState =
  | "CLOSED"
  | "LISTEN"
  | "SYN_SENT"
  | "SYN_RECEIVED"
  | "ESTABLISHED"
  | "CLOSE_WAIT"
  | "FIN_WAIT_1"
  | "CLOSING"
  | "LAST_ACK"
  | "FIN_WAIT_2"
  | "TIME_WAIT";

/**
 * tcp_outflags[] (tcp_fsm.h): the flags tcp_output sends in each state. ACK everywhere once a
 * SYN was received; FIN in the states after the user closed.
 */
export const TCP_OUTFLAGS: Readonly<Record<TcpState, number>> = {
  CLOSED: TH.RST | TH.ACK,
  LISTEN: 0,
  SYN_SENT: TH.SYN,
  SYN_RECEIVED: TH.SYN | TH.ACK,
  ESTABLISHED: TH.ACK,
  CLOSE_WAIT: TH.ACK,
  FIN_WAIT_1: TH.FIN | TH.ACK,
  CLOSING: TH.FIN | TH.ACK,
  LAST_ACK: TH.FIN | TH.ACK,
  FIN_WAIT_2: TH.ACK,
  TIME_WAIT: TH.ACK,
};

/**
 * struct tcpcb reduced to what a bulk sender and a sink need. Sequence numbers are kept as
 * offsets from the ISS (0 = the SYN), as unsigned 32-bit arithmetic would give the same answers
 * for a transfer far shorter than 2^31; the wire carries iss + offset.
 */
export interface Tcpcb {
  readonly host: Host;
  /** The socket's name in narration, e.g. "tcp#0" or "tcp#0 sink :80". */
  readonly name: string;
  state: TcpState;
  readonly laddr: string;
  readonly lport: number;
  faddr: string;
  fport: number;
  /** Initial send sequence number (tcp_new_iss). */
  readonly iss: number;
  /** The peer's ISN (irs). */
  irs: number;
  /** Send sequence variables, relative to iss. */
  snd_una: number;
  snd_nxt: number;
  snd_max: number;
  snd_wnd: number;
  snd_cwnd: number;
  snd_ssthresh: number;
  /** Receive sequence variable, relative to irs. */
  rcv_nxt: number;
  /** t_peermss: the MSS the peer offered (tcp_mss_from_peer); tcp_mssdflt until then. */
  t_peermss: number;
  /** t_ourmss: what we advertised (tcp_mss_to_advertise). */
  t_ourmss: number;
  /** t_segsz: the segment size tcp_segsize last computed — NetBSD's t_maxseg. */
  t_segsz: number;
  /** Retransmission timeout in slow ticks, and the backoff shift. */
  t_rxtcur: number;
  t_rxtshift: number;
  /** Smoothed RTT (×8) and variance (×4), slow ticks, as tcp_xmit_timer keeps them; 0 = no sample. */
  t_srtt: number;
  t_rttvar: number;
  /** The sequence (relative) being timed, or -1 (Karn: never time a retransmission). */
  t_rtseq: number;
  /** When the timed segment was sent (virtual µs). */
  t_rtttime: number;
  /** The generation of the armed TCPT_REXMT callout; bumping it disarms the one pending. */
  rexmtGen: number;
  rexmtArmed: boolean;
  /** TF_ACKNOW: an ACK is owed. */
  acknow: boolean;
  /** The send buffer: bytes the application wrote, the bytes themselves, and whether it closed. */
  readonly sndData: Uint8Array;
  /** Bytes of sndData acknowledged and dropped from so_snd (sbdrop); sb_cc = sndData.length − sbDropped. */
  sbDropped: number;
  /** Bytes of sndData the application has written so far (sosend). */
  sbWritten: number;
  userClosed: boolean;
  /** Bytes delivered to the receiving application. */
  received: number;
  /** so_error when the connection was dropped. */
  error: string | undefined;
}

/** The PCBs of each host (tcbtable): kept beside the host, not in it, so World stays TCP-free. */
const TCBTABLE = new WeakMap<Host, Tcpcb[]>();

/** tcbtable of `host`. */
export function tcbtable(host: Host): Tcpcb[] {
  let t = TCBTABLE.get(host);
  if (!t) TCBTABLE.set(host, (t = []));
  return t;
}

/**
 * in_pcblookup_connect, then in_pcblookup_bind: the connection for this 4-tuple, else a socket
 * listening on the local port.
 */
export function in_pcblookup(host: Host, laddr: string, lport: number, faddr: string, fport: number): Tcpcb | undefined {
  const t = tcbtable(host);
  return (
    t.find(
      (tp) => tp.state !== "LISTEN" && tp.state !== "CLOSED" && tp.lport === lport && tp.fport === fport && tp.faddr === faddr && tp.laddr === laddr,
    ) ?? t.find((tp) => tp.state === "LISTEN" && tp.lport === lport)
  );
}

/** tcp_newtcpcb (tcp_subr.c): a fresh control block with NetBSD's initial values. */
export function tcp_newtcpcb(host: Host, name: string, laddr: string, lport: number, data: Uint8Array): Tcpcb {
  return {
    host,
    name,
    state: "CLOSED",
    laddr,
    lport,
    faddr: "0.0.0.0",
    fport: 0,
    // tcp_new_iss: NetBSD 1.6 draws the ISS from the kernel's random source; here the seeded RNG.
    iss: host.world.rng.u32(),
    irs: 0,
    snd_una: 0,
    snd_nxt: 0,
    snd_max: 0,
    snd_wnd: 0,
    // tcp_newtcpcb: "snd_cwnd = snd_ssthresh = TCP_MAXWIN << TCP_MAX_WINSHIFT"; set for real at ESTABLISHED.
    snd_cwnd: 65535 << 14,
    snd_ssthresh: 65535 << 14,
    rcv_nxt: 0,
    t_peermss: TCP_MSSDFLT,
    t_ourmss: TCP_MSSDFLT,
    t_segsz: TCP_MSSDFLT,
    t_rxtcur: TCP_RXTCUR_INITIAL,
    t_rxtshift: 0,
    t_srtt: 0,
    t_rttvar: 0,
    t_rtseq: -1,
    t_rtttime: 0,
    rexmtGen: 0,
    rexmtArmed: false,
    acknow: false,
    sndData: data,
    sbDropped: 0,
    sbWritten: 0,
    userClosed: false,
    received: 0,
    error: undefined,
  };
}

/** A decoded TCP header (only the MSS option is decoded). */
/** The th_sum to store for the segment `seg` (header + data) from `src` to `dst`; the checksum field is skipped. */
export function tcpChecksum(src: string, dst: string, seg: Uint8Array): number {
  let sum = pseudoHeaderSum(src, dst, IP_PROTO.TCP, seg.length);
  sum = onesComplementSum(seg, 0, 16, sum);
  sum = onesComplementSum(seg, 18, seg.length, sum);
  return ~sum & 0xffff;
}

/** Does the segment's checksum verify (the sum over pseudo header + segment is all ones)? */
export function tcpChecksumOk(src: string, dst: string, seg: Uint8Array): boolean {
  return seg.length >= TCP_HDRLEN && onesComplementSum(seg, 0, seg.length, pseudoHeaderSum(src, dst, IP_PROTO.TCP, seg.length)) === 0xffff;
}

/**
 * Write a TCP header for `r` (mss set → the MSS option follows, th_off 6) into `out` at `at`,
 * checksum 0; the caller checksums the whole segment with tcpChecksum.
 */
export function emitTcp(r: Omit<TcpRepr, "hlen" | "checksum">, out: Uint8Array, at: number): number {
  const hlen = TCP_HDRLEN + (r.mss !== undefined ? TCPOLEN_MAXSEG : 0);
  const v = new DataView(out.buffer, out.byteOffset + at, hlen);
  v.setUint16(0, r.srcPort);
  v.setUint16(2, r.dstPort);
  v.setUint32(4, r.seq >>> 0);
  v.setUint32(8, r.ack >>> 0);
  v.setUint8(12, (hlen / 4) << 4);
  v.setUint8(13, r.flags);
  v.setUint16(14, r.window);
  v.setUint16(16, 0);
  v.setUint16(18, 0);
  if (r.mss !== undefined) {
    v.setUint8(20, TCPOPT_MAXSEG);
    v.setUint8(21, TCPOLEN_MAXSEG);
    v.setUint16(22, r.mss);
  }
  return hlen;
}

/** Sequence-space distance a − b, modulo 2^32, as a signed number (SEQ_LT and friends). */
export function seqDiff(a: number, b: number): number {
  return ((a - b) | 0) as number;
}
