/**
 * What the bytes of a packet version are, for the card and the inspector: the engine's dissector
 * (`dissect`, driven by the wire FIELDS tables) plus what only the trace knows.
 *
 * Between two events a kernel leaves a packet half-built — ip_len not yet updated, room opened
 * for an ESP header that is not yet written, plaintext in the ESP payload that is about to be
 * encrypted (or was just decrypted in place), ip_p still saying ESP after m_striphdr. The bytes
 * alone would be mis-read there, so `layoutHints` reads the trace's mbuf events once per trace
 * and `modelPacket` uses the hint of the current event to say what each range really is.
 */
import { dissect, fromHex, scanAt, type EventList, type HeaderSpan, type PacketVersion, type Trace } from "../../engine/index";

/** Meaning of the bytes after an ESP header and IV. */
export type EspState = "encrypted" | "plain" | "decrypted";

/** Room opened in the chain whose bytes are not yet what they will be. */
export interface PendingRegion {
  /** The header being put there, as the event names it ("esp", "ipv4 (outer)"). */
  readonly header: string;
  readonly offset: number;
  readonly len: number;
  /** What completes it: the rewrite of that range, or ip_p being set to the new protocol. */
  readonly until: "rewrite" | "protocol";
  /** Protocol of the bytes that follow the region, when known from the chain's history. */
  readonly inner: number | null;
}

/** What the trace says about a chain at one event, beyond its bytes. Shared while unchanged. */
export interface LayoutHint {
  readonly pending: PendingRegion | null;
  /** Bytes appended at the tail while a region is pending (ESP trailer and room for the ICV). */
  readonly tail: number;
  readonly esp: EspState;
  /** The ICV has been trimmed (m_adj) but ip_len not yet updated. */
  readonly icvGone: boolean;
  /** After m_striphdr: the protocol after the IP header while ip_p is stale (-1 unknown). */
  readonly proto: number | null;
  /** The chain holds an upper-layer message with no IP header yet (its protocol). */
  readonly bare: number | null;
}

const NO_HINT: LayoutHint = Object.freeze({ pending: null, tail: 0, esp: "encrypted", icvGone: false, proto: null, bare: null });

const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;

/** One hint per event (NO_HINT for events with no chain), in one pass over the trace. */
export function computeLayoutHints(events: EventList): readonly LayoutHint[] {
  const hints: LayoutHint[] = new Array<LayoutHint>(events.length);
  const byChain = new Map<number, LayoutHint>();
  // Hints made after m_striphdr wait for ip_p to be restored to learn their protocol.
  const awaitingProto = new Map<number, { proto: number | null }[]>();

  for (let i = 0; i < events.length; i++) {
    const e = scanAt(events, i);
    if (e.chain < 0) {
      hints[i] = NO_HINT;
      continue;
    }
    const h = byChain.get(e.chain) ?? NO_HINT;
    let next: LayoutHint = h;
    switch (e.kind) {
      case "mbuf.alloc":
        // sosend's mbuf holds the ICMP message ping wrote; the raw socket adds the IP header.
        next = { ...NO_HINT, bare: e.layer === "app" ? IPPROTO_ICMP : null };
        break;
      case "mbuf.prepend":
        next = {
          ...h,
          pending: {
            header: e.header,
            offset: 0,
            len: e.len,
            until: "rewrite",
            inner: h.bare ?? (e.header.startsWith("ipv4") ? IPPROTO_IPIP : null),
          },
        };
        break;
      case "mbuf.rewrite": {
        const p = h.pending;
        let esp = h.esp;
        if (/decrypt/i.test(e.what)) esp = "decrypted";
        else if (/cipher/i.test(e.what)) esp = "encrypted";
        const done = p !== null && p.until === "rewrite" && e.offset <= p.offset && e.offset + e.len >= p.offset + p.len;
        if (done || esp !== h.esp) next = { ...h, esp, ...(done ? { pending: null, bare: null } : {}) };
        break;
      }
      case "mbuf.makespace":
        next = {
          ...h,
          pending: { header: e.header, offset: e.offset, len: e.len, until: "protocol", inner: null },
          tail: 0,
          esp: e.header === "esp" ? "plain" : h.esp,
        };
        break;
      case "mbuf.append":
        if (h.pending) next = { ...h, tail: h.tail + e.len };
        break;
      case "mbuf.adj":
        if (e.from === "tail" && /icv/i.test(e.header)) next = { ...h, icvGone: true };
        break;
      case "mbuf.strip":
        if (e.header === "esp" || e.header === "ah") {
          next = { ...h, proto: -1, esp: "encrypted", icvGone: false, pending: null };
          awaitingProto.set(e.chain, []);
        }
        break;
      case "field.set":
        if (e.header === "ipv4" && e.field === "protocol") {
          const to = Number.parseInt(e.to, 10);
          for (const waiting of awaitingProto.get(e.chain) ?? []) waiting.proto = Number.isFinite(to) ? to : -1;
          awaitingProto.delete(e.chain);
          if (h.pending?.until === "protocol" || h.proto !== null)
            next = { ...h, pending: h.pending?.until === "protocol" ? null : h.pending, tail: 0, proto: null };
        }
        break;
      default:
        break;
    }
    if (next !== h) {
      byChain.set(e.chain, next);
      // Filled in when ip_p is restored (the objects are this function's own until it returns).
      if (next.proto === -1) awaitingProto.get(e.chain)?.push(next as { proto: number | null });
    }
    hints[i] = next;
  }
  return hints;
}

