/**
 * The programs a Linux run starts: ping (iputils, over a raw ICMP socket; the payload begins
 * with a struct timeval like BSD ping's, then 8, 9, 10, …) and a UDP sender (sendto on a UDP
 * socket, IP_MTU_DISCOVER = IP_PMTUDISC_DO when `df`), plus the discard service on every host.
 */
import { readTimeval, writeTimeval } from "../netinet/ping";
import type { PingSpec, UdpSpec } from "../scenario/schema";
import { IP_PROTO } from "../wire/fields";
import { emitIcmp, ICMP_TYPE, parseIcmp } from "../wire/icmp";
import { emitUdp, udpChecksum } from "../wire/udp";
import { ip_send_datagram } from "./ip_output";
import { kfree_skb } from "./skb";
import type { LinuxHost } from "./world";

/** What a sender did, for the outcome's counts. */
export interface AppState {
  sent: number;
  received: number;
}

/**
 * ping: `count` echo requests every `intervalMs`; replies with our id are counted. The socket is
 * named as on the BSD stack (netinet/ping.ts, `ping#<traffic index>`), so a comparison of the two
 * kernels pairs the same program's sends.
 */
export function startLinuxPing(host: LinuxHost, spec: PingSpec, index: number): AppState {
  const state: AppState = { sent: 0, received: 0 };
  const sock = `ping#${index}`;
  host.sockets.push({
    name: sock,
    proto: IP_PROTO.ICMP,
    receive: (skb, site) => {
      const data = skb.bytes();
      const hlen = (data[0]! & 0x0f) * 4;
      const r = parseIcmp(data, hlen);
      if (r.ok && r.value.kind === "echo" && r.value.type === ICMP_TYPE.ECHO_REPLY && r.value.id === spec.id) {
        state.received++;
        const rtt = host.world.recorder.now - readTimeval(r.value.data);
        site.emit(
          skb,
          { kind: "deliver", socket: sock, summary: `echo reply icmp_seq=${r.value.seq}`, rttMicros: rtt },
          `ping reads the echo reply icmp_seq=${r.value.seq} (${rtt} µs).`,
        );
      }
      kfree_skb(site, skb, "read", "ping has read the reply; the skb is freed.");
    },
  });
  const send = (): void => {
    if (state.sent >= spec.count) return;
    const seq = state.sent++;
    const site = host.site("app", "ping");
    const data = new Uint8Array(spec.size);
    writeTimeval(data, host.world.recorder.now);
    for (let i = 8; i < data.length; i++) data[i] = i & 0xff;
    site.emit(
      null,
      { kind: "app.send", socket: sock, summary: `echo request icmp_seq=${seq}` },
      `ping sends an ICMP echo request to ${spec.dst} (id 0x${spec.id.toString(16)}, icmp_seq=${seq}, ${spec.size} data bytes).`,
    );
    ip_send_datagram(host, {
      proto: IP_PROTO.ICMP,
      dst: spec.dst,
      ...(spec.src ? { src: spec.src } : {}),
      payloadLen: 8 + data.length,
      payload: () => {
        const msg = new Uint8Array(8 + data.length);
        emitIcmp({ kind: "echo", type: ICMP_TYPE.ECHO_REQUEST, code: 0, checksum: 0, id: spec.id, seq: seq & 0xffff, data }, msg);
        return msg;
      },
      df: spec.df,
      what: "raw_sendmsg",
    });
    if (state.sent < spec.count) host.world.after(spec.intervalMs * 1000, send);
  };
  host.world.after(spec.startMs * 1000, send);
  return state;
}

/** Tries a DF sender makes for one datagram: the first send and at most this many shorter ones. */
const MSGSIZE_RETRIES = 3;

/**
 * A UDP sender: `count` datagrams of `size` bytes to dst:dstPort. With `df` (IP_PMTUDISC_DO) it
 * does what ip(7) asks of such an application and RFC 8085 §3.2 of any UDP sender that sets DF:
 * when sendto() fails with EMSGSIZE it reads the path MTU the kernel reports (IP_MTU) and sends
 * the datagram again, cut to fit — at once, at most MSGSIZE_RETRIES times. Only that synchronous
 * error reaches it: a datagram lost further on is never resent, since UDP does not know of it.
 */
export function startUdp(host: LinuxHost, spec: UdpSpec): AppState {
  const state: AppState = { sent: 0, received: 0 };
  const sock = `udp:${spec.srcPort}`;
  host.sockets.push({
    name: sock,
    proto: IP_PROTO.UDP,
    port: spec.srcPort,
    receive: (skb, site) => kfree_skb(site, skb, "read", "The sender's socket reads nothing."),
    error: (mtu, site) =>
      site.emit(
        null,
        { kind: "app.send", socket: sock, summary: `EMSGSIZE, MTU ${mtu}` },
        site.text`The UDP socket's error queue now says: message too long, MTU ${mtu} (IP_RECVERR).`,
      ),
  });
  /** One sendto() of `size` bytes; `tries` shorter sends of it have already been made. */
  const sendto = (size: number, tries: number, mtu?: number): void => {
    const site = host.site("app", "udp_sendmsg");
    site.emit(
      null,
      { kind: "app.send", socket: sock, summary: `${size}-byte datagram`, bytes: size, transport: "udp" },
      mtu === undefined
        ? site.text`sendto(): a ${size}-byte UDP datagram to ${spec.dst}:${spec.dstPort}${spec.df ? " with IP_PMTUDISC_DO (DF)" : ""}.`
        : site.text`sendto() failed with EMSGSIZE; getsockopt(IP_MTU) says ${mtu}, so the sender tries again at once with ${size} bytes (${size} + 8 UDP + 20 IP = ${mtu}), as ip(7) asks of an IP_PMTUDISC_DO sender.`,
    );
    const payload = new Uint8Array(size);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 1) & 0xff;
    ip_send_datagram(host, {
      proto: IP_PROTO.UDP,
      dst: spec.dst,
      payloadLen: 8 + size,
      payload: (src) => {
        const seg = new Uint8Array(8 + size);
        emitUdp({ srcPort: spec.srcPort, dstPort: spec.dstPort, length: seg.length, checksum: 0 }, seg);
        seg.set(payload, 8);
        const sum = udpChecksum(src, spec.dst, seg);
        seg[6] = sum >> 8;
        seg[7] = sum & 0xff;
        return seg;
      },
      df: spec.df,
      what: "udp_sendmsg",
      socket: sock,
      onMsgSize: (pmtu) => {
        const fits = pmtu - 28;
        if (spec.df && tries < MSGSIZE_RETRIES && fits >= 0 && fits < size) sendto(fits, tries + 1, pmtu);
      },
    });
  };
  const send = (): void => {
    if (state.sent >= spec.count) return;
    state.sent++;
    sendto(spec.size, 0);
    if (state.sent < spec.count) host.world.after(spec.intervalMs * 1000, send);
  };
  host.world.after(spec.startMs * 1000, send);
  return state;
}
