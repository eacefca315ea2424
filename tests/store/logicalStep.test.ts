import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../src/engine/index";
import { eventSignature, logicalIndex, logicalKeys, mapCursor } from "../../src/store/logicalStep";
import { indexOf, replyLoopCheck, traceOf } from "./support";

const FIX = "icmp-reflect-strips-tags";

describe("logical step keys", () => {
  it("are unique within a trace", () => {
    const keys = logicalKeys(traceOf("lo0-esp-ping").events);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("name the echo round, the place and the kind but not the branch taken", () => {
    const bugTrace = traceOf("lo0-esp-ping");
    const fixedTrace = traceOf("lo0-esp-ping", [FIX]);
    const bug = bugTrace.events.at(replyLoopCheck(bugTrace))!;
    const fixed = fixedTrace.events.at(replyLoopCheck(fixedTrace))!;
    expect(bug.kind === "decision" && bug.branch).toBe("skip IPsec");
    expect(fixed.kind === "decision" && fixed.branch).not.toBe("skip IPsec");
    expect(logicalIndex(bugTrace).keys[bug.seq]).toBe(logicalIndex(fixedTrace).keys[fixed.seq]);
    expect(logicalIndex(bugTrace).keys[bug.seq]).toBe("1/host ip ip_output decision ipsec-loop/2");
  });

  it("are computed once per trace", () => {
    expect(logicalIndex(traceOf("lo0-esp-ping"))).toBe(logicalIndex(traceOf("lo0-esp-ping")));
  });
});

describe("mapCursor", () => {
  it("maps the reply's loop check to the reply's loop check after the fix, and back", () => {
    const bug = traceOf("lo0-esp-ping");
    const fixed = traceOf("lo0-esp-ping", [FIX]);
    expect(replyLoopCheck(fixed)).not.toBe(replyLoopCheck(bug));
    expect(mapCursor(bug, replyLoopCheck(bug), fixed)).toBe(replyLoopCheck(fixed));
    expect(mapCursor(fixed, replyLoopCheck(fixed), bug)).toBe(replyLoopCheck(bug));
  });

  it("maps every step to the event with its key, or else where the step before it maps", () => {
    const bug = traceOf("lo0-esp-ping");
    const fixed = traceOf("lo0-esp-ping", [FIX]);
    for (const [from, to] of [
      [bug, fixed],
      [fixed, bug],
    ] as const) {
      const fromKeys = logicalIndex(from).keys;
      const toIndex = logicalIndex(to);
      let missing = 0;
      for (let i = 0; i < from.events.length; i++) {
        const j = mapCursor(from, i, to);
        if (toIndex.seqOf.has(fromKeys[i]!)) {
          expect(toIndex.keys[j]).toBe(fromKeys[i]);
          expect(eventSignature(to.events.at(j)!)).toBe(eventSignature(from.events.at(i)!));
        } else {
          missing++;
          expect(j).toBe(i === 0 ? 0 : mapCursor(from, i - 1, to));
        }
      }
      // The fixed run is the bug run plus the reply's ESP steps: every bug step exists in it,
      // while the fixed run's extra steps fall back.
      expect(missing).toBe(from === bug ? 0 : fixed.events.length - bug.events.length);
    }
  });

  it("keeps later echoes aligned although the fix adds events to the first one", () => {
    const bug = traceOf("lo0-esp-ping");
    const fixed = traceOf("lo0-esp-ping", [FIX]);
    const secondSend = bug.events.findIndex((e, i) => i > 0 && e.kind === "app.send");
    const mapped = mapCursor(bug, secondSend, fixed);
    expect(fixed.events.at(mapped)).toMatchObject({ kind: "app.send", note: expect.stringContaining("icmp_seq=1") });
  });

  it("falls back to the nearest earlier step when the step no longer exists", () => {
    const bug = traceOf("lo0-esp-ping");
    const fixed = traceOf("lo0-esp-ping", [FIX]);
    const strip = indexOf(fixed, (e) => e.kind === "tag.deleteNonpersistent");
    // The bug run never strips the tags: the step before it is shown instead.
    const before = mapCursor(fixed, strip - 1, bug);
    expect(mapCursor(fixed, strip, bug)).toBe(before);
    expect(eventSignature(bug.events.at(before)!)).toBe(eventSignature(fixed.events.at(strip - 1)!));
  });

  it("is the identity between two runs of the same scenario, and 0 for anything unknown", () => {
    const a = traceOf("lo0-ah-ping");
    for (const i of [0, 1, 50, a.events.length - 1]) expect(mapCursor(a, i, a)).toBe(i);
    const other: { events: TraceEvent[] } = { events: [] };
    expect(mapCursor(a, 10, other)).toBe(0);
    expect(mapCursor(other, 10, a)).toBe(0);
  });
});
