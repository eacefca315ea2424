/**
 * tcp_input(), tcp_ctlinput(), tcp_mtudisc() and the user requests of a minimal BSD TCP —
 * NetBSD 1.6: sys/netinet/tcp_input.c and tcp_subr.c (netbsd-1-6 branch, 2002), tcp_usrreq.c.
 *
 * The path MTU story runs through all of them: a router's ICMP need-frag reaches icmp_input, whose
 * "deliver" step calls TCP's pr_ctlinput, tcp_ctlinput(PRC_MSGSIZE): it checks that the quoted
 * segment belongs to a connection (in_pcblookup_connect) and calls icmp_mtudisc, which lowers the
 * route's rmx_mtu and runs its callbacks — TCP's tcp_mtudisc_callback → in_pcbnotifyall(…,
 * EMSGSIZE, tcp_mtudisc) → tcp_mtudisc: slow start from the new MTU and resend from snd_una,
 * where tcp_segsize reads the smaller rmx_mtu (NetBSD keeps no t_maxseg of its own: t_segsz is
 * recomputed by every tcp_output).
 *
 * Simplifications, named: a SYN to a listening socket is answered from a new tcpcb in
 * SYN_RECEIVED (NetBSD 1.6 answers from its SYN cache, syn_cache_add/syn_cache_respond, with the
 * same bytes apart from the ISS); out-of-order data is dropped and ACKed (no tcp_reass queue);
 * the receiver ACKs every segment at once; a segment for no socket is dropped (tcp_respond's RST
 * is not sent); tcp_input's own IPsec check (ipsec4_in_reject) is not modelled.
 */
import { m_freem, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Host } from "../sim/world";
import { ip } from "../sim/addr";
import type { TcpSpec } from "../scenario/schema";
import { addrText, getField, IP } from "./headers";
import { icmp_mtudisc } from "./ip_icmp";
import { ICMP_TYPE, ICMP_UNREACH } from "../wire/icmp";
import { arm_rexmt, disarm_rexmt, sbcc, tcp_drop, tcp_output, tcp_segsize, tcp_xmit_timer, tcpInitialWindow } from "./tcp_output";
import { flagNames, in_pcblookup, parseTcp, SLOW_TICK, tcbtable, TCP_INIT_WIN, tcp_newtcpcb, tcpChecksumOk, TH, type Tcpcb } from "./tcp_var";

/** tcp_mss_from_peer(tp, offer): the peer's MSS option, tcp_mssdflt without one; never below 32. */
function tcp_mss_from_peer(tp: Tcpcb, offer: number | undefined): void {
  if (offer !== undefined) tp.t_peermss = Math.max(offer, 32);
}

