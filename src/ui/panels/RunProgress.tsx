/**
 * A strip over the stack while a run takes long (issue 16): how many steps the engine worker has
 * recorded so far, how close the run is to what the app holds, and Cancel. A run that ends within
 * SHOW_AFTER_MS never shows it, so toggling a fix does not flash it. Cancel stops the worker; the
 * run on screen stays and a note says the run was cancelled (traceSlice.ts).
 */
import { useEffect, useState, type ReactElement } from "react";
import { tagflowStore, useTagflow } from "../../store/index";
import "./runProgress.css";

/** How long a run goes before the strip appears, ms. */
export const SHOW_AFTER_MS = 300;

/** Megabytes with one decimal. */
const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);

/** Props: none; reads the store. */
export function RunProgress(): ReactElement | null {
  const running = useTagflow((s) => s.status === "running");
  const seq = useTagflow((s) => s.requestSeq);
  const progress = useTagflow((s) => s.progress);
  const source = useTagflow((s) => s.source);
  const [late, setLate] = useState(false);
  useEffect(() => {
    setLate(false);
    if (!running) return;
    const timer = setTimeout(() => setLate(true), SHOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, [running, seq]);
  if (!running || !late) return null;
  const name = source.kind === "builtin" ? source.name : source.label;
  // The nearer of the two budgets the browser runs under (worker/runTrace.ts): steps or packet bytes.
  const share = progress ? Math.min(1, Math.max(progress.steps / progress.maxSteps, progress.bytes / progress.maxBytes)) : 0;
  return (
    <div className="run-progress" role="status" data-testid="run-progress">
      <div className="run-progress-text">
        <strong>Running {name}…</strong>
        <span data-testid="run-progress-steps">
          {progress
            ? `${progress.steps.toLocaleString("en-US")} steps${progress.phase === "baseline" ? " (with the run to compare against)" : ""}, ${mb(progress.bytes)} of ${mb(progress.maxBytes)} MB of packet data the app holds`
            : "starting the engine"}
        </span>
        <div className="run-progress-bar" aria-hidden="true">
          <div style={{ width: `${(share * 100).toFixed(1)}%` }} />
        </div>
      </div>
      <button type="button" className="btn" data-testid="run-cancel" onClick={() => tagflowStore.getState().cancelRun()}>
        Cancel
      </button>
    </div>
  );
}
