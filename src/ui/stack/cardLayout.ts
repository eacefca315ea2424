/**
 * The packet card: what the glyph that travels the stack shows at one step. Headers as stacked
 * bands (outermost on top), the encrypted part hatched and locked, tags and m_flags as labelled
 * badges that appear, persist, go stale and leave. Pure: model + event + lanes + width in, a
 * plan of boxes and labels out.
 */
import { marksOf, parseTcp, TH, tcpFlagNames, type MFlag, type TagClass, type TagView, type TraceEvent } from "../../engine/index";
import { flagIsStale, tagIsStale, type TagLanes } from "../../store/tagLanes";
import { flagLabel, flagSwatch, tagShortName, tagSwatch } from "../palette";
import { fitText, wrapWords } from "../text";
import type { PacketModel, Region } from "../inspector/packetModel";

export type BandKind =
  "ipv4" | "icmp" | "esp" | "encrypted" | "icv" | "ah" | "udp" | "tcp" | "payload" | "pending" | "trailer" | "undecoded" | "removed";

export interface BandPlan {
  readonly key: string;
  readonly kind: BandKind;
  readonly label: string;
  readonly detail: string;
  readonly bytes: number;
  readonly y: number;
  readonly height: number;
  /** Inside an ESP payload that is plaintext in memory: drawn indented. */
  readonly inner: boolean;
  /** Pushed at this step. */
  readonly entering: boolean;
  /** Detail items (TCP's seq, ack, MSS, ports) wrapped onto rows under the label: `lines` after layout. */
  readonly items?: readonly string[];
  /** The rows `items` were packed into for this card's width, each drawn under the label. */
  readonly lines?: readonly string[];
}

/** A badge before layout: what it shows and how it is marked. */
export interface BadgeInput {
  readonly key: string;
  readonly kind: "tag" | "flag";
  /** "IPSEC_OUT_DONE" or "M_DECRYPTED". */
  readonly name: string;
  readonly label: string;
  readonly fill: string;
  readonly text: string;
  /** Known to describe the packet's earlier trip. */
  readonly stale: boolean;
  /** The decision (or m_tag_find) at this step looked at it. */
  readonly consulted: boolean;
  /** Prepended / set at this step. */
  readonly entering: boolean;
  /** Deleted / cleared at this step: drawn struck through, gone at the next step. */
  readonly leaving: boolean;
  /** How it leaves, said on the badge: deleted, unlinked or retyped (a tag), cleared (a flag). */
  readonly leaveWord?: string;
  readonly uid?: number;
  readonly flag?: MFlag;
  /** seed 003: a tag is a record of work done (solid, ✓) or a reminder of work to do (outlined, →). */
  readonly tagClass?: TagClass;
  /** Full description for the tooltip and screen readers. */
  readonly description: string;
}

