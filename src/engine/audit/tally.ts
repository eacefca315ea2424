/**
 * What a run's traffic came to, in words — one definition for the CLI's summary lines, the
 * outcome banner and the end-of-run recap, so none of them says "0 sent · 0 delivered" of a run
 * whose traffic was TCP (issue 12: a TCP transfer is judged by its bytes, audit/tcp.ts).
 * UDP datagrams are counted as sendto() calls, refusals (EMSGSIZE) and deliveries.
 * Echo requests are counted when the run sent any, or when it has nothing else to count.
 */
import type { Outcome } from "../trace/events";

export interface Tally {
  /** Terse, for the banner: "3 echoes sent · 3 replies", "tcp#0: 4000 of 4000 bytes delivered". */
  readonly short: string;
  /** A sentence's worth, for the recap and screen readers. */
  readonly long: string;
  /** The CLI's line: "echoes: 3 sent, 3 replies delivered", "tcp: tcp#0 wrote 4000 bytes, …". */
  readonly line: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function outcomeTallies(outcome: Outcome): Tally[] {
  const { sent, delivered } = outcome;
  const tcp = outcome.tcp ?? [];
  const { udp } = outcome;
  const tallies: Tally[] = [];
  if (sent > 0 || (tcp.length === 0 && !udp)) {
    tallies.push({
      // "echoes", not a bare "sent": a run that also sends UDP datagrams (xfrm-pmtu-per-sa) has not sent nothing.
      short: `${plural(sent, "echo", "echoes")} sent · ${plural(delivered, "reply", "replies")}`,
      long: `${plural(sent, "echo request", "echo requests")} sent, ${plural(delivered, "reply", "replies")} delivered`,
      line: `echoes: ${sent} sent, ${plural(delivered, "reply", "replies")} delivered`,
    });
  }
  if (udp) {
    // "refused": sendto() returned EMSGSIZE (DF over the MTU), so that datagram never left the host.
    const refused = udp.refused > 0 ? `, ${udp.refused} refused with EMSGSIZE` : "";
    tallies.push({
      short: `${plural(udp.sent, "datagram", "datagrams")} sent${udp.refused > 0 ? ` · ${udp.refused} refused` : ""} · ${udp.delivered} delivered`,
      long: `${plural(udp.sent, "UDP datagram", "UDP datagrams")} sent${refused}, ${udp.delivered} delivered`,
      line: `udp: ${udp.sent} sent${refused}, ${udp.delivered} delivered`,
    });
  }
  for (const c of tcp) {
    const closed = c.error ? ` — closed with ${c.error}` : "";
    tallies.push({
      short: `${c.socket}: ${c.delivered} of ${c.written} bytes delivered${c.error ? ` · ${c.error}` : ""}`,
      long: `${c.socket} wrote ${c.written} bytes: ${c.delivered} delivered, ${c.acked} acknowledged${closed}`,
      line: `tcp: ${c.socket} wrote ${c.written} bytes, ${c.acked} acknowledged, ${c.delivered} delivered${closed}`,
    });
  }
  return tallies;
}
