/**
 * What a run's traffic came to, in words — one definition for the CLI's summary lines, the
 * outcome banner and the end-of-run recap, so none of them says "0 sent · 0 delivered" of a run
 * whose traffic was TCP (issue 12: a TCP transfer is judged by its bytes, audit/tcp.ts).
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
  const tallies: Tally[] = [];
  if (sent > 0 || tcp.length === 0) {
    tallies.push({
      // "echoes", not a bare "sent": a run that also sends UDP datagrams (klips-bigpackets) has not sent nothing.
      short: `${plural(sent, "echo", "echoes")} sent · ${plural(delivered, "reply", "replies")}`,
      long: `${plural(sent, "echo request", "echo requests")} sent, ${plural(delivered, "reply", "replies")} delivered`,
      line: `echoes: ${sent} sent, ${plural(delivered, "reply", "replies")} delivered`,
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
