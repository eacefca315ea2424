/**
 * What a run's traffic came to (src/engine/audit/tally.ts): one wording for the CLI, the outcome
 * banner and the recap. A TCP run is counted in bytes per connection, never as "0 sent · 0
 * delivered" echoes; a UDP run in datagrams; a ping run as echoes; a run of none still says its
 * (zero) echoes.
 */
import { describe, expect, it } from "vitest";
import { outcomeTallies } from "../../../src/engine";
import { traceOf } from "../../helpers/trace";

describe("outcomeTallies", () => {
  it("counts a ping run's echoes", () => {
    const t = traceOf("lo0-esp-ping");
    expect(outcomeTallies(t.outcome)).toEqual([
      { short: "3 echoes sent · 3 replies", long: "3 echo requests sent, 3 replies delivered", line: "echoes: 3 sent, 3 replies delivered" },
    ]);
  });

  it("counts a TCP run's bytes, not echoes it never sent", () => {
    const t = traceOf("tcp-pmtu");
    expect(t.outcome.sent).toBe(0);
    expect(outcomeTallies(t.outcome)).toEqual([
      {
        short: "tcp#0: 4000 of 4000 bytes delivered",
        long: "tcp#0 wrote 4000 bytes: 4000 delivered, 4000 acknowledged",
        line: "tcp: tcp#0 wrote 4000 bytes, 4000 acknowledged, 4000 delivered",
      },
    ]);
  });

  it("says how a connection that tcp_drop closed ended", () => {
    const [tally, ...rest] = outcomeTallies(traceOf("tcp-pmtu-blackhole").outcome);
    expect(rest).toEqual([]);
    expect(tally!.short).toMatch(/^tcp#0: \d+ of 4000 bytes delivered · ETIMEDOUT$/);
    expect(tally!.line).toMatch(/ — closed with ETIMEDOUT$/);
  });

  it("counts a UDP run's datagrams, not echoes it never sent: sendto() calls, EMSGSIZE refusals, deliveries", () => {
    // klips-bigpackets (1999): 2 datagrams planned, the first one's fragments oops the kernel.
    const klips = traceOf("klips-bigpackets");
    expect(klips.outcome.udp).toEqual({ sent: 1, refused: 0, delivered: 0 });
    expect(outcomeTallies(klips.outcome)).toEqual([
      { short: "1 datagram sent · 0 delivered", long: "1 UDP datagram sent, 0 delivered", line: "udp: 1 sent, 0 delivered" },
    ]);
    // xfrm-pmtu-per-sa: the first 1438-byte datagram dies at r1 (DF, 1496 > 1400); the second is refused
    // with EMSGSIZE at the bundle's dst_mtu 1370 and sent again at 1342 bytes, which arrives.
    const xfrm = traceOf("xfrm-pmtu-per-sa");
    expect(xfrm.outcome.udp).toEqual({ sent: 3, refused: 1, delivered: 1 });
    expect(outcomeTallies(xfrm.outcome).map((t) => t.line)).toEqual([
      "echoes: 1 sent, 1 reply delivered",
      "udp: 3 sent, 1 refused with EMSGSIZE, 1 delivered",
    ]);
    expect(outcomeTallies(xfrm.outcome)[1]!.short).toBe("3 datagrams sent · 1 refused · 1 delivered");
    // A ping-only run says nothing of UDP.
    expect(traceOf("lo0-esp-ping").outcome.udp).toBeUndefined();
  });

  it("one reply is a reply", () => {
    expect(outcomeTallies({ verdict: "secure", findings: [], sent: 1, delivered: 1 })[0]!.long).toBe("1 echo request sent, 1 reply delivered");
  });
});
