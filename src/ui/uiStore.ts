/**
 * Screen-only state that never goes into a link: the help overlay, Present mode, the story card,
 * the end-of-run recap and the shared-view notice. Kept apart from the app store so share links and the engine
 * never see it.
 */
import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";

export interface UiState {
  /** The `?` overlay of keys and legend. */
  helpOpen: boolean;
  /** Present mode: chrome hidden, stack, callout and narration scaled for a room. */
  present: boolean;
  /** The story card at step 1 was closed (or the viewer moved on). */
  storyDismissed: boolean;
  /** The page was opened from a link that named a step: what it named, until dismissed. */
  sharedNotice: { step: number; fixes: readonly string[] } | null;
  /** The narrow-screen header menu. */
  menuOpen: boolean;
  /** The trace whose end-of-run recap was closed (the recap comes back for a new run). */
  recapClosedFor: object | null;
  setHelpOpen(open: boolean): void;
  togglePresent(): void;
  dismissStory(): void;
  setSharedNotice(notice: UiState["sharedNotice"]): void;
  setMenuOpen(open: boolean): void;
  closeRecap(trace: object): void;
  /** The scenario editor is open in place of the right column (issue 18). */
  editorOpen: boolean;
  setEditorOpen(open: boolean): void;
}

export const uiStore = createStore<UiState>()((set) => ({
  helpOpen: false,
  present: false,
  storyDismissed: false,
  sharedNotice: null,
  menuOpen: false,
  recapClosedFor: null,
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  togglePresent: () => set((s) => ({ present: !s.present })),
  dismissStory: () => set({ storyDismissed: true }),
  setSharedNotice: (sharedNotice) => set({ sharedNotice }),
  setMenuOpen: (menuOpen) => set({ menuOpen }),
  closeRecap: (trace) => set({ recapClosedFor: trace }),
  editorOpen: false,
  setEditorOpen: (editorOpen) => set({ editorOpen }),
}));

export function useUi<T>(selector: (s: UiState) => T): T {
  return useStore(uiStore, selector);
}

/**
 * The side-by-side compare (CompareView.tsx AlignedCompare), screen-only: open or not, and the
 * baseline step the viewer stepped to, kept while the run's cursor stays at `forRun` (else the
 * baseline side follows the run's cursor to the aligned step).
 */
export interface CompareUi {
  open: boolean;
  base: { seq: number; forRun: number } | null;
}

export const compareUi = createStore<CompareUi>()(() => ({ open: false, base: null }));

export function useCompareUi<T>(selector: (s: CompareUi) => T): T {
  return useStore(compareUi, selector);
}
