/**
 * The store's shape: one zustand store made of five slices. State changes only through the
 * named actions declared here (style.md, "State changes only through named actions").
 */
import type { FixId, PersonalityId, Problem, ScenarioTrace, TraceComparison } from "../engine/index";
import type { RunProgress, TraceRunner } from "./engineClient";

/** Where the scenario comes from: a built-in by name, or a file / URL the user gave. */
export type ScenarioSource =
  | { readonly kind: "builtin"; readonly name: string }
  | {
      readonly kind: "custom";
      /** What to call it in the picker, e.g. the file name. */
      readonly label: string;
      /** The scenario as a value, or its JSON text. */
      readonly input: unknown;
    };

/** What one engine run is asked for. Undefined personality/fixes: the scenario's own. */
export interface RunConfig {
  readonly source: ScenarioSource;
  readonly personality?: PersonalityId;
  readonly fixes?: readonly FixId[];
  /** The heading of the problems report should this run fail (default: "Could not open <label>"). */
  readonly problemsTitle?: string;
  /**
   * Another run follows if this one fails (a link's fallback to the default scenario): with no
   * trace on screen yet, a failure leaves the app loading instead of showing "could not be run".
   */
  readonly fallbackFollows?: boolean;
  /** Leave the problems report up when this run succeeds (the fallback after a link that failed). */
  readonly keepProblems?: boolean;
}

/** After a new trace arrives: keep the same logical step, or start from the beginning. */
export type CursorPolicy = "keep" | "start";

/**
 * What became of a request to run the engine: its trace is on screen ("applied"), it failed and
 * the last good trace stayed ("failed"), a newer request overtook it ("superseded"), or there
 * was nothing to run ("unchanged": the toggle was already so, or the input never reached the engine).
 */
export type RunOutcome = "applied" | "failed" | "superseded" | "unchanged";

/** How the problems report reads: something could not be used, or a note about what was ignored. */
export type ProblemsTone = "error" | "note";

export interface ScenarioSlice {
  /** The scenario in use (or being loaded). */
  source: ScenarioSource;
  personality: PersonalityId;
  /** Fix toggles that are on, in FIX_IDS order. */
  fixes: readonly FixId[];
  /** Why the last scenario/URL/file could not be used; null when it could. */
  problems: readonly Problem[] | null;
  /** What the problems are about, e.g. "Could not open broken.json". */
  problemsTitle: string;
  problemsTone: ProblemsTone;
  /** A last line for the report, e.g. what is shown instead; null: the alert's own. */
  problemsFoot: string | null;

  /** Switch to a built-in scenario (its own personality and fixes). */
  selectScenario(name: string): Promise<RunOutcome>;
  /** Open a scenario value or JSON text from a file or a URL (its own personality and fixes). */
  openScenario(label: string, input: unknown): Promise<RunOutcome>;
  setPersonality(id: PersonalityId): Promise<RunOutcome>;
  setFix(id: FixId, on: boolean): Promise<RunOutcome>;
  toggleFix(id: FixId): Promise<RunOutcome>;
  /** Report input that never reached the engine (e.g. a file too large to read, a broken link). */
  reportProblems(title: string, problems: readonly Problem[], tone?: ProblemsTone, foot?: string): void;
  dismissProblems(): void;
}

export type TraceStatus = "idle" | "running" | "ready" | "error";

export interface TraceSlice {
  trace: ScenarioTrace | null;
  /**
   * How `trace` differs from the baseline run (the scenario's own personality, no fixes), and
   * where they first diverge; null when the run is the baseline (no fixes, its own kernel).
   */
  comparison: TraceComparison | null;
  status: TraceStatus;
  /** Set when there is no trace to show at all (status "error"). */
  error: string | null;
  /** Incremented per run; an answer for an older run is ignored. */
  requestSeq: number;
  /** How far the run under way has got, as the engine worker reports it; null before its first report and when none runs. */
  progress: RunProgress | null;

  /** Run the engine for `config`; on success replace the trace, on failure keep it and report. */
  runEngine(config: RunConfig, cursor: CursorPolicy): Promise<RunOutcome>;
  /** Stop the run under way (its runEngine resolves "failed"); the trace on screen stays and a note says "cancelled". */
  cancelRun(): void;
}