const hintCache = new WeakMap<object, readonly LayoutHint[]>();

/** Layout hints of a trace, computed once per trace. */
export function layoutHints(trace: Pick<Trace, "events">): readonly LayoutHint[] {
  let hints = hintCache.get(trace);
  if (!hints) {
    hints = computeLayoutHints(trace.events);
    hintCache.set(trace, hints);
  }
  return hints;
}

/** A byte range of the model: a dissected header span or one the trace explains. */
export interface Region {
  /** HeaderName from the dissector, or "pending" | "esp-trailer". */
  readonly header: string;
  readonly start: number;
  readonly end: number;
  readonly fields: HeaderSpan["fields"];
  readonly note?: string;
  /** Inside an ESP payload that is plaintext in memory (before encryption / after decryption). */
  readonly inner?: boolean;
}

/** IV and ICV lengths of an SPI, from the scenario's SAs. */
export type EspLayout = (spi: number) => { ivLen: number; icvLen: number } | undefined;

/** What a packet version's bytes are. */
export interface PacketModel {
  readonly version: PacketVersion;
  readonly bytes: Uint8Array;
  readonly regions: readonly Region[];
  /** Sentences about half-built state ("ip_len still says 120; the chain holds 104 bytes"). */
  readonly notes: readonly string[];
  /** It has an ESP payload that is ciphertext now. */
  readonly encrypted: boolean;
  /** It has an ESP payload that is plaintext in memory (about to be encrypted, or just decrypted). */
  readonly espPlain: EspState | null;
  /** The decrypted view of an encrypted ESP payload, when the engine recorded the plaintext. */
  readonly decrypted: { readonly bytes: Uint8Array; readonly regions: readonly Region[] } | null;
}

function shift(spans: readonly HeaderSpan[], by: number, inner: boolean): Region[] {
  return spans.map((s) => ({
    header: s.header,
    start: s.start + by,
    end: s.end + by,
    fields: s.fields.map((f) => ({ ...f, start: f.start + by, end: f.end + by })),
    ...(s.note !== undefined ? { note: s.note } : {}),
    ...(inner ? { inner } : {}),
  }));
}

/**
 * Dissect `bytes[start, end)` as protocol `proto` (what follows an IP header): the dissector
 * starts at an IPv4 header, so one is made up in front and dropped again.
 */
export function dissectFrom(
  bytes: Uint8Array,
  start: number,
  proto: number,
  end = bytes.length,
  inner = false,
  hints: { esp?: EspLayout } = {},
): Region[] {
  const len = end - start;
  if (len <= 0) return [];
  if (20 + len > 0xffff) return [{ header: "payload", start, end, fields: [] }];
  const synth = new Uint8Array(20 + len);
  synth[0] = 0x45;
  synth[2] = ((20 + len) >> 8) & 0xff;
  synth[3] = (20 + len) & 0xff;
  synth[8] = 64;
  synth[9] = proto & 0xff;
  synth.set(bytes.subarray(start, end), 20);
  const spans = dissect(synth, hints.esp ? { esp: hints.esp } : {});
  return shift(spans.slice(1), start - 20, inner);
}

