/**
 * Whatever a scenario does, what crosses a link is a real packet: every datagram on every link
 * (link.tx and link.rx), in every built-in, under both personalities and each fix, is valid
 * IPv4 with a correct header checksum, and every cleartext ICMP message has a correct ICMP
 * checksum — checked with an RFC 1071 sum written in the test helpers, not the engine's.
 */
import { describe, expect, it } from "vitest";
import { builtinByName } from "../../../src/engine/index";
import { expectIpv4, icmp } from "../../helpers/checkers";
import { allConfigurations, received, runBuiltin, transmitted } from "../../helpers/trace";

describe("every packet on every link is valid IPv4", () => {
  it.each(allConfigurations())("$label", ({ name, personality, fixes }) => {
    const t = runBuiltin(name, { personality, fixes });
    const wire = [...transmitted(t), ...received(t)];
    // Seed 003's loops never reach a wire: gif0 routes its own tunnel back into itself, and without
    // the IPsec loop check the first echo is re-encrypted until the step limit.
    const local = name === "openbsd-gif-loop" || fixes.includes("no-ipsec-loop-check");
    // The Linux stack (seed 002) refuses AH and tunnel scenarios at step 1 instead of running them.
    const refused = t.events.at(0)?.kind === "drop" && t.events.length === 1;
    // …and a run whose modelled kernel oopsed before anything reached the wire (klips-bigpackets on 1999 KLIPS) has none either.
    // Seed 004: a tunnel that never comes up (ondemand-bsdkame) drops every packet before any link.
    // On openbsd-2003 the key daemon's kernel side is not wired to OpenBSD's ipsp_output (no
    // ACQUIRE is sent), so the on-demand tunnel never comes up there either: left for seed 004's follow-up.
    const neverUp =
      t.outcome.findings.some((f) => f.id === "acquire-never-answered") ||
      (personality === "openbsd-2003" && builtinByName(name)?.keying !== undefined);
    expect(wire.length > 0 || local || refused || neverUp || t.outcome.verdict === "crash").toBe(true);
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
