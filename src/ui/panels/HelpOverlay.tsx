/**
 * The `?` overlay: every key and a legend of what the stack view draws (hatching, pills, the
 * ring, stale tags). A modal <dialog>: the page behind is inert (focus stays inside), Esc
 * closes it, and focus goes back to where it was.
 */
import { useEffect, useRef, type ReactElement } from "react";
import { SHORTCUTS } from "../hooks/useKeyboard";
import { tagSwatch } from "../palette";
import { TAG_CLASS_MARK } from "../stack/cardLayout";
import { uiStore, useUi } from "../uiStore";
import "./help.css";

function Swatch({ kind }: { kind: "enc" | "tag" | "flag" | "ring" | "stale" | "record" | "reminder" }): ReactElement {
  return (
    <svg className="legend-swatch" width={64} height={30} viewBox="0 0 64 30" aria-hidden="true">
      {kind === "enc" && <rect x={2} y={3} width={60} height={24} rx={3} fill="url(#tf-hatch-enc)" stroke="var(--enc)" strokeWidth={1.5} />}
      {kind === "tag" && <rect x={2} y={3} width={60} height={24} rx={4} fill={tagSwatch("IPSEC_IN_DONE").fill} stroke="rgba(0,0,0,.45)" />}
      {kind === "record" && (
        <>
          <rect x={2} y={3} width={60} height={24} rx={4} fill={tagSwatch("IPSEC_OUT_DONE").fill} stroke="rgba(0,0,0,.45)" />
          <text x={10} y={15} dominantBaseline="central" className="legend-mark" fill={tagSwatch("IPSEC_OUT_DONE").text}>
            {TAG_CLASS_MARK.record}
          </text>
        </>
      )}
      {kind === "reminder" && (
        <>
          <rect x={2} y={3} width={60} height={24} rx={4} fill="var(--surface)" stroke={tagSwatch("IPSEC_OUT_CRYPTO_NEEDED").fill} strokeWidth={3} />
          <text x={10} y={15} dominantBaseline="central" className="legend-mark" fill="var(--text)">
            {TAG_CLASS_MARK.reminder}
          </text>
        </>
      )}
      {kind === "flag" && (
        <>
          <rect x={2} y={3} width={60} height={24} rx={12} fill="var(--surface)" stroke="var(--text-muted)" strokeWidth={2.5} />
          <circle cx={14} cy={15} r={4} fill="var(--text-muted)" />
        </>
      )}
      {kind === "ring" && (
        <>
          <rect x={6} y={7} width={52} height={16} rx={4} fill="var(--surface-3)" />
          <rect x={2} y={3} width={60} height={24} rx={8} fill="none" stroke="var(--consult)" strokeWidth={3} />
        </>
      )}
      {kind === "stale" && (
        <>
          <rect x={2} y={3} width={60} height={24} rx={4} fill="var(--surface-3)" stroke="var(--stale)" strokeWidth={2.5} strokeDasharray="4 2" />
          <rect x={42} y={5} width={18} height={20} fill="url(#tf-hatch-stale)" />
        </>
      )}
    </svg>
  );
}

const LEGEND: readonly { kind: Parameters<typeof Swatch>[0]["kind"]; term: string; text: string }[] = [
  { kind: "enc", term: "Hatched band", text: "Encrypted bytes (ESP ciphertext): nobody on the wire can read them." },
  { kind: "tag", term: "Square badge", text: "An m_tag riding on the packet, e.g. IPSEC_IN_DONE." },
  {
    kind: "record",
    term: "Filled badge, ✓ · record",
    text: "A tag recording work already done to the packet, e.g. OUT_DONE, IN_DONE, GIF (Keromytis 2003).",
  },
  {
    kind: "reminder",
    term: "Outlined badge, → · reminder",
    text: "A tag asking a lower layer to do work still to do, e.g. OUT_CRYPTO_NEEDED for a crypto NIC.",
  },
  { kind: "flag", term: "Round pill", text: "An m_flags bit, e.g. M_DECRYPTED." },
  { kind: "ring", term: "Ring", text: "The decision at this step looked at this tag or flag." },
  { kind: "stale", term: "Dashed, hatched end · stale", text: "Left over from the packet's earlier trip: it describes another packet." },
];

/** Props: none; open while uiStore.helpOpen. */
export function HelpOverlay(): ReactElement | null {
  const open = useUi((s) => s.helpOpen);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      return () => {
        if (dialog.open) dialog.close();
        before?.focus();
      };
    }
    return undefined;
  }, [open]);
  if (!open) return null;
  const close = () => uiStore.getState().setHelpOpen(false);
  return (
    <dialog
      ref={ref}
      className="help"
      aria-labelledby="help-title"
      data-testid="help"
      onClose={close}
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget) close();
      }}
      onKeyDown={(e) => {
        // A modal dialog leaves the page inert, but Tab would still leave for the browser's own UI.
        if (e.key !== "Tab") return;
        const items = [...e.currentTarget.querySelectorAll<HTMLElement>("button, [href], [tabindex]:not([tabindex='-1'])")];
        if (items.length === 0) return;
        const i = items.indexOf(document.activeElement as HTMLElement);
        e.preventDefault();
        items[(i + (e.shiftKey ? items.length - 1 : 1)) % items.length]?.focus();
      }}
    >
      <div className="help-body">
        <div className="help-head">
          <h2 id="help-title">Keys and legend</h2>
          <button type="button" className="btn" onClick={close} autoFocus>
            Close <kbd>Esc</kbd>
          </button>
        </div>
        <div className="help-cols">
          <section aria-labelledby="help-keys">
            <h3 id="help-keys">Keys</h3>
            <dl className="help-keys">
              {SHORTCUTS.map((k) => (
                <div key={k.keys}>
                  <dt>
                    {k.keys.split(" ").map((key) => (
                      <kbd key={key}>{key}</kbd>
                    ))}
                  </dt>
                  <dd>{k.action}</dd>
                </div>
              ))}
            </dl>
          </section>
          <section aria-labelledby="help-legend">
            <h3 id="help-legend">What the stack view draws</h3>
            <dl className="help-legend">
              {LEGEND.map((l) => (
                <div key={l.kind}>
                  <dt>
                    <Swatch kind={l.kind} />
                    <span>{l.term}</span>
                  </dt>
                  <dd>{l.text}</dd>
                </div>
              ))}
            </dl>
          </section>
        </div>
      </div>
    </dialog>
  );
}
