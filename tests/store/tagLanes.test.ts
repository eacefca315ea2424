import { describe, expect, it } from "vitest";
import type { TagView, TraceEvent } from "../../src/engine/index";
import { computeTagLanes, flagIsStale, isFlagStaleAt, isTagStaleAt, tagIsStale, tagLanes } from "../../src/store/tagLanes";
import { indexOf, replyLoopCheck, traceOf } from "./support";

describe("tag lanes of the seed story", () => {
  const trace = traceOf("lo0-esp-ping");
  const lanes = tagLanes(trace);

  it("has one lane per tag instance, in the order the tags were prepended", () => {
    expect(lanes.lanes.map((l) => l.tag.name)).toEqual([
      "IPSEC_OUT_DONE",
      "IPSEC_IN_DONE",
      "IPSEC_OUT_DONE",
      "IPSEC_IN_DONE",
      "IPSEC_OUT_DONE",
      "IPSEC_IN_DONE",
    ]);
    expect(new Set(lanes.lanes.map((l) => l.uid)).size).toBe(6);
  });

  it("runs the request's OUT_DONE from its prepend to the free of its chain", () => {
    const out = lanes.byUid.get(1)!;
    const prepend = indexOf(trace, (e) => e.kind === "tag.prepend");
    const free = indexOf(trace, (e) => e.kind === "mbuf.free");
    const loops = trace.events.filter(
      (e) => e.kind === "decision" && e.check === "ipsec-loop" && e.seq < free && e.consulted.some((c) => c.kind === "tag" && c.tag?.uid === 1),
    );
    expect(out).toMatchObject({ start: prepend, end: free, endReason: "freed", host: "host" });
    expect(loops).toHaveLength(2);
    expect(out.consults).toEqual([
      { seq: loops[0]!.seq, check: "ipsec-loop", stale: false },
      { seq: replyLoopCheck(trace), check: "ipsec-loop", stale: true },
    ]);
    expect(out.staleFrom).toBe(replyLoopCheck(trace));
  });

  it("marks IN_DONE stale from the first decision that consulted it stale", () => {
    const inDone = lanes.byUid.get(2)!;
    const staleConsult = indexOf(
      trace,
      (e) => e.kind === "decision" && e.consulted.some((c) => c.kind === "tag" && c.tag?.uid === 2 && c.stale === true),
    );
    expect(inDone.start).toBe(indexOf(trace, (e) => e.kind === "tag.prepend" && e.tag.uid === 2));
    expect(inDone.consults.length).toBeGreaterThanOrEqual(4);
    expect(inDone.consults.filter((c) => c.check === "find")).toHaveLength(2);
    expect(inDone.staleFrom).toBe(staleConsult);
    expect(isTagStaleAt(lanes, 2, staleConsult - 1)).toBe(false);
    expect(isTagStaleAt(lanes, 2, staleConsult)).toBe(true);
    expect(isTagStaleAt(lanes, 99, staleConsult)).toBe(false);
  });

  it("ends the tags where the fixed icmp_reflect deletes them, never consulted stale", () => {
    const fixedTrace = traceOf("lo0-esp-ping", ["icmp-reflect-strips-tags"]);
    const fixed = tagLanes(fixedTrace);
    const strip = indexOf(fixedTrace, (e) => e.kind === "tag.deleteNonpersistent");
    const first = fixed.lanes.filter((l) => l.start < strip);
    expect(first.map((l) => [l.tag.name, l.end, l.endReason])).toEqual([
      ["IPSEC_OUT_DONE", strip, "deleted-nonpersistent"],
      ["IPSEC_IN_DONE", strip, "deleted-nonpersistent"],
    ]);
    expect(fixed.lanes.every((l) => l.staleFrom === null)).toBe(true);
  });

  it("is computed once per trace", () => {
    expect(tagLanes(trace)).toBe(lanes);
  });
});

