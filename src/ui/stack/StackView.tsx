/**
 * The stack view: hosts as columns of layer boxes, the queues, lo0's loop and the wires, and the
 * packet card that moves to where the current step happens. React renders every node; the
 * layout kernels (stackLayout, cardLayout) compute where. The card's move between boxes is a
 * straight-lerp tween applied to its transform (skipped when jumping or with reduced motion).
 */
import { easeCubicInOut } from "d3-ease";
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, type CSSProperties, type ReactElement } from "react";
import type { ScenarioTrace, TraceEvent } from "../../engine/index";
import { tagflowStore, useTagflow } from "../../store/index";
import { stepInterval } from "../../store/playbackSlice";
import { traceIndex } from "../../store/selectors";
import { tagLanes } from "../../store/tagLanes";
import { useElementSize } from "../hooks/useElementSize";
import { useReducedMotion } from "../hooks/useReducedMotion";
import { layoutCard } from "./cardLayout";
import {
  connectorPath,
  ipqAt,
  layoutStack,
  stackMinWidth,
  type HeldFragment,
  placeCard,
  slotOf,
  slotRect,
  STACK_ROWS,
  type HostPlan,
  type Rect,
  type SlotId,
  type StackPlan,
} from "./stackLayout";
import { PacketCard } from "./PacketCard";
import { flagLabel, tagShortName } from "../palette";
import { hostsOf, packetModelAt } from "../stepModel";
import { findingTitle, fitText } from "../text";
import { useUi } from "../uiStore";

const ROW_LABEL: Readonly<Record<SlotId, string>> = {
  app: "socket / app",
  icmp: "ICMP",
  ip: "IP",
  ipsec: "IPsec",
  if: "interface",
  link: "link",
  ipintrq: "ipintrq",
  crypto: "crypto",
};
/** The labels of a compact column (four hosts or more, stackLayout's `compact`). */
const ROW_LABEL_SHORT: Readonly<Record<SlotId, string>> = { ...ROW_LABEL, app: "app", if: "if" };
const ROW_HINT: Readonly<Record<SlotId, string>> = {
  ...(Object.fromEntries(STACK_ROWS.map((r) => [r.id, r.hint])) as Record<(typeof STACK_ROWS)[number]["id"], string>),
  ipintrq: "IP input queue",
  crypto: "opencrypto queue",
};

