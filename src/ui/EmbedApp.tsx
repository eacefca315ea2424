/**
 * Embed mode (`?embed`): a read-only, chrome-less view for slides and course pages — the stack,
 * the narration and step controls, kept to the link's excerpt (`from`/`to`), with a small link
 * to the full app at the same state. No scenario picker, no fixes, no files: what the author
 * linked is what the audience sees.
 */
import { ControlButton } from "./ControlButton";
import type { ReactElement } from "react";
import { encodeShare } from "../share/codec";
import { shareStateOf } from "../share/state";
import { tagflowStore, useTagflow } from "../store/index";
import { ErrorBoundary } from "./ErrorBoundary";
import { useKeyboard } from "./hooks/useKeyboard";
import { usePlayLoop } from "./hooks/usePlayLoop";
import { useTheme } from "./hooks/useTheme";
import { Icon } from "./icons";
import { Narration } from "./panels/Narration";
import { ProblemsAlert } from "./panels/ProblemsAlert";
import { linkToNow } from "./shareUi";
import { StackView } from "./stack/StackView";
import { SvgDefs } from "./stack/SvgDefs";
import { LessonCardSlot } from "./lessons/LessonCardSlot";
import { LessonLayer } from "./lessons/LessonLayer";
import "./embed.css";

function EmbedControls(): ReactElement {
  const s = tagflowStore.getState();
  const count = useTagflow((st) => st.trace?.events.length ?? 0);
  const cursor = useTagflow((st) => st.cursor);
  const playing = useTagflow((st) => st.playing);
  const from = useTagflow((st) => st.range?.from ?? 0);
  const to = useTagflow((st) => st.range?.to ?? Math.max(0, (st.trace?.events.length ?? 1) - 1));
  const excerpt = useTagflow((st) => st.range !== null);
  const none = count === 0;
  return (
    <footer className="embed-controls">
      <div className="ctl-group" role="group" aria-label="Playback">
        <ControlButton icon="start" label="Jump to start" keys="Home" onClick={s.jumpToStart} disabled={none || cursor <= from} compact />
        <ControlButton icon="back" label="Step back" keys="ArrowLeft" onClick={s.stepBack} disabled={none || cursor <= from} compact />
        <ControlButton
          icon={playing ? "pause" : "play"}
          label={playing ? "Pause" : "Play"}
          keys="Space"
          onClick={s.togglePlay}
          disabled={none}
          primary
          compact
        />
        <ControlButton icon="forward" label="Step forward" keys="ArrowRight" onClick={s.stepForward} disabled={none || cursor >= to} compact />
        <ControlButton icon="end" label="Jump to end" keys="End" onClick={s.jumpToEnd} disabled={none || cursor >= to} compact />
      </div>
      <input
        className="embed-scrub"
        type="range"
        min={from}
        max={to}
        step={1}
        value={cursor}
        disabled={none || from === to}
        aria-label="Step"
        aria-valuetext={`Step ${cursor + 1} of ${count}`}
        onChange={(e) => tagflowStore.getState().seek(Number(e.target.value), "jump")}
      />
      <span className="step-label" data-testid="step">
        {none ? "Step 0 of 0" : `Step ${cursor + 1} of ${count}`}
      </span>
      {excerpt && !none && (
        <span className="embed-range" data-testid="range">
          steps {from + 1}–{to + 1}
        </span>
      )}
    </footer>
  );
}

function EmbedHeader(): ReactElement {
  const verdict = useTagflow((s) => s.trace?.outcome.verdict ?? null);
  const title = useTagflow((s) => s.trace?.scenario.title || s.trace?.scenario.name || "");
  const fixes = useTagflow((s) => s.fixes.length);
  // Re-render when what a link holds changes; the href itself is built from the page's address.
  useTagflow((s) => {
    const share = shareStateOf(s);
    return share ? encodeShare(share) : "";
  });
  return (
    <header className="embed-head">
      {verdict && (
        <span className={`verdict-chip verdict-chip--${verdict}`} data-testid="outcome" data-verdict={verdict}>
          {verdict}
        </span>
      )}
      <span className="embed-title" title={title}>
        {title}
        {fixes > 0 && <span className="embed-fixes"> · {fixes === 1 ? "1 fix on" : `${fixes} fixes on`}</span>}
      </span>
      <a className="embed-open" href={linkToNow()} target="_blank" rel="noreferrer noopener" data-testid="open-in-tagflow">
        Open in tagflow <Icon name="external" size={14} />
      </a>
    </header>
  );
}

/** Props: none; the store is the state, the page's query string chose embed mode. */
export function EmbedApp(): ReactElement {
  useKeyboard({ share: false });
  usePlayLoop();
  useTheme();
  return (
    <div className="embed" data-testid="embed">
      <SvgDefs />
      <EmbedHeader />
      <main className="embed-main">
        <ErrorBoundary>
          <div className="stack-wrap">
            <StackView />
            <ProblemsAlert />
          </div>
        </ErrorBoundary>
        <ErrorBoundary>
          <Narration />
          <LessonCardSlot embed />
        </ErrorBoundary>
      </main>
      <EmbedControls />
      <LessonLayer embed />
    </div>
  );
}
