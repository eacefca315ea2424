/**
 * The control-plane lane (seed 004): a message sequence chart between each host's key daemon
 * and its kernel, on the timeline's step scale, so the first ping visibly waits on (or is dropped
 * by) the ACQUIRE. One arrow per key message at the step it is delivered, from the sender's row
 * to the receiver's; clicking one moves the cursor there, and the inspector shows its bytes.
 * Rendered only when the trace has key messages.
 */
import { useMemo, type ReactElement } from "react";
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
          <text
            key={r}
            x={2}
            y={i * ROW + ROW / 2 - 2}
            fontSize={10}
            fill="currentColor"
            stroke="var(--bg)"
            strokeWidth={3}
            paintOrder="stroke"
            pointerEvents="none"
          >
            {r}
          </text>
        ))}
      </svg>
    </div>
  );
}