/** One layer or queue box; the active one names the function and, for a decision, the branch. */
function SlotBox({
  id,
  rect,
  active,
  event,
  finding,
  loopIface,
  compact,
  ipq,
}: {
  id: SlotId;
  rect: Rect;
  active: boolean;
  event: TraceEvent | null;
  finding: boolean;
  loopIface: string;
  /** Short labels, fewer queue boxes: a narrow column. */
  compact: boolean;
  /** Fragments held on the host's reassembly queue (drawn in the ipintrq band while any are). */
  ipq: readonly HeldFragment[] | null;
}): ReactElement {
  if (id === "ipintrq" && ipq && !(active && event)) return <IpqBand rect={rect} frags={ipq} />;
  const queue = id === "ipintrq" || id === "crypto";
  const thin = rect.height < 40;
  const decision = active && event?.kind === "decision" ? event : null;
  const stale = decision?.consulted.some((c) => (c.kind === "tag" || c.kind === "flag") && c.stale === true) ?? false;
  const label = (compact ? ROW_LABEL_SHORT : ROW_LABEL)[id];
  const fnX = rect.x + 12 + label.length * (queue ? QUEUE_LABEL_CHAR : 10.4) + 10;
  const fn = active && event ? `${event.fn}()` : "";
  const hint = id === "link" && loopIface ? loopIface : ROW_HINT[id];
  const line1Y = thin ? rect.y + rect.height / 2 : rect.y + Math.round(rect.height * 0.33);
  const line2Y = rect.y + Math.round(rect.height * 0.72);
  const pillText = decision ? fitText(`◆ ${decision.branch}`, rect.width - 32, 9.7) : "";
  const cls = ["slot", `slot--${id}`, active && "is-active", decision && "is-decision", stale && "is-stale", active && finding && "has-finding"]
    .filter(Boolean)
    .join(" ");
  return (
    <g className={cls} data-slot={id} data-active={active}>
      <rect className="slot-bg" x={rect.x} y={rect.y} width={rect.width} height={rect.height} rx={6} />
      {queue && (
        <QueueSlots
          rect={rect}
          // Only as many boxes as fit right of the label: on a narrow column they drew over "ipintrq".
          n={Math.min(compact ? 2 : 3, queueBoxesThatFit(rect, label))}
          filled={active && event?.kind === "queue.enqueue" ? event.depth : active ? 1 : 0}
        />
      )}
      <text className="slot-label" x={rect.x + 12} y={line1Y} dominantBaseline="central">
        {label}
      </text>
      {thin && decision ? (
        // A thin row has one line: the decision's branch, which is what the class must see, goes on it.
        <g className="slot-branch">
          <rect
            x={fnX - 4}
            y={line1Y - 12}
            width={fitText(`◆ ${decision.branch}`, rect.x + rect.width - fnX - 8, 9.7).length * 9.7 + 16}
            height={24}
            rx={12}
          />
          <text x={fnX + 4} y={line1Y} dominantBaseline="central">
            {fitText(`◆ ${decision.branch}`, rect.x + rect.width - fnX - 8, 9.7)}
          </text>
        </g>
      ) : fn ? (
        <text className="slot-fn" x={fnX} y={line1Y} dominantBaseline="central">
          {fitText(fn, rect.x + rect.width - fnX - (queue ? 62 : 8), 9.7)}
          {/* Cut on a multi-host stack at 1280 px ("ip_out…"): the whole name on hover. */}
          <title>{fn}</title>
        </text>
      ) : (
        // A hint cut to a stub ("i…") says nothing: leave it out.
        thin &&
        fitText(hint, rect.x + rect.width - fnX - 62, 8.6).length >= 6 && (
          <text className="slot-hint-inline" x={fnX} y={line1Y} dominantBaseline="central">
            {fitText(hint, rect.x + rect.width - fnX - 62, 8.6)}
          </text>
        )
      )}
      {!thin && decision && (
        <g className="slot-branch">
          <rect x={rect.x + 8} y={line2Y - 12} width={pillText.length * 9.7 + 16} height={24} rx={12} />
          <text x={rect.x + 16} y={line2Y} dominantBaseline="central">
            {pillText}
          </text>
        </g>
      )}
      {!thin && !decision && (
        <text className="slot-hint" x={rect.x + 12} y={line2Y} dominantBaseline="central">
          {fitText(active && event ? event.kind : hint, rect.width - 24, 8.6)}
        </text>
      )}
    </g>
  );
}

/**
 * The reassembly queue (struct ipq) while a host holds fragments: in the IP input band, each
 * fragment as a bar at its place in the datagram (byte offset from ip_off × 8), labelled
 * "off–end" with MF where it was set; a gap is what is still missing.
 */
const IPQ_BAR: CSSProperties = { fill: "var(--surface)", stroke: "var(--accent)", strokeWidth: 2 };
const IPQ_TEXT: CSSProperties = { fill: "var(--text)", fontFamily: "var(--font-mono)", fontSize: 16, fontWeight: 600 };

function IpqBand({ rect, frags }: { rect: Rect; frags: readonly HeldFragment[] }): ReactElement {
  const x0 = rect.x + 52;
  const w = rect.x + rect.width - 8 - x0;
  const total = Math.max(...frags.map((f) => f.end)) * (frags.some((f) => f.end === Math.max(...frags.map((g) => g.end)) && f.mf) ? 1.25 : 1);
  const sx = (b: number) => x0 + (b / total) * w;
  const detail = frags.map((f) => `${f.off}–${f.end}${f.mf ? " MF" : ""}`).join(", ");
  return (
    <g className="slot slot--ipintrq ipq" data-slot="ipq" data-frags={frags.length}>
      <title>{`ipq: datagram id 0x${frags[0]!.id.toString(16).padStart(4, "0")}, ${frags.length} fragment${frags.length === 1 ? "" : "s"} held: ${detail}`}</title>
      <rect className="slot-bg" x={rect.x} y={rect.y} width={rect.width} height={rect.height} rx={6} />
      <text className="slot-label" x={rect.x + 12} y={rect.y + rect.height / 2} dominantBaseline="central">
        ipq
      </text>
      {frags.map((f) => (
        <g key={f.chain} className="ipq-frag">
          <rect x={sx(f.off)} y={rect.y + 3} width={Math.max(4, sx(f.end) - sx(f.off) - 2)} height={rect.height - 6} rx={3} style={IPQ_BAR} />
          <text x={sx(f.off) + 4} y={rect.y + rect.height / 2} dominantBaseline="central" style={IPQ_TEXT}>
            {fitText(`${f.off}–${f.end}${f.mf ? " MF" : ""}`, sx(f.end) - sx(f.off) - 8, 9.6)}
          </text>
        </g>
      ))}
    </g>
  );
}

