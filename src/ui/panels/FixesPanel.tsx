/**
 * The fixes panel: the scenario's story, the kernel personality, and one switch per fix with its
 * one-line explanation and source. Flipping a switch re-runs the engine; the banner follows, and
 * the compare block below the switches says how the run differs from the one with no fixes.
 */
import { lazy, Suspense, useEffect, useId, useRef, useState, type ReactElement } from "react";
import { FIXES, FIX_IDS, PERSONALITIES, fixesFor, isPersonalityId, type FixId, type Personality } from "../../engine/index";
import { builtinInfo } from "../../store/builtinCatalog";
import { tagflowStore, useTagflow } from "../../store/index";

// The compare block loads with the Fixes tab, off the first load (design.md: 150 KiB gzipped).
const CompareBlock = lazy(() => import("./CompareView").then((m) => ({ default: m.CompareBlock })));

/**
 * One fix's switch: flipping it re-runs the engine with the fix on or off. A fix the kernel already
 * has (its personality's behaviour) shows on and cannot be turned off. Used by the Fixes tab and
 * by the strip under the banner, so the two can never disagree.
 */
export function FixSwitch({
  id,
  on,
  builtIn,
  describedBy,
  className = "switch switch--fix",
  short = false,
}: {
  readonly id: FixId;
  readonly on: boolean;
  readonly builtIn: boolean;
  readonly describedBy?: string;
  readonly className?: string;
  /** Show the fix's short name (the strip under the banner). */
  readonly short?: boolean;
}): ReactElement {
  const fix = FIXES[id];
  return (
    <label className={className} title={describedBy ? undefined : `${fix.title}: ${fix.explanation}${builtIn ? " (already in this kernel)" : ""}`}>
      <input
        type="checkbox"
        role="switch"
        // The Fixes tab's switch is [data-fix]; the strip's [data-fix-chip] (tests and tools pick one).
        {...(short ? { "data-fix-chip": id } : { "data-fix": id })}
        checked={on}
        disabled={builtIn}
        aria-describedby={describedBy}
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
      <span className="fix-title">{short ? (fix.short ?? fix.title) : fix.title}</span>
    </label>
  );
}

/** Whether fix `id` is on in this run, and whether the kernel has it built in. */
function fixState(id: FixId, fixes: readonly string[], personality: Personality | null): { on: boolean; builtIn: boolean } {
  const builtIn = personality ? FIXES[id].isOn(personality.behaviour) : false;
  return { on: builtIn || fixes.includes(id), builtIn };
}

/** The fixes offered for the run on screen (its kernel's own), each with whether it is on and built in. */
function useFixStates(): { id: FixId; on: boolean; builtIn: boolean }[] {
  const fixes = useTagflow((s) => s.fixes);
  const personalityId = useTagflow((s) => s.personality);
  const personality = isPersonalityId(personalityId) ? PERSONALITIES[personalityId] : null;
  return (personality ? fixesFor(personality) : FIX_IDS).map((id) => ({ id, ...fixState(id, fixes, personality) }));
}

/**
 * The fixes in reach (issue 17): one compact switch per fix under the banner, so a teacher flips a
 * fix without leaving the inspector; the Fixes tab keeps the explanations and sources.
 */
export function FixStrip(): ReactElement | null {
  const states = useFixStates();
  const busy = useTagflow((s) => s.status === "running");
  return (
    <section className="fix-strip" aria-label="Fixes (quick switches)" aria-busy={busy} data-testid="fix-strip">
      <span className="fix-strip-label" aria-hidden="true">
        Fixes
      </span>
      {states.map(({ id, on, builtIn }) => (
        <FixSwitch key={id} id={id} on={on} builtIn={builtIn} className={`switch switch--chip${on ? " is-on" : ""}`} short />
      ))}
    </section>
  );
}

/**
 * The same switches behind one button in the banner, for screens too short to give the strip a
 * row (a 1280×720 projector): the stack keeps its height, the fixes stay one click away.
 */
export function FixMenu(): ReactElement {
  const states = useFixStates();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const popupId = useId();
  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener("pointerdown", onPointer);
    return () => window.removeEventListener("pointerdown", onPointer);
  }, [open]);
  // The fixes this run turned on; one the kernel already has is shown on (and locked) but not counted.
  const on = states.filter((f) => f.on && !f.builtIn).length;
  return (
    <div
      className="fix-menu"
      ref={root}
      data-testid="fix-menu"
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          setOpen(false);
          root.current?.querySelector("button")?.focus();
        }
      }}
    >
      <button type="button" className="btn fix-menu-button" aria-expanded={open} aria-controls={popupId} onClick={() => setOpen(!open)}>
        Fixes · {on === 0 ? "none on" : `${on} on`} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div id={popupId} className="fix-menu-popup" role="group" aria-label="Fixes">
          {states.map(({ id, on: isOn, builtIn }) => (
            <FixSwitch key={id} id={id} on={isOn} builtIn={builtIn} className={`switch switch--chip${isOn ? " is-on" : ""}`} short />
          ))}
        </div>
      )}
    </div>
  );
}

/** Props: none; reads the store. */
export function FixesPanel(): ReactElement {
  const personalityId = useTagflow((s) => s.personality);
  const source = useTagflow((s) => s.source);
  const busy = useTagflow((s) => s.status === "running");
  const trace = useTagflow((s) => s.trace);
  const states = useFixStates();
  const personality = isPersonalityId(personalityId) ? PERSONALITIES[personalityId] : null;
  const builtin = source.kind === "builtin" ? builtinInfo(source.name) : undefined;
  const title = builtin?.title ?? (source.kind === "custom" ? source.label : "");
  const description = trace?.scenario.description || "";
  return (
    <section className="fixes" aria-label="Fixes" aria-busy={busy}>
      <h2 className="panel-h">Fixes</h2>
      <ul className="fix-list">
        {/* Only the switches this personality has: BSD fixes on BSD, the KLIPS/XFRM switches on Linux (seed 002). */}
        {states.map(({ id, on, builtIn }) => {
          const fix = FIXES[id];
          const descId = `fix-${id}-desc`;
          return (
            <li key={id} className={`fix${on ? " is-on" : ""}${builtIn ? " is-builtin" : ""}`}>
              <FixSwitch id={id} on={on} builtIn={builtIn} describedBy={descId} />
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
      <Suspense fallback={null}>
        <CompareBlock />
      </Suspense>
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
