/**
 * The ESP packet's SA as the inspector shows it (issue 10, ui/inspector/espSaState.ts): ESN or
 * 32-bit, seq-hi kept in the SA against the 32 bits on the wire, and whether the SA has a replay
 * window — read from the trace's facts (sa.update "seq") and the scenario's SAD, never from a label.
 */
import { describe, expect, it } from "vitest";
import { espSaSentence, espSaState } from "../../../src/ui/inspector/espSaState";
import { fromHex, type ScenarioTrace } from "../../../src/engine/index";
import { runBuiltin, transmitted } from "../../helpers/trace";

/** The state at gw-a's n-th ESP frame on net0 (the step that sends it). */
function stateAtFrame(t: ScenarioTrace, n: number) {
  const w = transmitted(t, "net0").filter((x) => x.event.host === "gw-a")[n]!;
  const v = t.packets.at(w.event.packet)!;
  return espSaState(
    t.events,
    w.event.seq,
    v.hdrs,
    fromHex(v.hex),
    t.scenario.hosts.flatMap((h) => h.sad),
  );
}

describe("the inspector's ESP SA state", () => {
  it("an ESN SA: 64-bit, seq-hi 0 in the SA and the low 32 bits on the wire, counting 1, 2, 3", () => {
    const t = runBuiltin("gw-esp-tunnel", { patch: (s) => s.hosts.forEach((h) => h.sad?.forEach((sa) => Object.assign(sa, { esn: true }))) });
    const states = [0, 1, 2].map((n) => stateAtFrame(t, n)!);
    expect(states.map((s) => [s.esn, s.seq, s.seqHi, s.seqLo])).toEqual([
      [true, 1, 0, 1],
      [true, 2, 0, 2],
      [true, 3, 0, 3],
    ]);
    // The 32 bits on the wire are the ESP header's sequence number.
    const w = transmitted(t, "net0").filter((x) => x.event.host === "gw-a")[2]!;
    const esp = t.packets.at(w.event.packet)!.hdrs.find((h) => h.kind === "esp")!;
    expect(new DataView(w.bytes.buffer, w.bytes.byteOffset).getUint32(esp.offset + 4)).toBe(states[2]!.seqLo);
    expect(espSaSentence(states[2]!)).toBe(
      "SA 0x00002001: 64-bit extended sequence numbers (ESN, RFC 4303 §2.2.1), replay window 64; last sequence number 3: seq-hi 0 kept in the SA, 3 on the wire.",
    );
  });

  it("the built-in (no ESN) says 32-bit; an SA without a replay window takes no sequence numbers at all", () => {
    const plain = stateAtFrame(runBuiltin("gw-esp-tunnel"), 0)!;
    expect(plain).toMatchObject({ esn: false, replayWindow: 64, seq: 1 });
    expect(espSaSentence(plain)).toBe("SA 0x00002001: 32-bit sequence numbers, replay window 64; last sequence number 1.");
    const t = runBuiltin("gw-esp-tunnel", { patch: (s) => s.hosts.forEach((h) => h.sad?.forEach((sa) => Object.assign(sa, { replayWindow: 0 }))) });
    const none = stateAtFrame(t, 1)!;
    expect(none).toMatchObject({ replayWindow: 0, seq: null });
    expect(espSaSentence(none)).toBe("SA 0x00002001: 32-bit sequence numbers, no replay window: sequence numbers are neither counted nor checked.");
  });

  it("a received ESP frame (its stack still one IPv4 data range) reads the same SA, as of the step it arrives", () => {
    const t = runBuiltin("gw-esp-tunnel");
    const rx = t.events.find((e) => e.kind === "link.rx" && e.host === "gw-b")!;
    const v = t.packets.at(rx.packet)!;
    expect(v.hdrs.some((h) => h.kind === "esp")).toBe(false);
    expect(
      espSaState(
        t.events,
        rx.seq,
        v.hdrs,
        fromHex(v.hex),
        t.scenario.hosts.flatMap((h) => h.sad),
      ),
    ).toMatchObject({ spi: 0x2001, seq: 1 });
  });

  it("a packet with no ESP header has no SA state", () => {
    const t = runBuiltin("lo0-ping");
    const v = t.packets.at(0)!;
    expect(espSaState(t.events, t.events.length - 1, v.hdrs, fromHex(v.hex), [])).toBeNull();
  });
});
