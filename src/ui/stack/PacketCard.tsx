/** The packet card the stack view moves between boxes: header bands and tag/flag badges (layout in cardLayout.ts). */
import { memo, type ReactElement } from "react";
import type { BadgePlan, BandPlan, CardPlan } from "./cardLayout";
import { CARD } from "./cardLayout";
import { fitText } from "../text";

/** Props: the card's plan (from layoutCard); hover/selection callbacks for badges. */
export interface PacketCardProps {
  readonly card: CardPlan;
  readonly selectedTag: number | null;
  readonly hoveredTag: number | null;
  readonly onTag?: (uid: number) => void;
  readonly onHoverTag?: (uid: number | null) => void;
}

const INNER_INDENT = 14;
/** Glyph widths at 16px: a band's bold label and its detail. */
const LABEL_CHAR = 9.4;
const DETAIL_CHAR = 8.8;

function Band({ band, width }: { band: BandPlan; width: number }): ReactElement {
  const x = CARD.pad + (band.inner ? INNER_INDENT : 0);
  const w = width - x - CARD.pad;
  const encrypted = band.kind === "encrypted";
  const labelX = x + (encrypted ? 26 : 8);
  const bytes = `${band.bytes} B`;
  // The label row: centred in a one-row band, the first of several when detail rows follow (TCP).
  const rowY = band.lines ? CARD.bandHeight / 2 : band.height / 2;
  const label = bandLabelThatFits(band.label, w - (labelX - x) - bytes.length * CARD.charWidth - 16);
  const labelChars = label.length;
  const detailRoom = w - (labelX - x) - labelChars * LABEL_CHAR - bytes.length * CARD.charWidth - 26;
  const showDetail = band.detail !== "" && (band.detail.length * DETAIL_CHAR <= detailRoom || (band.kind === "ipv4" && detailRoom > 60));
  const detail = showDetail ? fitText(band.detail, detailRoom, DETAIL_CHAR) : "";
  // The hatching runs only between the text and the byte count: no text on top of it.
  const hatchX = labelX + labelChars * LABEL_CHAR + (detail ? 8 + detail.length * DETAIL_CHAR : 0) + 8;
  const hatchEnd = x + w - 8 - bytes.length * CARD.charWidth - 8;
  return (
    <g
      className={`band band--${band.kind}${band.inner ? " band--inner" : ""}${band.entering ? " is-entering" : ""}`}
      transform={`translate(0,${band.y})`}
    >
      <rect className="band-bg" x={x} y={0} width={w} height={band.height} rx={3} />
      {encrypted && hatchEnd - hatchX > 6 && (
        <rect className="band-hatch" x={hatchX} y={3} width={hatchEnd - hatchX} height={band.height - 6} rx={2} fill="url(#tf-hatch-enc)" />
      )}
      {encrypted && (
        <path
          className="band-lock"
          transform={`translate(${x + 7},${band.height / 2 - 7}) scale(0.7)`}
          d="M6 9V7a4 4 0 0 1 8 0v2h1.5v8h-11V9zm2 0h4V7a2 2 0 0 0-4 0z"
        />
      )}
      <text className="band-label" x={labelX} y={rowY} dominantBaseline="central">
        {label}
        {label !== band.label && <title>{band.label}</title>}
        {detail && (
          <tspan className="band-detail" dx={8}>
            {detail}
          </tspan>
        )}
      </text>
      <text className="band-bytes" x={x + w - 8} y={rowY} dominantBaseline="central" textAnchor="end">
        {bytes}
      </text>
      {band.lines?.map((line, k) => (
        <text key={k} className="band-detail band-line" x={labelX} y={rowY + (k + 1) * CARD.lineHeight} dominantBaseline="central">
          {line}
        </text>
      ))}
    </g>
  );
}

/**
 * A band's label within `room` px, left of its byte count: on a narrow card (three hosts at
 * 1280 px) "ESP (encrypted)" ran into "1500 B". The parenthesis goes first (the lock and the
 * hatching already say "encrypted"), then the label is cut.
 */
function bandLabelThatFits(label: string, room: number): string {
  if (label.length * LABEL_CHAR <= room) return label;
  const bare = label.replace(/\s*\([^)]*\)$/, "");
  return bare.length * LABEL_CHAR <= room ? bare : fitText(bare, room, LABEL_CHAR);
}

