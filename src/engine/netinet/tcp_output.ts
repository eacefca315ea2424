/**
 * tcp_output(), tcp_segsize(), tcp_mss_to_advertise() and the retransmit timer — NetBSD 1.6:
 * sys/netinet/tcp_output.c 1.79.4.1 (netbsd-1-6 branch, 2002-06-14), tcp_input.c
 * (tcp_mss_to_advertise, tcp_xmit_timer) and tcp_timer.c (tcp_timer_rexmt) of the same branch.
 *
 * What is modelled: the send decision of tcp_output (window = min(snd_wnd, snd_cwnd), at most one
 * t_segsz per segment, the sender silly-window rules, FIN only with the last byte), the MSS option
 * on a SYN, DF on every segment (ip_mtudisc = 1 and no RTV_MTU lock: what ip_output's IP_MTUDISC
 * flag and tcp_respond do, done here before the call), slow start, the retransmit timer with
 * tcp_backoff[] in virtual time, and tcp_drop after TCP_MAXRXTSHIFT. Not modelled: delayed ACKs
 * (every segment is ACKed at once), the persist timer, fast retransmit, window scaling and
 * timestamps (switched off, see tcp_var.ts), in_losing's route reset after 3 retransmissions,
 * TIME_WAIT's 2MSL timer, and tcp's own IPsec socket policy (ipsec_setsocket).
 */
import { m_copyback, m_gethdr, m_prepend } from "../mbuf/mbuf";
import type { Host } from "../sim/world";
import { ip } from "../sim/addr";
import { emitIpv4 } from "../wire/ipv4";
import { IP_PROTO } from "../wire/fields";
import { ip_output } from "./ip_output";
import { ipsec4_hdrsiz_tcp } from "./tcp_ipsec";
import { IP_DEFTTL } from "./ip_icmp";
import {
  emitTcp,
  flagNames,
  SLOW_TICK,
  TCP_BACKOFF,
  TCP_HDRLEN,
  TCP_MAXRXTSHIFT,
  TCP_MSSDFLT,
  TCP_OUTFLAGS,
  TCP_RECVSPACE,
  TCP_RXTCUR_INITIAL,
  tcpChecksum,
  TCPIP_HDRLEN,
  TCPTV_MIN,
  TCPTV_REXMTMAX,
  TH,
  type Tcpcb,
} from "./tcp_var";

/** sysctl net.inet.ip.mtudisc (ip_mtudisc): on by default in NetBSD 1.6. */
export const IP_MTUDISC: number = 1;

/** TCPT_RANGESET (tcp_timer.h). */
function rangeset(v: number, min: number, max: number): number {
  return Math.min(Math.max(v, min), max);
}

/** Bytes in so_snd not yet acknowledged (sb_cc). */
export function sbcc(tp: Tcpcb): number {
  return tp.sbWritten - tp.sbDropped;
}

/**
 * tcp_mss_to_advertise(ifp, af) — tcp_input.c: the interface's MTU, or the largest MTU of all
 * attached networks (in_maxmtu, which never counts loopback) when tcp_mss_ifmtu is 0 ("in order
 * to avoid defeating path MTU discovery on the peer", RFC 1191 §3.1), minus the IP and TCP
 * headers, and never below tcp_mssdflt. No IPsec overhead: NetBSD takes that off the segments
 * it sends (tcp_segsize), not off the MSS it offers.
 */
export function tcp_mss_to_advertise(host: Host, ifMtu: number): number {
  const inMaxmtu = host.ifaces.filter((i) => !i.loopback).reduce((m, i) => Math.max(m, i.mtu), 0);
  let mss = Math.max(inMaxmtu, ifMtu);
  if (mss > TCPIP_HDRLEN) mss -= TCPIP_HDRLEN;
  return Math.max(TCP_MSSDFLT, mss);
}

/** What tcp_segsize computed, for tests and narration. */
export interface SegSize {
  /** The route's rmx_mtu, or 0. */
  readonly rmxMtu: number;
  readonly ifMtu: number;
  /** size before options: rmx_mtu or if_mtu minus 40 (or tcp_mssdflt). */
  readonly size: number;
  /** ipsec4_hdrsiz_tcp(tp): what IPsec will add to each segment. */
  readonly ipsec: number;
  /** txsegsize = min(t_peermss − optlen, size − optlen). */
  readonly tx: number;
}