describe("computeTagLanes", () => {
  const tag = (uid: number, name = "IPSEC_OUT_DONE"): TagView => ({ uid, id: 18, name, len: 36, persistent: false });
  const base = { t: 0, host: "h", layer: "ip", fn: "f", packet: 0, chain: 1, note: "" } as const;
  const ev = (seq: number, payload: object, chain = 1) => ({ ...base, seq, chain, ...payload }) as TraceEvent;

  it("leaves a tag that is never deleted alive at the end", () => {
    const { lanes } = computeTagLanes([ev(0, { kind: "tag.prepend", tag: tag(7) })]);
    expect(lanes[0]).toMatchObject({ uid: 7, start: 0, end: null, endReason: null });
  });

  it("ends lanes on delete, unlink and delete-chain, and only the freed chain's on free", () => {
    const { byUid } = computeTagLanes([
      ev(0, { kind: "tag.prepend", tag: tag(1) }),
      ev(1, { kind: "tag.prepend", tag: tag(2) }),
      ev(2, { kind: "tag.prepend", tag: tag(3) }),
      ev(3, { kind: "tag.prepend", tag: tag(4) }, 2),
      ev(4, { kind: "tag.copy", from: tag(4), to: tag(5) }, 1),
      ev(5, { kind: "tag.delete", tag: tag(1) }),
      ev(6, { kind: "tag.unlink", tag: tag(2) }),
      ev(7, { kind: "tag.deleteChain", deleted: [tag(3)] }),
      ev(8, { kind: "mbuf.free", reason: "done" }, 1),
    ]);
    expect([1, 2, 3, 4, 5].map((u) => byUid.get(u)!.endReason)).toEqual(["deleted", "unlinked", "deleted-chain", null, "freed"]);
    expect(byUid.get(5)!.start).toBe(4);
  });

  it("tracks flags consulted stale until they are set or cleared again", () => {
    const lanes = computeTagLanes([
      ev(0, { kind: "flag.set", flags: ["DECRYPTED"] }),
      ev(5, {
        kind: "decision",
        check: "ipsec-in-reject",
        question: "",
        branch: "accept",
        consulted: [{ kind: "flag", flag: "DECRYPTED", set: true, stale: true }],
      }),
      ev(9, { kind: "flag.clear", flags: ["DECRYPTED"] }),
    ]);
    expect(isFlagStaleAt(lanes, 1, "DECRYPTED", 4)).toBe(false);
    expect(isFlagStaleAt(lanes, 1, "DECRYPTED", 5)).toBe(true);
    expect(isFlagStaleAt(lanes, 1, "DECRYPTED", 8)).toBe(true);
    expect(isFlagStaleAt(lanes, 1, "DECRYPTED", 9)).toBe(false);
    expect(isFlagStaleAt(lanes, 2, "DECRYPTED", 6)).toBe(false);
  });
});

describe("stale at a step", () => {
  const trace = traceOf("lo0-esp-ping");
  const lanes = tagLanes(trace);

  it("takes the packet version's word: stale from the loop back up lo0, before any decision consulted it", () => {
    const staleAt = indexOf(trace, (e) => e.packet >= 0 && (trace.packets.at(e.packet)!.staleTags ?? []).includes(1));
    const version = trace.packets.at(trace.events.at(staleAt)!.packet)!;
    expect(tagIsStale(lanes, version, 1, staleAt)).toBe(true);
    expect(isTagStaleAt(lanes, 1, staleAt)).toBe(false);
    const earlier = trace.packets.at(trace.events.at(staleAt - 1)!.packet)!;
    expect(tagIsStale(lanes, earlier, 1, staleAt - 1)).toBe(false);
  });

  it("keeps a consult's word for a tag no version lists (deleted at this step)", () => {
    const k = replyLoopCheck(trace);
    expect(tagIsStale(lanes, null, 1, k)).toBe(true);
    expect(tagIsStale(null, { staleTags: [7] }, 7, 0)).toBe(true);
    expect(tagIsStale(null, {}, 7, 0)).toBe(false);
  });

  it("does the same for m_flags", () => {
    const flagged = indexOf(trace, (e) => e.packet >= 0 && (trace.packets.at(e.packet)!.staleFlags ?? []).includes("DECRYPTED"));
    const e = trace.events.at(flagged)!;
    expect(flagIsStale(lanes, trace.packets.at(e.packet)!, e.chain, "DECRYPTED", flagged)).toBe(true);
    expect(flagIsStale(null, { staleFlags: [] }, e.chain, "DECRYPTED", flagged)).toBe(false);
  });
});
