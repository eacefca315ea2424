/**
 * The reassembly queue the stack view draws (stackLayout's ipqAt): the fragments a host holds,
 * read from the fragments' own IP headers (offset = ip_off × 8, MF), from ip_reass's enqueue
 * until the datagram is complete. frag-esp: 2964 bytes of ESP at MTU 1500 → 1480 + 1464 data bytes.
 */
import { describe, expect, it } from "vitest";
import { ipqAt } from "../../../src/ui/stack/stackLayout";
import { traceOf } from "../support";

describe("ipqAt", () => {
  it("holds b's first fragment (0–1480, MF) from its enqueue until the second completes the datagram", () => {
    const t = traceOf("frag-esp");
    const steps = [...Array(t.events.length).keys()];
    const enq = steps.find((i) => {
      const e = t.events.at(i)!;
      return e.kind === "queue.enqueue" && e.queue === "ipq" && e.host === "b";
    })!;
    const done = steps.find((i) => {
      const e = t.events.at(i)!;
      return e.kind === "decision" && e.check === "reass" && e.branch === "complete" && e.host === "b";
    })!;
    expect(ipqAt(t, enq - 1).get("b")).toBeUndefined();
    expect(ipqAt(t, enq).get("b")).toEqual([expect.objectContaining({ off: 0, end: 1480, mf: true })]);
    expect(ipqAt(t, done - 1).get("b")).toHaveLength(1);
    expect(ipqAt(t, done).get("b")).toBeUndefined();
    // a reassembles the reply the same way, later.
    expect([...ipqAt(t, t.events.length - 1).keys()]).toEqual([]);
  });

  it("is empty for a trace without fragments", () => {
    const t = traceOf("tcp-pmtu");
    expect(ipqAt(t, t.events.length - 1).size).toBe(0);
  });
});
