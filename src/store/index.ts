/**
 * The tagflow store: one zustand store built from five slices (scenario, trace, playback,
 * selection, view). Components read it through `useTagflow(selector)` with the selectors in
 * selectors.ts, and change it only through its named actions.
 */
import { useStore } from "zustand";
import { createStore, type StoreApi } from "zustand/vanilla";
import { cancelRun, runTrace } from "./engineClient";
import { createPlaybackSlice } from "./playbackSlice";
import { createScenarioSlice } from "./scenarioSlice";
import { createSelectionSlice } from "./selectionSlice";
import { createTraceSlice } from "./traceSlice";
import type { StoreDeps, TagflowState } from "./types";
import { createViewSlice } from "./viewSlice";

export type * from "./types";

/** A fresh store; tests pass a fake runner. */
export function createTagflowStore(deps: StoreDeps): StoreApi<TagflowState> {
  return createStore<TagflowState>()((...a) => ({
    ...createScenarioSlice(...a),
    ...createTraceSlice(deps)(...a),
    ...createPlaybackSlice(...a),
    ...createSelectionSlice(...a),
    ...createViewSlice(...a),
  }));
}

/** The app's store. */
export const tagflowStore: StoreApi<TagflowState> = createTagflowStore({ runTrace, cancelRun });

/** Read the app's store in a component: re-renders when the selected value changes (Object.is). */
export function useTagflow<T>(selector: (state: TagflowState) => T): T {
  return useStore(tagflowStore, selector);
}