/** Little boxes on the right of a queue: how many packets wait (at this step). */
/** Side of a queue box: 12 px, less in a thin row. */
const queueBoxSide = (rect: Rect) => Math.min(12, rect.height - 12);

/** Glyph width of a queue row's (monospace) label, for fnX and for the boxes right of it. */
const QUEUE_LABEL_CHAR = 9.8;

/** How many queue boxes fit between the row's label and its right edge. */
function queueBoxesThatFit(rect: Rect, label: string): number {
  const free = rect.width - 10 - (12 + label.length * QUEUE_LABEL_CHAR + 6);
  return Math.max(0, Math.floor(free / (queueBoxSide(rect) + 4)));
}

function QueueSlots({ rect, filled, n }: { rect: Rect; filled: number; n: number }): ReactElement {
  const s = queueBoxSide(rect);
  const y = rect.y + (rect.height - s) / 2;
  return (
    <g className="queue-slots" aria-hidden="true">
      {Array.from({ length: n }, (_, i) => (
        <rect
          key={i}
          className={i < filled ? "is-filled" : undefined}
          x={rect.x + rect.width - 10 - (n - i) * (s + 4)}
          y={y}
          width={s}
          height={s}
          rx={2}
        />
      ))}
    </g>
  );
}

const Host = memo(function Host({
  host,
  active,
  event,
  finding,
  compact,
  ipq,
}: {
  host: HostPlan;
  active: SlotId | null;
  event: TraceEvent | null;
  finding: boolean;
  compact: boolean;
  ipq: readonly HeldFragment[] | null;
}): ReactElement {
  const slots: [SlotId, Rect][] = [
    ...STACK_ROWS.map((r) => [r.id, host.rows[r.id]] as [SlotId, Rect]),
    ["ipintrq", host.queues.ipintrq],
    ["crypto", host.queues.crypto],
  ];
  const loopIface = host.loopback ? "lo0 (loopback)" : host.ifaces.length ? host.ifaces.join(", ") : "lo0";
  return (
    <g className="host" data-host={host.name}>
      <rect className="host-frame" x={host.frame.x} y={host.frame.y} width={host.frame.width} height={host.frame.height} rx={10} />
      <text className="host-title" x={host.title.x + 4} y={host.title.y + host.title.height / 2 + 1} dominantBaseline="central">
        {host.name}
        <tspan className="host-ifaces" dx={10}>
          {/* The interface list gives way to the title's room: it never runs into the card lane. */}
          {fitText(["lo0", ...host.ifaces].join(" · "), host.title.width - 14 - host.name.length * 11.5, 9.6)}
        </tspan>
        <title>{`${host.name}: lo0 · ${host.ifaces.join(" · ")}`}</title>
      </text>
      {host.loopback && (
        <g className="loopback">
          <path d={host.loopback.d} markerEnd="url(#tf-arrow)" />
          <text
            x={host.loopback.labelX}
            y={host.loopback.labelY}
            textAnchor="middle"
            dominantBaseline="central"
            transform={`rotate(-90 ${host.loopback.labelX} ${host.loopback.labelY})`}
          >
            lo0
          </text>
        </g>
      )}
      {slots.map(([id, rect]) => (
        <SlotBox
          key={id}
          id={id}
          rect={rect}
          active={active === id}
          event={active === id ? event : null}
          finding={finding}
          loopIface={loopIface}
          compact={compact}
          ipq={id === "ipintrq" ? ipq : null}
        />
      ))}
    </g>
  );
});

const NO_IPQ: ReadonlyMap<string, readonly HeldFragment[]> = new Map();

/** The size the stack is designed at; larger panes scale it up. */
const DESIGN = { width: 800, height: 430 } as const;
/** How much bigger Present mode draws the stack (and its callout) than the pane alone would. */
const PRESENT_BOOST = 1.3;

