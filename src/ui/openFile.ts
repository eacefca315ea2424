/** Opening a scenario file, from the file picker or dropped on the app: the same limits and messages either way. */
import { tagflowStore } from "../store/index";

/** Largest scenario file read (the engine's own limit is checked again on the text). */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Read `file` and open it as a scenario; problems (too large, unreadable, invalid) go to the problems alert. */
export async function openScenarioFile(file: File): Promise<void> {
  const store = tagflowStore.getState();
  if (file.size > MAX_FILE_BYTES) {
    store.reportProblems(`Could not open ${file.name}`, [
      { path: "$", message: `the file is ${file.size} bytes; a scenario is at most ${MAX_FILE_BYTES}` },
    ]);
    return;
  }
  let text: string;
  try {
    text = await file.text();
  } catch (error) {
    store.reportProblems(`Could not open ${file.name}`, [
      { path: "$", message: `the file could not be read: ${error instanceof Error ? error.message : String(error)}` },
    ]);
    return;
  }
  // A setkey file or an ip xfrm script (issue 18): converted as `tagflow convert` does, then opened.
  // Loaded on first use: the converters are not part of the first-load bundle.
  const { convertOpenedFile } = await import("../convert/index");
  const converted = convertOpenedFile(file.name, text);
  if (converted.kind === "failed") {
    store.reportProblems(`Could not convert ${file.name} (${converted.syntax})`, converted.problems);
    return;
  }
  if (converted.kind === "converted") {
    const outcome = await store.openScenario(file.name, converted.scenarioJson);
    const n = converted.warnings.length;
    // Only after a run that took: a failed run's own problems are not to be replaced by notes.
    if (n > 0 && outcome === "applied")
      store.reportProblems(`Converted ${file.name} (${converted.syntax}) with ${n} warning${n === 1 ? "" : "s"}`, converted.warnings, "note");
    return;
  }
  await store.openScenario(file.name, text);
}
