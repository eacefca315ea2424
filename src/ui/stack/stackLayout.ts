/**
 * The stack view's static geometry: one column per host, one row per layer, the ipintrq and
 * crypto queues, the loopback path and the wires between hosts, and the lane where the packet
 * card travels. A kernel in the tldraw sense: hosts + size in, a plan out; no React, no DOM.
 * It depends on the hosts only, never on the cursor, so it is computed once per trace and size.
 *
 *     single host                          two hosts
 *   ┌───────────┐                   ┌─────────┐           ┌─────────┐
 *   │ app       │ ┌────────┐        │ app     │ ┌───────┐ │ app     │
 *   │ ICMP      │ │ packet │        │ …       │ │packet │ │ …       │
 *   │ IP        │─│ card   │        │ IPsec   │─│ card  │ │ IPsec   │
 *   │ ipintrq   │ └────────┘        │ crypto  │ └───────┘ │ crypto  │
 *   │ IPsec     │                   │ link ═══╪═══ net0 ══╪═══ link │
 *   │ crypto    │                   └─────────┘           └─────────┘
 *   │ interface │                   (ipintrq and the crypto queue are thin bands)
 *  ↺│ link      │
 *
 * Four to six hosts (a path of routers, issue 12) do not fit a 1280×720 pane at a legible size:
 * rather than shrink the card below reading size, the plan then keeps compact columns (short row
 * labels) and lanes wide enough for the card, grows wider than the box (`scroll`), and StackView
 * scrolls it horizontally to keep the host of the current step in view.
 */
import { linearScale } from "../linearScale";
import { chainAt, fromHex, kindAt, scanAt, type LayerId, type LinkInfo, type ScenarioTrace, type TraceEvent } from "../../engine/index";
import { basisPath, horizontalLinkPath, polylinePath } from "./wirePaths";

/** The stack rows, top to bottom. */
export const STACK_ROWS = [
  { id: "app", label: "socket / app", hint: "ping, raw socket" },
  { id: "icmp", label: "ICMP", hint: "icmp_input, icmp_reflect" },
  { id: "ip", label: "IP", hint: "ip_output, ip_input" },
  { id: "ipsec", label: "IPsec", hint: "esp/ah, SPD, SAD" },
  { id: "if", label: "interface", hint: "looutput, ether_*" },
  { id: "link", label: "link", hint: "bpf, the wire" },
] as const;

export type RowId = (typeof STACK_ROWS)[number]["id"];
/** Where a packet can be: a row or one of the queues. */
export type SlotId = RowId | "ipintrq" | "crypto";

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What the layout needs to know about a host. */
export interface HostInfo {
  readonly name: string;
  /** Interfaces besides lo0, e.g. ["em0", "em1"]. */
  readonly ifaces: readonly string[];
  /** Whether the trace loops packets through this host's lo0 (draws the loopback path). */
  readonly loopback: boolean;
}

export interface HostPlan {
  readonly name: string;
  readonly frame: Rect;
  readonly title: Rect;
  readonly rows: Readonly<Record<RowId, Rect>>;
  readonly queues: Readonly<{ ipintrq: Rect; crypto: Rect }>;
  /** The side of the column the card lane is on. */
  readonly cardSide: "left" | "right";
  /** The lane the card uses for this host. */
  readonly lane: Rect;
  readonly ifaces: readonly string[];
  /** The lo0 path from the link row back up into ipintrq (outer side), if used. */
  readonly loopback: { readonly d: string; readonly labelX: number; readonly labelY: number } | null;
}

export interface WirePlan {
  readonly id: string;
  /** "net-a · MTU 1500": the whole label, one line. */
  readonly label: string;
  /** The same on two lines, above and below the wire, for a lane too narrow for one. */
  readonly lines: readonly [string, string] | null;
  readonly d: string;
  readonly labelX: number;
  readonly labelY: number;
}