/**
 * The decision (question and branch, and the stale tag behind it) or the finding of this step,
 * in the card's lane where the card is not: above it or below it, whichever has more room.
 */
function Callout({
  event,
  trace,
  plan,
  host,
  cardTop,
  cardHeight,
  scale,
}: {
  event: TraceEvent;
  trace: ScenarioTrace;
  plan: StackPlan;
  host: HostPlan;
  cardTop: number;
  cardHeight: number;
  scale: number;
}): ReactElement | null {
  const findings = (traceIndex(trace).findingsAt.get(event.seq) ?? []).filter((f) => f.severity !== "info");
  if (event.kind !== "decision" && findings.length === 0) return null;
  const decision = event.kind === "decision" ? event : null;
  const stale = decision?.consulted.find((c) => (c.kind === "tag" || c.kind === "flag") && c.stale === true);
  const staleName = stale?.kind === "tag" ? tagShortName(stale.name) : stale?.kind === "flag" ? flagLabel(stale.flag) : null;
  const above = cardTop - 12;
  const below = plan.height - (cardTop + cardHeight) - 12;
  const room = Math.max(above, below) - 10;
  const width = host.lane.width - 20;
  // Rough text metrics at 17px (DejaVu-wide): enough to decide what fits, never to place text.
  const lines = (text: string, charWidth: number) => Math.max(1, Math.ceil((text.length * charWidth) / (width - 26)));
  const question = decision ? decision.question : "";
  const answer = decision ? `→ ${decision.branch}${staleName ? ` because of a stale ${staleName}` : ""}` : "";
  const findingText = decision
    ? findings.map((f) => findingTitle(f.id)).join("; ")
    : findings.map((f) => f.sentence.replace(/\s*\(\d+ times in this run\)$/, "")).join(" ");
  const base =
    20 + (decision ? 20 + lines(answer, 10) * 23.2 : 0) + (findingText ? (decision ? 9 : 0) + lines(`Finding: ${findingText}`, 9.8) * 22 : 0);
  const showQuestion = decision !== null && base + lines(question, 10.1) * 22.1 <= room;
  let style: CSSProperties = {
    left: (host.lane.x + 10) * scale,
    width: width * scale,
    fontSize: `${17 * scale}px`,
    maxHeight: room * scale,
    ...(above >= below ? { bottom: (plan.height - cardTop + 10) * scale } : { top: (cardTop + cardHeight + 10) * scale }),
  };
  // A short pane (a 720p projector) leaves the card's lane no room for even the branch: then the
  // callout goes over the layer rows beside the card, below (or above) the row the step is in,
  // so the answer is never cut — those rows are context, the card and the current row are not.
  const rows = Object.values(host.rows);
  const current = slotRect(host, slotOf(event));
  if (base > room && rows.length > 0) {
    const left = Math.min(...rows.map((r) => r.x));
    const right = Math.max(...rows.map((r) => r.x + r.width));
    const last = Math.max(...rows.map((r) => r.y + r.height));
    const first = Math.min(...rows.map((r) => r.y));
    const under = last - (current.y + current.height) - 8;
    const over = current.y - first - 8;
    style = {
      left: left * scale,
      width: (right - left) * scale,
      fontSize: `${17 * scale}px`,
      maxHeight: Math.max(under, over) * scale,
      ...(under >= over ? { top: (current.y + current.height + 8) * scale } : { bottom: (plan.height - current.y + 8) * scale }),
    };
  }
  return (
    <div
      className={`callout${stale ? " is-stale" : ""}${findings.length ? " has-finding" : ""}`}
      style={style}
      data-testid="callout"
      aria-hidden="true"
    >
      {decision && (
        <>
          <div className="callout-kicker">
            ◆ decision · <code>{decision.check}</code>
          </div>
          {showQuestion && <p className="callout-q">{question}</p>}
          <p className="callout-a">
            → <strong>{decision.branch}</strong>
            {staleName && (
              <span className="callout-stale">
                {" "}
                because of a <strong>stale {staleName}</strong>
              </span>
            )}
          </p>
        </>
      )}
      {findingText && (
        <p className="callout-finding">
          <strong>{findings.length > 1 ? "Findings" : "Finding"}:</strong> {findingText}
        </p>
      )}
    </div>
  );
}

interface Motion {
  x: number;
  y: number;
  tx: number;
  ty: number;
  h: number;
}

