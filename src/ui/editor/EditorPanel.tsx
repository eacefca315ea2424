/**
 * The scenario editor (issue 18), in place of the right column: the drawn topology, the
 * validator's problems, and the scenario's fields drawn from its schema. It starts from the
 * scenario on screen (any built-in, a file, a link); every edit is validated at once and, when
 * valid, run ~400 ms later (editorStore.ts). Ctrl+Z / Ctrl+Shift+Z undo and redo. Loaded lazily:
 * the first page load carries neither the validator nor d3-force.
 */
import { useEffect, useMemo, useRef, type ReactElement } from "react";
import { tagflowStore } from "../../store/index";
import { isTextField } from "../hooks/useKeyboard";
import { drawnPaths, placeProblems } from "./draft";
import { draftFromApp, editorStoreFor, useEditor, type EditorRunState } from "./editorStore";
import { FormContext, labelOf, ListField, ObjectFields, type FormContextValue } from "./Field";
import { parsePath, pathString } from "./schemaForm";
import { Topology } from "./Topology";
import "./editor.css";

const store = editorStoreFor(tagflowStore);

const RUN_TEXT: Record<EditorRunState, string> = {
  idle: "Showing the scenario as opened. Edits re-run it.",
  waiting: "Valid — running when you stop typing…",
  running: "Running…",
  applied: "The run on screen is this draft.",
  invalid: "Not run: the draft has problems. The run on screen is the last good one.",
  failed: "The engine could not run this draft (see the report).",
};

/** Props: `onClose` closes the editor (the header's Edit button toggles it too). */
export interface EditorPanelProps {
  readonly onClose: () => void;
}

export default function EditorPanel({ onClose }: EditorPanelProps): ReactElement {
  const history = useEditor(store, (s) => s.history);
  const problems = useEditor(store, (s) => s.problems);
  const run = useEditor(store, (s) => s.run);
  const focus = useEditor(store, (s) => s.focus);
  const root = useRef<HTMLElement>(null);

  // Start from what is on screen, each time the editor opens.
  useEffect(() => {
    const d = draftFromApp(tagflowStore.getState());
    if (d) store.getState().load(d);
    return () => store.getState().close();
  }, []);

  const draft = history?.present ?? null;
  const ctx = useMemo<FormContextValue | null>(() => {
    if (!draft) return null;
    const problemsAt = placeProblems(problems, drawnPaths(draft));
    return { draft, problems, problemsAt, edit: (next, key) => store.getState().edit(next, key ?? null) };
  }, [draft, problems]);

  // Ctrl+Z / Ctrl+Shift+Z (⌘ on a Mac) undo and redo the editor's edits — from anywhere on the
  // page but another text field, whose own undo they stay.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.key.toLowerCase() !== "z") return;
      const inEditor = e.target instanceof Node && root.current?.contains(e.target) === true;
      if (!inEditor && isTextField(e.target)) return;
      e.preventDefault();
      if (e.shiftKey) store.getState().redo();
      else store.getState().undo();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Bring a navigated-to place into view: open its collapsed parents, scroll, focus its first control.
  useEffect(() => {
    if (!focus || !root.current) return;
    let el: Element | null = null;
    // The place itself, else its nearest ancestor on screen.
    for (let keys = parsePath(focus.path); !el && keys.length > 0; keys = keys.slice(0, -1))
      el = root.current.querySelector(`[data-path="${CSS.escape(pathString(keys))}"]`);
    if (!el) return;
    for (let p: Element | null = el; p && p !== root.current; p = p.parentElement) if (p instanceof HTMLDetailsElement) p.open = true;
    el.scrollIntoView({ block: "start", behavior: "instant" });
    const control = el.matches("input,select,textarea") ? el : el.querySelector("input,select,textarea");
    if (control instanceof HTMLElement) control.focus({ preventScroll: true });
  }, [focus]);

  if (!draft || !ctx) {
    return (
      <aside className="side editor" aria-label="Scenario editor">
        <p className="ed-empty">This scenario cannot be edited (it did not load).</p>
      </aside>
    );
  }

  const h = history!;
  const summary = [...ctx.problemsAt.entries()].flatMap(([at, list]) => list.map((p) => ({ at, p })));

  return (
    <aside className="side editor" aria-label="Scenario editor" ref={root} data-testid="editor" data-run={run}>
      <div className="ed-head">
        <h2>Edit scenario</h2>
        <div className="ed-head-tools">
          <button
            type="button"
            className="btn btn--small"
            disabled={h.past.length === 0}
            onClick={() => store.getState().undo()}
            aria-keyshortcuts="Control+Z"
            title="Undo (Ctrl+Z)"
            data-testid="editor-undo"
          >
            ↶ Undo
          </button>
          <button
            type="button"
            className="btn btn--small"
            disabled={h.future.length === 0}
            onClick={() => store.getState().redo()}
            aria-keyshortcuts="Control+Shift+Z"
            title="Redo (Ctrl+Shift+Z)"
            data-testid="editor-redo"
          >
            ↷ Redo
          </button>
          <button type="button" className="btn btn--small" onClick={onClose} data-testid="editor-close">
            Done
          </button>
        </div>
      </div>
      <p className={`ed-status ed-status--${run}`} role="status" data-testid="editor-status">
        {problems.length > 0 ? `${problems.length} problem${problems.length === 1 ? "" : "s"}. ` : ""}
        {RUN_TEXT[run]}
        {problems[0] && (
          <>
            {" "}
            <button type="button" className="ed-link" onClick={() => store.getState().navigate(problems[0]!.path)} data-testid="editor-first-problem">
              Go to the first
            </button>
          </>
        )}
      </p>
      <div className="ed-body">
        <FormContext.Provider value={ctx}>
          <Topology store={store} draft={draft} problems={problems} />
          {summary.length > 0 && (
            <section className="ed-summary" aria-label="Problems" data-testid="editor-problems">
              <h3>Problems</h3>
              <ul>
                {summary.map(({ at, p }, i) => (
                  <li key={i}>
                    <button type="button" className="ed-link" onClick={() => store.getState().navigate(p.path)}>
                      <code>{p.path}</code>
                    </button>{" "}
                    {p.message}
                    {at === "$" && p.path !== "$" ? " (not shown beside a field)" : ""}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section className="ed-section" aria-label="Scenario">
            <h3>Scenario</h3>
            <ObjectFields path={[]} omit={["hosts", "links", "traffic"]} />
          </section>
          <section className="ed-section" aria-label={labelOf("hosts")}>
            <ListField path={["hosts"]}>
              <p className="ed-note">
                Every host has lo0 (127.0.0.1/8) built in; the Linux KLIPS kernels add ipsec0. Declare the others here: an interface named gif… with a
                tunnel is a gif tunnel, any other is an Ethernet-like interface for a link.
              </p>
            </ListField>
          </section>
          <section className="ed-section" aria-label={labelOf("links")}>
            <ListField path={["links"]} />
          </section>
          <section className="ed-section" aria-label={labelOf("traffic")}>
            <ListField path={["traffic"]} />
          </section>
        </FormContext.Provider>
      </div>
    </aside>
  );
}
