/**
 * What a stop shows: the kernel state in force there (the lesson's own, overridden by each
 * earlier stop's `state` in turn, so opening a link at stop 5 gives what walking 1→5 gives) and
 * the share state — scenario, personality, fixes, step key — that puts the app at the stop.
 */
import { FIX_IDS, isPersonalityId, logicalIndex, type FixId, type PersonalityId, type Trace } from "../engine/index";
import { builtinInfo } from "../store/builtinCatalog";
import { builtinState, DEFAULT_VIEW, type ShareState } from "../share/codec";
import type { Lesson } from "./schema";

/** Personality and fixes in force at stop `index`; null: the scenario's own. */
export function stateAtStop(lesson: Lesson, index: number): { personality: PersonalityId | null; fixes: readonly FixId[] | null } {
  let personality: PersonalityId | null = lesson.personality ?? null;
  let fixes: readonly FixId[] | null = lesson.fixes ?? null;
  const last = Math.min(index, lesson.stops.length - 1);
  for (let i = 0; i <= last; i++) {
    const s = lesson.stops[i]!.state;
    if (s?.personality) personality = s.personality;
    if (s?.fixes) fixes = s.fixes;
  }
  return { personality, fixes };
}

/** The share state of stop `index`: applying it (share/state.ts applyShareState) shows the stop. */
export function stopShareState(lesson: Lesson, index: number): ShareState {
  const { personality, fixes } = stateAtStop(lesson, index);
  const key = lesson.stops[Math.min(index, lesson.stops.length - 1)]?.key ?? null;
  const cursor = { seq: 0, key };
  if (typeof lesson.scenario === "string") {
    const base = builtinState(lesson.scenario);
    const own = builtinInfo(lesson.scenario)?.personality;
    return {
      ...base,
      personality: personality ?? (own !== undefined && isPersonalityId(own) ? own : base.personality),
      fixes: fixes ? FIX_IDS.filter((id) => fixes.includes(id)) : base.fixes,
      cursor,
    };
  }
  return { scenario: { kind: "custom", json: JSON.stringify(lesson.scenario) }, personality, fixes, cursor, view: DEFAULT_VIEW };
}

/** The step (0-based) of a stop's key in `trace`, or null when this run has no such step. */
export function stopSeq(trace: Pick<Trace, "events">, key: string): number | null {
  return logicalIndex(trace).seqOf.get(key) ?? null;
}
