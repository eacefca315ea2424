/**
 * Tag lanes and staleness — the one definition (design.md, "Trace": staleness and tag lifetimes
 * are defined once, in the engine). The UI, the share links and the exports read these.
 *
 * Tag lifetimes, read off a trace: one lane per m_tag instance (uid) from the step it was
 * prepended (or copied onto a packet) to the step it was deleted, unlinked or freed with its
 * chain — or still alive at the end. Decisions that consulted a tag are marked on its lane,
 * and one that consulted it after it went stale (the engine says so) marks it stale from then.
 *
 * m_flags get the same treatment as stale intervals per chain, so a badge can say "stale".
 */
import type { EventKind, MFlag, PacketVersion, TagView, Trace, TraceEvent } from "./events";
import { KIND_IDS, KINDS, marksOf, type TagEnd } from "./kinds";
import { chainAt, kindAt, scanAt, type EventList } from "./store";

/** The kinds whose kinds.ts entry says what they do to tags and flags: only their events are materialised. */
const MARKING: ReadonlySet<EventKind> = new Set(KIND_IDS.filter((k) => KINDS[k].marks !== undefined));

/** How a lane ended: a tag verb's end (kinds.ts marks), or freed with its chain. */
export type LaneEnd = TagEnd | "freed";

/** One consult of a tag: a decision (or m_tag_find) that looked at it. */
export interface LaneConsult {
  readonly seq: number;
  /** The decision's check, or "find" for m_tag_find. */
  readonly check: string;
  readonly stale: boolean;
}

/** One tag instance's life. */
export interface TagLane {
  readonly uid: number;
  readonly tag: TagView;
  readonly chain: number;
  readonly host: string;
  /** Seq of the step it was put on a packet. */
  readonly start: number;
  /** Seq of the step it went away, or null when it is still alive at the end of the trace. */
  readonly end: number | null;
  readonly endReason: LaneEnd | null;
  readonly consults: readonly LaneConsult[];
  /** First step that consulted it while stale, or null. */
  readonly staleFrom: number | null;
}

/** An interval in which a flag on a chain is known stale (a decision consulted it as stale). */
export interface StaleInterval {
  readonly from: number;
  /** Exclusive; null = to the end. */
  readonly to: number | null;
}

export interface TagLanes {
  readonly lanes: readonly TagLane[];
  readonly byUid: ReadonlyMap<number, TagLane>;
  /** Key `${chain}:${flag}`. */
  readonly staleFlags: ReadonlyMap<string, readonly StaleInterval[]>;
}

interface MutableLane {
  uid: number;
  tag: TagView;
  chain: number;
  host: string;
  start: number;
  end: number | null;
  endReason: LaneEnd | null;
  consults: LaneConsult[];
  staleFrom: number | null;
}