/** Where the card is and what its connector points at, applied to the DOM; tweened between steps. */
function useCardMotion(target: Motion | null, host: HostPlan | null, cardWidth: number, animate: boolean, duration: number) {
  const cardRef = useRef<SVGGElement>(null);
  const connRef = useRef<SVGPathElement>(null);
  const current = useRef<Motion | null>(null);

  useLayoutEffect(() => {
    if (!target || !host) return;
    if (performance.getEntriesByName("tagflow:interactive").length === 0) performance.mark("tagflow:interactive"); // first trace on screen (npm run bench)
    const apply = (m: Motion) => {
      current.current = m;
      cardRef.current?.setAttribute("transform", `translate(${m.x.toFixed(1)},${m.y.toFixed(1)})`);
      connRef.current?.setAttribute("d", connectorPath(host, { x: m.tx, y: m.ty }, m.x, m.y, cardWidth, m.h));
    };
    const from = current.current;
    if (!animate || !from || duration <= 0) {
      apply(target);
      return;
    }
    // Interrupted tweens continue from wherever the card is now.
    // A straight lerp per field: any import from d3-interpolate brings d3-color's parsers into the
    // first load (its module builds the colour interpolators at load time), for five numbers.
    const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
    const tween = (t: number): Motion => ({
      x: lerp(from.x, target.x, t),
      y: lerp(from.y, target.y, t),
      tx: lerp(from.tx, target.tx, t),
      ty: lerp(from.ty, target.ty, t),
      h: lerp(from.h, target.h, t),
    });
    const start = performance.now();
    let frame = 0;
    const step = (now: number) => {
      const t = Math.min(1, (now - start) / duration);
      apply(tween(easeCubicInOut(t)));
      if (t < 1) frame = requestAnimationFrame(step);
    };
    frame = requestAnimationFrame(step);
    return () => cancelAnimationFrame(frame);
  }, [target, host, cardWidth, animate, duration]);

  return { cardRef, connRef };
}

function describe(e: TraceEvent | null, trace: ScenarioTrace | null): string {
  if (!e || !trace) return "The stack view: no packet.";
  return `Stack view: step ${e.seq + 1}, ${e.fn} on ${e.host} in the ${ROW_LABEL[slotOf(e)]} ${slotOf(e) === "ipintrq" || slotOf(e) === "crypto" ? "queue" : "layer"}.`;
}