/** A copy with ip_len set to the length of the bytes, or the bytes themselves when it already is. */
function withTrueLength(bytes: Uint8Array): { bytes: Uint8Array; stated: number | null } {
  if (bytes.length < 20 || bytes[0]! >> 4 !== 4 || bytes.length > 0xffff) return { bytes, stated: null };
  const stated = (bytes[2]! << 8) | bytes[3]!;
  if (stated === bytes.length) return { bytes, stated: null };
  const copy = bytes.slice();
  copy[2] = (bytes.length >> 8) & 0xff;
  copy[3] = bytes.length & 0xff;
  return { bytes: copy, stated };
}

/** Dissect the whole packet with ip_len corrected; the IPv4 total length shows the stated value. */
function dissectPacket(bytes: Uint8Array, esp: EspLayout | undefined): { regions: Region[]; stated: number | null } {
  const { bytes: view, stated } = withTrueLength(bytes);
  const spans = dissect(view, esp ? { esp } : {});
  const regions = shift(spans, 0, false);
  if (stated !== null && regions[0]?.header === "ipv4") {
    const ip = regions[0];
    regions[0] = { ...ip, fields: ip.fields.map((f) => (f.name === "totalLength" ? { ...f, value: `${stated} (old)` } : f)) };
  }
  return { regions, stated };
}

const PENDING_LABEL: Readonly<Record<string, string>> = {
  esp: "ESP header + IV",
  ah: "AH header + ICV",
  ipv4: "IPv4 header",
  "ipv4 (outer)": "outer IPv4 header",
};

/** Model of a version's bytes at an event whose layout hint is `hint`. */
export function modelPacket(version: PacketVersion, hint: LayoutHint, esp?: EspLayout): PacketModel {
  const bytes = fromHex(version.hex);
  const notes: string[] = [];
  let regions: Region[];
  let espPlain: EspState | null = null;

  if (hint.pending) {
    const p = hint.pending;
    const head =
      p.offset > 0
        ? dissectPacket(bytes.subarray(0, bytes.length), esp)
            .regions.filter((r) => r.header === "ipv4" && r.end <= p.offset)
            .slice(0, 1)
        : [];
    const restStart = Math.min(bytes.length, p.offset + p.len);
    const restEnd = Math.max(restStart, bytes.length - hint.tail);
    const proto = p.inner ?? (p.offset >= 20 ? bytes[9]! : null);
    const label = PENDING_LABEL[p.header] ?? p.header;
    regions = [
      ...head,
      { header: "pending", start: p.offset, end: restStart, fields: [], note: label },
      ...(proto !== null ? dissectFrom(bytes, restStart, proto, restEnd) : [{ header: "payload", start: restStart, end: restEnd, fields: [] }]),
    ];
    if (hint.tail > 0)
      regions.push({
        header: "esp-trailer",
        start: restEnd,
        end: bytes.length,
        fields: [],
        note: "padding, pad length, next header and room for the ICV",
      });
    notes.push(`${label} being put in: the bytes at ${p.offset}–${restStart - 1} are not yet what they will be.`);
  } else if (hint.bare !== null) {
    regions = dissectFrom(bytes, 0, hint.bare);
    notes.push("No IP header yet: this is the message as the socket handed it to the kernel.");
  } else if (hint.proto !== null && hint.proto >= 0 && bytes.length >= 20) {
    const { regions: all, stated } = dissectPacket(bytes, esp);
    const ip = all[0]?.header === "ipv4" ? [all[0]] : [];
    const hl = ip[0]?.end ?? 20;
    regions = [...ip, ...dissectFrom(bytes, hl, hint.proto)];
    notes.push(
      `ip_p still names the header just removed; what follows is ${hint.proto === IPPROTO_ICMP ? "ICMP" : hint.proto === IPPROTO_IPIP ? "an inner IPv4 packet" : `protocol ${hint.proto}`}.`,
    );
    if (stated !== null) notes.push(`ip_len still says ${stated}; the chain holds ${bytes.length} bytes.`);
  } else {
    const icvless: EspLayout | undefined =
      esp && hint.icvGone
        ? (spi) => {
            const l = esp(spi);
            return l && { ...l, icvLen: 0 };
          }
        : esp;
    const { regions: all, stated } = dissectPacket(bytes, icvless);
    regions = all;
    if (stated !== null) notes.push(`ip_len still says ${stated}; the chain holds ${bytes.length} bytes.`);
    const ct = regions.findIndex((r) => r.header === "esp-ciphertext");
    if (ct >= 0 && hint.esp !== "encrypted") {
      // The "ciphertext" range holds plaintext: payload | padding | pad length | next header.
      espPlain = hint.esp;
      const r = regions[ct]!;
      const nh = bytes[r.end - 1]!;
      const padLen = bytes[r.end - 2]!;
      const innerEnd = r.end - 2 - padLen;
      const inner = innerEnd > r.start ? dissectFrom(bytes, r.start, nh, innerEnd, true) : [];
      const trailer: Region = {
        header: "esp-trailer",
        start: Math.max(r.start, innerEnd),
        end: r.end,
        fields: [],
        note: "padding, pad length and next header",
        inner: true,
      };
      regions = [...regions.slice(0, ct), ...inner, trailer, ...regions.slice(ct + 1)];
    }
  }

  const encrypted = espPlain === null && regions.some((r) => r.header === "esp-ciphertext" || r.header === "esp-encrypted");
  let decrypted: PacketModel["decrypted"] = null;
  if (encrypted && version.cleartext) {
    const clear = fromHex(version.cleartext);
    const ctAt = regions.findIndex((r) => r.header === "esp-ciphertext" || r.header === "esp-encrypted");
    const from = regions[ctAt]!.start;
    const dbytes = new Uint8Array(from + clear.length);
    dbytes.set(bytes.subarray(0, from));
    dbytes.set(clear, from);
    // The ESP next header, as the engine recorded it; older traces lack it, so guess from the bytes.
    const proto = version.cleartextProto ?? (looksLikeIpv4(clear) ? IPPROTO_IPIP : IPPROTO_ICMP);
    decrypted = { bytes: dbytes, regions: [...regions.slice(0, ctAt), ...dissectFrom(dbytes, from, proto, dbytes.length, true)] };
  }
  return { version, bytes, regions, notes, encrypted, espPlain, decrypted };
}