/** How the cursor last moved: one step (animate) or a jump (scrub, Home/End, next decision). */
export type MoveKind = "step" | "jump";

/** Steps `from`…`to` (0-based, inclusive) that playback keeps to, e.g. an embed's excerpt. */
export interface StepRange {
  readonly from: number;
  readonly to: number;
}

export interface PlaybackSlice {
  /** 0-based index into trace.events. */
  cursor: number;
  playing: boolean;
  /** Playback speed multiplier, one of SPEEDS. */
  speed: number;
  /** Play stops on a step where the audit found something, so a class sees it (a setting, on by default). */
  pauseAtFindings: boolean;
  lastMove: MoveKind;
  /** Where the cursor may go; null: the whole trace. */
  range: StepRange | null;

  seek(index: number, move?: MoveKind): void;
  stepForward(): void;
  stepBack(): void;
  jumpToStart(): void;
  jumpToEnd(): void;
  nextDecision(): void;
  prevDecision(): void;
  nextFinding(): void;
  prevFinding(): void;
  /** Jump to a finding's step. */
  goToFinding(step: number): void;
  /** Jump to the first step where this run and the baseline differ (when there is a comparison). */
  goToDivergence(): void;
  play(): void;
  pause(): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  setPauseAtFindings(on: boolean): void;
  /** One tick of playback: advance a step, stopping at the end. */
  tick(): void;
  /** Keep the cursor within `range` (clamped to the trace; null lifts it), moving it inside if needed. */
  setRange(range: StepRange | null): void;
}

/** What the pointer is over (transient; lights up the matching parts elsewhere). */
export type Hover =
  | { readonly kind: "field"; readonly key: string }
  | { readonly kind: "byte"; readonly offset: number }
  /** A struct member of a key-management message (KeyMessagePanel): bytes [start, end). */
  | { readonly kind: "range"; readonly start: number; readonly end: number }
  | { readonly kind: "tag"; readonly uid: number }
  | null;

export interface SelectionSlice {
  /** A header field, keyed `${header}#${nth}.${field}` (e.g. "ipv4#0.ttl"): stable across steps. */
  selectedField: string | null;
  /** A tag instance by uid. */
  selectedTag: number | null;
  /** A pinned packet version id for the inspector; null follows the cursor. */
  selectedPacket: number | null;
  hover: Hover;

  selectField(key: string | null): void;
  selectTag(uid: number | null): void;
  pinPacket(versionId: number | null): void;
  setHover(hover: Hover): void;
  clearSelection(): void;
}

export type RightTab = "inspector" | "fixes";
export type InspectorTab = "packet" | "mbufs" | "tags";
export type ThemeChoice = "system" | "light" | "dark";

export interface ViewSliceState {
  rightTab: RightTab;
  inspectorTab: InspectorTab;
  lanesOpen: boolean;
  /** Inspector shows the ESP payload decrypted. */
  decrypted: boolean;
  theme: ThemeChoice;
}

export interface ViewSlice extends ViewSliceState {
  setRightTab(tab: RightTab): void;
  setInspectorTab(tab: InspectorTab): void;
  setLanesOpen(open: boolean): void;
  setDecrypted(on: boolean): void;
  setTheme(theme: ThemeChoice): void;
  /** system → light → dark → system. */
  cycleTheme(): void;
  /** Restore a serialised view (from a share URL); unknown or invalid parts are ignored. */
  applyViewState(view: Partial<ViewState>): void;
}

/** The serialisable part of the view (selectViewState). */
export interface ViewState extends ViewSliceState {
  readonly selectedField: string | null;
  readonly selectedTag: number | null;
  readonly selectedPacket: number | null;
}

export type TagflowState = ScenarioSlice & TraceSlice & PlaybackSlice & SelectionSlice & ViewSlice;

/** What the store needs from outside: the engine runner (a fake in tests), and how to stop its run under way. */
export interface StoreDeps {
  readonly runTrace: TraceRunner;
  /** Make the run under way resolve as cancelled (engineClient's cancel); absent: runs cannot be cancelled. */
  readonly cancelRun?: () => void;
}
