/**
 * The fixes panel: the scenario's story, the kernel personality, and one switch per fix with its
 * one-line explanation and source. Flipping a switch re-runs the engine; the banner follows, and
 * the compare block below the switches says how the run differs from the one with no fixes.
 */
import type { ReactElement } from "react";
import { builtinByName, FIXES, FIX_IDS, PERSONALITIES, fixesFor, isPersonalityId } from "../../engine/index";
import { tagflowStore, useTagflow } from "../../store/index";
import { CompareBlock } from "./CompareView";

/** Props: none; reads the store. */
export function FixesPanel(): ReactElement {
  const fixes = useTagflow((s) => s.fixes);
  const personalityId = useTagflow((s) => s.personality);
  const source = useTagflow((s) => s.source);
  const busy = useTagflow((s) => s.status === "running");
  const trace = useTagflow((s) => s.trace);
  const personality = isPersonalityId(personalityId) ? PERSONALITIES[personalityId] : null;
  const builtin = source.kind === "builtin" ? builtinByName(source.name) : undefined;
  const title = builtin?.title ?? (source.kind === "custom" ? source.label : "");
  const description = builtin?.description ?? (trace?.scenario.description || "");
  return (
    <section className="fixes" aria-label="Fixes" aria-busy={busy}>
      <h2 className="panel-h">Fixes</h2>
      <ul className="fix-list">
        {/* Only the switches this personality has: BSD fixes on BSD, the KLIPS/XFRM switches on Linux (seed 002). */}
        {(personality ? fixesFor(personality) : FIX_IDS).map((id) => {
          const fix = FIXES[id];
          const builtIn = personality ? fix.isOn(personality.behaviour) : false;
          const on = builtIn || fixes.includes(id);
          const descId = `fix-${id}-desc`;
          return (
            <li key={id} className={`fix${on ? " is-on" : ""}${builtIn ? " is-builtin" : ""}`}>
              <label className="switch switch--fix">
                <input
                  type="checkbox"
                  role="switch"
                  data-fix={id}
                  checked={on}
                  disabled={builtIn}
                  aria-describedby={descId}
                  onChange={(e) => void tagflowStore.getState().setFix(id, e.target.checked)}
                  // Space always plays (useKeyboard); Enter flips a switch from the keyboard.
                  onKeyDown={(e) => {
                    if (e.key === "Enter") {
                      e.preventDefault();
                      e.currentTarget.click();
                    }
                  }}
                />
                <span className="switch-track" aria-hidden="true" />
                <span className="fix-title">{fix.title}</span>
              </label>
              <div id={descId} className="fix-body">
                <p className="fix-explanation">{fix.explanation}</p>
                <p className="fix-source">
                  {builtIn && <span className="fix-builtin">Already in {personality?.title}. </span>}
                  Source:{" "}
                  {fix.sourceUrl ? (
                    <a href={fix.sourceUrl} target="_blank" rel="noreferrer noopener">
                      {fix.source}
                    </a>
                  ) : (
                    fix.source
                  )}
                </p>
              </div>
            </li>
          );
        })}
      </ul>
      <CompareBlock />
      <div className="fixes-scenario">
        <h2 className="panel-h panel-h--minor">About this scenario</h2>
        <p className="fixes-title">{title}</p>
        {description && <p className="fixes-description">{description}</p>}
        {personality && (
          <p className="fixes-personality">
            <strong>{personality.title}:</strong> {personality.summary}
          </p>
        )}
      </div>
    </section>
  );
}