/**
 * tcp_segsize(tp, &txsegsize, &rxsegsize) — tcp_output.c 1.79.4.1: size = rmx_mtu − 40 when the
 * route has a path MTU, else if_mtu − 40 (ip_mtudisc), then minus optlen = tcp_optlen (0 here: no
 * timestamps) + ipsec4_hdrsiz_tcp(tp) + ip_optlen; txsegsize = min(t_peermss − optlen, size).
 * When the segment size shrinks, snd_cwnd and snd_ssthresh are rescaled to whole segments of the
 * new size. Records a decision whenever t_segsz changes.
 */
export function tcp_segsize(tp: Tcpcb): SegSize {
  const host = tp.host;
  const rt = host.lookupRoute(ip(tp.faddr));
  let size = TCP_MSSDFLT;
  const rmxMtu = rt?.mtu ?? 0;
  const ifMtu = rt?.iface.mtu ?? 0;
  if (rt && rmxMtu !== 0) size = rmxMtu - TCPIP_HDRLEN;
  else if (rt && (rt.iface.loopback || IP_MTUDISC)) size = ifMtu - TCPIP_HDRLEN;
  const ipsec = ipsec4_hdrsiz_tcp(tp);
  const optlen = ipsec;
  size -= optlen;
  // An MTU barely above the headers (68 is legal) leaves no room once IPsec is counted: NetBSD 1.6
  // has no guard here; the engine keeps one data byte a segment rather than a negative length.
  const tx = Math.max(1, Math.min(tp.t_peermss - optlen, size));
  if (tx !== tp.t_segsz) {
    const before = tp.t_segsz;
    if (tx < tp.t_segsz) {
      tp.snd_cwnd = Math.max(Math.floor(tp.snd_cwnd / tp.t_segsz) * tx, tx);
      tp.snd_ssthresh = Math.max(Math.floor(tp.snd_ssthresh / tp.t_segsz) * tx, tx);
    }
    tp.t_segsz = tx;
    const site = host.site("ip", "tcp_segsize");
    const from = rmxMtu ? `the route's rmx_mtu ${rmxMtu}` : `${rt?.iface.name ?? "the interface"}'s MTU ${ifMtu}`;
    site.emit(
      null,
      {
        kind: "decision",
        check: "tcp-segsize",
        question: site.text`How many data bytes may one segment of ${tp.name} to ${tp.faddr} carry (tcp_segsize)?`,
        consulted: [
          {
            kind: "route",
            dst: tp.faddr,
            summary: rt ? `${rt.dst.text} dev ${rt.iface.name} if_mtu ${ifMtu}${rmxMtu ? ` rmx_mtu ${rmxMtu}` : ""}` : "no route",
          },
          { kind: "field", header: "tcpcb", field: "t_peermss", value: String(tp.t_peermss) },
          { kind: "switch", name: "ipsec4_hdrsiz_tcp", value: String(ipsec) },
        ],
        branch: site.text`t_segsz ${tx}`,
      },
      ipsec
        ? site.text`tcp_segsize: ${from} − 40 (IP + TCP headers) − ${ipsec} bytes of IPsec overhead (ipsec4_hdrsiz_tcp) = ${size}; with the peer's MSS ${tp.t_peermss}, a segment carries ${tx} data bytes (t_segsz was ${before}).`
        : site.text`tcp_segsize: ${from} − 40 (IP + TCP headers) = ${size + optlen}; with the peer's MSS ${tp.t_peermss}, a segment carries ${tx} data bytes (t_segsz was ${before}).`,
    );
  }
  return { rmxMtu, ifMtu, size, ipsec, tx };
}

/** TCP_INITIAL_WINDOW(iw, segsz) (tcp_var.h): iw segments, or RFC 2414's formula when iw is 0. */
export function tcpInitialWindow(iw: number, segsz: number): number {
  return iw === 0 ? Math.min(4 * segsz, Math.max(2 * segsz, 4380)) : iw * segsz;
}

/** The base RTO before backoff: TCP_REXMTVAL, or tcp_newtcpcb's 12 ticks while there is no RTT sample. */
function rexmtval(tp: Tcpcb): number {
  return tp.t_srtt === 0 ? TCP_RXTCUR_INITIAL : (tp.t_srtt >> 3) + tp.t_rttvar;
}

/**
 * tcp_xmit_timer(tp, rtt) — the 4.4BSD-Lite2 arithmetic (tcp_input.c 8.12): srtt scaled by 8,
 * rttvar by 4, both in slow ticks; the first sample sets srtt = rtt << 3 and rttvar = rtt << 1,
 * then t_rxtcur = TCPT_RANGESET(srtt/8 + rttvar, TCPTV_MIN, TCPTV_REXMTMAX) and t_rxtshift = 0.
 * NetBSD 1.6 keeps t_srtt at a finer scale; that difference is not reproduced. `rtt` is in
 * ticks counted from 1, as t_rtt is: a sub-500 ms round trip is 1.
 */
