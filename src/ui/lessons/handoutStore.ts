/** The handout being printed (Handout.tsx fills it): the lesson and a picture per stop. */
import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";
import type { Lesson } from "../../lessons/schema";

export interface Page {
  readonly svg: string | null;
  readonly step: number | null;
}

export const handoutStore = createStore<{ lesson: Lesson | null; pages: readonly Page[] }>()(() => ({ lesson: null, pages: [] }));

export function useHandout<T>(selector: (s: { lesson: Lesson | null; pages: readonly Page[] }) => T): T {
  return useStore(handoutStore, selector);
}
