/**
 * Where the lesson card goes: the card (and its code) loads only when a lesson is shown in class
 * mode, so a page without a lesson does not carry it.
 */
import { lazy, Suspense, type ReactElement } from "react";
import { useLesson } from "./useLessonStore";

const LessonCard = lazy(() => import("./LessonCard").then((m) => ({ default: m.LessonCard })));

/** Props: `embed` as LessonCard's. */
export function LessonCardSlot({ embed = false }: { embed?: boolean }): ReactElement | null {
  const shown = useLesson((s) => s.lesson !== null && s.mode === "class" && s.lesson.stops.length > 0);
  if (!shown) return null;
  return (
    <Suspense fallback={null}>
      <LessonCard embed={embed} />
    </Suspense>
  );
}
