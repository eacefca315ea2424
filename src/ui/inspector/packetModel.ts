/**
 * What the bytes of a packet version are, for the card and the inspector: the version's header
 * stack (recorded by the engine's mbuf verbs, trace/hdrs.ts) says where each header starts and
 * whether it is plain, encrypted, pending or trimmed; the engine's dissector (`dissectAt`,
 * `dissectHeader`, driven by the wire FIELDS tables) gives each range its fields.
 *
 * Between two events a kernel leaves a packet half-built — room opened for an ESP header that the
 * IP header does not name yet, plaintext in the ESP payload that is about to be encrypted (or was
 * just decrypted in place), ip_p still saying ESP after m_striphdr. The stack says so; nothing
 * here reads an event's wording.
 */
import {
  dissect,
  dissectAt,
  dissectHeader,
  fromHex,
  hdrProto,
  liveHdrs,
  type HdrView,
  type HeaderSpan,
  type PacketVersion,
} from "../../engine/index";

/** Meaning of the bytes after an ESP header and IV. */
export type EspState = "encrypted" | "plain" | "decrypted";

const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;

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

/** Dissect `bytes[start, end)` as protocol `proto` (what follows an IP header), as regions. */
export function dissectFrom(
  bytes: Uint8Array,
  start: number,
  proto: number,
  end = bytes.length,
  inner = false,
  hints: { esp?: EspLayout } = {},
): Region[] {
  if (end - start <= 0) return [];
  return shift(dissectAt(bytes, proto, start, end, hints.esp ? { esp: hints.esp } : {}), 0, inner);
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

/** What the room of a pending header is called. */
function pendingLabel(h: HdrView): string {
  switch (h.kind) {
    case "esp":
      return "ESP header + IV";
    case "ah":
      return "AH header + ICV";
    case "ipv4":
      return h.outer ? "outer IPv4 header" : "IPv4 header";
    default:
      return h.kind;
  }
}

function protoText(proto: number): string {
  return proto === IPPROTO_ICMP ? "ICMP" : proto === IPPROTO_IPIP ? "an inner IPv4 packet" : `protocol ${proto}`;
}

/** The IPv4 header region at `h`, with the total length marked "(old)" when it is not the chain's length. */
function ipv4Region(bytes: Uint8Array, h: HdrView, stated: number | null): Region[] {
  const regions = shift(dissectHeader(bytes, "ipv4", h.offset, h.len), 0, h.inEsp === true);
  if (stated !== null && h.offset === 0 && regions[0]?.header === "ipv4") {
    const ip = regions[0];
    regions[0] = { ...ip, fields: ip.fields.map((f) => (f.name === "totalLength" ? { ...f, value: `${stated} (old)` } : f)) };
  }
  return regions;
}

/** Model of a version's bytes, from its header stack (a trace without stacks is dissected from its bytes alone). */
export function modelPacket(version: PacketVersion, esp?: EspLayout): PacketModel {
  const bytes = fromHex(version.hex);
  const hdrs = liveHdrs(version.hdrs ?? []);
  if (hdrs.length === 0) return finish(version, bytes, dissectPacket(bytes, esp).regions, [], null);
  const notes: string[] = [];
  const regions: Region[] = [];
  const first = bytes.length >= 20 && bytes[0]! >> 4 === 4 ? (bytes[2]! << 8) | bytes[3]! : null;
  const stated = first !== null && first !== bytes.length && hdrs[0]!.kind === "ipv4" ? first : null;
  const pending = hdrs.find((h) => h.state === "pending" && h.kind !== "esp-icv" && h.kind !== "esp-trailer");
  const plainEsp = hdrs.find((h) => h.inEsp && h.state === "plain");
  const espPlain: EspState | null = plainEsp ? (plainEsp.decrypted ? "decrypted" : "plain") : null;
  for (let i = 0; i < hdrs.length; i++) {
    const h = hdrs[i]!;
    const end = h.offset + h.len;
    if (h.state === "encrypted") {
      // Consecutive encrypted entries are one ciphertext: payload, padding, pad length and next header.
      let j = i;
      while (hdrs[j + 1]?.state === "encrypted") j++;
      const last = hdrs[j]!;
      regions.push({
        header: "esp-ciphertext",
        start: h.offset,
        end: last.offset + last.len,
        fields: [],
        note: "payload, padding, pad length and next header, encrypted",
      });
      i = j;
      continue;
    }
    if (h.state === "pending" && h.kind === "esp-trailer") {
      // m_pad's bytes while the ESP header is not yet linked: trailer and ICV room, as one range.
      let j = i;
      while (hdrs[j + 1]?.state === "pending" && hdrs[j + 1]!.kind === "esp-icv") j++;
      const last = hdrs[j]!;
      regions.push({
        header: "esp-trailer",
        start: h.offset,
        end: last.offset + last.len,
        fields: [],
        note: "padding, pad length, next header and room for the ICV",
      });
      i = j;
      continue;
    }
    if (h.state === "pending" && h.kind !== "esp-icv") {
      regions.push({ header: "pending", start: h.offset, end, fields: [], note: pendingLabel(h) });
      continue;
    }
    switch (h.kind) {
      case "ipv4": {
        regions.push(...ipv4Region(bytes, h, stated));
        // After m_striphdr ip_p still names the header just removed, until the caller restores it.
        const next = hdrs[i + 1];
        const proto = next && next.state === "plain" ? hdrProto(next) : null;
        if (proto !== null && bytes[h.offset + 9] !== proto && !h.inEsp)
          notes.push(`ip_p still names the header just removed; what follows is ${protoText(proto)}.`);
        break;
      }
      case "esp":
        regions.push(...shift(dissectHeader(bytes, "esp", h.offset, h.len), 0, false));
        break;
      case "ah":
        regions.push(...shift(dissectHeader(bytes, "ah", h.offset, h.len), 0, false));
        break;
      case "icmp":
      case "data": {
        const proto = hdrProto(h);
        if (proto === null) regions.push({ header: "payload", start: h.offset, end, fields: [], ...(h.inEsp ? { inner: true } : {}) });
        else regions.push(...dissectFrom(bytes, h.offset, proto, end, h.inEsp === true, esp ? { esp } : {}));
        break;
      }
      case "esp-trailer":
        regions.push({
          header: "esp-trailer",
          start: h.offset,
          end,
          fields: [],
          note: "padding, pad length and next header",
          ...(h.inEsp ? { inner: true } : {}),
        });
        break;
      case "esp-icv":
        regions.push({ header: "esp-icv", start: h.offset, end, fields: [] });
        break;
    }
  }
  if (pending) {
    const label = pendingLabel(pending);
    notes.unshift(`${label} being put in: the bytes at ${pending.offset}–${pending.offset + pending.len - 1} are not yet what they will be.`);
  } else if (hdrs[0]!.kind !== "ipv4" && hdrs[0]!.kind !== "data") {
    notes.push("No IP header yet: this is the message as the socket handed it to the kernel.");
  } else if (stated !== null) notes.push(`ip_len still says ${stated}; the chain holds ${bytes.length} bytes.`);
  return finish(version, bytes, regions, notes, espPlain, esp);
}

/** The encrypted flag and the decrypted view, from the regions. */
function finish(
  version: PacketVersion,
  bytes: Uint8Array,
  regions: Region[],
  notes: string[],
  espPlain: EspState | null,
  esp?: EspLayout,
): PacketModel {
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
    decrypted = { bytes: dbytes, regions: [...regions.slice(0, ctAt), ...dissectFrom(dbytes, from, proto, dbytes.length, true, esp ? { esp } : {})] };
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