/** A badge placed on the card. */
export interface BadgePlan extends BadgeInput {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export type CardState = "encrypted" | "cleartext" | "plaintext-in-esp" | "decrypted" | "empty";

export interface CardPlan {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly size: string;
  readonly state: CardState;
  readonly stateLabel: string;
  readonly bands: readonly BandPlan[];
  readonly badges: readonly BadgePlan[];
  /** y of the badge area's top (its separator). */
  readonly badgesTop: number;
  /** The empty card's sentence (EMPTY_TEXT), wrapped to its width. */
  readonly emptyLines?: readonly string[];
}

/** What the card says before the socket has built anything. */
export const EMPTY_TEXT = "The socket has not built a packet yet.";

/** Sized for 16px text at the least (a projector at the back of a room, issue 17). */
export const CARD = {
  titleHeight: 36,
  bandHeight: 28,
  bandGap: 3,
  badgeHeight: 28,
  badgeGap: 6,
  pad: 8,
  /** Monospace glyph width at the badge font size (16px). */
  charWidth: 9.7,
  /** A generous average glyph width of the 16px sans text (the empty card's sentence). */
  sansCharWidth: 8.6,
  emptyLineHeight: 21,
  /** The hatched tail of a stale badge: beside its label, never under it. */
  staleTail: 20,
  maxBands: 8,
  /** A band's detail text (16px regular), and the height of each extra detail row (TCP). */
  detailCharWidth: 8.8,
  lineHeight: 20,
} as const;

const fieldValue = (r: Region, name: string) => r.fields.find((f) => f.name === name)?.value;
const bare = (v: string | undefined) => (v ?? "").replace(/\s*\(\d+\)$/, "");
/** "0x00001000" → "0x1000": short enough for a band. */
const shortHex = (v: string | undefined) => v?.replace(/^0x0+(?=[0-9a-f])/i, "0x");

/** Group a model's regions into the bands a person reads. */
export function bandsOf(model: PacketModel): Omit<BandPlan, "y" | "height" | "entering" | "key">[] {
  const out: Omit<BandPlan, "y" | "height" | "entering" | "key">[] = [];
  const rs = model.regions;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    const inner = r.inner === true;
    const bytes = r.end - r.start;
    switch (r.header) {
      case "ipv4": {
        const src = fieldValue(r, "src");
        const dst = fieldValue(r, "dst");
        out.push({
          kind: "ipv4",
          label: inner || out.some((b) => b.kind === "ipv4") ? "inner IPv4" : "IPv4",
          detail: src && dst ? `${src} → ${dst}` : "",
          bytes,
          inner,
        });
        break;
      }
      case "icmp":
        out.push({ kind: "icmp", label: "ICMP", detail: bare(fieldValue(r, "type")), bytes, inner });
        break;
      case "esp": {
        const iv = rs[i + 1]?.header === "esp-iv" ? rs[++i]! : null;
        const spi = shortHex(fieldValue(r, "spi"));
        const seq = fieldValue(r, "seq");
        out.push({
          kind: "esp",
          label: "ESP",
          detail: [spi && `SPI ${spi}`, seq && `seq ${seq}`, iv && "IV"].filter(Boolean).join(" · "),
          bytes: bytes + (iv ? iv.end - iv.start : 0),
          inner,
        });
        break;
      }
      case "esp-ciphertext":
      case "esp-encrypted": {
        const icv = rs[i + 1]?.header === "esp-icv" ? rs[++i]! : null;
        const icvBytes = icv ? icv.end - icv.start : 0;
        out.push({ kind: "encrypted", label: "ESP (encrypted)", detail: icvBytes ? `incl. ${icvBytes} B ICV` : "", bytes: bytes + icvBytes, inner });
        break;
      }
      case "esp-icv":
        out.push({
          kind: "icv",
          label: "ICV",
          detail: model.espPlain === "plain" ? "room, filled by the cipher" : "integrity check value",
          bytes,
          inner,
        });
        break;
      case "esp-iv":
        out.push({ kind: "esp", label: "ESP IV", detail: "", bytes, inner });
        break;
      case "ah": {
        const icv = rs[i + 1]?.header === "ah-icv" ? rs[++i]! : null;
        const spi = shortHex(fieldValue(r, "spi"));
        const seq = fieldValue(r, "seq");
        out.push({
          kind: "ah",
          label: "AH",
          detail: [spi && `SPI ${spi}`, seq && `seq ${seq}`, icv && "ICV"].filter(Boolean).join(" · "),
          bytes: bytes + (icv ? icv.end - icv.start : 0),
          inner,
        });
        break;
      }
      case "ah-icv":
        out.push({ kind: "ah", label: "AH ICV", detail: "", bytes, inner });
        break;
      case "udp":
        out.push({ kind: "udp", label: "UDP", detail: `${fieldValue(r, "srcPort") ?? "?"} → ${fieldValue(r, "dstPort") ?? "?"}`, bytes, inner });
        break;
      case "pending":
        out.push({ kind: "pending", label: r.note ?? "new header", detail: "being written", bytes, inner });
        break;
      case "esp-trailer":
        out.push({
          kind: "trailer",
          label: "ESP trailer",
          detail: inner ? "padding · pad length · next header" : "trailer + ICV room",
          bytes,
          inner,
        });
        break;
      case "payload": {
        // The dissector leaves TCP as one payload span named "tcp" (a first fragment or a whole
        // segment; later fragments say "non-first fragment of tcp"): the card reads its header.
        const tcp = r.note === "tcp" ? tcpBands(model.bytes.subarray(r.start, r.end), inner) : null;
        if (tcp) out.push(...tcp);
        else out.push({ kind: "payload", label: "data", detail: r.note ?? "", bytes, inner });
        break;
      }
      default:
        out.push({ kind: "undecoded", label: "bytes", detail: r.note ?? "", bytes, inner });
        break;
    }
  }
  return out;
}

