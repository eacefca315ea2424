/**
 * The control-plane lane (seed 004): a message sequence chart between each host's key daemon
 * and its kernel, on the timeline's step scale, so the first ping visibly waits on (or is dropped
 * by) the ACQUIRE. One arrow per key message at the step it is delivered, from the sender's row
 * to the receiver's; clicking one moves the cursor there, and the inspector shows its bytes.
 * Rendered only when the trace has key messages.
 */
import { useMemo, useState, type ReactElement } from "react";
import { kindAt, scanAt, type EventList } from "../../engine";
import { tagflowStore, useTagflow } from "../../store/index";
import { stepScale } from "./timelineLayout";
import { markTipHandlers } from "./MarkTooltip";

const ROW = 18;

/** One message arrow, laid out. */
export interface ControlArrow {
  readonly seq: number;
  readonly x: number;
  readonly y1: number;
  readonly y2: number;
  /** Kernel name: "XFRM_MSG_ACQUIRE", "SADB_ADD", "NLMSG_ERROR". */
  readonly name: string;
  readonly summary: string;
  readonly toDaemon: boolean;
}

/** The lane's rows ("west pluto", "west kernel", …) and arrows: a pure function of the events and the step scale. */
export function layoutControlLane(events: EventList, x: (step: number) => number): { rows: string[]; arrows: ControlArrow[] } {
  const rows: string[] = [];
  const arrows: ControlArrow[] = [];
  const rowOf = (label: string): number => {
    let i = rows.indexOf(label);
    if (i < 0) i = rows.push(label) - 1;
    return i;
  };
  for (let i = 0; i < events.length; i++) {
    // The kind from its column first: only key-message deliveries are materialised (a million-step trace, issue 11).
    if (kindAt(events, i) !== "deliver") continue;
    const e = scanAt(events, i);
    if (e.kind !== "deliver" || !/^(NETLINK_XFRM|PF_KEY) \((pluto|kernel)\)$/.test(e.socket)) continue;
    const toDaemon = e.socket.endsWith("(pluto)");
    const daemon = rowOf(`${e.host} pluto`);
    const kernel = rowOf(`${e.host} kernel`);
    const [from, to] = toDaemon ? [kernel, daemon] : [daemon, kernel];
    arrows.push({
      seq: e.seq,
      x: x(e.seq),
      y1: from * ROW + ROW / 2,
      y2: to * ROW + ROW / 2,
      name: e.summary.split(" ")[0] ?? "",
      summary: e.summary,
      toDaemon,
    });
  }
  return { rows, arrows };
}

/** A lane's row name over its marks, with a halo in the page's colour so marks under it do not hide it. */
function RowLabel({ y, size, central = false, children }: { y: number; size: number; central?: boolean; children: string }): ReactElement {
  return (
    <text
      x={2}
      y={y}
      dominantBaseline={central ? "central" : undefined}
      fontSize={size}
      fill="currentColor"
      stroke="var(--bg)"
      strokeWidth={3}
      paintOrder="stroke"
      pointerEvents="none"
    >
      {children}
    </text>
  );
}

/** The kernel's SA states (keying/kernel.ts KmState) in the order a state lives through them. */
const SA_STATES = ["acq", "larval", "mature", "dying", "dead"] as const;
type SaState = (typeof SA_STATES)[number];

/** One stretch of an SA's life in one state, laid out. */
export interface SaSpan {
  readonly row: number;
  readonly sa: string;
  readonly state: SaState;
  /** Steps (0-based): from the state change to the next one (or the trace's last step). */
  readonly from: number;
  readonly to: number;
  readonly x0: number;
  readonly x1: number;
}

/**
 * Each SA's own lane (seed 004): its states from the kernel's `sa.update` state facts — ACQ
 * placeholder, larval, mature, dying — one row per host and SA, on the timeline's step scale.
 * An ACQ state ends where xfrm_add_sa's "replace ACQ" decision consults it (__xfrm_find_acq_byseq:
 * the new SA takes its place; the kernel records no state change for the placeholder), a state
 * that ends "dead" ends there. A pure function of the events and the step scale.
 */
export function layoutSaLanes(events: EventList, x: (step: number) => number): { rows: string[]; spans: SaSpan[] } {
  const rows: string[] = [];
  const spans: SaSpan[] = [];
  const open = new Map<string, { row: number; sa: string; state: SaState; from: number }>();
  const close = (key: string, at: number) => {
    const o = open.get(key);
    if (!o) return;
    open.delete(key);
    spans.push({ ...o, to: at, x0: x(o.from), x1: Math.max(x(at), x(o.from) + 2) });
  };
  for (let i = 0; i < events.length; i++) {
    const kind = kindAt(events, i);
    if (kind !== "sa.update" && kind !== "decision") continue;
    const e = scanAt(events, i);
    if (e.kind === "decision") {
      if (e.check !== "km-install" || e.branch !== "replace ACQ") continue;
      for (const c of e.consulted) if (c.kind === "sa") close(`${e.host} ${c.id}`, i);
      continue;
    }
    if (e.kind !== "sa.update" || e.field !== "state" || !(SA_STATES as readonly string[]).includes(e.value)) continue;
    const key = `${e.host} ${e.sa}`;
    close(key, i);
    if (e.value === "dead") continue;
    let row = rows.indexOf(key);
    if (row < 0) row = rows.push(key) - 1;
    open.set(key, { row, sa: e.sa, state: e.value as SaState, from: i });
  }
  for (const key of [...open.keys()]) close(key, events.length - 1);
  return { rows, spans };
}

