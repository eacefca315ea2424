/**
 * Seed 004: a key-management message as its C structs — struct, member, offset, value — instead
 * of raw hex: nlmsghdr + the XFRM body + rtattrs, or sadb_msg + its extensions, decoded by the
 * codec's own struct tables (wire/xfrm_nl.ts, wire/pfkey.ts). Renders nothing for other packets.
 * A member and its bytes light each other, as the header tree and the hex view do: pointing at a
 * row lights its bytes in the hex view; pointing at a byte lights the member that holds it.
 */
import { useMemo, type ReactElement } from "react";
import type { ScenarioTrace } from "../../engine/index";
import { tagflowStore, useTagflow, type Hover } from "../../store";
import type { KeyFieldRow } from "../../engine/wire/xfrm_nl";
import { keyMessageAt } from "./keyMessage";
import "./keyMessage.css";

export interface KeyMessagePanelProps {
  readonly trace: ScenarioTrace;
  readonly cursor: number;
  readonly chain: number;
  readonly bytes: Uint8Array;
}

export function KeyMessagePanel({ trace, cursor, chain, bytes }: KeyMessagePanelProps): ReactElement | null {
  const view = useMemo(() => keyMessageAt(trace, cursor, chain, bytes), [trace, cursor, chain, bytes]);
  const lit = useTagflow((s) => litMember(s.hover, view?.rows ?? []));
  if (!view) return null;
  const st = tagflowStore.getState();
  return (
    <div className="keymsg" aria-label={`Key message fields: ${view.summary}`}>
      <p className="keymsg-head">
        <strong>{view.summary.split(" ")[0]}</strong> · {view.api === "netlink" ? "NETLINK_XFRM" : "PF_KEY v2"} · {bytes.length} bytes
      </p>
      {view.error ? (
        <p className="panel-empty">Does not decode: {view.error}</p>
      ) : (
        <table className="keymsg-table">
          <thead>
            <tr>
              <th scope="col">member</th>
              <th scope="col" className="keymsg-num">
                offset:size
              </th>
              <th scope="col">value</th>
            </tr>
          </thead>
          <tbody>
            {view.rows.flatMap((r, i) => {
              // A struct's name heads its members (a row of its own keeps the table narrow enough for a 1280-px inspector).
              const first = i === 0 || view.rows[i - 1]!.struct !== r.struct;
              const row = (
                <tr
                  key={`${r.offset}:${r.struct}.${r.field}`}
                  title={r.label}
                  className={lit === i ? "is-lit" : undefined}
                  data-offset={r.offset}
                  tabIndex={0}
                  onPointerEnter={() => st.setHover({ kind: "range", start: r.offset, end: r.offset + r.size })}
                  onPointerLeave={() => st.setHover(null)}
                  onFocus={() => st.setHover({ kind: "range", start: r.offset, end: r.offset + r.size })}
                  onBlur={() => st.setHover(null)}
                >
                  <td>
                    <code>{r.field}</code>
                  </td>
                  <td className="keymsg-num">
                    {r.offset}
                    <span className="keymsg-size">:{r.size}</span>
                  </td>
                  <td className="keymsg-value">
                    <code>{r.value}</code>
                  </td>
                </tr>
              );
              return first
                ? [
                    <tr key={`${r.offset}:${r.struct}`} className="keymsg-struct">
                      <th scope="rowgroup" colSpan={3}>
                        struct {r.struct}
                      </th>
                    </tr>,
                    row,
                  ]
                : [row];
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The row the pointer is on: the hovered member itself, or the narrowest member holding the hovered byte. */
function litMember(hover: Hover, rows: readonly KeyFieldRow[]): number {
  if (hover?.kind === "range") return rows.findIndex((r) => r.offset === hover.start && r.offset + r.size === hover.end);
  if (hover?.kind !== "byte") return -1;
  let best = -1;
  rows.forEach((r, i) => {
    if (hover.offset >= r.offset && hover.offset < r.offset + r.size && (best < 0 || r.size < rows[best]!.size)) best = i;
  });
  return best;
}