/**
 * A TCP segment as bands (issue 12): the header, its flags in the label so they show at any width,
 * then seq, ack and MSS (SYNs) as tcp_output wrote them (absolute, as on the wire; the narration
 * gives them relative to the ISS) on rows under the label — and the data after it. The ports are
 * left to the inspector and the narration: a third row would push a 200-px card over the wire
 * labels at 1280×720. Null when the bytes are not a TCP header.
 */
export function tcpBands(seg: Uint8Array, inner: boolean): Omit<BandPlan, "y" | "height" | "entering" | "key">[] | null {
  const th = parseTcp(seg);
  if (!th) return null;
  const items = [`seq ${th.seq >>> 0}`, th.flags & TH.ACK ? `ack ${th.ack >>> 0}` : "", th.mss !== undefined ? `MSS ${th.mss}` : ""].filter(
    (x) => x !== "",
  );
  const header = { kind: "tcp" as const, label: `TCP ${tcpFlagNames(th.flags)}`, detail: "", items, bytes: th.hlen, inner };
  const data = seg.length - th.hlen;
  return data > 0 ? [header, { kind: "payload", label: "data", detail: "TCP payload", bytes: data, inner }] : [header];
}

/** Pack detail items into rows of at most `room` px (" · " between items on a row); an item wider than a row is shortened. */
export function packItems(items: readonly string[], room: number): string[] {
  const rows: string[] = [];
  for (const it of items) {
    const last = rows[rows.length - 1];
    const joined = last === undefined ? it : `${last} · ${it}`;
    if (last !== undefined && joined.length * CARD.detailCharWidth <= room) rows[rows.length - 1] = joined;
    else rows.push(it.length * CARD.detailCharWidth <= room ? it : fitText(it, room, CARD.detailCharWidth));
  }
  return rows;
}

/** The header an event removed, as a ghost band, and where it goes (band index). */
function removedBand(e: TraceEvent | null, bandCount: number): { at: number; band: Omit<BandPlan, "y" | "height" | "entering" | "key"> } | null {
  if (!e) return null;
  if (e.kind === "mbuf.strip")
    return {
      at: e.offset === 0 ? 0 : 1,
      band: { kind: "removed", label: `${headerName(e.header)} removed`, detail: "m_striphdr", bytes: e.len, inner: false },
    };
  if (e.kind === "mbuf.adj")
    return {
      at: e.from === "head" ? 0 : bandCount,
      band: { kind: "removed", label: `${headerName(e.header)} removed`, detail: `m_adj from the ${e.from}`, bytes: e.len, inner: false },
    };
  return null;
}

function headerName(h: string): string {
  return h
    .replace(/^esp\b/, "ESP")
    .replace(/^ah\b/, "AH")
    .replace(/^ipv4\b/, "IPv4")
    .replace(/\bicv\b/, "ICV");
}

/** Badge width for a label at the badge font. */
export function badgeWidth(label: string): number {
  return Math.ceil(16 + label.length * CARD.charWidth);
}

function tagDescription(t: TagView): string {
  const id = t.tdbi ? ` {${t.tdbi.dst}, ${t.tdbi.proto}, 0x${t.tdbi.spi.toString(16).padStart(8, "0")}}` : t.ifname ? ` {${t.ifname}}` : "";
  const cls = t.class === "reminder" ? ", a reminder of work still to do" : t.class === "record" ? ", a record of work done" : "";
  return `PACKET_TAG_${t.name} (id ${t.id}, ${t.len} bytes)${id}${cls}`;
}