export function tcp_xmit_timer(tp: Tcpcb, rtt: number): void {
  if (tp.t_srtt !== 0) {
    let delta = rtt - 1 - (tp.t_srtt >> 3);
    if ((tp.t_srtt += delta) <= 0) tp.t_srtt = 1;
    if (delta < 0) delta = -delta;
    delta -= tp.t_rttvar >> 2;
    if ((tp.t_rttvar += delta) <= 0) tp.t_rttvar = 1;
  } else {
    tp.t_srtt = rtt << 3;
    tp.t_rttvar = rtt << 1;
  }
  tp.t_rtseq = -1;
  tp.t_rxtshift = 0;
  tp.t_rxtcur = rangeset(rexmtval(tp), TCPTV_MIN, TCPTV_REXMTMAX);
}

/** TCP_TIMER_ARM(tp, TCPT_REXMT, t_rxtcur): a callout t_rxtcur slow ticks from now. */
export function arm_rexmt(tp: Tcpcb): void {
  const gen = ++tp.rexmtGen;
  tp.rexmtArmed = true;
  tp.host.world.after(tp.t_rxtcur * SLOW_TICK, () => {
    if (gen !== tp.rexmtGen || !tp.rexmtArmed) return;
    tcp_timer_rexmt(tp);
  });
}

/** TCP_TIMER_DISARM(tp, TCPT_REXMT). */
export function disarm_rexmt(tp: Tcpcb): void {
  tp.rexmtArmed = false;
  tp.rexmtGen++;
}

/**
 * tcp_timer_rexmt — tcp_timer.c: "Retransmission timer went off." Past TCP_MAXRXTSHIFT the
 * connection is dropped (tcps_timeoutdrop, ETIMEDOUT); otherwise the RTO is backed off
 * (TCP_REXMTVAL × tcp_backoff[t_rxtshift]), snd_nxt goes back to snd_una, Karn's rule stops the
 * RTT timing, the congestion window collapses to one segment (ssthresh = half the window, at
 * least 2 segments) and tcp_output resends.
 */
export function tcp_timer_rexmt(tp: Tcpcb): void {
  tp.rexmtArmed = false;
  const site = tp.host.site("ip", "tcp_timer_rexmt");
  tp.t_rxtshift++;
  const drop = tp.t_rxtshift > TCP_MAXRXTSHIFT;
  const rexmt = drop ? 0 : rangeset(rexmtval(tp) * TCP_BACKOFF[tp.t_rxtshift]!, TCPTV_MIN, TCPTV_REXMTMAX);
  site.emit(
    null,
    {
      kind: "decision",
      check: "tcp-rexmt",
      question: site.text`${tp.name}'s retransmit timer expired with ${tp.snd_max - tp.snd_una} bytes of sequence space unacknowledged: resend, or give up (TCP_MAXRXTSHIFT ${TCP_MAXRXTSHIFT})?`,
      consulted: [
        { kind: "field", header: "tcpcb", field: "t_rxtshift", value: String(tp.t_rxtshift) },
        { kind: "field", header: "tcpcb", field: "t_rxtcur", value: String(tp.t_rxtcur) },
      ],
      branch: drop ? "tcp_drop ETIMEDOUT" : site.text`retransmit, next RTO ${rexmt / 2} s`,
    },
    drop
      ? site.text`tcp_timer_rexmt: ${TCP_MAXRXTSHIFT} retransmissions have gone unanswered; the connection is dropped with ETIMEDOUT (tcps_timeoutdrop).`
      : site.text`tcp_timer_rexmt: retransmission ${tp.t_rxtshift}; the timeout backs off to ${rexmtval(tp)} ticks × tcp_backoff[${tp.t_rxtshift}] = ${rexmt / 2} s, snd_nxt goes back to snd_una and the congestion window to one segment.`,
  );
  if (drop) {
    tp.t_rxtshift = TCP_MAXRXTSHIFT;
    tcp_drop(tp, "ETIMEDOUT");
    return;
  }
  tp.t_rxtcur = rexmt;
  tp.snd_nxt = tp.snd_una;
  tp.t_rtseq = -1;
  const win = Math.max(2, Math.floor(Math.min(tp.snd_wnd, tp.snd_cwnd) / 2 / tp.t_segsz));
  tp.snd_cwnd = tp.t_segsz;
  tp.snd_ssthresh = win * tp.t_segsz;
  tcp_output(tp);
}

