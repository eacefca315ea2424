/**
 * Why the last scenario, file or link could not be used: every problem with its JSON path (or the
 * link part it is about). The app keeps its state. In its quieter "note" form it lists what a link
 * had that this tagflow ignored.
 */
import { useEffect, useRef, type ReactElement } from "react";
import { tagflowStore, useTagflow } from "../../store/index";
import { Icon } from "../icons";

/** Props: none; reads the store. */
export function ProblemsAlert(): ReactElement | null {
  const problems = useTagflow((s) => s.problems);
  const title = useTagflow((s) => s.problemsTitle);
  const tone = useTagflow((s) => s.problemsTone);
  const foot = useTagflow((s) => s.problemsFoot);
  const hasTrace = useTagflow((s) => s.trace !== null);
  const dismiss = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (problems && tone === "error") dismiss.current?.focus();
  }, [problems, tone]);
  if (!problems) return null;
  const shown = problems.slice(0, 8);
  return (
    <div className={`problems problems--${tone}`} role={tone === "error" ? "alert" : "status"} data-testid="problems" data-tone={tone}>
      <div className="problems-head">
        <Icon name={tone === "error" ? "warn" : "info"} size={20} />
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
      {foot !== null ? (
        <p className="problems-foot">{foot}</p>
      ) : (
        hasTrace && tone === "error" && <p className="problems-foot">Nothing else changed: you are still looking at the last scenario that ran.</p>
      )}
    </div>
  );
}
