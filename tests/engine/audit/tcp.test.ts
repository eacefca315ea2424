/**
 * The TCP part of the audit (src/engine/audit/tcp.ts, issue 12): a transfer is judged by the bytes
 * it delivered. tcp-pmtu loses its first 1500-byte DF segment at r1 and still delivers all 4000
 * bytes (path MTU discovery working, RFC 1191); tcp-pmtu-blackhole never learns the MTU and ends
 * with ETIMEDOUT. Before audit/tcp.ts both said "dropped".
 */
import { describe, expect, it } from "vitest";
import { audit } from "../../../src/engine/audit/audit";
import type { ScenarioTrace, TraceEvent } from "../../../src/engine";
import { makePaint, summaryLines } from "../../../src/cli/narrate";
import { eventsOf, findingIds, severityOf, traceOf } from "../../helpers/trace";

function reaudit(t: ScenarioTrace, events: readonly TraceEvent[]) {
  return audit({ events, packets: t.packets, sent: t.outcome.sent, delivered: t.outcome.delivered });
}

describe("tcp-pmtu: every byte arrives after a need-frag taught the path MTU", () => {
  const t = traceOf("tcp-pmtu");

  it("is not 'dropped': the verdict is secure, with 4000 bytes written, acknowledged and delivered", () => {
    expect(t.outcome.verdict).toBe("secure");
    expect(t.outcome.tcp).toEqual([{ socket: "tcp#0", written: 4000, acked: 4000, delivered: 4000 }]);
  });

  it("the dropped 1500-byte DF segment is an info finding that explains path MTU discovery", () => {
    expect(severityOf(t, "tcp-segment-recovered-ip-msgsize")).toBe("info");
    const f = t.outcome.findings.find((x) => x.id === "tcp-segment-recovered-ip-msgsize")!;
    expect(f.sentence).toMatch(/1500 bytes > MTU 1400 with DF/);
    expect(f.sentence).toMatch(/RFC 1191/);
    expect(t.events.at(f.step)).toMatchObject({ kind: "drop", reason: "ip-msgsize", host: "r1" });
    expect(severityOf(t, "pmtu-learned")).toBe("info");
    expect(severityOf(t, "tcp-complete")).toBe("info");
  });

  it("the need-frag that tcp_ctlinput consumed is not a loss when no raw socket wants it", () => {
    // rip_input m_freem()s an ICMP error nobody reads (raw_ip.c): no counter, no drop finding.
    expect(eventsOf(t, "drop").some((e) => e.reason === "no-socket")).toBe(true);
    expect(findingIds(t)).not.toContain("drop-no-socket");
    expect(t.outcome.findings.every((f) => f.severity === "info")).toBe(true);
  });

  it("snd_una's advance is a fact in the trace, named by its socket, ending past the FIN", () => {
    const una = eventsOf(t, "field.set").filter((e) => e.header === "tcpcb" && e.field === "snd_una" && e.socket === "tcp#0");
    expect(una.map((e) => e.to)).toEqual(["1361", "2721", "4002"]);
    expect(eventsOf(t, "deliver").reduce((n, e) => n + (e.bytes ?? 0), 0)).toBe(4000);
  });

  it("rests on its evidence: without the last delivery the transfer is short and the verdict is dropped", () => {
    const lastDeliver = t.events.map((e) => e).findLastIndex((e) => e.kind === "deliver" && e.bytes !== undefined);
    const events = t.events.map((e) => e).filter((_, i) => i !== lastDeliver);
    const o = reaudit(t, events);
    expect(o.verdict).toBe("dropped");
    expect(o.tcp?.[0]).toMatchObject({ written: 4000, delivered: 2720 });
    expect(o.findings.find((f) => f.id === "tcp-stalled")?.sentence).toMatch(/2720 of 4000 bytes delivered/);
    // With the transfer short, the dropped segment is a loss again.
    expect(o.findings.find((f) => f.id === "drop-ip-msgsize")?.severity).toBe("warning");
  });
});

describe("tcp-pmtu-blackhole: ETIMEDOUT, with a finding that says why", () => {
  const t = traceOf("tcp-pmtu-blackhole");

  it("is dropped, with the connection's error and no byte delivered", () => {
    expect(t.outcome.verdict).toBe("dropped");
    expect(t.outcome.tcp).toEqual([{ socket: "tcp#0", written: 4000, acked: 0, delivered: 0, error: "ETIMEDOUT" }]);
  });

  it("tcp-stalled names ETIMEDOUT, its time and the black hole; tcp_drop is not counted as a packet drop", () => {
    const f = t.outcome.findings.find((x) => x.id === "tcp-stalled")!;
    expect(f.sentence).toMatch(/ETIMEDOUT at 542\.5 s; 0 of 4000 bytes arrived/);
    expect(f.sentence).toMatch(/need-frag .* was filtered/);
    expect(t.events.at(f.step)).toMatchObject({ kind: "drop", reason: "tcp-timeout", socket: "tcp#0" });
    expect(findingIds(t)).not.toContain("drop-tcp-timeout");
    expect(findingIds(t)).not.toContain("drop-tcp-reset");
    expect(severityOf(t, "drop-ip-msgsize")).toBe("warning");
  });
});

describe("the CLI's summary counts bytes for TCP", () => {
  const paint = makePaint(false);

  it("prints a tcp line and no 'echoes: 0 sent' for a TCP run", () => {
    const lines = summaryLines(traceOf("tcp-pmtu"), paint);
    expect(lines).toContain("tcp: tcp#0 wrote 4000 bytes, 4000 acknowledged, 4000 delivered");
    expect(lines.some((l) => l.startsWith("echoes:"))).toBe(false);
    expect(lines.at(-1)).toBe("outcome: secure");
  });

  it("says how a stalled connection ended", () => {
    expect(summaryLines(traceOf("tcp-pmtu-blackhole"), paint)).toContain(
      "tcp: tcp#0 wrote 4000 bytes, 0 acknowledged, 0 delivered — closed with ETIMEDOUT",
    );
  });

  it("keeps the echo line for a ping run", () => {
    const lines = summaryLines(traceOf("lo0-ping"), paint);
    expect(lines.some((l) => l.startsWith("echoes: "))).toBe(true);
    expect(lines.some((l) => l.startsWith("tcp:"))).toBe(false);
  });
});