/** Props: none; reads the store. */
export function StackView(): ReactElement {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const lastMove = useTagflow((s) => s.lastMove);
  const speed = useTagflow((s) => s.speed);
  const status = useTagflow((s) => s.status);
  const selectedTag = useTagflow((s) => s.selectedTag);
  const hover = useTagflow((s) => s.hover);
  const reduced = useReducedMotion();
  const present = useUi((s) => s.present);
  const paneRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(paneRef);

  const hosts = useMemo(() => (trace ? hostsOf(trace) : []), [trace]);
  const links = trace?.links;
  // Laid out at a design size and scaled up on big screens, so text grows with the room; never
  // scaled down (text is 16px at the least, for a projector), and further up in Present mode.
  const fit = Math.min(size.width / DESIGN.width, size.height / DESIGN.height, size.width / stackMinWidth(hosts));
  const scale = Math.max(1, fit) * (present ? PRESENT_BOOST : 1);
  const plan: StackPlan | null = useMemo(
    () =>
      size.width > 0 && size.height > 0 && hosts.length > 0
        ? layoutStack(hosts, links ?? [], { width: size.width / scale, height: size.height / scale })
        : null,
    [hosts, links, size, scale],
  );
  const event = trace?.events.at(cursor) ?? null;
  const ipq = useMemo(() => (trace && event ? ipqAt(trace, event.seq) : NO_IPQ), [trace, event]);
  const model = useMemo(() => (trace && event ? packetModelAt(trace, event.seq) : null), [trace, event]);
  const card = useMemo(() => (plan ? layoutCard(model, event, trace ? tagLanes(trace) : null, plan.cardWidth) : null), [plan, model, event, trace]);
  const host = plan && event ? (plan.hosts[plan.hostIndex.get(event.host) ?? 0] ?? null) : null;
  const slot = event ? slotOf(event) : null;
  const finding = trace && event ? traceIndex(trace).findingsAt.has(event.seq) : false;
  const placement = plan && host && slot && card ? placeCard(plan, host, slot, card.height) : null;
  // Recreated only when a coordinate changes, so a re-render at the same step does not restart a tween.
  const [mx, my, tx, ty, mh] =
    placement && card ? [placement.x, placement.y, placement.target.x, placement.target.y, card.height] : [NaN, NaN, NaN, NaN, NaN];
  const motion = useMemo<Motion | null>(() => (Number.isNaN(mx) ? null : { x: mx, y: my, tx, ty, h: mh }), [mx, my, tx, ty, mh]);
  const duration = reduced || lastMove !== "step" ? 0 : Math.min(260, stepInterval(speed) * 0.6);
  const { cardRef, connRef } = useCardMotion(motion, host, plan?.cardWidth ?? 0, duration > 0, duration);

  const onTag = useCallback((uid: number) => tagflowStore.getState().selectTag(uid), []);
  const onHoverTag = useCallback((uid: number | null) => tagflowStore.getState().setHover(uid === null ? null : { kind: "tag", uid }), []);

  // Four hosts or more wider than the pane: scroll so the current step's host and its card lane stay in view.
  const scrollTo = plan?.scroll && host ? Math.round(((host.frame.x + host.frame.width / 2 + host.lane.x + host.lane.width / 2) / 2) * scale) : null;
  useEffect(() => {
    const pane = paneRef.current;
    if (!pane || scrollTo === null) return;
    const left = Math.max(0, scrollTo - pane.clientWidth / 2);
    if (Math.abs(pane.scrollLeft - left) > 4) pane.scrollTo({ left, behavior: duration > 0 ? "smooth" : "auto" });
  }, [scrollTo, duration]);

  const empty = trace !== null && trace.events.length === 0;
  return (
    <div
      className="stack-pane"
      ref={paneRef}
      data-testid="stack"
      data-scroll={plan?.scroll ? "x" : undefined}
      style={plan?.scroll ? { overflowX: "auto" } : undefined}
    >
      {plan && trace && (
        <svg
          className="stack-svg"
          width={plan.width * scale}
          height={plan.height * scale}
          viewBox={`0 0 ${plan.width} ${plan.height}`}
          role="img"
          aria-label={describe(event, trace)}
        >
          {plan.wires.map((w) => (
            <g key={w.id} className="wire">
              <path d={w.d} />
              {w.lines ? (
                <>
                  <text x={w.labelX} y={w.labelY} textAnchor="middle">
                    {w.lines[0]}
                  </text>
                  <text x={w.labelX} y={w.labelY + 30} textAnchor="middle">
                    {w.lines[1]}
                  </text>
                </>
              ) : (
                <text x={w.labelX} y={w.labelY} textAnchor="middle">
                  {w.label}
                </text>
              )}
            </g>
          ))}
          {plan.hosts.map((h) => (
            <Host
              key={h.name}
              host={h}
              active={h === host ? slot : null}
              event={h === host ? event : null}
              finding={finding}
              compact={plan.compact}
              ipq={ipq.get(h.name) ?? null}
            />
          ))}
          {card && !empty && (
            <>
              <path ref={connRef} className="connector" />
              <g ref={cardRef} className="card-layer">
                <PacketCard
                  card={card}
                  selectedTag={selectedTag}
                  hoveredTag={hover?.kind === "tag" ? hover.uid : null}
                  onTag={onTag}
                  onHoverTag={onHoverTag}
                />
              </g>
            </>
          )}
        </svg>
      )}
      {plan && host && placement && card && event && !empty && (
        <Callout event={event} trace={trace!} plan={plan} host={host} cardTop={placement.y} cardHeight={card.height} scale={scale} />
      )}
      {!trace && status !== "error" && (
        <div className="pane-state" role="status">
          <div className="skeleton-stack" aria-hidden="true">
            {STACK_ROWS.map((r) => (
              <div key={r.id} />
            ))}
          </div>
          <p>Running the engine…</p>
        </div>
      )}
      {empty && (
        <div className="pane-state pane-state--overlay" role="status">
          <p className="pane-state-title">Nothing to step through</p>
          <p>This scenario sends no traffic, so the engine recorded no steps. Pick another scenario, or add a ping to its traffic.</p>
        </div>
      )}
    </div>
  );
}