/** addrText of the IPv4 address at `b[at…at+4)`. */
function addrAt(b: Uint8Array, at: number): string {
  return addrText(((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!));
}

/** tcp_input(m, hlen): one segment for this host. Consumes `m`. */
export function tcp_input(host: Host, m: Mbuf, hlen: number): void {
  const site = host.site("ip", "tcp_input");
  const b = m.bytes();
  const tlen = getField(m, 0, IP.totalLength) - hlen;
  const src = addrAt(b, 12);
  const dst = addrAt(b, 16);
  const segBytes = b.subarray(hlen, hlen + tlen);
  const th = parseTcp(segBytes);
  if (!th)
    return drop(site, m, "ip-too-short", site.text`${tlen} bytes`, "The segment is shorter than its TCP header (tcps_rcvshort / tcps_rcvbadoff).");
  if (!tcpChecksumOk(src, dst, segBytes))
    return drop(site, m, "ip-bad-checksum", "TCP checksum", "The TCP checksum over the pseudo header does not verify (tcps_rcvbadsum).");
  const len = tlen - th.hlen;
  const tp = in_pcblookup(host, dst, th.dstPort, src, th.srcPort);
  site.emit(
    m,
    {
      kind: "decision",
      check: "tcp-input",
      question: site.text`Which connection does a ${flagNames(th.flags)} segment ${src}:${th.srcPort} → ${dst}:${th.dstPort} belong to (in_pcblookup)?`,
      consulted: [
        { kind: "field", header: "tcp", field: "flags", value: flagNames(th.flags) },
        { kind: "field", header: "tcpcb", field: "t_state", value: tp ? tp.state : "none" },
      ],
      branch: tp ? `${tp.name}, ${tp.state}` : "no socket",
    },
    tp
      ? site.text`tcp_input: the checksum verifies; the segment (${len} data bytes) is for ${tp.name}, in state ${tp.state}.`
      : site.text`tcp_input: no socket has ${dst}:${th.dstPort} (tcps_noport).`,
  );
  if (!tp)
    return drop(
      site,
      m,
      "no-socket",
      site.text`TCP ${dst}:${th.dstPort}`,
      "Nothing listens on the port; the RST tcp_respond would send is not modelled.",
    );
  const rseq = (x: number): number => (x - tp.irs) >>> 0;
  const rack = (x: number): number => (x - tp.iss) >>> 0;

  if (th.flags & TH.RST) {
    m_freem(site, m, "RST", "tcp_input takes the RST: the connection is reset.");
    if (tp.state !== "LISTEN") tcp_drop(tp, "ECONNRESET");
    return;
  }

  if (tp.state === "LISTEN") {
    if (!(th.flags & TH.SYN) || th.flags & TH.ACK) return drop(site, m, "no-socket", "not a SYN", "A listening socket takes only a SYN.");
    // sonewconn + the LISTEN case of tcp_input (NetBSD 1.6: syn_cache_add; see the file comment).
    const child = tcp_newtcpcb(host, tp.name, dst, th.dstPort, new Uint8Array(0));
    child.faddr = src;
    child.fport = th.srcPort;
    child.irs = th.seq;
    child.rcv_nxt = 1;
    child.snd_wnd = th.window;
    child.state = "SYN_RECEIVED";
    tcp_mss_from_peer(child, th.mss);
    tcbtable(host).push(child);
    m_freem(
      site,
      m,
      "SYN taken",
      site.text`tcp_input: ${tp.name} accepts the SYN (peer MSS ${th.mss ?? "none"}): a new connection in SYN_RECEIVED answers SYN|ACK.`,
    );
    tcp_output(child);
    return;
  }

  if (tp.state === "SYN_SENT") {
    const ackOk = th.flags & TH.ACK && rack(th.ack) === 1;
    if (!(th.flags & TH.SYN) || !ackOk)
      return drop(site, m, "no-socket", "unexpected segment in SYN_SENT", "Not the SYN|ACK this connection waits for.");
    tp.irs = th.seq;
    tp.rcv_nxt = 1;
    tp.snd_una = 1;
    if (tp.snd_nxt < 1) tp.snd_nxt = 1;
    tp.snd_wnd = th.window;
    tcp_mss_from_peer(tp, th.mss);
    if (tp.t_rtseq >= 0) tcp_xmit_timer(tp, 1 + Math.floor((host.world.sched.now - tp.t_rtttime) / SLOW_TICK));
    disarm_rexmt(tp);
    tp.state = "ESTABLISHED";
    const s = tcp_segsize(tp);
    tp.snd_cwnd = tcpInitialWindow(TCP_INIT_WIN, s.tx);
    tp.acknow = true;
    m_freem(
      site,
      m,
      "SYN|ACK taken",
      site.text`tcp_input: the SYN|ACK completes the handshake (peer MSS ${th.mss ?? "none"}); ${tp.name} is ESTABLISHED, snd_cwnd ${tp.snd_cwnd} (tcp_init_win ${TCP_INIT_WIN} segment), RTO ${tp.t_rxtcur / 2} s.`,
    );
    tcp_output(tp);
    // soisconnected wakes the writer: connect() returns and the application writes.
    host.world.after(1, () => sosend(tp));
    return;
  }

  let needOutput = false;
  // ACK processing (the "ack:" part of tcp_input's established path).
  if (th.flags & TH.ACK) {
    const ack = rack(th.ack);
    if (tp.state === "SYN_RECEIVED" && ack === 1) {
      tp.snd_una = 1;
      tp.state = "ESTABLISHED";
      disarm_rexmt(tp);
      const s = tcp_segsize(tp);
      tp.snd_cwnd = tcpInitialWindow(TCP_INIT_WIN, s.tx);
      site.emit(
        m,
        { kind: "app.send", socket: tp.name, summary: "connection accepted" },
        site.text`The ACK of the SYN|ACK completes the handshake: ${tp.name} is ESTABLISHED (soisconnected; accept() returns).`,
      );
    } else if (ack > tp.snd_una && ack <= tp.snd_max) {
      const acked = ack - tp.snd_una;
      if (tp.t_rtseq >= 0 && ack > tp.t_rtseq) tcp_xmit_timer(tp, 1 + Math.floor((host.world.sched.now - tp.t_rtttime) / SLOW_TICK));
      if (ack === tp.snd_max) disarm_rexmt(tp);
      else arm_rexmt(tp);
      // Open the congestion window: a segment per ACK in slow start, segsz²/cwnd above ssthresh.
      const incr = tp.snd_cwnd > tp.snd_ssthresh ? Math.floor((tp.t_segsz * tp.t_segsz) / tp.snd_cwnd) : tp.t_segsz;
      tp.snd_cwnd = Math.min(tp.snd_cwnd + incr, 65535);
      const cc = sbcc(tp);
      const ourfinisacked = acked > cc;
      tp.sbDropped += Math.min(acked, cc);
      // A fact for the audit's byte count (audit/tcp.ts): how far the peer has acknowledged.
      site.emit(
        m,
        { kind: "field.set", header: "tcpcb", field: "snd_una", from: String(tp.snd_una), to: String(ack), socket: tp.name },
        site.text`tcp_input: the ACK covers ${acked} new byte${acked === 1 ? "" : "s"} of sequence space: ${tp.name}'s snd_una ${tp.snd_una} → ${ack}${ourfinisacked ? " (our FIN included)" : ""}, and sbdrop frees ${Math.min(acked, cc)} bytes from so_snd.`,
      );
      tp.snd_una = ack;
      if (tp.snd_nxt < tp.snd_una) tp.snd_nxt = tp.snd_una;
      tp.t_rxtshift = 0;
      needOutput = true;
      if (ourfinisacked) {
        if (tp.state === "FIN_WAIT_1") tp.state = "FIN_WAIT_2";
        else if (tp.state === "CLOSING") tp.state = "TIME_WAIT";
        else if (tp.state === "LAST_ACK") {
          // tcp_close: the last ACK of our FIN; nothing more is sent.
          tp.state = "CLOSED";
          disarm_rexmt(tp);
          m_freem(site, m, "last ACK", site.text`tcp_input: the ACK of ${tp.name}'s FIN in LAST_ACK: tcp_close frees the connection (CLOSED).`);
          return;
        }
      }
    }
    tp.snd_wnd = th.window;
  }
  // Data: in order only (no tcp_reass queue).
  const seq = rseq(th.seq);
  if (len > 0) {
    if (seq === tp.rcv_nxt && tp.state !== "CLOSED") {
      tp.rcv_nxt += len;
      tp.received += len;
      site
        .at("app", "tcp_input")
        .emit(
          m,
          { kind: "deliver", socket: tp.name, summary: `${len} bytes, ${tp.received} in all`, bytes: len },
          site.text`tcp_input appends ${len} in-order bytes to ${tp.name}'s receive buffer (sbappend): ${tp.received} bytes received so far.`,
        );
    } else {
      site.emit(
        m,
        {
          kind: "decision",
          check: "tcp-input",
          question: site.text`Is the segment's data (seq ${seq}) the next ${tp.name} expects (rcv_nxt ${tp.rcv_nxt})?`,
          consulted: [{ kind: "field", header: "tcpcb", field: "rcv_nxt", value: String(tp.rcv_nxt) }],
          branch: "out of order: drop, ACK",
        },
        "tcp_input: the data is not the next expected; without a reassembly queue in this model it is dropped, and an ACK repeats rcv_nxt.",
      );
    }
    tp.acknow = true;
  }
  // FIN, in order: the peer has closed its half.
  if (th.flags & TH.FIN && seq + len === tp.rcv_nxt) {
    tp.rcv_nxt++;
    tp.acknow = true;
    const before = tp.state;
    if (tp.state === "ESTABLISHED" || tp.state === "SYN_RECEIVED") tp.state = "CLOSE_WAIT";
    else if (tp.state === "FIN_WAIT_1") tp.state = "CLOSING";
    else if (tp.state === "FIN_WAIT_2") tp.state = "TIME_WAIT";
    site.emit(
      m,
      {
        kind: "decision",
        check: "tcp-input",
        question: site.text`What does a FIN from ${src} do to ${tp.name} in ${before}?`,
        consulted: [{ kind: "field", header: "tcp", field: "flags", value: flagNames(th.flags) }],
        branch: tp.state,
      },
      tp.state === "TIME_WAIT"
        ? site.text`tcp_input: the peer's FIN; ${tp.name} enters TIME_WAIT (its 2MSL timer is not run: the story ends here).`
        : site.text`tcp_input: the peer's FIN (socantrcvmore): ${tp.name} goes from ${before} to ${tp.state}.`,
    );
    if (tp.state === "CLOSE_WAIT") host.world.after(100, () => tcp_usrclosed(tp));
  }
  m_freem(site, m, "segment processed", "tcp_input is done with the segment; the chain is freed.");
  if (needOutput || tp.acknow) tcp_output(tp);
}

/** tcp_usrclosed (tcp_usrreq.c): the user closed — ESTABLISHED → FIN_WAIT_1, CLOSE_WAIT → LAST_ACK; tcp_output sends the FIN. */
export function tcp_usrclosed(tp: Tcpcb): void {
  if (tp.state === "CLOSED" || tp.userClosed) return;
  tp.userClosed = true;
  const before = tp.state;
  if (tp.state === "ESTABLISHED") tp.state = "FIN_WAIT_1";
  else if (tp.state === "CLOSE_WAIT") tp.state = "LAST_ACK";
  tp.host
    .site("app", "soclose")
    .emit(
      null,
      { kind: "app.send", socket: tp.name, summary: "close()" },
      tp.host.site("app", "soclose")
        .text`${tp.name} closes its socket: tcp_usrclosed takes it from ${before} to ${tp.state}, and tcp_output will send a FIN.`,
    );
  tcp_output(tp);
}

/** sosend + PRU_SEND: the writer puts its bytes into so_snd, then closes (PRU_DISCONNECT). */
function sosend(tp: Tcpcb): void {
  if (tp.state !== "ESTABLISHED") return;
  const site = tp.host.site("app", "sosend");
  site.emit(
    null,
    { kind: "app.send", socket: tp.name, summary: `write ${tp.sndData.length} bytes, then close`, bytes: tp.sndData.length },
    `${tp.name} writes ${tp.sndData.length} bytes to ${tp.faddr}:${tp.fport} (sosend copies them into so_snd) and closes the socket.`,
  );
  tp.sbWritten = tp.sndData.length;
  tp.userClosed = true;
  tp.state = "FIN_WAIT_1";
  tcp_output(tp);
}

/**
 * tcp_ctlinput(PRC_MSGSIZE, sa, ip) — tcp_subr.c: an ICMP need-frag quoting one of our segments.
 * With ip_mtudisc on and a connection matching the quoted header, it calls icmp_mtudisc (which
 * lowers rmx_mtu) and then, as icmp_mtudisc's registered callback does, tcp_mtudisc for every
 * connection to that destination. Other ICMP messages are ignored (not modelled).
 */
export function tcp_ctlinput(host: Host, m: Mbuf, hlen: number, type: number, code: number): void {
  const site = host.site("icmp", "tcp_ctlinput");
  const b = m.bytes();
  const q = hlen + 8;
  const qhl = (b[q]! & 0x0f) * 4;
  const qsrc = addrAt(b, q + 12);
  const qdst = addrAt(b, q + 16);
  const sport = (b[q + qhl]! << 8) | b[q + qhl + 1]!;
  const dport = (b[q + qhl + 2]! << 8) | b[q + qhl + 3]!;
  const needfrag = type === ICMP_TYPE.DEST_UNREACH && code === ICMP_UNREACH.NEEDFRAG;
  const tp = tcbtable(host).find(
    (t) => t.state !== "LISTEN" && t.state !== "CLOSED" && t.laddr === qsrc && t.lport === sport && t.faddr === qdst && t.fport === dport,
  );
  site.emit(
    m,
    {
      kind: "decision",
      check: "pmtu",
      question: site.text`Is the quoted TCP segment ${qsrc}:${sport} → ${qdst}:${dport} one of our connections (in_pcblookup_connect), and is this PRC_MSGSIZE?`,
      consulted: [
        { kind: "field", header: "icmp", field: "code", value: String(code) },
        { kind: "switch", name: "in_pcblookup_connect", value: tp ? tp.name : "none" },
      ],
      branch: needfrag && tp ? "icmp_mtudisc" : "ignore",
    },
    needfrag && tp
      ? site.text`tcp_ctlinput: PRC_MSGSIZE about a segment of ${tp.name}, a live connection: icmp_mtudisc is called for ${qdst}.`
      : site.text`tcp_ctlinput: ${needfrag ? "no connection matches the quoted segment" : "only PRC_MSGSIZE is modelled"}; the message is ignored.`,
  );
  if (!needfrag || !tp) return;
  const nextMtu = (b[hlen + 6]! << 8) | b[hlen + 7]!;
  icmp_mtudisc(host, m, nextMtu, (b[q + 2]! << 8) | b[q + 3]!, qhl, qdst);
  // icmp_mtudisc's callbacks: tcp_mtudisc_callback → in_pcbnotifyall(&tcbtable, faddr, EMSGSIZE, tcp_mtudisc).
  for (const t of tcbtable(host)) if (t.faddr === qdst && t.state !== "CLOSED" && t.state !== "LISTEN") tcp_mtudisc(t);
}

/**
 * tcp_mtudisc(inp, errno) — tcp_subr.c: "Slow start out of the error condition. We use the MTU
 * because we know it's smaller than the previously transmitted segment":
 * snd_cwnd = TCP_INITIAL_WINDOW(tcp_init_win, rmx_mtu); then "resend unacknowledged packets":
 * snd_nxt = snd_una and tcp_output, whose tcp_segsize now reads the lowered rmx_mtu.
 */
export function tcp_mtudisc(tp: Tcpcb): void {
  const site = tp.host.site("ip", "tcp_mtudisc");
  const rt = tp.host.lookupRoute(ip(tp.faddr));
  const mtu = rt?.mtu ?? 0;
  if (mtu !== 0) tp.snd_cwnd = tcpInitialWindow(TCP_INIT_WIN, mtu);
  site.emit(
    null,
    {
      kind: "decision",
      check: "tcp-segsize",
      question: site.text`The path MTU to ${tp.faddr} went down: what does ${tp.name} resend (tcp_mtudisc)?`,
      consulted: [{ kind: "route", dst: tp.faddr, summary: rt ? `${rt.dst.text} dev ${rt.iface.name} rmx_mtu ${mtu}` : "no route" }],
      branch: site.text`resend from snd_una, snd_cwnd ${tp.snd_cwnd}`,
    },
    site.text`tcp_mtudisc: ${tp.name} slow-starts from the new MTU (snd_cwnd = ${tp.snd_cwnd}) and resends everything unacknowledged: snd_nxt = snd_una (${tp.snd_una}), then tcp_output.`,
  );
  tp.snd_nxt = tp.snd_una;
  tcp_output(tp);
}

/**
 * Start a `tcp` traffic entry: a listening socket on the destination host (PRU_LISTEN), then at
 * startMs the client's connect() (PRU_CONNECT: in_pcbconnect picks the source address from the
 * route, tcp_output sends the SYN); once ESTABLISHED it writes `bytes` and closes.
 */
export function startTcp(world: Host["world"], spec: TcpSpec, index: number): void {
  const host = world.host(spec.from);
  const name = `tcp#${index}`;
  const target = world.hosts.find((h) => h.isLocal(ip(spec.dst)));
  if (target) {
    const l = tcp_newtcpcb(target, `${name} sink :${spec.dstPort}`, spec.dst, spec.dstPort, new Uint8Array(0));
    l.state = "LISTEN";
    tcbtable(target).push(l);
  }
  world.after(spec.startMs * 1000, () => {
    const rt = host.lookupRoute(ip(spec.dst));
    const laddr = spec.src ?? (rt ? (rt.iface.loopback ? "127.0.0.1" : rt.iface.addr) : "0.0.0.0");
    const data = new Uint8Array(spec.bytes);
    for (let i = 0; i < data.length; i++) data[i] = 0x41 + (i % 26);
    const tp = tcp_newtcpcb(host, name, laddr, spec.srcPort, data);
    tp.faddr = spec.dst;
    tp.fport = spec.dstPort;
    tp.state = "SYN_SENT";
    tcbtable(host).push(tp);
    host
      .site("app", "connect")
      .emit(
        null,
        { kind: "app.send", socket: name, summary: `connect to ${spec.dst}:${spec.dstPort}` },
        `${name} connects from ${laddr}:${spec.srcPort} to ${spec.dst}:${spec.dstPort} (PRU_CONNECT): tcp_output sends a SYN.`,
      );
    tcp_output(tp);
  });
}
