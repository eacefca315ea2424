/** Why the last scenario, file or URL could not be used: every problem with its JSON path. The app keeps its state. */
import { useEffect, useRef, type ReactElement } from "react";
import { tagflowStore, useTagflow } from "../store/index";
import { Icon } from "./icons";

/** Props: none; reads the store. */
export function ProblemsAlert(): ReactElement | null {
  const problems = useTagflow((s) => s.problems);
  const title = useTagflow((s) => s.problemsTitle);
  const hasTrace = useTagflow((s) => s.trace !== null);
  const dismiss = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (problems) dismiss.current?.focus();
  }, [problems]);
  if (!problems) return null;
  const shown = problems.slice(0, 8);
  return (
    <div className="problems" role="alert" data-testid="problems">
      <div className="problems-head">
        <Icon name="warn" size={20} />
        <strong>{title}</strong>
        <button ref={dismiss} type="button" className="btn btn--small" onClick={() => tagflowStore.getState().dismissProblems()}>
          Dismiss
        </button>
      </div>
      <ul className="problems-list">
        {shown.map((p, i) => (
          <li key={i}>
            <code>{p.path}</code> {p.message}
          </li>
        ))}
        {problems.length > shown.length && <li>…and {problems.length - shown.length} more.</li>}
      </ul>
      {hasTrace && <p className="problems-foot">Nothing else changed: you are still looking at the last scenario that ran.</p>}
    </div>
  );
}
