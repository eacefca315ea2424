/**
 * The virtual clock and callout queue: every asynchronous step (netisr, crypto completion,
 * ping timers, link propagation) is a callout at a virtual time in µs. Ties run in the order
 * they were scheduled, so interleavings are deterministic. The clock has a budget (`maxTime`):
 * a callout due after it ends the run, as the step and byte budgets do (issue 16).
 */
import { StepLimitExceeded } from "../trace/recorder";

interface Callout {
  readonly t: number;
  readonly order: number;
  readonly run: () => void;
}

/** A binary min-heap of callouts ordered by (t, order). */
export class Scheduler {
  private heap: Callout[] = [];
  private order = 0;
  now = 0;
  /**
   * The latest virtual time (µs) a callout may run at; the next one due later throws
   * StepLimitExceeded(maxTime, "time") instead of running, so a timer that keeps rescheduling
   * itself stops even if it records nothing. Infinity: no time budget.
   */
  maxTime = Infinity;

  /** Run `run` `delay` µs from now. */
  after(delay: number, run: () => void): void {
    this.push({ t: this.now + Math.max(0, delay), order: this.order++, run });
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Pop the next callout, advancing the clock; undefined when idle. Throws past `maxTime` (the callout stays queued). */
  next(): Callout | undefined {
    const top = this.heap[0];
    if (!top) return undefined;
    if (top.t > this.maxTime) throw new StepLimitExceeded(this.maxTime, "time");
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    this.now = top.t;
    return top;
  }

  private less(a: Callout, b: Callout): boolean {
    return a.t < b.t || (a.t === b.t && a.order < b.order);
  }

  private push(c: Callout): void {
    const h = this.heap;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      const t = h[i]!;
      h[i] = h[p]!;
      h[p] = t;
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      const t = h[i]!;
      h[i] = h[m]!;
      h[m] = t;
      i = m;
    }
  }
}