/**
 * Props: the width of the step track. The SAs' own lanes, under the control-plane messages:
 * folded to one line by default, so the stack keeps its height on a 720-px projector; open, at
 * most a few rows show at once and the rest scroll.
 */
function SaLanes({ trackWidth }: { trackWidth: number }): ReactElement | null {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const [open, setOpen] = useState(false);
  const layout = useMemo(() => (trace ? layoutSaLanes(trace.events, stepScale(trace.events.length, trackWidth)) : null), [trace, trackWidth]);
  if (!layout || layout.spans.length === 0) return null;
  const now = layout.spans.filter((sp) => cursor >= sp.from && cursor <= sp.to).map((sp) => sp.state);
  const counts = SA_STATES.filter((st) => now.includes(st)).map((st) => `${now.filter((x) => x === st).length} ${st}`);
  return (
    <section className="sa-lanes" aria-label="SA states: each SA's own lane">
      <button type="button" className="lanes-toggle sa-lanes-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? "▾" : "▸"}</span> SA states <span className="lanes-count">{layout.rows.length}</span>
        <span className="sa-lanes-now">{counts.length ? ` at this step: ${counts.join(", ")}` : " at this step: none yet"}</span>
      </button>
      {open && (
        <div className="sa-lanes-scroll">
          <svg width={trackWidth} height={layout.rows.length * SA_ROW} role="group">
            {layout.spans.map((sp) => (
              <rect
                key={`${sp.row}:${sp.from}`}
                className={`sa-span sa-span--${sp.state}${cursor >= sp.from && cursor <= sp.to ? " is-current" : ""}`}
                data-state={sp.state}
                data-sa={sp.sa}
                x={sp.x0}
                y={sp.row * SA_ROW + 2}
                width={sp.x1 - sp.x0}
                height={SA_ROW - 4}
                rx={3}
                onClick={() => tagflowStore.getState().seek(sp.from)}
              >
                <title>{`${sp.sa}: ${sp.state}, steps ${sp.from + 1}–${sp.to + 1}`}</title>
              </rect>
            ))}
            {layout.rows.map((r, i) => (
              <RowLabel key={r} y={i * SA_ROW + SA_ROW / 2} size={12} central>
                {r}
              </RowLabel>
            ))}
          </svg>
        </div>
      )}
    </section>
  );
}

const SA_ROW = 18;

/** Props: the width of the step track, shared with the scrubber above. */
export function ControlLane({ trackWidth }: { trackWidth: number }): ReactElement | null {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const layout = useMemo(() => (trace ? layoutControlLane(trace.events, stepScale(trace.events.length, trackWidth)) : null), [trace, trackWidth]);
  if (!layout || layout.arrows.length === 0) return null;
  const height = layout.rows.length * ROW;
  return (
    <div className="control-lane" aria-label="Control plane: messages between the key daemon and the kernel">
      <svg width={trackWidth} height={height} role="group">
        {layout.rows.map((r, i) => (
          <line key={r} x1={0} x2={trackWidth} y1={i * ROW + ROW / 2} y2={i * ROW + ROW / 2} stroke="currentColor" strokeOpacity={0.2} />
        ))}
        {layout.arrows.map((a) => (
          <g
            key={a.seq}
            className={a.seq === cursor ? "msg is-current" : "msg"}
            data-msg={a.name}
            role="button"
            tabIndex={0}
            aria-label={`${a.summary}, step ${a.seq + 1}`}
            onClick={() => tagflowStore.getState().seek(a.seq)}
            onKeyDown={(ev) => {
              // A message is a button: Enter or Space selects it into the inspector, as a click does.
              if (ev.key !== "Enter" && ev.key !== " ") return;
              ev.preventDefault();
              ev.stopPropagation();
              tagflowStore.getState().seek(a.seq);
            }}
            style={{ cursor: "pointer" }}
            {...markTipHandlers(a.seq, a.summary)}
          >
            <line x1={a.x} x2={a.x} y1={a.y1} y2={a.y2} stroke="currentColor" strokeWidth={a.seq === cursor ? 3 : 1.5} />
            <circle cx={a.x} cy={a.y2} r={a.seq === cursor ? 4 : 2.5} fill={a.toDaemon ? "currentColor" : "none"} stroke="currentColor" />
          </g>
        ))}
        {/* Row names over the arrows, with a halo in the page's colour: the first messages sit at the lane's left end. */}
        {layout.rows.map((r, i) => (
          <RowLabel key={r} y={i * ROW + ROW / 2 - 2} size={10}>
            {r}
          </RowLabel>
        ))}
      </svg>
      <SaLanes trackWidth={trackWidth} />
    </div>
  );
}
