/**
 * The baseline run a comparison is made against (design.md, "Fixes panel"; docs/cli.md
 * "--compare"): one definition for the app's worker and the command line.
 *
 * The baseline is the scenario **as written, on its own kernel, with no fixes at all** — the
 * kernel's own behaviour, bug included. What the person asked for on top (`--fix`, `--no-fix`,
 * `--personality`, the app's fix toggles) shapes only the run, never the baseline. So
 * `--no-fix ID` on a scenario that turns ID on compares the run without ID against the run without
 * any fix: when that leaves the run with no fixes on its own kernel, the run *is* the baseline and
 * there is nothing to compare (the same answer the app gives when every toggle is off).
 */
import { loadScenario } from "../scenario/validate";
import type { Problem, Scenario } from "../scenario/schema";

/** What to compare a run with. */
export type Baseline =
  /** The run is the baseline itself: its own kernel, no fixes. */
  | { readonly kind: "same" }
  /** The scenario without its fixes does not validate (a fix another field depends on). */
  | { readonly kind: "invalid"; readonly problems: readonly Problem[] }
  | { readonly kind: "run"; readonly scenario: Scenario };

/**
 * The baseline of `run`. `own` is the scenario as given (before any override: raw input or an
 * already loaded scenario); its personality is the baseline's, its fixes are dropped.
 */
export function baselineOf(own: unknown, run: Scenario): Baseline {
  const asWritten = typeof own === "object" && own !== null && !Array.isArray(own) ? (own as Record<string, unknown>) : {};
  const loaded = loadScenario({ ...asWritten, fixes: [] });
  if (!loaded.ok) return { kind: "invalid", problems: loaded.problems };
  const base = loaded.scenario;
  if (base.personality === run.personality && run.fixes.length === 0) return { kind: "same" };
  return { kind: "run", scenario: base };
}
