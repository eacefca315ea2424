/** The header bar: title, scenario picker, personality, opening a scenario file, export, copy link, theme. */
import { useRef, type ChangeEvent, type ReactElement, type ReactNode } from "react";
import { PERSONALITIES, PERSONALITY_IDS, isPersonalityId } from "../../engine/index";
import { BUILTINS } from "../../store/builtinCatalog";
import { tagflowStore, useTagflow } from "../../store/index";
import { ExportMenu } from "../exports/ExportMenu";
import { Icon } from "../icons";
import { openScenarioFile } from "../openFile";
import { ShareButton } from "./ShareButton";
import { LessonsMenu } from "../lessons/LessonsMenu";
import { uiStore, useUi } from "../uiStore";
import "../editor/editButton.css";

const CUSTOM = "__custom__";

function ScenarioPicker(): ReactElement {
  const source = useTagflow((s) => s.source);
  const busy = useTagflow((s) => s.status === "running");
  const value = source.kind === "builtin" ? source.name : CUSTOM;
  const onChange = (e: ChangeEvent<HTMLSelectElement>) => {
    if (e.target.value !== CUSTOM) void tagflowStore.getState().selectScenario(e.target.value);
  };
  // A closed select cuts its label at 1280 px (issue 17): the title gives it whole on hover.
  const full = source.kind === "builtin" ? (BUILTINS.find((s) => s.name === source.name)?.title ?? source.name) : source.label;
  return (
    <label className="field">
      <span className="field-label">Scenario</span>
      <select data-testid="scenario" value={value} onChange={onChange} aria-busy={busy} title={full}>
        {BUILTINS.map((s) => (
          <option key={s.name} value={s.name}>
            {s.title || s.name}
          </option>
        ))}
        {source.kind === "custom" && <option value={CUSTOM}>{source.label}</option>}
      </select>
    </label>
  );
}

function PersonalityPicker(): ReactElement {
  const personality = useTagflow((s) => s.personality);
  return (
    <label className="field">
      <span className="field-label">Kernel</span>
      <select
        data-testid="personality"
        value={personality}
        title={isPersonalityId(personality) ? PERSONALITIES[personality].title : undefined}
        onChange={(e) => {
          if (isPersonalityId(e.target.value)) void tagflowStore.getState().setPersonality(e.target.value);
        }}
      >
        {PERSONALITY_IDS.map((id) => (
          <option key={id} value={id} title={PERSONALITIES[id].title}>
            {PERSONALITIES[id].title.replace(/\s*\(.*\)$/, "")}
          </option>
        ))}
      </select>
    </label>
  );
}

function OpenScenario(): ReactElement {
  const input = useRef<HTMLInputElement>(null);
  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (file) await openScenarioFile(file);
  };
  return (
    <>
      <button
        type="button"
        className="btn btn--ghost"
        onClick={() => input.current?.click()}
        title="Open a scenario file (or drop one anywhere on the app)"
      >
        <Icon name="open" /> <span className="btn-text">Open…</span>
      </button>
      <input
        ref={input}
        className="visually-hidden"
        type="file"
        accept=".json,application/json,.conf,.sh,.setkey"
        tabIndex={-1}
        aria-label="Open a scenario file"
        data-testid="open-file"
        onChange={(e) => void onFile(e)}
      />
    </>
  );
}

/** Opens the scenario editor (issue 18) on the scenario on screen; pressed while it is open. */
function EditButton(): ReactElement {
  const open = useUi((s) => s.editorOpen);
  return (
    <button
      type="button"
      className={`btn btn--ghost${open ? " is-on" : ""}`}
      aria-pressed={open}
      onClick={() => {
        // The story card would cover the stack whose run the edits change.
        if (!open) uiStore.getState().dismissStory();
        uiStore.getState().setEditorOpen(!open);
      }}
      title="Edit this scenario: hosts, links, SAs, policies, traffic"
      data-testid="edit"
    >
      <span aria-hidden="true">✎</span> <span className="btn-text">Edit</span>
    </button>
  );
}

function PresentButton(): ReactElement {
  return (
    <button
      type="button"
      className="btn btn--ghost"
      onClick={() => uiStore.getState().togglePresent()}
      aria-keyshortcuts="P"
      title="Present mode: big text, no chrome (P; Esc leaves)"
      data-testid="present"
    >
      <Icon name="present" /> <span className="btn-text">Present</span>
    </button>
  );
}

function ThemeToggle(): ReactElement {
  const theme = useTagflow((s) => s.theme);
  const next = { system: "light", light: "dark", dark: "system" } as const;
  const icon = theme === "light" ? "sun" : theme === "dark" ? "moon" : "auto";
  return (
    <button
      type="button"
      className="btn btn--ghost"
      onClick={() => tagflowStore.getState().cycleTheme()}
      aria-label={`Theme: ${theme}. Switch to ${next[theme]}.`}
      data-testid="theme"
    >
      <Icon name={icon} /> <span className="btn-text">{theme === "system" ? "Auto" : theme === "light" ? "Light" : "Dark"}</span>
    </button>
  );
}

/**
 * The header's buttons: in the row on wide screens; below ~1100px behind a "Menu" button, so
 * nothing leaves the screen (issue 17). Esc closes it.
 */
function MoreMenu({ children }: { children: ReactNode }): ReactElement {
  const open = useUi((s) => s.menuOpen);
  return (
    <>
      <button
        type="button"
        className="btn btn--ghost topbar-menu-button"
        aria-expanded={open}
        aria-controls="topbar-more"
        data-testid="header-menu"
        onClick={() => uiStore.getState().setMenuOpen(!open)}
      >
        <Icon name="menu" /> Menu
      </button>
      <div
        id="topbar-more"
        className={`topbar-more${open ? " is-open" : ""}`}
        onKeyDown={(e) => {
          if (e.key === "Escape") uiStore.getState().setMenuOpen(false);
        }}
      >
        {children}
      </div>
    </>
  );
}

/** Props: none; reads the store. */
export function HeaderBar(): ReactElement {
  return (
    <header className="topbar">
      <div className="brand">
        <h1>tagflow</h1>
        <span className="tagline">packets and their m_tags through a BSD network stack</span>
      </div>
      <div className="topbar-controls">
        <ScenarioPicker />
        <PersonalityPicker />
        <MoreMenu>
          <LessonsMenu />
          <EditButton />
          <OpenScenario />
          <ExportMenu />
          <ShareButton />
          <PresentButton />
          <ThemeToggle />
        </MoreMenu>
      </div>
    </header>
  );
}
