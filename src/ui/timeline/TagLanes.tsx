/**
 * Tag lanes: one row per m_tag instance on the timeline's step scale, virtualised (only the rows
 * in view are rendered). Consults are marked; the stretch after a stale consult is hatched; a tag
 * alive at the end ends in an arrow. Follows the cursor to a lane alive at the current step.
 */
import { useEffect, useLayoutEffect, useRef, useState, type ReactElement } from "react";
import { tagflowStore, useTagflow } from "../../store/index";
import { tagLanes, type TagLane } from "../../store/tagLanes";
import { ForkGlyph } from "../panels/ForkGlyph";
import { firstLaneAt, layoutLaneRow, visibleRange } from "./lanesLayout";
import { stepScale } from "./timelineLayout";
import { MARK_TIP_ID, markTipHandlers, useMarkTip } from "./MarkTooltip";

const ROW = 26;
const NO_LANES: readonly TagLane[] = [];

/** Props: the width of the step track, shared with the scrubber above. */
export function TagLanes({ trackWidth }: { trackWidth: number }): ReactElement {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const open = useTagflow((s) => s.lanesOpen);
  const selectedTag = useTagflow((s) => s.selectedTag);
  const hoverTag = useTagflow((s) => (s.hover?.kind === "tag" ? s.hover.uid : null));
  // The scrubber's fork (where the run parts from the no-fix run) gets its legend entry here.
  const diverges = useTagflow((s) => s.comparison?.divergeAt != null);
  // The scroller exists only while the lanes are open: a callback ref follows it.
  const [scroller, setScroller] = useState<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(120);
  // The latest scroll position and height, for the effect below without re-running it on scroll.
  const seen = useRef({ top: 0, height: 120 });
  const lanes = trace ? tagLanes(trace).lanes : NO_LANES;
  const count = trace?.events.length ?? 0;
  const x = stepScale(count, trackWidth);
  const { first, last } = visibleRange(lanes.length, ROW, scrollTop, viewport, 2);

  // The viewport height comes from a ResizeObserver, not from reading the DOM on every step:
  // clientHeight after each commit forced a synchronous layout (~1.5 ms a step, npm run bench).
  useLayoutEffect(() => {
    if (!scroller) return;
    const update = (height: number) => {
      seen.current.height = height;
      setViewport(height);
    };
    update(scroller.clientHeight);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver((entries) => update(entries[0]?.contentRect.height ?? seen.current.height));
    ro.observe(scroller);
    return () => ro.disconnect();
  }, [scroller]);

  useEffect(() => {
    if (!scroller) return;
    // Keep a lane that is alive at the cursor in view, moving only when none is.
    const { top, height } = seen.current;
    const lo = Math.floor(top / ROW);
    const hi = Math.floor((top + height - 1) / ROW);
    const visibleAlive = lanes.slice(lo, hi + 1).some((l) => l.start <= cursor && (l.end === null || cursor <= l.end));
    if (visibleAlive) return;
    const i = firstLaneAt(lanes, cursor);
    if (i >= 0 && i * ROW !== top) scroller.scrollTop = i * ROW;
  }, [cursor, lanes, scroller]);

  const st = tagflowStore.getState();
  const tip = useMarkTip();
  const rows: ReactElement[] = [];
  for (let i = first; i <= last; i++) {
    const r = layoutLaneRow(lanes[i]!, i, x, count, ROW);
    const alive = lanes[i]!.start <= cursor && (lanes[i]!.end === null || cursor <= lanes[i]!.end!);
    const cls = [
      "lane",
      alive && "is-alive",
      selectedTag === r.uid && "is-selected",
      hoverTag === r.uid && "is-hovered",
      r.staleX !== null && "has-stale",
      r.aliveAtEnd && "is-alive-at-end",
    ]
      .filter(Boolean)
      .join(" ");
    const mid = ROW / 2;
    rows.push(
      <div
        key={r.uid}
        className={cls}
        style={{ top: r.y, height: ROW }}
        onPointerEnter={() => st.setHover({ kind: "tag", uid: r.uid })}
        onPointerLeave={() => st.setHover(null)}
        data-lane={r.uid}
        data-stale={r.staleX !== null}
        data-alive-at-end={r.aliveAtEnd}
      >
        <button
          type="button"
          className="lane-label"
          aria-pressed={selectedTag === r.uid}
          aria-label={r.description}
          title={r.description}
          onClick={() => st.selectTag(r.uid)}
        >
          <span className="lane-swatch" style={{ background: r.fill }} aria-hidden="true" />
          {r.label}
          {r.staleX !== null && <span className="lane-flag">stale</span>}
          {r.aliveAtEnd && <span className="lane-flag lane-flag--alive">alive at end</span>}
        </button>
        <div className="lane-track">
          <svg className="lane-svg" width={Math.max(0, trackWidth)} height={ROW} aria-hidden="true">
            <rect className="lane-bar" x={r.x0} y={mid - 6} width={r.x1 - r.x0} height={12} rx={3} style={{ fill: r.fill }} />
            {r.staleX !== null && <rect className="lane-stale" x={r.staleX} y={mid - 6} width={Math.max(2, r.x1 - r.staleX)} height={12} rx={3} />}
            {r.aliveAtEnd && <path className="lane-arrow" d={`M${r.x1 + 1},${mid - 7}l8,7l-8,7z`} />}
            {r.consults.map((c) => (
              <path
                key={c.seq}
                className={`lane-consult${c.stale ? " is-stale" : ""}`}
                d={`M${c.x},${mid - 8}l6,8l-6,8l-6,-8z`}
                onClick={() => st.seek(c.seq, "jump")}
              >
                <title>{`consulted at step ${c.seq + 1}${c.stale ? " while stale" : ""}`}</title>
              </path>
            ))}
            <line className="lane-cursor" x1={x(cursor)} x2={x(cursor)} y1={0} y2={ROW} />
          </svg>
          {/* The tag's events as focusable marks with a tooltip (MarkTooltip): its start, each consult, its end. */}
          {[
            { seq: lanes[i]!.start, at: r.x0, what: `${r.label} starts: prepended to the packet` },
            ...r.consults.map((c) => ({ seq: c.seq, at: c.x, what: `${r.label} consulted${c.stale ? " while stale" : ""}` })),
            ...(lanes[i]!.end === null ? [] : [{ seq: lanes[i]!.end!, at: r.x1, what: `${r.label} ends: ${lanes[i]!.endReason ?? "removed"}` }]),
          ].map((m) => (
            <button
              key={`${m.seq}:${m.what}`}
              type="button"
              className="mark-hit mark-hit--lane"
              data-testid="lane-mark"
              data-step={m.seq}
              style={{ left: m.at - 7 }}
              aria-label={`Step ${m.seq + 1}: ${m.what}`}
              aria-describedby={tip?.step === m.seq ? MARK_TIP_ID : undefined}
              onClick={() => st.seek(m.seq, "jump")}
              {...markTipHandlers(m.seq, m.what)}
            />
          ))}
        </div>
      </div>,
    );
  }

  return (
    <section className={`lanes${open ? "" : " is-collapsed"}`} aria-label="Tag lanes">
      <div className="lanes-head">
        <button type="button" className="lanes-toggle" aria-expanded={open} onClick={() => st.setLanesOpen(!open)}>
          <span aria-hidden="true">{open ? "▾" : "▸"}</span> Tag lanes <span className="lanes-count">{lanes.length}</span>
        </button>
        <span className="lanes-legend" aria-hidden="true">
          <span className="lg lg-bar" /> alive
          <span className="lg lg-consult" /> consulted
          <span className="lg lg-stale" /> consulted while stale
          <span className="lg lg-arrow" /> alive at end
          {diverges && (
            <span className="lg-diverge">
              <ForkGlyph size={13} /> runs diverge
            </span>
          )}
        </span>
      </div>
      {open && (
        <div
          className="lanes-scroll"
          ref={setScroller}
          onScroll={(e) => {
            seen.current.top = e.currentTarget.scrollTop;
            setScrollTop(e.currentTarget.scrollTop);
          }}
        >
          {lanes.length === 0 ? (
            <p className="panel-empty lanes-empty">
              {trace ? "No tags in this trace: nothing was prepended to a packet." : "Waiting for the trace…"}
            </p>
          ) : (
            <div className="lanes-inner" style={{ height: lanes.length * ROW }}>
              {rows}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
