/**
 * The editor's own store: the draft and its undo history, the engine validator's problems for
 * the draft, and the debounced run. Every change validates at once (loadScenario, the engine's
 * own checks with their JSON paths); a draft without problems is run ~400 ms after the last edit
 * through the app store's runEngine, the same path a file or a link takes — a newer run
 * supersedes an older one there (requestSeq), and an invalid draft is never sent, so the last
 * good run stays on screen.
 */
import { useStore } from "zustand";
import { createStore, type StoreApi } from "zustand/vanilla";
import { builtinByName, loadScenario, type Problem } from "../../engine/index";
import type { RunOutcome, TagflowState } from "../../store/index";
import type { Draft } from "./draft";
import { record, redo, startHistory, undo, type History } from "./history";

/** How long after the last edit the run starts. */
export const RUN_DEBOUNCE_MS = 400;

/** Where the edited draft's run stands. */
export type EditorRunState =
  /** Nothing edited since the editor opened: the run on screen is the scenario's own. */
  | "idle"
  /** Edited and valid: the run starts when the typing stops. */
  | "waiting"
  | "running"
  /** The run of the current draft is on screen. */
  | "applied"
  /** The draft has problems: not run, the last good run stays. */
  | "invalid"
  /** The engine could not run a valid draft (its problems are in the app's report). */
  | "failed";

export interface EditorState {
  /** The history of drafts; `history.present` is the draft on screen. */
  history: History<Draft> | null;
  /** The validator's problems for the present draft (empty: it would run). */
  problems: readonly Problem[];
  run: EditorRunState;
  /** A place the form should bring into view (topology click, a problem in the summary); seq makes a repeat click count. */
  focus: { readonly path: string; readonly seq: number } | null;
  /** The host the topology has selected (the one "add host" links to). */
  selectedHost: number;

  /** Start editing `draft` (a fresh history). */
  load(draft: Draft): void;
  /** Replace the draft; `key` names the field for coalescing typing (null: its own undo step). */
  edit(next: Draft, key?: string | null): void;
  undo(): void;
  redo(): void;
  /** Bring `path` into view. */
  navigate(path: string): void;
  selectHost(index: number): void;
  /** Stop the pending run and forget the draft (the editor closed). */
  close(): void;
  /** Follow a run the editor did not ask for (a built-in picked, a file opened, a toggle in the header). */
  follow(app: TagflowState): void;
}

/** What the editor store needs from outside: the app store it runs through, and a clock. */
export interface EditorDeps {
  readonly app: StoreApi<TagflowState>;
  readonly now?: () => number;
}

/** The label of a run from the editor, in the scenario picker (and the app's problem report). */
export function editedLabel(draft: Draft): string {
  return `${typeof draft.name === "string" && draft.name ? draft.name : "scenario"} (edited)`;
}

/**
 * The scenario the app shows, as a draft: a built-in as written (its defaults left out) with the
 * header's kernel and fixes, a custom scenario as the normalised scenario that ran.
 */
export function draftFromApp(app: TagflowState): Draft | null {
  const { source } = app;
  if (source.kind === "builtin") {
    const input = builtinByName(source.name);
    if (!input) return null;
    const draft = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
    const own = (input.personality ?? "netbsd-2003") === app.personality;
    const sameFixes = JSON.stringify([...(input.fixes ?? [])].sort()) === JSON.stringify([...app.fixes].sort());
    if (!own) draft.personality = app.personality;
    if (!sameFixes) draft.fixes = [...app.fixes];
    return draft;
  }
  const input = source.input;
  if (typeof input === "string") {
    try {
      const parsed: unknown = JSON.parse(input);
      return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Draft) : null;
    } catch {
      return null;
    }
  }
  return input !== null && typeof input === "object" && !Array.isArray(input) ? (JSON.parse(JSON.stringify(input)) as Draft) : null;
}

function problemsOf(draft: Draft): readonly Problem[] {
  const result = loadScenario(draft);
  return result.ok ? [] : result.problems;
}

