/** Everything a lesson adds to the page beside the card: its keys, the author panel and the print handout. */
import { lazy, Suspense, useEffect, type ReactElement } from "react";
import { lessonStore } from "../../lessons/store";
import { tagflowStore } from "../../store/index";
import { uiStore } from "../uiStore";
import { useHandout } from "./handoutStore";
import { useLesson } from "./useLessonStore";
import { useLessonKeys } from "./useLessonKeys";
import "./lessonsShell.css";

// Authoring and the handout load when first used: they are not part of the first load.
const AuthorPanel = lazy(() => import("./AuthorPanel").then((m) => ({ default: m.AuthorPanel })));
const Handout = lazy(() => import("./Handout").then((m) => ({ default: m.Handout })));

/** Props: `embed` leaves out authoring and printing (the embed is read-only). */
export function LessonLayer({ embed = false }: { embed?: boolean }): ReactElement {
  useLessonKeys();
  const authoring = useLesson((s) => s.mode === "author");
  const printing = useHandout((s) => s.lesson !== null);
  useEffect(() => {
    // While a lesson is shown, its card is the story: the intro card, the shared-link notice and
    // the end-of-run recap would sit on top of it.
    const quiet = () => {
      if (!lessonStore.getState().lesson) return;
      const ui = uiStore.getState();
      if (!ui.storyDismissed) ui.dismissStory();
      if (ui.sharedNotice) ui.setSharedNotice(null);
      const trace = tagflowStore.getState().trace;
      if (trace && ui.recapClosedFor !== trace) ui.closeRecap(trace);
    };
    quiet();
    const stops = [lessonStore.subscribe(quiet), uiStore.subscribe(quiet), tagflowStore.subscribe(quiet)];
    return () => stops.forEach((stop) => stop());
  }, []);
  return (
    <>
      <Suspense fallback={null}>
        {!embed && authoring && <AuthorPanel />}
        {!embed && printing && <Handout />}
      </Suspense>
    </>
  );
}
