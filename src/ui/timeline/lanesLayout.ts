/**
 * Tag lanes as a Gantt strip: one row per tag instance, a bar from prepend to delete (or to the
 * end, with an arrow, when it outlives the trace), consult marks on it, and the stretch after
 * it was first consulted stale drawn as stale. Rows are laid out on demand for the visible
 * window only, so a trace with thousands of tags costs what is on screen.
 */
import type { LinearScale } from "../linearScale";
import type { TagLane } from "../../store/tagLanes";
import { tagShortName, tagSwatch } from "../palette";

export interface LaneRow {
  readonly uid: number;
  readonly index: number;
  readonly y: number;
  readonly label: string;
  readonly fill: string;
  readonly text: string;
  readonly x0: number;
  readonly x1: number;
  /** Alive at the end of the trace. */
  readonly aliveAtEnd: boolean;
  /** x where it was first consulted stale, or null. */
  readonly staleX: number | null;
  readonly consults: readonly { readonly x: number; readonly seq: number; readonly stale: boolean }[];
  readonly description: string;
}

/** Indices [first, last] of the rows to render for a scroll position, with `overscan` rows either side. */
export function visibleRange(total: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 3): { first: number; last: number } {
  if (total === 0 || rowHeight <= 0) return { first: 0, last: -1 };
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(total - 1, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { first, last };
}

const END_REASON: Readonly<Record<string, string>> = {
  deleted: "m_tag_delete",
  "deleted-chain": "m_tag_delete_chain",
  "deleted-nonpersistent": "m_tag_delete_nonpersistent",
  unlinked: "m_tag_unlink",
  retyped: "m_tag_id changed in place",
  freed: "freed with its chain",
};

/** Geometry of lane `index` on the shared step scale. */
export function layoutLaneRow(lane: TagLane, index: number, x: LinearScale, count: number, rowHeight: number): LaneRow {
  const sw = tagSwatch(lane.tag.name);
  const aliveAtEnd = lane.end === null;
  const x0 = x(lane.start);
  const x1 = Math.max(x0 + 3, x(lane.end ?? Math.max(0, count - 1)));
  const ended = lane.end === null ? "still alive at the end" : `to step ${lane.end + 1} (${END_REASON[lane.endReason ?? ""] ?? lane.endReason})`;
  const stale = lane.staleFrom === null ? "" : `; consulted while stale at step ${lane.staleFrom + 1}`;
  return {
    uid: lane.uid,
    index,
    y: index * rowHeight,
    label: `${tagShortName(lane.tag.name)} #${lane.uid}`,
    fill: sw.fill,
    text: sw.text,
    x0,
    x1,
    aliveAtEnd,
    staleX: lane.staleFrom === null ? null : x(lane.staleFrom),
    consults: lane.consults.map((c) => ({ x: x(c.seq), seq: c.seq, stale: c.stale })),
    description: `${lane.tag.name} #${lane.uid} on ${lane.host}: from step ${lane.start + 1} ${ended}${stale}`,
  };
}

/** The first lane alive at step `seq`, or -1: the lanes view scrolls to it when none is visible. */
export function firstLaneAt(lanes: readonly TagLane[], seq: number): number {
  return lanes.findIndex((l) => l.start <= seq && (l.end === null || seq <= l.end));
}
