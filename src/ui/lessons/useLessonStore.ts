/** React binding of the lesson store (src/lessons/store.ts). */
import { useStore } from "zustand";
import { lessonStore, type LessonState } from "../../lessons/store";

export function useLesson<T>(selector: (s: LessonState) => T): T {
  return useStore(lessonStore, selector);
}