/** The mark before a tag's name: ✓ for a record (done), → for a reminder (to do). */
export const TAG_CLASS_MARK: Readonly<Record<TagClass, string>> = { record: "✓", reminder: "→" };

/** The badges of the packet at event `e`: its tags and flags, plus those leaving at this step. */
export function badgeInputs(model: PacketModel | null, e: TraceEvent | null, lanes: TagLanes | null): BadgeInput[] {
  if (!e) return [];
  const seq = e.seq;
  const marks = marksOf(e);
  const consultedTags = new Map<number, boolean>();
  const consultedFlags = new Map<MFlag, boolean>();
  for (const c of marks.consult ?? []) {
    if (c.kind === "tag") consultedTags.set(c.tag.uid, c.stale);
    else consultedFlags.set(c.flag, c.stale);
  }
  const entering = new Set((marks.enter ?? []).map((t) => t.uid));
  const leavingTags: readonly TagView[] = marks.leave ?? [];
  // m_tag_unlink keeps the tag alive off the chain; a retype (FreeBSD's IN_CRYPTO_DONE → IN_DONE) keeps it on, renamed.
  const tagLeaveWord = marks.end === "retyped" ? "retyped" : marks.end === "unlinked" ? "unlinked" : "deleted";
  const flagsSet = new Set(marks.flagsSet ?? []);
  const flagsCleared = marks.flagsCleared ?? [];

  const tag = (t: TagView, leaving: boolean): BadgeInput => {
    const sw = tagSwatch(t.name);
    const stale = consultedTags.get(t.uid) === true || tagIsStale(lanes, model?.version ?? null, t.uid, seq);
    return {
      key: `tag-${t.uid}`,
      kind: "tag",
      name: t.name,
      label: t.class ? `${TAG_CLASS_MARK[t.class]} ${tagShortName(t.name)}` : tagShortName(t.name),
      fill: sw.fill,
      text: sw.text,
      stale,
      consulted: consultedTags.has(t.uid),
      entering: entering.has(t.uid),
      leaving,
      ...(leaving ? { leaveWord: tagLeaveWord } : {}),
      uid: t.uid,
      ...(t.class ? { tagClass: t.class } : {}),
      description: `${tagDescription(t)}${stale ? ", stale" : ""}${leaving ? `, ${tagLeaveWord} at this step` : ""}`,
    };
  };
  const flag = (f: MFlag, leaving: boolean): BadgeInput => {
    const sw = flagSwatch(f);
    const stale = consultedFlags.get(f) === true || flagIsStale(lanes, model?.version ?? null, e.chain, f, seq);
    return {
      key: `flag-${f}`,
      kind: "flag",
      name: flagLabel(f),
      label: flagLabel(f),
      fill: sw.fill,
      text: sw.text,
      stale,
      consulted: consultedFlags.has(f),
      entering: flagsSet.has(f),
      leaving,
      flag: f,
      description: `m_flags ${flagLabel(f)}${stale ? ", stale (set on the packet's earlier trip)" : ""}${leaving ? ", cleared at this step" : ""}`,
    };
  };

  const live = model?.version.tags ?? [];
  const liveUids = new Set(live.map((t) => t.uid));
  const flags = model?.version.flags ?? [];
  return [
    ...live.map((t) => tag(t, false)),
    ...leavingTags.filter((t) => !liveUids.has(t.uid)).map((t) => tag(t, true)),
    ...flags.map((f) => flag(f, false)),
    ...flagsCleared.filter((f) => !flags.includes(f)).map((f) => flag(f, true)),
  ];
}

