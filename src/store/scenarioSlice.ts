/**
 * Scenario slice: which scenario, personality and fix toggles the user asked for, and why the
 * last request could not be used. Every action here re-runs the engine through runEngine.
 */
import type { StateCreator } from "zustand/vanilla";
import { FIX_IDS, type FixId, type PersonalityId } from "../engine/index";
import { builtinInfo, DEFAULT_SCENARIO } from "./builtinCatalog";
import type { ScenarioSlice, TagflowState } from "./types";

/** The personality a scenario runs with when it names none (the schema's default). */
export const DEFAULT_PERSONALITY: PersonalityId = "netbsd-2003";

/** Fix ids in their canonical (FIX_IDS) order, unknown ones dropped. */
export function canonicalFixes(ids: readonly string[]): FixId[] {
  return FIX_IDS.filter((id) => ids.includes(id));
}

export const createScenarioSlice: StateCreator<TagflowState, [], [], ScenarioSlice> = (set, get) => ({
  source: { kind: "builtin", name: DEFAULT_SCENARIO },
  personality: DEFAULT_PERSONALITY,
  fixes: [],
  problems: null,
  problemsTitle: "",
  problemsTone: "error",
  problemsFoot: null,

  selectScenario: (name) => {
    const input = builtinInfo(name);
    if (!input) {
      set({
        problems: [{ path: "$", message: `there is no built-in scenario called "${name}"` }],
        problemsTitle: `Could not open "${name}"`,
        problemsTone: "error",
        problemsFoot: null,
      });
      return Promise.resolve("unchanged");
    }
    return get().runEngine(
      { source: { kind: "builtin", name }, personality: input.personality ?? DEFAULT_PERSONALITY, fixes: canonicalFixes(input.fixes ?? []) },
      "start",
    );
  },

  openScenario: (label, input) => get().runEngine({ source: { kind: "custom", label, input } }, "start"),

  setPersonality: (id) => {
    if (id === get().personality) return Promise.resolve("unchanged");
    const { source, fixes } = get();
    return get().runEngine({ source, personality: id, fixes }, "keep");
  },

  setFix: (id, on) => {
    const { source, personality, fixes } = get();
    if (fixes.includes(id) === on) return Promise.resolve("unchanged");
    const next = FIX_IDS.filter((f) => (f === id ? on : fixes.includes(f)));
    return get().runEngine({ source, personality, fixes: next }, "keep");
  },

  toggleFix: (id) => get().setFix(id, !get().fixes.includes(id)),

  reportProblems: (title, problems, tone = "error", foot) => set({ problems, problemsTitle: title, problemsTone: tone, problemsFoot: foot ?? null }),
  dismissProblems: () => set({ problems: null, problemsTitle: "", problemsTone: "error", problemsFoot: null }),
});