function Badge({
  badge,
  selected,
  hovered,
  onTag,
  onHoverTag,
}: { badge: BadgePlan; selected: boolean; hovered: boolean } & Pick<PacketCardProps, "onTag" | "onHoverTag">): ReactElement {
  const uid = badge.uid;
  const pill = badge.kind === "flag";
  const r = pill ? badge.height / 2 : 4;
  const cls = [
    "badge",
    `badge--${badge.kind}`,
    badge.tagClass && `badge--${badge.tagClass}`,
    badge.stale && "is-stale",
    badge.consulted && "is-consulted",
    badge.entering && "is-entering",
    badge.leaving && "is-leaving",
    selected && "is-selected",
    hovered && "is-hovered",
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <g
      className={cls}
      transform={`translate(${badge.x},${badge.y})`}
      data-testid="badge"
      data-kind={badge.kind}
      data-name={badge.name}
      data-stale={badge.stale}
      data-consulted={badge.consulted}
      data-leaving={badge.leaving}
      data-class={badge.tagClass}
      onClick={uid !== undefined && onTag ? () => onTag(uid) : undefined}
      onPointerEnter={uid !== undefined && onHoverTag ? () => onHoverTag(uid) : undefined}
      onPointerLeave={uid !== undefined && onHoverTag ? () => onHoverTag(null) : undefined}
    >
      <title>{badge.description}</title>
      {badge.consulted && <rect className="badge-ring" x={-4} y={-4} width={badge.width + 8} height={badge.height + 8} rx={r + 4} />}
      {/* A reminder (work still to do) is the tag's colour in outline only; a record is filled in. */}
      <rect
        className="badge-bg"
        width={badge.width}
        height={badge.height}
        rx={r}
        style={pill || badge.tagClass === "reminder" ? { stroke: badge.fill } : { fill: badge.fill }}
      />
      {badge.stale && (
        <rect
          className="badge-stale"
          x={badge.width - CARD.staleTail}
          y={2}
          width={CARD.staleTail - 2}
          height={badge.height - 4}
          rx={Math.min(r, 4)}
          fill="url(#tf-hatch-stale)"
        />
      )}
      {pill && <circle cx={10} cy={badge.height / 2} r={4} style={{ fill: badge.fill }} />}
      <text
        className="badge-label"
        x={pill ? 18 : 8}
        y={badge.height / 2}
        dominantBaseline="central"
        style={pill || badge.tagClass === "reminder" ? undefined : { fill: badge.text }}
      >
        {badge.label}
      </text>
      {badge.leaving && <line className="badge-strike" x1={4} x2={badge.width - 4} y1={badge.height / 2} y2={badge.height / 2} />}
    </g>
  );
}

/** The card at the origin; the stack view positions it. */
export const PacketCard = memo(function PacketCard({ card, selectedTag, hoveredTag, onTag, onHoverTag }: PacketCardProps): ReactElement {
  return (
    <g className={`card card--${card.state}`} data-state={card.state}>
      <rect className="card-bg" width={card.width} height={card.height} rx={8} />
      {/* A card too narrow for its title beside the state pill shows the pill: the state is what the class must read. */}
      {titleRoom(card) >= card.title.length * 10 && (
        <text className="card-title" x={CARD.pad + 2} y={CARD.titleHeight / 2} dominantBaseline="central">
          {card.title}
          {card.size && titleFits(card) && (
            <tspan className="card-size" dx={8}>
              {card.size}
            </tspan>
          )}
        </text>
      )}
      {card.stateLabel && (
        <g className="card-state" transform={`translate(${card.width - CARD.pad - stateWidth(card.stateLabel)},${CARD.titleHeight / 2 - 12})`}>
          {/* Shape as well as colour (issue 17): encrypted is a solid square-cornered tag with a lock,
              cleartext a hollow rounded pill, so the two differ on a projector and in greyscale. */}
          <rect width={stateWidth(card.stateLabel)} height={24} rx={card.state === "encrypted" ? 4 : 12} />
          {card.state === "encrypted" && (
            <path transform="translate(7,4) scale(0.8)" d="M6 9V7a4 4 0 0 1 8 0v2h1.5v8h-11V9zm2 0h4V7a2 2 0 0 0-4 0z" />
          )}
          <text x={card.state === "encrypted" ? 26 : 10} y={12} dominantBaseline="central">
            {card.stateLabel}
          </text>
        </g>
      )}
      {card.emptyLines?.map((line, i) => (
        <text key={i} className="card-empty" x={CARD.pad + 2} y={CARD.titleHeight + 17 + i * CARD.emptyLineHeight} dominantBaseline="central">
          {line}
        </text>
      ))}
      {card.bands.map((b) => (
        <Band key={b.key} band={b} width={card.width} />
      ))}
      {card.badges.length > 0 && <line className="card-sep" x1={CARD.pad} x2={card.width - CARD.pad} y1={card.badgesTop} y2={card.badgesTop} />}
      {card.badges.map((b) => (
        <Badge
          key={b.key}
          badge={b}
          selected={b.uid !== undefined && b.uid === selectedTag}
          hovered={b.uid !== undefined && b.uid === hoveredTag}
          onTag={onTag}
          onHoverTag={onHoverTag}
        />
      ))}
    </g>
  );
});

/** Whether the title and the byte count fit left of the state pill (a narrow card drops the count). */
function titleFits(card: CardPlan): boolean {
  return card.title.length * 10 + 8 + card.size.length * CARD.charWidth <= titleRoom(card);
}

/** Width left of the state pill for the title. */
function titleRoom(card: CardPlan): number {
  return card.width - 2 * CARD.pad - (card.stateLabel ? stateWidth(card.stateLabel) + 8 : 0);
}

function stateWidth(label: string): number {
  return Math.ceil(label.length * 11.4 + 20 + (label === "ENCRYPTED" ? 16 : 0));
}