export interface StackPlan {
  readonly width: number;
  readonly height: number;
  readonly hosts: readonly HostPlan[];
  readonly hostIndex: ReadonlyMap<string, number>;
  readonly wires: readonly WirePlan[];
  /** Width of the packet card. */
  readonly cardWidth: number;
  /** Columns too narrow for the long row labels ("socket / app"): StackView uses the short ones. */
  readonly compact: boolean;
  /** The plan is wider than the box it was given: the pane scrolls horizontally. */
  readonly scroll: boolean;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

const PAD = 12;
const TITLE_H = 32;
const GAP_Y = 6;
/** Relative heights: the ipintrq band is thinner than a layer. */
const WEIGHTS: readonly [SlotId, number][] = [
  ["app", 1],
  ["icmp", 1],
  ["ip", 1],
  ["ipintrq", 0.6],
  ["ipsec", 1],
  ["crypto", 0.6],
  ["if", 1],
  ["link", 1],
];

/** The thinnest a queue band gets: one line of 16px text. */
const MIN_THIN = 26;

/** The narrowest a host column gets. */
const MIN_COL = 110;
/** The narrowest a card lane between columns gets (three or more hosts). */
const MIN_LANE = 150;

/** Four hosts or more that do not fit: compact columns, and lanes that keep the card readable. */
const SCROLL_COL = 128;
const SCROLL_LANE = 220;
/**
 * Once the plan scrolls anyway, a column need not stay at its narrowest: at 128 px a thin row's
 * decision pill beside the label had 77 px ("◆ out…"); at 176 it has 125 px, enough for
 * 12 characters at 16px: "◆ out em0", "◆ forward", "tcp_output()" (issue 12, 4–6 hosts at 1280×720).
 */
const SCROLL_COL_WIDE = 176;
/** Below this a column takes the short row labels. */
const COMPACT_BELOW = 150;
/** A wire label's characters (16px mono, bold). */
const WIRE_CHAR = 9.8;

/** The lo0 path needs room on the outer side of a column. */
const LOOP_ROOM = 30;

/**
 * The narrowest box `hosts` lay out in without scrolling: for four hosts or more, compact columns
 * and lanes wide enough for a readable card. StackView scales the stack up only as far as this
 * still fits, so a big screen shows the whole path before it shows bigger text.
 */
export function stackMinWidth(hosts: readonly HostInfo[]): number {
  const n = Math.max(1, hosts.length);
  const loopRoom = hosts.some((h) => h.loopback) ? LOOP_ROOM : 0;
  return n >= 4 ? 2 * PAD + 2 * loopRoom + n * SCROLL_COL + (n - 1) * SCROLL_LANE : 320;
}

/** Lay out the static stack for `hosts` in a box of `size`. */
export function layoutStack(hosts: readonly HostInfo[], links: readonly LinkInfo[], size: Size): StackPlan {
  const box = Math.max(320, size.width);
  const height = Math.max(260, size.height);
  const n = Math.max(1, hosts.length);

  const gaps = n === 1 ? 1 : n - 1;
  const loopRoom = hosts.some((h) => h.loopback) ? LOOP_ROOM : 0;
  // Four or more hosts that would not fit at MIN_COL/MIN_LANE: lay out wider than the box, to scroll.
  const scroll = n >= 4 && box < stackMinWidth(hosts);
  const width = scroll ? stackMinWidth(hosts) + n * (SCROLL_COL_WIDE - SCROLL_COL) : box;
  const minCol = n >= 4 ? SCROLL_COL : MIN_COL;
  const minLane = n >= 4 ? SCROLL_LANE : MIN_LANE;
  // One or two hosts: a roomy card lane. Three or more (routers, issue 12): the lanes between
  // columns share what the narrowest legible columns leave, so the stack still fits its box.
  const roomy = Math.round(Math.min(360, Math.max(250, width * 0.4)));
  const laneWidth = scroll
    ? SCROLL_LANE
    : n <= 2
      ? roomy
      : Math.max(minLane, Math.min(Math.max(roomy, minLane), Math.floor((width - 2 * PAD - 2 * loopRoom - n * minCol) / gaps)));
  const cardWidth = laneWidth - 20;
  const available = width - 2 * PAD - gaps * laneWidth - (n === 1 ? loopRoom : 2 * loopRoom);
  const colWidth = scroll ? SCROLL_COL_WIDE : Math.max(minCol, Math.min(n === 1 ? 420 : 360, Math.floor(available / n)));
  const used = n * colWidth + gaps * laneWidth + (n === 1 ? loopRoom : 2 * loopRoom);
  const left = Math.max(PAD, Math.floor((width - used) / 2)) + loopRoom;

  // y: the rows share the height by weight, the thin queue bands never below MIN_THIN.
  const top = PAD + TITLE_H + GAP_Y;
  const bottom = height - PAD;
  const free = bottom - top - (WEIGHTS.length - 1) * GAP_Y;
  const thinWeight = WEIGHTS.filter(([, w]) => w < 1).reduce((s, [, w]) => s + w, 0);
  const fullCount = WEIGHTS.filter(([, w]) => w >= 1).length;
  let unit = free / (fullCount + thinWeight);
  const thinFloor = (w: number) => Math.max(MIN_THIN, unit * w);
  unit = (free - WEIGHTS.filter(([, w]) => w < 1).reduce((s, [, w]) => s + thinFloor(w), 0)) / fullCount;
  const rowBox = new Map<SlotId, { y: number; height: number }>();
  const y = linearScale([0, free + (WEIGHTS.length - 1) * GAP_Y], [top, bottom]);
  let acc = 0;
  for (const [id, w] of WEIGHTS) {
    const h = w < 1 ? thinFloor(w) : unit;
    rowBox.set(id, { y: Math.round(y(acc)), height: Math.round(y(acc + h)) - Math.round(y(acc)) });
    acc += h + GAP_Y;
  }
  const at = (id: SlotId, x: number, w: number): Rect => ({ x, y: rowBox.get(id)!.y, width: w, height: rowBox.get(id)!.height });

  const xOf = (i: number) => left + i * colWidth + (n === 1 ? 0 : i * laneWidth);
  const plans: HostPlan[] = hosts.map((h, i) => {
    const x = xOf(i);
    const cardSide: "left" | "right" = n > 1 && i === n - 1 ? "left" : "right";
    const lane: Rect =
      cardSide === "right"
        ? { x: x + colWidth, y: PAD, width: laneWidth, height: height - 2 * PAD }
        : { x: x - laneWidth, y: PAD, width: laneWidth, height: height - 2 * PAD };
    const rows = {} as Record<RowId, Rect>;
    for (const r of STACK_ROWS) rows[r.id] = at(r.id, x, colWidth);
    // The queues are thin full-width bands, so no connector ever crosses another box.
    const crypto = at("crypto", x, colWidth);
    const ipintrq = at("ipintrq", x, colWidth);
    const outer = cardSide === "right" ? "left" : "right";
    return {
      name: h.name,
      frame: { x: x - 6, y: PAD, width: colWidth + 12, height: height - 2 * PAD },
      title: { x, y: PAD, width: colWidth, height: TITLE_H },
      rows,
      queues: { ipintrq, crypto },
      cardSide,
      lane,
      ifaces: h.ifaces,
      loopback: h.loopback ? loopbackPath(rows.link, ipintrq, outer) : null,
    };
  });

  const hostIndex = new Map(plans.map((p, i) => [p.name, i]));
  const wires: WirePlan[] = [];
  for (const link of links) {
    if (link.kind !== "p2p" || link.ends.length !== 2) continue;
    const [a, b] = link.ends.map((end) => hostIndex.get(end.slice(0, end.indexOf(":"))));
    if (a === undefined || b === undefined || a === b) continue;
    const [l, r] = a < b ? [plans[a]!, plans[b]!] : [plans[b]!, plans[a]!];
    const yl = l.rows.link.y + l.rows.link.height / 2;
    const x0 = l.rows.link.x + l.rows.link.width;
    const x1 = r.rows.link.x;
    const adjacent = Math.abs(a - b) === 1;
    const d = adjacent
      ? polylinePath([
          [x0, yl],
          [x1, yl],
        ])
      : basisPath([
          [x0, yl],
          [(x0 + x1) / 2, Math.min(height - 2, yl + 40)],
          [x1, yl],
        ]);
    // The link's MTU under its name (issue 12: where a datagram stops fitting is the story); on
    // two lines, name above the wire and MTU below, when one line would spill over the columns.
    const label = link.mtu ? `${link.id} · MTU ${link.mtu}` : link.id;
    const lines: [string, string] | null = link.mtu && label.length * WIRE_CHAR > x1 - x0 - 8 ? [link.id, `MTU ${link.mtu}`] : null;
    wires.push({ id: link.id, label, lines, d, labelX: (x0 + x1) / 2, labelY: yl - 10 });
  }

  return { width, height, hosts: plans, hostIndex, wires, cardWidth, compact: scroll || colWidth < COMPACT_BELOW, scroll };
}

/** The U-turn of lo0: out of the link row's outer edge and back up into ipintrq. */
function loopbackPath(link: Rect, ipintrq: Rect, side: "left" | "right"): { d: string; labelX: number; labelY: number } {
  const sx = side === "left" ? link.x : link.x + link.width;
  const out = side === "left" ? -1 : 1;
  const y0 = link.y + link.height / 2;
  const y1 = ipintrq.y + ipintrq.height / 2;
  const bend = sx + out * (LOOP_ROOM - 8);
  const d = basisPath([
    [sx, y0],
    [bend, y0],
    [bend, (y0 + y1) / 2],
    [bend, y1],
    [sx, y1],
  ]);
  return { d, labelX: bend + out * 2, labelY: (y0 + y1) / 2 };
}

const LAYER_SLOT: Readonly<Record<LayerId, SlotId>> = {
  app: "app",
  icmp: "icmp",
  ip: "ip",
  ipsec: "ipsec",
  crypto: "crypto",
  if: "if",
  link: "link",
};

/** Where an event puts the packet: its layer's row, or the queue it waits on. */
export function slotOf(e: Pick<TraceEvent, "layer" | "kind"> & { queue?: string }): SlotId {
  if (e.kind === "queue.enqueue") return e.queue === "crypto" ? "crypto" : "ipintrq";
  return LAYER_SLOT[e.layer] ?? "ip";
}

/** The rectangle of a slot in a host's column. */
export function slotRect(host: HostPlan, slot: SlotId): Rect {
  return slot === "ipintrq" ? host.queues.ipintrq : slot === "crypto" ? host.queues.crypto : host.rows[slot];
}

/** Where the card goes for a slot: its top-left, the connector from the slot to it, and the point it points at. */
export interface CardPlacement {
  readonly x: number;
  readonly y: number;
  /** The connector path from the slot's edge to the card. */
  readonly connector: string;
  readonly target: { readonly x: number; readonly y: number };
}

/** The connector from the point a slot shows (`target`) to the card's facing edge. */
export function connectorPath(
  host: HostPlan,
  target: { x: number; y: number },
  cardX: number,
  cardY: number,
  cardWidth: number,
  cardHeight: number,
): string {
  const cardEdgeX = host.cardSide === "right" ? cardX : cardX + cardWidth;
  const y = Math.min(Math.max(target.y, cardY + 14), cardY + cardHeight - 14);
  return horizontalLinkPath([target.x, target.y], [cardEdgeX, y]);
}

/** Place a card of `cardHeight` next to `slot` of `host`, inside the stack's bounds. */
export function placeCard(plan: StackPlan, host: HostPlan, slot: SlotId, cardHeight: number): CardPlacement {
  const r = slotRect(host, slot);
  const cy = r.y + r.height / 2;
  const x = Math.round(host.lane.x + (host.lane.width - plan.cardWidth) / 2);
  const y = Math.round(Math.min(Math.max(PAD, cy - 16), plan.height - PAD - cardHeight));
  const target = { x: host.cardSide === "right" ? r.x + r.width : r.x, y: cy };
  return { x, y, connector: connectorPath(host, target, x, y, plan.cardWidth, cardHeight), target };
}

/** One fragment held on a host's reassembly queue (struct ipq's ipqe), from the fragment's own header bytes. */
export interface HeldFragment {
  readonly chain: number;
  /** ip_id and the addresses: which datagram it belongs to. */
  readonly key: string;
  readonly id: number;
  /** Data bytes it covers, [off, end), and whether MF was set. */
  readonly off: number;
  readonly end: number;
  readonly mf: boolean;
}

/** A change to a host's reassembly queue, at step `seq`. */
interface IpqChange {
  readonly seq: number;
  readonly host: string;
  readonly add?: HeldFragment;
  /** Remove every fragment of this datagram (reassembled) … */
  readonly doneKey?: string;
  /** … or this one chain (dropped: timeout, overlap, too many). */
  readonly dropChain?: number;
}

function fragmentOf(trace: ScenarioTrace, e: TraceEvent): HeldFragment | null {
  const v = e.packet >= 0 ? trace.packets.at(e.packet) : undefined;
  if (!v) return null;
  const b = fromHex(v.hex.slice(0, 48));
  if (b.length < 20) return null;
  const hl = (b[0]! & 0x0f) * 4;
  const len = (b[2]! << 8) | b[3]!;
  const ipOff = (b[6]! << 8) | b[7]!;
  const id = (b[4]! << 8) | b[5]!;
  const off = (ipOff & 0x1fff) * 8;
  return { chain: e.chain, key: `${id}/${b.subarray(12, 20).join(".")}/${b[9]}`, id, off, end: off + len - hl, mf: (ipOff & 0x2000) !== 0 };
}

const IPQ_TIMELINES = new WeakMap<ScenarioTrace, readonly IpqChange[]>();

/**
 * Every change to the hosts' reassembly queues, in step order: a fragment queued (ip_reass's
 * queue.enqueue on "ipq"), a datagram completed (its "reass" decision, branch "complete"), a
 * fragment dropped from the queue. Computed once per trace from its facts: the events' kinds and
 * the fragments' own IP headers (ip_id, offset × 8, MF), never from narration.
 */
export function ipqTimeline(trace: ScenarioTrace): readonly IpqChange[] {
  const known = IPQ_TIMELINES.get(trace);
  if (known) return known;
  const out: IpqChange[] = [];
  const held = new Set<number>();
  for (let i = 0; i < trace.events.length; i++) {
    // Kinds and chains from their columns: only the few candidate events are materialised (a million-step trace, issue 11).
    const kind = kindAt(trace.events, i);
    if (kind !== "queue.enqueue" && kind !== "decision" && !(kind === "drop" && held.has(chainAt(trace.events, i)))) continue;
    const e = scanAt(trace.events, i);
    if (e.kind === "queue.enqueue" && e.queue === "ipq") {
      const f = fragmentOf(trace, e);
      if (f) {
        out.push({ seq: e.seq, host: e.host, add: f });
        held.add(f.chain);
      }
    } else if (e.kind === "decision" && e.check === "reass" && e.branch === "complete") {
      const f = fragmentOf(trace, e);
      if (f) out.push({ seq: e.seq, host: e.host, doneKey: f.key });
    } else if (e.kind === "drop" && held.has(e.chain)) {
      out.push({ seq: e.seq, host: e.host, dropChain: e.chain });
      held.delete(e.chain);
    }
  }
  IPQ_TIMELINES.set(trace, out);
  return out;
}

/** The fragments each host holds on its reassembly queue after step `seq`, offset order. */
export function ipqAt(trace: ScenarioTrace, seq: number): ReadonlyMap<string, readonly HeldFragment[]> {
  const q = new Map<string, HeldFragment[]>();
  for (const c of ipqTimeline(trace)) {
    if (c.seq > seq) break;
    const list = q.get(c.host) ?? [];
    const next = c.add ? [...list, c.add] : c.doneKey ? list.filter((f) => f.key !== c.doneKey) : list.filter((f) => f.chain !== c.dropChain);
    q.set(
      c.host,
      next.sort((a, b) => a.off - b.off),
    );
  }
  for (const [h, l] of q) if (l.length === 0) q.delete(h);
  return q;
}
