/**
 * The header's Export menu: the capture (pcapng) and its Wireshark key table, the trace and the
 * scenario as JSON, the current step as SVG or PNG. The exporters load on first use.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactElement } from "react";
import { tagflowStore, useTagflow } from "../../store/index";
import type { ExportKind } from "./exportActions";
import { Icon } from "../icons";

interface Item {
  readonly kind: ExportKind;
  readonly label: string;
  readonly hint: string;
}

const GROUPS: readonly (readonly Item[])[] = [
  [
    { kind: "slide", label: "This step as a 16:9 slide", hint: "PNG, 1920×1080, ready for a presentation" },
    { kind: "png", label: "This step as PNG", hint: "2× resolution, the stack and its caption" },
    { kind: "svg", label: "This step as SVG", hint: "vector, with the callout and a caption" },
  ],
  [
    { kind: "pcapng", label: "Capture (.pcapng)", hint: "every link, a comment per step" },
    { kind: "keys", label: "Wireshark ESP keys (esp_sa)", hint: "decrypts the ESP in the capture" },
  ],
  [
    { kind: "trace", label: "Trace (.json)", hint: "every step, as tagflow run --json" },
    { kind: "scenario", label: "Scenario (.json)", hint: "opens again with Open… or by drag-and-drop" },
    { kind: "setkey", label: "SAs and policies as setkey", hint: "a setkey -f file (ipsec-tools)" },
    { kind: "ip-xfrm", label: "SAs and policies as ip xfrm", hint: "ip xfrm commands (iproute2), a sh script" },
  ],
];

/** Props: none; reads the store. */
export function ExportMenu(): ReactElement {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<ExportKind | null>(null);
  const hasTrace = useTagflow((s) => s.trace !== null && s.trace.events.length > 0);
  const hasEsp = useTagflow((s) => s.trace?.scenario.hosts.some((h) => h.sad.some((sa) => sa.proto === "esp")) ?? false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>("[role=menuitem]:not(:disabled)")?.focus();
    const onPointer = (e: PointerEvent) => {
      const t = e.target as Node | null;
      if (t && !menu.current?.contains(t) && !button.current?.contains(t)) setOpen(false);
    };
    window.addEventListener("pointerdown", onPointer);
    return () => window.removeEventListener("pointerdown", onPointer);
  }, [open]);

  const pick = async (kind: ExportKind) => {
    setBusy(kind);
    try {
      const { runExport } = await import("./exportActions");
      await runExport(kind, tagflowStore.getState());
      setOpen(false);
      button.current?.focus();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      tagflowStore.getState().reportProblems("Could not export", [{ path: kind, message }]);
      setOpen(false);
    } finally {
      setBusy(null);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]:not(:disabled)") ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const to =
      e.key === "ArrowDown"
        ? (at + 1) % items.length
        : e.key === "ArrowUp"
          ? (at - 1 + items.length) % items.length
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? items.length - 1
              : -1;
    if (e.key === "Escape" || e.key === "Tab") {
      if (e.key === "Escape") e.preventDefault();
      setOpen(false);
      button.current?.focus();
      return;
    }
    if (to < 0 || items.length === 0) return;
    e.preventDefault();
    items[to]!.focus();
  };

  return (
    <div className="export">
      <button
        ref={button}
        type="button"
        className="btn btn--ghost"
        aria-haspopup="menu"
        aria-label="Export"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        disabled={!hasTrace}
        onClick={() => setOpen((o) => !o)}
        data-testid="export"
      >
        <Icon name="download" /> <span className="btn-text">Export</span>
      </button>
      {open && (
        <div className="popover menu" id={id} role="menu" aria-label="Export" ref={menu} onKeyDown={onKeyDown}>
          {GROUPS.map((group, gi) => (
            <div key={gi} className="menu-group" role="group">
              {group.map((item) => {
                const disabled = busy !== null || (item.kind === "keys" && !hasEsp);
                return (
                  <button
                    key={item.kind}
                    type="button"
                    role="menuitem"
                    className="menu-item"
                    disabled={disabled}
                    aria-busy={busy === item.kind}
                    data-export={item.kind}
                    onClick={() => void pick(item.kind)}
                  >
                    <span className="menu-label">{busy === item.kind ? "Exporting…" : item.label}</span>
                    <span className="menu-hint">{item.kind === "keys" && !hasEsp ? "no ESP in this scenario" : item.hint}</span>
                  </button>
                );
              })}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
