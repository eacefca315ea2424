/**
 * Logical step identity for the store and share links: defined once, by the engine
 * (src/engine/trace/logical.ts), re-exported here.
 */
export { eventSignature, logicalIndex, logicalKeyAt, logicalKeys, mapCursor, seqOfLogicalKey, type LogicalIndex } from "../engine/index";
