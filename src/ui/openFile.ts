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
  await store.openScenario(file.name, text);
}
