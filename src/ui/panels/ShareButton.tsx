/**
 * "Copy link" in the header (and the `c` shortcut): copies a link to exactly what is on screen
 * and opens a popover with that link — selected for Ctrl+C when the clipboard refused — and the
 * `<iframe>` code that embeds it.
 */
import { useEffect, useId, useRef, useState, type ReactElement, type RefObject } from "react";
import { encodeShare } from "../../share/codec";
import { copyText } from "../../share/clipboard";
import { shareStateOf } from "../../share/state";
import { embedSnippet, embedUrl } from "../../share/urlSync";
import { useTagflow } from "../../store/index";
import { Icon } from "../icons";
import { closeShare, copyCurrentLink, linkToNow, useShareUi } from "../shareUi";

/** How long the button says "Copied". */
const COPIED_MS = 2000;

function SharePopover({ id, anchor }: { id: string; anchor: RefObject<HTMLButtonElement | null> }): ReactElement {
  const copiedUrl = useShareUi((s) => s.copiedUrl);
  const copied = useShareUi((s) => s.copied);
  // The link follows the screen while the popover is open (a string, so the selector is stable).
  const fragment = useTagflow((s) => {
    const share = shareStateOf(s);
    return share ? encodeShare(share) : null;
  });
  const title = useTagflow((s) => s.trace?.scenario.title || s.trace?.scenario.name || "tagflow");
  const url = fragment === null ? copiedUrl : linkToNow();
  const stale = url !== copiedUrl;
  const [embedCopied, setEmbedCopied] = useState<boolean | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const code = embedSnippet(url, `tagflow: ${title}`);

  useEffect(() => {
    // The clipboard said no: hand the person the link, selected.
    if (copied === false) field.current?.select();
  }, [copied]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      closeShare();
      anchor.current?.focus();
    };
    const onPointer = (e: PointerEvent) => {
      const t = e.target as Node | null;
      if (t && !box.current?.contains(t) && !anchor.current?.contains(t)) closeShare();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", onPointer);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", onPointer);
    };
  }, [anchor]);

  const status = stale
    ? "The view changed since you copied: copy again for this step."
    : copied === null
      ? "Copying…"
      : copied
        ? "Link copied to the clipboard."
        : "Your browser did not allow copying: the link is selected, press Ctrl+C (⌘C).";
  return (
    <div className="popover share-popover" id={id} ref={box} role="dialog" aria-label="Share this step" data-testid="share-popover">
      <div className="popover-head">
        <span className={`share-status${copied && !stale ? " is-ok" : ""}`} role="status" data-testid="share-status">
          {copied && !stale ? <Icon name="check" size={16} /> : <Icon name="info" size={16} />} {status}
        </span>
        <button type="button" className="icon-btn" aria-label="Close" onClick={() => closeShare()}>
          <Icon name="close" size={16} />
        </button>
      </div>
      <label className="share-field">
        <span className="share-label">
          Link <span className="share-hint">scenario, fixes, step and view · {url.length} characters</span>
        </span>
        <span className="share-row">
          <input ref={field} type="text" readOnly value={url} onFocus={(e) => e.currentTarget.select()} data-testid="share-url" spellCheck={false} />
          {stale && (
            <button type="button" className="btn btn--small" onClick={() => void copyCurrentLink()}>
              Copy
            </button>
          )}
        </span>
      </label>
      <label className="share-field">
        <span className="share-label">
          Embed <span className="share-hint">read-only, for slides and course pages</span>
        </span>
        <textarea readOnly value={code} rows={3} onFocus={(e) => e.currentTarget.select()} data-testid="embed-code" spellCheck={false} />
      </label>
      <div className="share-actions">
        <button
          type="button"
          className="btn btn--small"
          onClick={() => {
            void copyText(code).then(setEmbedCopied);
          }}
        >
          <Icon name={embedCopied ? "check" : "link"} size={14} /> {embedCopied ? "Embed code copied" : "Copy embed code"}
        </button>
        <a className="share-open" href={embedUrl(url)} target="_blank" rel="noreferrer noopener">
          Preview the embed <Icon name="external" size={14} />
        </a>
      </div>
    </div>
  );
}

/** Props: none; reads the store and the share popover state. */
export function ShareButton(): ReactElement {
  const open = useShareUi((s) => s.open);
  const copied = useShareUi((s) => s.copied);
  const copies = useShareUi((s) => s.copies);
  const [flash, setFlash] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();

  useEffect(() => {
    if (copies === 0 || copied !== true) return;
    setFlash(true);
    const t = window.setTimeout(() => setFlash(false), COPIED_MS);
    return () => window.clearTimeout(t);
  }, [copies, copied]);

  return (
    <div className="share">
      <button
        ref={button}
        type="button"
        className={`btn btn--ghost${flash ? " is-done" : ""}`}
        onClick={() => void copyCurrentLink()}
        aria-label="Copy link"
        aria-keyshortcuts="c"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        title="Copy a link to this scenario, step and view (C)"
        data-testid="copy-link"
      >
        <Icon name={flash ? "check" : "link"} /> <span className="btn-text">{flash ? "Copied" : "Copy link"}</span>
      </button>
      {open && <SharePopover id={id} anchor={button} />}
    </div>
  );
}
