/**
 * Between the store and a share link: what of the store a link holds (shareStateOf), and putting
 * a decoded link back into the store (applyShareState). No DOM: the store tests drive it in Node.
 */
import type { StoreApi } from "zustand/vanilla";
import { logicalKeyAt, seqOfLogicalKey } from "../store/logicalStep";
import { selectViewState } from "../store/selectors";
import { tagLanes } from "../store/tagLanes";
import type { RunOutcome, TagflowState } from "../store/types";
import type { SharedScenario, ShareState, ShareView } from "./codec";

const customJson = new WeakMap<object, string>();

/** The scenario the store shows, as a link names it; custom scenarios as the JSON the engine ran. */
function sharedScenario(s: TagflowState): SharedScenario {
  if (s.source.kind === "builtin") return { kind: "builtin", name: s.source.name };
  const input = s.source.input;
  if (typeof input === "string") return { kind: "custom", json: input };
  let json = typeof input === "object" && input !== null ? customJson.get(input) : undefined;
  if (json === undefined) {
    json = JSON.stringify(input);
    if (typeof input === "object" && input !== null) customJson.set(input, json);
  }
  return { kind: "custom", json };
}

/**
 * What a link made now would hold, or null while there is nothing settled to share (no trace yet,
 * or a run under way: the toggles already show the request, the trace does not).
 */
export function shareStateOf(s: TagflowState): ShareState | null {
  if (!s.trace || s.status === "running") return null;
  const scenario = sharedScenario(s);
  const view = selectViewState(s);
  const key = s.cursor > 0 ? (logicalKeyAt(s.trace, s.cursor) ?? null) : null;
  return {
    scenario,
    // A custom scenario is the normalised scenario that ran: its personality and fixes are in it.
    personality: scenario.kind === "builtin" ? s.personality : null,
    fixes: scenario.kind === "builtin" ? [...s.fixes] : null,
    cursor: { seq: s.cursor, key },
    view: {
      tab: view.rightTab === "fixes" ? "fixes" : view.inspectorTab,
      tag: view.selectedTag,
      field: view.selectedField,
      pin: view.selectedPacket,
      lanes: view.lanesOpen,
      decrypted: view.decrypted,
    } satisfies ShareView,
  };
}

/** The label a scenario from a link goes by in the picker: its name when it has a sensible one. */
export function sharedLabel(json: string): string {
  const m = /"name"\s*:\s*"([a-z][a-z0-9-]{0,63})"/.exec(json.slice(0, 4096));
  return m ? `${m[1]} (from a link)` : "scenario from a link";
}

export interface ApplyOptions {
  /** Run the engine even when the store already shows this scenario (default: only when it differs). */
  readonly force?: boolean;
  /** Heading of the problems report if the link's scenario cannot be run. */
  readonly problemsTitle?: string;
  /** A fallback run follows a failure (see RunConfig.fallbackFollows). */
  readonly fallbackFollows?: boolean;
  /** Leave the problems report up when the run succeeds (see RunConfig.keepProblems). */
  readonly keepProblems?: boolean;
}

/**
 * Put `state` into the store: run its scenario (unless the store already shows exactly that run),
 * then move to its step — by logical key when the key still exists, else by number, clamped — and
 * restore its view. Resolves with the run's outcome; cursor and view are applied only when the
 * link's trace is the one on screen ("applied" or "unchanged").
 */
export async function applyShareState(store: StoreApi<TagflowState>, state: ShareState, options: ApplyOptions = {}): Promise<RunOutcome> {
  const st = store.getState();
  const current = shareStateOf(st);
  const same = current !== null && !options.force && sameRun(current, state);
  let outcome: RunOutcome = "unchanged";
  if (!same) {
    const sc = state.scenario;
    outcome = await st.runEngine(
      {
        source: sc.kind === "builtin" ? { kind: "builtin", name: sc.name } : { kind: "custom", label: sharedLabel(sc.json), input: sc.json },
        ...(state.personality ? { personality: state.personality } : {}),
        ...(state.fixes ? { fixes: state.fixes } : {}),
        ...(options.problemsTitle !== undefined ? { problemsTitle: options.problemsTitle } : {}),
        ...(options.fallbackFollows ? { fallbackFollows: true } : {}),
        ...(options.keepProblems ? { keepProblems: true } : {}),
      },
      "start",
    );
    if (outcome !== "applied") return outcome;
  }
  applyCursorAndView(store, state);
  return outcome;
}

function sameRun(a: ShareState, b: ShareState): boolean {
  if (a.scenario.kind !== b.scenario.kind) return false;
  if (a.scenario.kind === "builtin" && b.scenario.kind === "builtin" && a.scenario.name !== b.scenario.name) return false;
  if (a.scenario.kind === "custom" && b.scenario.kind === "custom") {
    // A link's JSON and the normalised scenario the store keeps differ in form; overrides are what count.
    if (a.scenario.json !== b.scenario.json) return false;
  }
  const sameFixes = (x: readonly string[] | null, y: readonly string[] | null) => (x ?? []).join(",") === (y ?? []).join(",");
  return (b.personality === null || a.personality === b.personality) && (b.fixes === null || sameFixes(a.fixes, b.fixes));
}

/** Step and view of `state` on the trace the store holds now. */
export function applyCursorAndView(store: StoreApi<TagflowState>, state: ShareState): void {
  const st = store.getState();
  const trace = st.trace;
  if (!trace) return;
  const n = trace.events.length;
  const byKey = state.cursor.key !== null ? seqOfLogicalKey(trace, state.cursor.key) : undefined;
  const seq = byKey ?? Math.min(Math.max(0, n - 1), state.cursor.seq);
  st.pause();
  st.seek(seq, "jump");
  const v = state.view;
  const lanes = tagLanes(trace);
  st.applyViewState({
    rightTab: v.tab === "fixes" ? "fixes" : "inspector",
    ...(v.tab === "fixes" ? {} : { inspectorTab: v.tab }),
    lanesOpen: v.lanes,
    decrypted: v.decrypted,
    // A selection that names nothing in this trace is dropped, as a step beyond the end is clamped.
    selectedTag: v.tag !== null && lanes.byUid.has(v.tag) ? v.tag : null,
    selectedField: v.field,
    selectedPacket: v.pin !== null && v.pin < trace.packets.length ? v.pin : null,
  });
}
