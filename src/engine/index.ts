/**
 * The engine's public surface: everything outside src/engine imports from here.
 *
 * A tour: a scenario (scenario/) is validated and run by runScenario (sim/run.ts), which builds
 * hosts (sim/world.ts) and drives packets through the layers named after their kernel
 * counterparts — netinet/ (ip_output, ip_input, icmp, raw sockets, ping), net/ (lo0, links),
 * netipsec/ (SPD/SAD, ESP/AH, the crypto queue) — over mbuf chains and m_tags (mbuf/), with real
 * cryptography (crypto/) on real wire formats (wire/). Every step is recorded (trace/), and the
 * audit (audit/) turns the trace into findings and a verdict.
 */
export { runScenario, type ScenarioTrace } from "./sim/run";
export { loadScenario, loadScenarioJson, type LoadResult } from "./scenario/validate";
export { DEFAULT_MAX_EVENTS, INPUT_LIMITS, LIMITS, nestingDepth, TRACE_MEMORY, traceMemoryBound } from "./scenario/limits";
export { SCENARIO_VERSION, type Scenario, type ScenarioInput, type Problem } from "./scenario/schema";
export { BUILTIN_SCENARIOS, DEFAULT_SCENARIO, builtinByName } from "./scenario/builtins";
export {
  PERSONALITIES,
  PERSONALITY_IDS,
  FIXES,
  FIX_IDS,
  isFixId,
  isPersonalityId,
  fixesFor,
  isLinux,
  type FixId,
  type PersonalityId,
  type Personality,
  type Fix,
  type Behaviour,
} from "./kernels/personality";
export { STONE_CAVEATS, STONE_STEPS, STORIES, storyOf, type StoryDef, type StoryId } from "./audit/story";
export {
  compareTraces,
  alignTraces,
  alignedStepOf,
  ALIGN_MAX_EVENTS,
  type TraceComparison,
  type EventSummary,
  type Alignment,
  type AlignKind,
  type AlignedStep,
  type DecisionDelta,
  type Divergence,
} from "./audit/compare";
export { baselineOf, type Baseline } from "./audit/baseline";
export { outcomeTallies, type Tally } from "./audit/tally";
export { linuxUnmodelled } from "./linux/run";
export * from "./trace/events";
export {
  KINDS,
  KIND_IDS,
  CHECK_NAMES,
  signatureOf,
  clauseOf,
  stepSentence,
  marksOf,
  type Clause,
  type Column,
  type KindSpec,
  type MarkEffect,
} from "./trace/kinds";
export {
  EventTable,
  PacketTable,
  asTables,
  chainAt,
  fromColumns,
  kindAt,
  scanAt,
  traceColumns,
  type EventList,
  type PacketList,
  type RowList,
  type TraceColumns,
} from "./trace/store";
export * from "./trace/hdrs";
export * from "./trace/lanes";
export {
  eventMeaning,
  eventSignature,
  logicalIndex,
  logicalKeyAt,
  logicalKeys,
  mapCursor,
  seqOfLogicalKey,
  type LogicalIndex,
} from "./trace/logical";
export { dissect, dissectAt, dissectHeader, summarize, type HeaderSpan, type FieldSpan } from "./wire/dissect";
export { fromHex, toHex, formatIpv4Addr, parseIpv4Addr } from "./wire/fields";
// The packet card's TCP band (issue 12) reads a segment's header with the engine's own decoder.
export { flagNames as tcpFlagNames, parseTcp, TH, type TcpRepr } from "./netinet/tcp";
export { ENC_ALGS, AUTH_ALGS, encAlg, authAlg, type EncAlgId, type AuthAlgId } from "./crypto/registry";
// Seed 004: the key-management messages (XFRM netlink, PF_KEY v2) and their `ip xfrm monitor` / setkey text.
export { parseXfrm, xfrmMonitorText, xfrmSummary, NETLINK_XFRM } from "./wire/xfrm_nl";
export { parsePfkey, pfkeySummary, setkeyText } from "./wire/pfkey";
// Issue 15: key messages as field rows (struct, member, offset, value) for the inspector.
export { xfrmFieldRows, type KeyFieldRow } from "./wire/xfrm_nl";
export { pfkeyFieldRows, type SockaddrFlavour } from "./wire/pfkey";
export { pfkeyFlavourOf } from "./keying/pluto";
