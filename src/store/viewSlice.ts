/** View slice: tabs, panels, theme and the inspector's decrypted toggle — all serialisable. */
import type { StateCreator } from "zustand/vanilla";
import type { InspectorTab, RightTab, TagflowState, ThemeChoice, ViewSlice, ViewState } from "./types";

const RIGHT_TABS: readonly RightTab[] = ["inspector", "fixes"];
const INSPECTOR_TABS: readonly InspectorTab[] = ["packet", "mbufs", "tags"];
const THEMES: readonly ThemeChoice[] = ["system", "light", "dark"];

const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T => typeof v === "string" && (values as readonly string[]).includes(v);
const isId = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

export const createViewSlice: StateCreator<TagflowState, [], [], ViewSlice> = (set, get) => ({
  rightTab: "inspector",
  inspectorTab: "packet",
  lanesOpen: true,
  decrypted: false,
  theme: "system",

  setRightTab: (rightTab) => set({ rightTab }),
  setInspectorTab: (inspectorTab) => set({ inspectorTab }),
  setLanesOpen: (lanesOpen) => set({ lanesOpen }),
  setDecrypted: (decrypted) => set({ decrypted }),
  setTheme: (theme) => set({ theme }),
  cycleTheme: () => set({ theme: THEMES[(THEMES.indexOf(get().theme) + 1) % THEMES.length]! }),

  applyViewState: (view: Partial<ViewState>) => {
    const patch: Partial<TagflowState> = {};
    if (isOneOf(RIGHT_TABS, view.rightTab)) patch.rightTab = view.rightTab;
    if (isOneOf(INSPECTOR_TABS, view.inspectorTab)) patch.inspectorTab = view.inspectorTab;
    if (isOneOf(THEMES, view.theme)) patch.theme = view.theme;
    if (typeof view.lanesOpen === "boolean") patch.lanesOpen = view.lanesOpen;
    if (typeof view.decrypted === "boolean") patch.decrypted = view.decrypted;
    if (view.selectedField === null || (typeof view.selectedField === "string" && view.selectedField.length <= 80))
      patch.selectedField = view.selectedField;
    if (view.selectedTag === null || isId(view.selectedTag)) patch.selectedTag = view.selectedTag;
    if (view.selectedPacket === null || isId(view.selectedPacket)) patch.selectedPacket = view.selectedPacket;
    set(patch);
  },
});
