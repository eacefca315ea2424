/**
 * ping — sbin/ping/ping.c, reduced to what the stack sees: an ICMP echo request with id, seq
 * and a payload that starts with the send time (struct timeval, host byte order, as BSD ping
 * writes it) followed by the byte pattern 8, 9, 10, …; replies are matched by id and the RTT
 * is computed from the echoed timestamp, in virtual time. `ping -f` sends the next request
 * as soon as a reply arrives (or after 10 ms).
 */
import { m_gethdr, type Mbuf } from "../mbuf/mbuf";
import type { Host } from "../sim/world";
import type { PingSpec } from "../scenario/schema";
import { emitIcmp, ICMP_TYPE, parseIcmp } from "../wire/icmp";
import { IP_PROTO } from "../wire/fields";
import { rip_output } from "./raw_ip";

/** ping -f's pause when no reply comes (FLOOD interval, 10 ms). */
const FLOOD_WAIT_MICROS = 10_000;

/** Running state of one ping, for the audit and the banner. */
export interface PingState {
  readonly spec: PingSpec;
  sent: number;
  received: number;
  readonly rtts: number[];
}

/** Start a ping on `host` as the scenario's traffic entry describes. */
export function startPing(host: Host, spec: PingSpec, index: number): PingState {
  const state: PingState = { spec, sent: 0, received: 0, rtts: [] };
  const name = `ping#${index}`;
  const srcAddr = spec.src ?? "0.0.0.0";
  let waiting: number | undefined;

  const sendNext = (): void => {
    if (state.sent >= spec.count) return;
    const seq = state.sent;
    state.sent++;
    send(host, spec, name, seq, srcAddr);
    if (state.sent < spec.count) {
      if (spec.flood) {
        waiting = seq;
        host.world.after(FLOOD_WAIT_MICROS, () => {
          if (waiting === seq) sendNext();
        });
      } else {
        host.world.after(spec.intervalMs * 1000, sendNext);
      }
    }
  };

  host.sockets.push({
    name,
    proto: IP_PROTO.ICMP,
    receive: (m, site) => {
      const b = m.bytes();
      const hlen = (b[0]! & 0x0f) * 4;
      const r = parseIcmp(b, hlen);
      if (!r.ok || r.value.kind !== "echo" || r.value.type !== ICMP_TYPE.ECHO_REPLY || r.value.id !== spec.id) return;
      const data = r.value.data;
      const rtt = data.length >= 8 ? host.world.recorder.now - readTimeval(data) : undefined;
      state.received++;
      if (rtt !== undefined) state.rtts.push(rtt);
      const from = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      site.at("app", "ping").emit(
        m,
        {
          kind: "deliver",
          socket: name,
          summary: `echo reply from ${from}: icmp_seq=${r.value.seq}`,
          ...(rtt === undefined ? {} : { rttMicros: rtt }),
        },
        `ping receives the echo reply from ${from}, icmp_seq=${r.value.seq}${rtt === undefined ? "" : `, time=${(rtt / 1000).toFixed(3)} ms`}.`,
      );
      if (spec.flood && waiting === r.value.seq) {
        waiting = undefined;
        sendNext();
      }
    },
  });
  host.world.after(spec.startMs * 1000, sendNext);
  return state;
}

function send(host: Host, spec: PingSpec, socket: string, seq: number, src: string): void {
  const data = new Uint8Array(spec.size);
  writeTimeval(data, host.world.recorder.now);
  for (let i = 8; i < data.length; i++) data[i] = i & 0xff;
  const msg = new Uint8Array(8 + data.length);
  emitIcmp({ kind: "echo", type: ICMP_TYPE.ECHO_REQUEST, code: 0, checksum: 0, id: spec.id, seq: seq & 0xffff, data }, msg, 0, {
    fillChecksum: true,
  });
  const site = host.site("app", "ping");
  site.emit(
    null,
    { kind: "app.send", socket, summary: `echo request to ${spec.dst} icmp_seq=${seq}` },
    `ping sends an ICMP echo request to ${spec.dst} (id 0x${spec.id.toString(16)}, icmp_seq=${seq}, ${spec.size} data bytes) on its raw socket.`,
  );
  const m: Mbuf = m_gethdr(
    site.at("app", "sosend"),
    msg,
    site.text`sosend copies the ${msg.length}-byte ICMP message into a packet-header mbuf, leaving leading space for the headers below.`,
    // The chain holds the bare ICMP message: no IP header until rip_output prepends one.
    { kind: "icmp" },
  );
  rip_output(host, m, { src, dst: spec.dst, df: spec.df, ttl: spec.ttl });
}

/** struct timeval {int32 tv_sec; int32 tv_usec} in little-endian host order (i386). */
export function writeTimeval(buf: Uint8Array, micros: number): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, 8);
  dv.setUint32(0, Math.floor(micros / 1_000_000), true);
  dv.setUint32(4, micros % 1_000_000, true);
}

export function readTimeval(buf: Uint8Array): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, 8);
  return dv.getUint32(0, true) * 1_000_000 + dv.getUint32(4, true);
}
