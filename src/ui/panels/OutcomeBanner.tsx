/**
 * The outcome banner: the verdict (a live region, so a fix toggle's effect is announced), the
 * headline finding, counts, and one button per finding step that jumps there.
 */
import type { ReactElement } from "react";
import { outcomeTallies } from "../../engine/index";
import { tagflowStore, useTagflow } from "../../store/index";
import { traceIndex } from "../../store/selectors";
import { findingChipWords, VERDICT_HEADLINE } from "../text";
import { FixMenu } from "./FixesPanel";

/** Props: none; reads the store. */
export function OutcomeBanner(): ReactElement {
  const trace = useTagflow((s) => s.trace);
  const status = useTagflow((s) => s.status);
  const cursor = useTagflow((s) => s.cursor);
  if (!trace) {
    return (
      <div className="banner banner--pending">
        <div className="banner-status" role="status" aria-live="polite" data-testid="outcome">
          <span className="verdict-chip">{status === "error" ? "no trace" : "running"}</span>
          <span className="banner-headline">{status === "error" ? "The scenario could not be run." : "Running the engine…"}</span>
        </div>
      </div>
    );
  }
  const { verdict, sent } = trace.outcome;
  // Echoes, or TCP bytes per connection: what this run's traffic came to (audit/tally.ts).
  const tallies = outcomeTallies(trace.outcome);
  const index = traceIndex(trace);
  const top = index.findingsByRank.find((f) => f.severity !== "info") ?? null;
  const headline = top
    ? top.sentence.replace(/\s*\(\d+ times in this run\)$/, "")
    : sent === 0 && trace.events.length === 0
      ? "No traffic: this scenario sends nothing to judge."
      : VERDICT_HEADLINE[verdict];
  return (
    <div className={`banner banner--${verdict}`} data-verdict={verdict}>
      <div className="banner-status" role="status" aria-live="polite" aria-atomic="true" data-testid="outcome">
        <span className="verdict-chip">{verdict}</span>
        <span className="banner-headline">{headline}</span>
        <span className="visually-hidden">
          {tallies.map((t) => t.long).join("; ")}; {trace.outcome.findings.length} findings.
        </span>
      </div>
      <span className="banner-counts" aria-hidden="true">
        {tallies.map((t) => t.short).join(" · ")}
        {index.findingsByRank.length > 0 && !top ? ` · ${index.findingsByRank.length} ${index.findingsByRank.length === 1 ? "note" : "notes"}` : ""}
      </span>
      <FixMenu />
      {status === "running" && (
        <span className="banner-busy" aria-hidden="true">
          re-running…
        </span>
      )}
      {index.findingSteps.length > 0 && (
        <nav className="banner-findings" aria-label="Findings">
          <span className="banner-findings-label" aria-hidden="true">
            Findings · step
          </span>
          {index.findingSteps.map((step) => {
            const at = index.findingsAt.get(step)!;
            const worst = at.some((f) => f.severity === "critical") ? "critical" : at.some((f) => f.severity === "warning") ? "warning" : "info";
            return (
              <button
                key={step}
                type="button"
                className={`finding-chip finding-chip--${worst}${step === cursor ? " is-current" : ""}`}
                aria-label={`Go to step ${step + 1}: ${at.map((f) => f.sentence).join(" ")}`}
                aria-current={step === cursor ? "step" : undefined}
                title={at.map((f) => f.sentence).join("\n")}
                onClick={() => tagflowStore.getState().goToFinding(step)}
              >
                <span className="chip-step">{step + 1}</span> {findingChipWords(at.find((f) => f.severity === worst)?.id ?? at[0]!.id)}
              </button>
            );
          })}
        </nav>
      )}
    </div>
  );
}