/**
 * tcp_drop(tp, errno) — tcp_subr.c: a synchronized connection sends a RST (state CLOSED, then
 * tcp_output), so_error = errno, tcp_close. Recorded as a `drop` of the connection.
 */
export function tcp_drop(tp: Tcpcb, errno: string): void {
  const site = tp.host.site("ip", "tcp_drop");
  const synced = tp.state !== "SYN_SENT" && tp.state !== "LISTEN" && tp.state !== "CLOSED";
  tp.state = "CLOSED";
  tp.error = errno;
  disarm_rexmt(tp);
  site.emit(
    null,
    {
      kind: "drop",
      reason: errno === "ETIMEDOUT" ? "tcp-timeout" : "tcp-reset",
      detail: site.text`${tp.name} to ${tp.faddr}:${tp.fport}: ${errno}`,
      socket: tp.name,
    },
    errno === "ETIMEDOUT"
      ? site.text`tcp_drop: ${tp.name} is closed with ETIMEDOUT after ${sbcc(tp)} of ${tp.sndData.length} bytes went unacknowledged${synced ? "; a RST tells the peer" : ""}.`
      : site.text`tcp_drop: ${tp.name} is closed with ${errno}.`,
  );
  if (synced && errno === "ETIMEDOUT") tcp_output(tp);
}

/**
 * tcp_output(tp) — tcp_output.c 1.79.4.1. Decide what to send (the `again:` loop), build the
 * segment in a new mbuf (MGETHDR + the data copied from so_snd), the header from the template,
 * the MSS option on a SYN, the checksum over the pseudo header, ip_len, ip_ttl, DF, and hand it
 * to ip_output. Returns ip_output's errno (0 when nothing was to be sent).
 */
export function tcp_output(tp: Tcpcb): number {
  const host = tp.host;
  const site = host.site("ip", "tcp_output");
  const seg = tcp_segsize(tp);
  const txsegsize = seg.tx;
  const idle = tp.snd_max === tp.snd_una;
  for (;;) {
    let sendalot = false;
    const off = tp.snd_nxt - tp.snd_una;
    let win = Math.min(tp.snd_wnd, tp.snd_cwnd);
    let flags = TCP_OUTFLAGS[tp.state];
    // Before the handshake completes, so_snd is empty: the SYN carries no data. Once it is
    // acknowledged (snd_una ≥ 1), off counts so_snd bytes from its first unacknowledged one.
    const cc = tp.state === "SYN_SENT" || tp.state === "SYN_RECEIVED" ? 0 : sbcc(tp);
    const dataOff = off;
    let len: number;
    if (win < cc) {
      len = win - dataOff;
      flags &= ~TH.FIN;
    } else len = cc - dataOff;
    if (tp.state === "SYN_SENT" || tp.state === "SYN_RECEIVED" || tp.state === "CLOSED") len = 0;
    if (len < 0) {
      // FIN sent but not acked, and not called to retransmit: no gratuitous FIN.
      len = 0;
      flags &= ~TH.FIN;
    }
    if (len > txsegsize) {
      len = txsegsize;
      flags &= ~TH.FIN;
      sendalot = true;
    }
    // A FIN only goes with the last byte of so_snd, and only once the user has closed.
    if (dataOff + len < cc || !tp.userClosed) flags &= ~TH.FIN;
    win = TCP_RECVSPACE;
    let why: string | undefined;
    if (len) {
      if (len === txsegsize) why = "a full segment";
      else if (idle && dataOff + len >= cc) why = "all that is left, and the connection is idle";
      else if (tp.snd_nxt < tp.snd_max) why = "a retransmission (snd_nxt < snd_max)";
      else if (len >= tp.snd_wnd / 2) why = "at least half the peer's window";
    }
    if (!why && tp.acknow) why = "an ACK is owed (TF_ACKNOW)";
    if (!why && flags & (TH.SYN | TH.FIN | TH.RST)) why = site.text`${flagNames(flags & (TH.SYN | TH.FIN | TH.RST))} to send`;
    if (!why) return 0;
    const error = send(tp, flags, len, dataOff, win, why);
    if (error) return error;
    if (!sendalot) return 0;
  }
}

