/**
 * The virtual clock and callout queue (src/engine/sim/scheduler.ts): earliest first, ties in
 * the order they were scheduled, so interleavings of packets are deterministic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Scheduler } from "../../../src/engine/sim/scheduler";

/** Drain the scheduler, running each callout. */
function drain(s: Scheduler): void {
  for (let c = s.next(); c; c = s.next()) c.run();
}

describe("Scheduler", () => {
  it("runs callouts earliest first and advances the clock to each", () => {
    const s = new Scheduler();
    const log: [string, number][] = [];
    s.after(30, () => log.push(["c", s.now]));
    s.after(10, () => log.push(["a", s.now]));
    s.after(20, () => log.push(["b", s.now]));
    expect(s.pending).toBe(3);
    drain(s);
    expect(log).toEqual([
      ["a", 10],
      ["b", 20],
      ["c", 30],
    ]);
    expect(s.pending).toBe(0);
    expect(s.next()).toBeUndefined();
  });

  it("breaks ties by scheduling order", () => {
    const s = new Scheduler();
    const log: string[] = [];
    for (const x of ["first", "second", "third", "fourth", "fifth"]) s.after(5, () => log.push(x));
    drain(s);
    expect(log).toEqual(["first", "second", "third", "fourth", "fifth"]);
  });

  it("a callout scheduled for now runs after the callouts already due now", () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.after(5, () => {
      log.push("a");
      s.after(0, () => log.push("a's follow-up"));
    });
    s.after(5, () => log.push("b"));
    drain(s);
    expect(log).toEqual(["a", "b", "a's follow-up"]);
  });

  it("delays are relative to the current time, and a negative delay means now", () => {
    const s = new Scheduler();
    const at: number[] = [];
    s.after(100, () => {
      s.after(-50, () => at.push(s.now));
      s.after(7, () => at.push(s.now));
    });
    drain(s);
    expect(at).toEqual([100, 107]);
  });

  it("orders any set of callouts by (time, scheduling order) — a stable sort", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (delays) => {
        const s = new Scheduler();
        const ran: number[] = [];
        delays.forEach((d, i) => s.after(d, () => ran.push(i)));
        drain(s);
        const expected = delays
          .map((d, i) => [d, i] as const)
          .sort((x, y) => x[0] - y[0] || x[1] - y[1])
          .map(([, i]) => i);
        expect(ran).toEqual(expected);
      }),
    );
  });

  it("keeps the order when callouts schedule more callouts while running", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 })), { maxLength: 60 }), (pairs) => {
        const s = new Scheduler();
        const times: number[] = [];
        pairs.forEach(([d1, d2]) =>
          s.after(d1, () => {
            times.push(s.now);
            s.after(d2, () => times.push(s.now));
          }),
        );
        drain(s);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(times).toHaveLength(pairs.length * 2);
      }),
    );
  });
});