/** Lay out the card for a model at event `e`. */
export function layoutCard(model: PacketModel | null, e: TraceEvent | null, lanes: TagLanes | null, width: number): CardPlan {
  if (!model) {
    // Wrapped to the card (a narrow host column at 1280 px has room for a few words a line).
    const emptyLines = wrapWords(EMPTY_TEXT, width - 2 * CARD.pad - 4, (s) => s.length * CARD.sansCharWidth);
    const height = CARD.titleHeight + 14 + emptyLines.length * CARD.emptyLineHeight;
    return {
      width,
      height,
      emptyLines,
      title: e?.kind === "app.send" ? "no mbuf yet" : "no packet",
      size: "",
      state: "empty",
      stateLabel: "",
      bands: [],
      badges: [],
      badgesTop: height,
    };
  }
  let raw = bandsOf(model);
  const removed = removedBand(e, raw.length);
  if (removed) raw = [...raw.slice(0, removed.at), removed.band, ...raw.slice(removed.at)];
  if (raw.length > CARD.maxBands) {
    const rest = raw.slice(CARD.maxBands - 1);
    raw = [
      ...raw.slice(0, CARD.maxBands - 1),
      { kind: "undecoded", label: `+${rest.length} more`, detail: "see the inspector", bytes: rest.reduce((s, b) => s + b.bytes, 0), inner: false },
    ];
  }
  const pushedAt = e?.kind === "mbuf.prepend" ? 0 : e?.kind === "mbuf.makespace" ? raw.findIndex((b) => b.kind === "pending") : -1;
  let y = CARD.titleHeight;
  const bands: BandPlan[] = raw.map((b, i) => {
    // Items wrap under the label, as many rows as this card's width needs (16px text at any width).
    const lines = b.items ? packItems(b.items, width - 2 * CARD.pad - (b.inner ? 14 : 0) - 16) : [];
    const height = CARD.bandHeight + lines.length * CARD.lineHeight;
    const band: BandPlan = { ...b, key: `${i}-${b.kind}-${b.label}`, y, height, entering: i === pushedAt, ...(lines.length ? { lines } : {}) };
    y += height + CARD.bandGap;
    return band;
  });

  const inputs = badgeInputs(model, e, lanes);
  const badgesTop = y + CARD.pad - CARD.bandGap;
  const badges: BadgePlan[] = [];
  let bx = CARD.pad;
  let by = badgesTop + CARD.pad;
  for (const b of inputs) {
    const full = b.leaving ? `${b.label} · ${b.leaveWord ?? "cleared"}` : b.stale ? `${b.label} · stale` : b.label;
    // Flags are pills with a dot before the label; a stale badge has a hatched tail after it.
    const extra = (b.kind === "flag" ? 12 : 0) + (b.stale ? CARD.staleTail : 0);
    const w = Math.min(width - 2 * CARD.pad, badgeWidth(full) + extra);
    // On a narrow card the label is shortened to fit (the suffix first: the tail already says stale).
    const room = w - 16 - extra;
    const label =
      full.length * CARD.charWidth <= room ? full : b.label.length * CARD.charWidth <= room ? b.label : fitText(b.label, room, CARD.charWidth);
    if (bx + w > width - CARD.pad && bx > CARD.pad) {
      bx = CARD.pad;
      by += CARD.badgeHeight + CARD.badgeGap;
    }
    badges.push({ ...b, label, x: bx, y: by, width: w, height: CARD.badgeHeight });
    bx += w + CARD.badgeGap;
  }
  const height = badges.length > 0 ? by + CARD.badgeHeight + CARD.pad : badgesTop;

  const state: CardState = model.encrypted
    ? "encrypted"
    : model.espPlain === "plain"
      ? "plaintext-in-esp"
      : model.espPlain === "decrypted"
        ? "decrypted"
        : "cleartext";
  const stateLabel = { encrypted: "ENCRYPTED", cleartext: "CLEARTEXT", "plaintext-in-esp": "NOT YET ENCRYPTED", decrypted: "DECRYPTED", empty: "" }[
    state
  ];
  return {
    width,
    height,
    title: `chain ${model.version.chain}`,
    size: `${model.bytes.length} B`,
    state,
    stateLabel,
    bands,
    badges,
    badgesTop,
  };
}
