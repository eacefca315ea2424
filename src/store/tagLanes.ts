/**
 * Tag lanes and staleness for the UI: defined once, by the engine (src/engine/trace/lanes.ts);
 * this module only re-exports them so the store, the views and the share links import one name.
 */
export {
  computeTagLanes,
  flagIsStale,
  isFlagStaleAt,
  isTagStaleAt,
  tagIsStale,
  tagLanes,
  type LaneConsult,
  type LaneEnd,
  type StaleInterval,
  type TagLane,
  type TagLanes,
} from "../engine/index";