/** The `send:` half of tcp_output: one segment, built and handed to ip_output. */
function send(tp: Tcpcb, flags: number, len: number, dataOff: number, win: number, why: string): number {
  const host = tp.host;
  const site = host.site("ip", "tcp_output");
  const rt = host.lookupRoute(ip(tp.faddr));
  let mss: number | undefined;
  if (flags & TH.SYN) {
    tp.snd_nxt = 0;
    tp.t_ourmss = tcp_mss_to_advertise(host, rt?.iface.mtu ?? 0);
    mss = tp.t_ourmss;
  }
  const cc = sbcc(tp);
  if (len && dataOff + len === cc) flags |= TH.PUSH;
  const seqRel = len || flags & (TH.SYN | TH.FIN) ? tp.snd_nxt : tp.snd_max;
  const hlen = TCP_HDRLEN + (mss !== undefined ? 4 : 0);
  const bytes = new Uint8Array(hlen + len);
  const ackOn = (flags & TH.ACK) !== 0;
  emitTcp(
    {
      srcPort: tp.lport,
      dstPort: tp.fport,
      seq: (tp.iss + seqRel) >>> 0,
      ack: ackOn ? (tp.irs + tp.rcv_nxt) >>> 0 : 0,
      flags,
      window: flags & TH.RST ? 0 : win,
      mss,
    },
    bytes,
    0,
  );
  // The data comes from so_snd at the offset of snd_nxt (m_copydata / m_copy of sb_mb).
  const first = tp.sbDropped + dataOff;
  if (len) bytes.set(tp.sndData.subarray(first, first + len), hlen);
  const sum = tcpChecksum(tp.laddr, tp.faddr, bytes);
  bytes[16] = sum >> 8;
  bytes[17] = sum & 0xff;
  const rexmit = len > 0 && tp.snd_nxt < tp.snd_max;
  const m = m_gethdr(
    site,
    bytes,
    len
      ? site.text`tcp_output builds a segment in a new mbuf: the TCP header and ${len} data bytes copied from so_snd (${why}).`
      : site.text`tcp_output builds ${/^[AR]/.test(flagNames(flags)) ? "an" : "a"} ${flagNames(flags)} segment in a new mbuf (${why}).`,
    { kind: "data", proto: IP_PROTO.TCP },
  );
  m_prepend(site, m, 20, "ipv4", "tcp_output makes room for the IP header in front of the TCP header (the tcpiphdr template).");
  // ip_mtudisc and the route's MTU not locked: DF (ip_output's IP_MTUDISC, as tcp_respond spells it out).
  const df = IP_MTUDISC !== 0;
  const iphdr = new Uint8Array(20);
  emitIpv4(
    {
      tos: 0,
      totalLength: 20 + bytes.length,
      id: 0,
      df,
      mf: false,
      fragOffset: 0,
      ttl: IP_DEFTTL,
      protocol: IP_PROTO.TCP,
      checksum: 0,
      src: tp.laddr,
      dst: tp.faddr,
      options: new Uint8Array(0),
    },
    iphdr,
    0,
    { fillChecksum: false },
  );
  const seqText = `seq ${seqRel}${len ? `:${seqRel + len}` : ""}${ackOn ? ` ack ${tp.rcv_nxt}` : ""}`;
  m_copyback(
    site,
    m,
    0,
    iphdr,
    "ipv4+tcp headers",
    `tcp_output: ${tp.laddr}:${tp.lport} → ${tp.faddr}:${tp.fport} ${flagNames(flags)} ${seqText} (relative), win ${win}${mss !== undefined ? `, MSS option ${mss}` : ""}${len ? `, ${len} data bytes` : ""}${rexmit ? " — a retransmission" : ""}; ip_len ${20 + bytes.length}, TTL ${IP_DEFTTL}${df ? ", DF (path MTU discovery, ip_mtudisc = 1)" : ""}; TCP checksum over the pseudo header.`,
  );
  // Advance snd_nxt over the segment; time it unless it is a retransmission (Karn).
  const startseq = tp.snd_nxt;
  if (!(flags & TH.RST)) {
    if (flags & (TH.SYN | TH.FIN)) tp.snd_nxt++;
    tp.snd_nxt += len;
    if (tp.snd_nxt > tp.snd_max) {
      tp.snd_max = tp.snd_nxt;
      if (tp.t_rtseq < 0) {
        tp.t_rtseq = startseq;
        tp.t_rtttime = host.world.sched.now;
      }
    }
    if (!tp.rexmtArmed && tp.snd_nxt !== tp.snd_una) arm_rexmt(tp);
  }
  tp.acknow = false;
  return ip_output(host, m, 0);
}