export function createEditorStore({ app, now = () => performance.now() }: EditorDeps): StoreApi<EditorState> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** The app store's requestSeq of the editor's last run, to tell its own runs from others. */
  let ownSeq = -1;
  /** The source object the editor last saw applied (its own run's, or one it followed). */
  let seenSource: unknown = app.getState().source;
  let seenTrace: unknown = app.getState().trace;
  let focusSeq = 0;

  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  return createStore<EditorState>()((set, get) => {
    const startRun = (draft: Draft) => {
      timer = null;
      set({ run: "running" });
      const promise: Promise<RunOutcome> = app
        .getState()
        .runEngine(
          { source: { kind: "custom", label: editedLabel(draft), input: draft }, problemsTitle: "The edited scenario could not be run" },
          "keep",
        );
      // runEngine bumps requestSeq synchronously, before its first await.
      ownSeq = app.getState().requestSeq;
      void promise.then((outcome) => {
        if (get().history?.present !== draft) return;
        if (outcome === "applied") {
          seenSource = app.getState().source;
          seenTrace = app.getState().trace;
          set({ run: "applied" });
        } else if (outcome === "failed") set({ run: "failed" });
      });
    };

    /** After every change of the present draft: validate now, run later. */
    const changed = (draft: Draft, run: boolean) => {
      cancel();
      const problems = problemsOf(draft);
      if (!run) return set({ problems });
      if (problems.length > 0) return set({ problems, run: "invalid" });
      set({ problems, run: "waiting" });
      timer = setTimeout(() => startRun(draft), RUN_DEBOUNCE_MS);
    };

    return {
      history: null,
      problems: [],
      run: "idle",
      focus: null,
      selectedHost: 0,

      load: (draft) => {
        cancel();
        seenSource = app.getState().source;
        seenTrace = app.getState().trace;
        set({ history: startHistory(draft), run: "idle", selectedHost: 0, focus: null });
        changed(draft, false);
      },

      edit: (next, key = null) => {
        const h = get().history;
        if (!h || Object.is(next, h.present)) return;
        set({ history: record(h, next, key, now()) });
        changed(next, true);
      },

      undo: () => {
        const h = get().history;
        if (!h || h.past.length === 0) return;
        const next = undo(h);
        set({ history: next });
        changed(next.present, true);
      },

      redo: () => {
        const h = get().history;
        if (!h || h.future.length === 0) return;
        const next = redo(h);
        set({ history: next });
        changed(next.present, true);
      },

      navigate: (path) => set({ focus: { path, seq: ++focusSeq } }),
      selectHost: (selectedHost) => set({ selectedHost }),

      close: () => {
        cancel();
        set({ history: null, problems: [], run: "idle", focus: null });
      },

      follow: (s) => {
        const h = get().history;
        if (!h || s.status !== "ready" || (s.source === seenSource && s.trace === seenTrace)) return;
        const mine = s.requestSeq === ownSeq;
        seenSource = s.source;
        seenTrace = s.trace;
        if (mine) return;
        // Someone else's run: the header's picker, kernel or a fix, a file, a link. The editor
        // takes it as an edit of its own (one undo step back to the draft before), not re-run.
        const draft = draftFromApp(s);
        if (!draft) return;
        cancel();
        set({ history: record(h, draft, null, now()), run: "applied" });
        changed(draft, false);
      },
    };
  });
}

let shared: { store: StoreApi<EditorState>; unsubscribe: () => void } | null = null;

/** The app's editor store, following the app store; made on first use. */
export function editorStoreFor(app: StoreApi<TagflowState>): StoreApi<EditorState> {
  if (!shared) {
    const store = createEditorStore({ app });
    const unsubscribe = app.subscribe((s) => store.getState().follow(s));
    shared = { store, unsubscribe };
  }
  return shared.store;
}

/** Read an editor store in a component. */
export function useEditor<T>(store: StoreApi<EditorState>, selector: (s: EditorState) => T): T {
  return useStore(store, selector);
}