/** An inner IPv4 packet (tunnel mode) rather than an upper-layer message (for traces without cleartextProto). */
function looksLikeIpv4(b: Uint8Array): boolean {
  return b.length >= 20 && b[0] === 0x45 && ((b[2]! << 8) | b[3]!) === b.length;
}

/** ESP IV/ICV lengths by SPI from a scenario's SAs (`enc`/`auth` names resolved by the caller). */
export function espLayoutFrom(sas: readonly { spi: number; iv: number; icv: number; host: string }[], host: string): EspLayout {
  return (spi) => {
    const sa = sas.find((s) => s.spi === spi && s.host === host) ?? sas.find((s) => s.spi === spi);
    return sa ? { ivLen: sa.iv, icvLen: sa.icv } : undefined;
  };
}

/** One field of a model, flattened, with its stable key `${header}#${nth}.${name}`. */
export interface FieldRef {
  readonly key: string;
  readonly regionIndex: number;
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** The flat field list of a model's regions and, per byte, the index of the field that holds it (-1 none). */
export interface FieldIndex {
  readonly fields: readonly FieldRef[];
  readonly byKey: ReadonlyMap<string, FieldRef>;
  readonly owner: Int32Array;
  /** Per byte, the index of the region that holds it (-1 none). */
  readonly regionOf: Int32Array;
}

/** Index the fields of `regions` over `length` bytes. */
export function indexFields(regions: readonly Region[], length: number): FieldIndex {
  const fields: FieldRef[] = [];
  const byKey = new Map<string, FieldRef>();
  const owner = new Int32Array(length).fill(-1);
  const regionOf = new Int32Array(length).fill(-1);
  const nth = new Map<string, number>();
  regions.forEach((r, ri) => {
    const n = nth.get(r.header) ?? 0;
    nth.set(r.header, n + 1);
    for (let b = Math.max(0, r.start); b < Math.min(length, r.end); b++) regionOf[b] = ri;
    for (const f of r.fields) {
      const ref: FieldRef = {
        key: `${r.header}#${n}.${f.name}`,
        regionIndex: ri,
        name: f.name,
        label: f.label,
        value: f.value,
        start: f.start,
        end: f.end,
      };
      // The first field claims a shared byte (bitfields share their word).
      for (let b = Math.max(0, f.start); b < Math.min(length, f.end); b++) if (owner[b] === -1) owner[b] = fields.length;
      fields.push(ref);
      byKey.set(ref.key, ref);
    }
  });
  return { fields, byKey, owner, regionOf };
}