/** Compute every tag lane and stale-flag interval of a trace in one pass. */
export function computeTagLanes(events: EventList): TagLanes {
  const lanes: MutableLane[] = [];
  const byUid = new Map<number, MutableLane>();
  const liveByChain = new Map<number, Set<number>>();
  const staleFlags = new Map<string, { from: number; to: number | null }[]>();
  /** The flags each chain has stale intervals for, so a chain's free closes its own, not a scan of every key. */
  const flagsOfChain = new Map<number, MFlag[]>();

  const start = (tag: TagView, e: TraceEvent) => {
    if (byUid.has(tag.uid)) return;
    const lane: MutableLane = {
      uid: tag.uid,
      tag,
      chain: e.chain,
      host: e.host,
      start: e.seq,
      end: null,
      endReason: null,
      consults: [],
      staleFrom: null,
    };
    lanes.push(lane);
    byUid.set(tag.uid, lane);
    let live = liveByChain.get(e.chain);
    if (!live) liveByChain.set(e.chain, (live = new Set()));
    live.add(tag.uid);
  };
  const end = (uid: number, seq: number, reason: LaneEnd) => {
    const lane = byUid.get(uid);
    if (!lane || lane.end !== null) return;
    lane.end = seq;
    lane.endReason = reason;
    liveByChain.get(lane.chain)?.delete(uid);
  };
  const consult = (uid: number, seq: number, check: string, stale: boolean) => {
    const lane = byUid.get(uid);
    if (!lane) return;
    lane.consults.push({ seq, check, stale });
    if (stale && lane.staleFrom === null) lane.staleFrom = seq;
  };
  const closeFlag = (chain: number, flag: MFlag, seq: number) => {
    const intervals = staleFlags.get(`${chain}:${flag}`);
    const last = intervals?.[intervals.length - 1];
    if (last && last.to === null) last.to = seq;
  };

  // A million-step trace (issue 11): kinds are read from their column, and only the events that
  // mark tags or flags (or free a chain) are materialised.
  for (let i = 0; i < events.length; i++) {
    const kind = kindAt(events, i);
    if (kind === "mbuf.free") {
      // The chain's free ends every tag still on it: state only this walk knows, not the event.
      const chain = chainAt(events, i);
      for (const uid of [...(liveByChain.get(chain) ?? [])]) end(uid, i, "freed");
      for (const flag of flagsOfChain.get(chain) ?? []) closeFlag(chain, flag, i);
      continue;
    }
    if (!MARKING.has(kind)) continue;
    const e = scanAt(events, i);
    const marks = marksOf(e);
    for (const t of marks.enter ?? []) start(t, e);
    for (const t of marks.leave ?? []) end(t.uid, e.seq, marks.end ?? "deleted");
    for (const f of marks.flagsSet ?? []) closeFlag(e.chain, f, e.seq);
    for (const f of marks.flagsCleared ?? []) closeFlag(e.chain, f, e.seq);
    for (const c of marks.consult ?? []) {
      if (c.kind === "tag") consult(c.tag.uid, e.seq, c.check, c.stale);
      else if (c.stale) {
        const k = `${e.chain}:${c.flag}`;
        let intervals = staleFlags.get(k);
        if (!intervals) {
          staleFlags.set(k, (intervals = []));
          const flags = flagsOfChain.get(e.chain);
          if (flags) flags.push(c.flag);
          else flagsOfChain.set(e.chain, [c.flag]);
        }
        const last = intervals[intervals.length - 1];
        if (!last || last.to !== null) intervals.push({ from: e.seq, to: null });
      }
    }
  }
  return { lanes, byUid, staleFlags };
}

const cache = new WeakMap<object, TagLanes>();

/** Tag lanes of a trace, computed by the engine once per trace, when first asked for (not stored in it, nor in its JSON). */
export function tagLanes(trace: Pick<Trace, "events">): TagLanes {
  let lanes = cache.get(trace);
  if (!lanes) {
    lanes = computeTagLanes(trace.events);
    cache.set(trace, lanes);
  }
  return lanes;
}

/** Is the tag known to be stale at step `seq` (a decision at or before it consulted it as stale)? */
export function isTagStaleAt(lanes: TagLanes, uid: number, seq: number): boolean {
  const lane = lanes.byUid.get(uid);
  return lane !== undefined && lane.staleFrom !== null && seq >= lane.staleFrom;
}

/** Is the flag on this chain known to be stale at step `seq`? */
export function isFlagStaleAt(lanes: TagLanes, chain: number, flag: MFlag, seq: number): boolean {
  const intervals = lanes.staleFlags.get(`${chain}:${flag}`);
  if (!intervals) return false;
  return intervals.some((i) => seq >= i.from && (i.to === null || seq < i.to));
}

/**
 * Is the tag stale at step `seq`, on a packet whose version there is `version`: the engine lists
 * it in the version's `staleTags` (set before the packet last turned around), or a decision at or
 * before `seq` consulted it as stale (which also covers a tag deleted at this very step).
 */
export function tagIsStale(lanes: TagLanes | null, version: Pick<PacketVersion, "staleTags"> | null, uid: number, seq: number): boolean {
  return (version?.staleTags?.includes(uid) ?? false) || (lanes !== null && isTagStaleAt(lanes, uid, seq));
}

/** The same for an m_flag of chain `chain`: listed in the version's `staleFlags`, or consulted as stale. */
export function flagIsStale(
  lanes: TagLanes | null,
  version: Pick<PacketVersion, "staleFlags"> | null,
  chain: number,
  flag: MFlag,
  seq: number,
): boolean {
  return (version?.staleFlags?.includes(flag) ?? false) || (lanes !== null && isFlagStaleAt(lanes, chain, flag, seq));
}
