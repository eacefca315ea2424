/**
 * The TCP part of the audit (issue 12): a TCP transfer is judged by the bytes it delivered, not
 * by the packets dropped on the way. Path MTU discovery *starts* with a drop — the first
 * full-sized DF segment dies at the router whose next hop is narrower, and the ICMP need-frag it
 * sends back is what teaches the sender the path MTU (RFC 1191 §3, §6.3) — so a dropped segment of
 * a connection that went on to deliver every byte is the expected mechanism, not a loss. A
 * connection that tcp_drop() closed (ETIMEDOUT after TCP_MAXRXTSHIFT retransmissions, tcp_timer.c;
 * ECONNRESET on a RST) or that ended short of its bytes is a loss, and a finding says why.
 *
 * Read from the trace's facts only (the engine's src/engine/netinet/tcp_*.ts records them):
 *   app.send `bytes`                — what the writer put into so_snd (sosend);
 *   deliver `bytes`                 — in-order data tcp_input appended to the receiver's so_rcv;
 *   field.set tcpcb snd_una `socket` — how far the peer acknowledged (tcp_input's ACK processing);
 *   drop tcp-timeout / tcp-reset `socket` — the connection tcp_drop closed.
 * The receiving socket of connection `tcp#N` is named `tcp#N sink :port` (tcp_input.ts startTcp).
 */
import type { EventOf, TcpOutcome } from "../trace/events";
import type { FindingSink } from "./networks";

interface Conn {
  written: number;
  /** The highest snd_una seen (relative sequence numbers: 1 is the first data byte). */
  sndUna: number;
  delivered: number;
  lastDeliverStep: number;
  error?: EventOf<"drop">;
}

/** Per-connection byte counts from the trace; call `event` for the kinds listed above, then `finish`. */
export class TcpLedger {
  private readonly conns = new Map<string, Conn>();
  /** Delivered bytes per receiving socket name, matched to its connection in `finish`. */
  private readonly sinks = new Map<string, { bytes: number; step: number }>();
  /** Dropped TCP segments, kept until the end of the run decides whether TCP recovered from them. */
  private readonly segmentDrops: EventOf<"drop">[] = [];

  private conn(socket: string): Conn {
    let c = this.conns.get(socket);
    if (!c) this.conns.set(socket, (c = { written: 0, sndUna: 1, delivered: 0, lastDeliverStep: -1 }));
    return c;
  }

  /** Does the run carry TCP traffic at all? */
  get active(): boolean {
    return this.conns.size > 0;
  }

  appSend(e: EventOf<"app.send">): void {
    if (e.bytes !== undefined) this.conn(e.socket).written += e.bytes;
  }

  deliver(e: EventOf<"deliver">): void {
    if (e.bytes === undefined) return;
    const s = this.sinks.get(e.socket) ?? { bytes: 0, step: -1 };
    s.bytes += e.bytes;
    s.step = e.seq;
    this.sinks.set(e.socket, s);
  }

  fieldSet(e: EventOf<"field.set">): void {
    if (e.header !== "tcpcb" || e.field !== "snd_una" || e.socket === undefined) return;
    const c = this.conn(e.socket);
    c.sndUna = Math.max(c.sndUna, Number(e.to));
  }

  /** A tcp_drop of a connection; the peer's ECONNRESET (its answer to our RST) is kept on the peer's name. */
  connectionDropped(e: EventOf<"drop">): void {
    if (e.socket === undefined) return;
    const name = connectionOf(e.socket);
    const c = this.conn(name);
    c.error ??= e;
  }

  /** A packet drop of a TCP segment (IP protocol 6): judged in `finish`, once we know whether TCP recovered. */
  segmentDropped(e: EventOf<"drop">): void {
    this.segmentDrops.push(e);
  }

  /**
   * Findings and the per-connection totals. Returns how many losses to count towards "dropped":
   * 0 when every connection delivered every byte it wrote.
   */
  finish(f: FindingSink): { losses: number; tcp: TcpOutcome[] } {
    for (const [sink, s] of this.sinks) {
      const c = this.conn(connectionOf(sink));
      c.delivered += s.bytes;
      c.lastDeliverStep = Math.max(c.lastDeliverStep, s.step);
    }
    const tcp: TcpOutcome[] = [];
    let incomplete = 0;
    for (const [socket, c] of this.conns) {
      if (c.written === 0 && c.delivered === 0 && !c.error) continue;
      // snd_una counts the SYN (0) and the FIN (written + 1): the data acknowledged lies between.
      const acked = Math.min(Math.max(0, c.sndUna - 1), c.written);
      const complete = !c.error && c.delivered >= c.written;
      tcp.push({ socket, written: c.written, acked, delivered: c.delivered, ...(c.error ? { error: errnoOf(c.error) } : {}) });
      if (complete) {
        f.add(
          "tcp-complete",
          "info",
          c.lastDeliverStep,
          () => `${socket} delivered all ${c.written} bytes it wrote (${acked} acknowledged back to the sender): the transfer is complete.`,
        );
        continue;
      }
      incomplete++;
      const err = c.error;
      const blackhole = f.has("pmtu-blackhole");
      const why = blackhole
        ? " Its full-sized DF segments died at a router whose next hop is narrower, and the ICMP need-frag that would have lowered its segment size was filtered (see the PMTU black-hole finding): retransmitting the same size could never succeed."
        : "";
      f.add("tcp-stalled", "warning", err ? err.seq : c.lastDeliverStep, () =>
        err
          ? `${socket} never finished: ${errnoOf(err) === "ETIMEDOUT" ? `its retransmissions went unanswered and tcp_drop closed it with ETIMEDOUT at ${(err.t / 1e6).toFixed(1)} s` : `it was closed with ${errnoOf(err)}`}; ${c.delivered} of ${c.written} bytes arrived, ${acked} acknowledged.${why}`
          : `${socket} ended with ${c.delivered} of ${c.written} bytes delivered (${acked} acknowledged).`,
      );
    }
    // Segment drops: recovered by TCP when every transfer completed (info), a loss otherwise.
    for (const e of this.segmentDrops) {
      if (incomplete === 0) {
        const learned = e.reason === "ip-msgsize" || e.reason === "frag-needed" || e.reason === "ip-cantforward";
        f.add(
          `tcp-segment-recovered-${e.reason}`,
          "info",
          e.seq,
          () =>
            `${e.host} dropped a TCP segment (${e.detail}), and TCP recovered: ${learned ? "this is how path MTU discovery works (RFC 1191) — the router's ICMP need-frag told the sender the path MTU, tcp_mtudisc lowered the segment size and resent the data in smaller segments" : "the sender retransmitted the data"}, and every byte arrived.`,
        );
      } else {
        f.add(`drop-${e.reason}`, "warning", e.seq, () => `${e.host} dropped a TCP segment: ${e.detail}.`);
      }
    }
    return { losses: incomplete > 0 ? incomplete + this.segmentDrops.length : 0, tcp };
  }
}

/** `tcp#0 sink :9` → `tcp#0`: the receiving socket's connection (startTcp's naming). */
function connectionOf(socket: string): string {
  const sp = socket.indexOf(" ");
  return sp < 0 ? socket : socket.slice(0, sp);
}

function errnoOf(e: EventOf<"drop">): "ETIMEDOUT" | "ECONNRESET" {
  return e.reason === "tcp-timeout" ? "ETIMEDOUT" : "ECONNRESET";
}
