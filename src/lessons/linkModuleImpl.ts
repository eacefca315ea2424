/** What `linkModule.ts` loads on demand: the lesson link codec and the lesson validator. */
export { lessonParts, readLessonLink } from "./link";
export { loadLesson } from "./validate";
