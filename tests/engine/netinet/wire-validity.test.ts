/**
 * Whatever a scenario does, what crosses a link is a real packet: every datagram on every link
 * (link.tx and link.rx), in every built-in, under both personalities and each fix, is valid
 * IPv4 with a correct header checksum, and every cleartext ICMP message has a correct ICMP
 * checksum — checked with an RFC 1071 sum written in the test helpers, not the engine's.
 */
import { describe, expect, it } from "vitest";
import { expectIpv4, icmp } from "../../helpers/checkers";
import { allConfigurations, received, runBuiltin, transmitted } from "../../helpers/trace";

describe("every packet on every link is valid IPv4", () => {
  it.each(allConfigurations())("$label", ({ name, personality, fixes }) => {
    const t = runBuiltin(name, { personality, fixes });
    const wire = [...transmitted(t), ...received(t)];
    // Seed 004: a tunnel that never comes up (ondemand-bsdkame) drops every packet before any link.
    if (!t.outcome.findings.some((f) => f.id === "acquire-never-answered")) expect(wire.length).toBeGreaterThan(0);
    for (const w of wire) {
      const checks = w.bytes[9] === 1 ? [icmp()] : [];
      expectIpv4(w.bytes, ...checks);
      expect(w.event.bytes, `link event ${w.event.seq} bytes`).toBe(w.bytes.length);
    }
    // Every link the trace saw traffic on is declared in trace.links.
    const ids = new Set(t.links.map((l) => l.id));
    for (const w of transmitted(t)) expect(ids.has(w.event.link), `${w.event.link} missing from trace.links`).toBe(true);
  });
});
