/** Selection slice: the selected field, tag and pinned packet, and the transient hover. */
import type { StateCreator } from "zustand/vanilla";
import type { Hover, SelectionSlice, TagflowState } from "./types";

function sameHover(a: Hover, b: Hover): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "field":
      return a.key === (b as typeof a).key;
    case "byte":
      return a.offset === (b as typeof a).offset;
    case "range":
      return a.start === (b as typeof a).start && a.end === (b as typeof a).end;
    case "tag":
      return a.uid === (b as typeof a).uid;
  }
}

export const createSelectionSlice: StateCreator<TagflowState, [], [], SelectionSlice> = (set, get) => ({
  selectedField: null,
  selectedTag: null,
  selectedPacket: null,
  hover: null,

  selectField: (key) => set({ selectedField: key === get().selectedField ? null : key }),
  selectTag: (uid) => set({ selectedTag: uid === get().selectedTag ? null : uid }),
  pinPacket: (versionId) => set({ selectedPacket: versionId }),
  setHover: (hover) => {
    // Pointer moves fire often; only a real change notifies subscribers.
    if (!sameHover(hover, get().hover)) set({ hover });
  },
  clearSelection: () => set({ selectedField: null, selectedTag: null, selectedPacket: null, hover: null }),
});
