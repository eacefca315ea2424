/**
 * A tiny kernel context for testing the mbuf and m_tag verbs one at a time: a Recorder and a
 * Site with a personality's tag numbering, plus `recordsOne`, which runs a verb and returns the
 * single event it must record.
 */
import { expect } from "vitest";
import { PERSONALITIES, tagNumbering, type PersonalityId } from "../../src/engine/kernels/personality";
import { Recorder, Site } from "../../src/engine/trace/recorder";
import type { TraceEvent } from "../../src/engine/trace/events";

export interface TestKernel {
  readonly recorder: Recorder;
  readonly site: Site;
}

/** A recorder and a site ("host", layer ip, fn "test") numbering tags as `personality` does. */
export function kernel(personality: PersonalityId = "netbsd-2003", maxEvents = 100_000): TestKernel {
  const recorder = new Recorder(maxEvents);
  const site = new Site(recorder, "host", "ip", "test", tagNumbering(PERSONALITIES[personality]));
  return { recorder, site };
}

/** Run `verb`; assert it recorded exactly one event; return the verb's result and that event. */
export function recordsOne<T>(recorder: Recorder, verb: () => T): { result: T; event: TraceEvent } {
  const before = recorder.events.length;
  const result = verb();
  const added = recorder.events.slice(before);
  expect(
    added.map((e) => e.kind),
    "a verb records exactly one event",
  ).toHaveLength(1);
  return { result, event: added[0]! };
}

/** Bytes 0, 1, 2, … (mod 256) — distinct enough that a misplaced byte shows. */
export function ramp(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}
