/**
 * The trace as JSON (docs/cli.md, "The trace as JSON"): a readable, versioned view of the same
 * data the engine holds, one event / packet version / link per line so two traces diff step by step.
 *
 * Format 2 (`"format": "tagflow-trace/2"`, issue 11) writes each packet version as a delta against
 * the previous version of the same packet (chain): `"of"` names that version, `"bytes": [keep,
 * "hex", tail]` says the bytes are its first `keep` bytes, then `hex`, then its last `tail` bytes,
 * and only the fields that changed are written (`"unset"` lists the optional ones that went away).
 * A version's bytes are written whole (`"hex"`) when it is the first of its packet or shares too
 * little with the one before. Events and links are written as in format 1 (no `"format"` field),
 * which the reader and `tagflow convert --to trace` still take.
 *
 * No Node APIs: this runs in the browser too (the app's Export writes the same bytes as the CLI).
 */
import { EventTable, PacketTable, type PacketVersion, type RowList, type Trace } from "../engine";

/** The `"format"` a version-2 trace file carries (format 1 files have none). */
export const TRACE_JSON_FORMAT = "tagflow-trace/2";

/** The JSON layouts this module writes and reads. */
export type TraceJsonFormat = 1 | 2;

/** Top-level arrays written one element per line, so two traces diff step by step. */
const ONE_PER_LINE: ReadonlySet<string> = new Set(["events", "packets", "links"]);

/**
 * PacketVersion's keys in the order the engine's objects list them (events.ts), so a packet read
 * back from a delta has the key order — and the JSON the bytes — of the one written.
 */
const PACKET_KEYS = [
  "id",
  "chain",
  "hex",
  "segs",
  "hdrs",
  "tags",
  "flags",
  "rcvif",
  "cleartext",
  "cleartextProto",
  "staleTags",
  "staleFlags",
] as const satisfies readonly (keyof PacketVersion)[];
// Every key of PacketVersion is in PACKET_KEYS (a new field fails to compile until it is added).
const _allKeys: Record<Exclude<keyof PacketVersion, (typeof PACKET_KEYS)[number]>, never> = {};
void _allKeys;

/** Keys a delta line writes itself (not "changed fields"). */
const DELTA_OWN = new Set(["id", "chain", "of", "hex", "bytes", "unset"]);

/** A delta whose kept bytes are fewer than this is not worth reading: the bytes are written whole. */
const MIN_SHARED_BYTES = 4;

type Json = Record<string, unknown>;

/** Common prefix and suffix of two hex strings, in whole bytes (the suffix never overlaps the prefix). */
function sharedBytes(a: string, b: string): { keep: number; tail: number } {
  const max = Math.min(a.length, b.length) >> 1;
  let keep = 0;
  while (keep < max && a.charCodeAt(2 * keep) === b.charCodeAt(2 * keep) && a.charCodeAt(2 * keep + 1) === b.charCodeAt(2 * keep + 1)) keep++;
  let tail = 0;
  const ea = a.length - 2;
  const eb = b.length - 2;
  while (
    tail < max - keep &&
    a.charCodeAt(ea - 2 * tail) === b.charCodeAt(eb - 2 * tail) &&
    a.charCodeAt(ea - 2 * tail + 1) === b.charCodeAt(eb - 2 * tail + 1)
  )
    tail++;
  return { keep, tail };
}

/**
 * Packet version `p` as a format-2 line object: whole when `base` (the previous version of the
 * same chain) is undefined, else a delta against it.
 */
export function packetToV2(p: PacketVersion, base: PacketVersion | undefined): Json {
  const src = p as unknown as Json;
  if (!base) return { ...src };
  const from = base as unknown as Json;
  const out: Json = { id: p.id, chain: p.chain, of: base.id };
  if (p.hex !== base.hex) {
    const { keep, tail } = sharedBytes(base.hex, p.hex);
    if (keep + tail < MIN_SHARED_BYTES) out["hex"] = p.hex;
    else out["bytes"] = [keep, p.hex.slice(2 * keep, p.hex.length - 2 * tail), tail];
  }
  const unset: string[] = [];
  for (const k of orderedKeys(src, from)) {
    if (k === "id" || k === "chain" || k === "hex") continue;
    if (!(k in src)) unset.push(k);
    // Identity first: the store hands out one shared object per distinct value (interned stacks, tag lists).
    else if (!(k in from) || (src[k] !== from[k] && JSON.stringify(src[k]) !== JSON.stringify(from[k]))) out[k] = src[k];
  }
  if (unset.length > 0) out["unset"] = unset;
  return out;
}

/** The keys of `a` and `b`, PACKET_KEYS first in their order, then any others as they come. */
function orderedKeys(a: Json, b: Json): string[] {
  const keys: string[] = PACKET_KEYS.filter((k) => k in a || k in b);
  for (const k of [...Object.keys(a), ...Object.keys(b)]) if (!keys.includes(k) && !DELTA_OWN.has(k)) keys.push(k);
  return keys;
}

/** A format-2 packet line back into the whole version; `base` is the version its `"of"` names. */
export function packetFromV2(o: Json, base: PacketVersion | undefined): PacketVersion {
  if (o["of"] === undefined) return o as unknown as PacketVersion;
  if (!base || base.id !== o["of"])
    throw new Error(`trace JSON: packet version ${String(o["id"])} is a delta of version ${String(o["of"])}, which comes before it nowhere`);
  const from = base as unknown as Json;
  let hex = base.hex;
  if (typeof o["hex"] === "string") hex = o["hex"];
  else if (o["bytes"] !== undefined) {
    const b = o["bytes"];
    if (!Array.isArray(b) || b.length !== 3 || typeof b[0] !== "number" || typeof b[1] !== "string" || typeof b[2] !== "number")
      throw new Error(`trace JSON: packet version ${String(o["id"])}: "bytes" must be [keep, "hex", tail]`);
    hex = base.hex.slice(0, 2 * b[0]) + b[1] + (b[2] > 0 ? base.hex.slice(-2 * b[2]) : "");
  }
  const unset = new Set(Array.isArray(o["unset"]) ? (o["unset"] as string[]) : []);
  const out: Json = {};
  for (const k of orderedKeys(o, from)) {
    if (k === "id" || k === "chain") out[k] = o[k];
    else if (k === "hex") out[k] = hex;
    else if (unset.has(k)) continue;
    else if (k in o) out[k] = o[k];
    else if (k in from) out[k] = from[k];
  }
  return out as unknown as PacketVersion;
}

/**
 * Packet versions one at a time in either direction, remembering the last version of each chain
 * (what a format-2 delta is taken against). One per file: the state spans the packets section.
 */
export class PacketCodec {
  private readonly last = new Map<number, PacketVersion>();

  /** A whole version as the format-2 line object. */
  encode(p: PacketVersion): Json {
    const out = packetToV2(p, this.last.get(p.chain));
    this.last.set(p.chain, p);
    return out;
  }

  /** A format-2 line object as the whole version. */
  decode(o: Json): PacketVersion {
    const p = packetFromV2(o, this.last.get(o["chain"] as number));
    this.last.set(p.chain, p);
    return p;
  }
}

/**
 * The trace as JSON: deterministic (the engine's key order), with the scenario and outcome
 * indented and events, packets and links one per line; format 2 unless `format` is 1.
 * `traceFromJson` gives the trace back.
 */
export function traceToJson(trace: Trace, format: TraceJsonFormat = 2): string {
  return [...traceToJsonChunks(trace, format)].join("");
}

/**
 * traceToJson in pieces (one per event, packet or link), for writing a trace too long to be one
 * string: V8 caps a string near 512 MiB, which a 100,000-echo trace passes.
 */
export function* traceToJsonChunks(trace: Trace, format: TraceJsonFormat = 2): Generator<string> {
  const entries = Object.entries(trace).filter(([key, value]: [string, unknown]) => value !== undefined && key !== "format");
  yield "{\n";
  let first = true;
  if (format === 2) {
    yield `  "format": ${JSON.stringify(TRACE_JSON_FORMAT)}`;
    first = false;
  }
  for (const [key, value] of entries as [string, unknown][]) {
    const name = JSON.stringify(key);
    yield first ? "" : ",\n";
    first = false;
    if (ONE_PER_LINE.has(key) && (Array.isArray(value) || value instanceof EventTable || value instanceof PacketTable)) {
      if (value.length === 0) {
        yield `  ${name}: []`;
        continue;
      }
      yield `  ${name}: [\n`;
      const rows = value as RowList<unknown>;
      const codec = key === "packets" && format === 2 ? new PacketCodec() : undefined;
      for (let i = 0; i < rows.length; i++) {
        const row = rows.at(i);
        const line = codec ? codec.encode(row as PacketVersion) : row;
        yield `${i === 0 ? "" : ",\n"}    ${JSON.stringify(line) ?? "null"}`;
      }
      yield "\n  ]";
      continue;
    }
    yield `  ${name}: ${JSON.stringify(value, null, 2).replace(/\n/g, "\n  ")}`;
  }
  yield "\n}\n";
}

/** The format a parsed trace file says it is: 1 without a `"format"`, 2 for tagflow-trace/2. */
export function traceJsonFormat(o: Json): TraceJsonFormat {
  const f = o["format"];
  if (f === undefined) return 1;
  if (f === TRACE_JSON_FORMAT) return 2;
  throw new Error(`trace JSON: unknown format ${JSON.stringify(f)} (this tagflow reads format 1 and ${TRACE_JSON_FORMAT})`);
}

/**
 * A trace file (format 1 or 2) back into the trace, with every packet version whole: what
 * `traceToJson(trace, 1)` would have written is what this returns, for either format.
 */
export function traceFromJson(text: string): Trace {
  const o = JSON.parse(text) as Json;
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new Error("trace JSON: expected an object");
  const format = traceJsonFormat(o);
  if (!Array.isArray(o["events"]) || !Array.isArray(o["packets"])) throw new Error('trace JSON: expected "events" and "packets" arrays');
  const { format: _f, ...rest } = o;
  void _f;
  if (format === 1) return rest as unknown as Trace;
  const codec = new PacketCodec();
  return { ...rest, packets: (o["packets"] as Json[]).map((p) => codec.decode(p)) } as unknown as Trace;
}

/**
 * Convert a trace file between formats a line at a time, for files too large to parse whole
 * (a 10,000-echo format-1 trace is 657 MB, past V8's string cap). It reads the layout
 * traceToJsonChunks writes — any format — and yields exactly what traceToJsonChunks would write
 * in format `to`; a file in another layout (re-indented by a tool) is refused with a message, and
 * can be read whole with traceFromJson instead.
 */
export function* convertTraceLines(lines: Iterable<string>, to: TraceJsonFormat): Generator<string> {
  let section: string | undefined;
  let codec: PacketCodec | undefined;
  let lineNo = 0;
  let started = false;
  let inFormat: TraceJsonFormat | undefined;
  let ended = false;
  for (const raw of lines) {
    lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (ended) {
      if (line.trim() !== "") throw new Error(`trace JSON line ${lineNo}: text after the closing "}"`);
      continue;
    }
    if (line === "}" && section === undefined) ended = true;
    if (!started) {
      if (line !== "{") throw new Error(`trace JSON line 1: expected "{" alone on the line (the layout tagflow writes)`);
      started = true;
      yield "{\n";
      continue;
    }
    if (lineNo === 2) {
      if (!/^ {2}"\w+": /.test(line))
        throw new Error(`trace JSON line 2: expected a top-level field indented by two spaces (the layout tagflow writes)`);
      const m = /^ {2}"format": (".*?"),?$/.exec(line);
      inFormat = traceJsonFormat(m ? { format: JSON.parse(m[1]!) as unknown } : {});
      if (to === 2) yield `  "format": ${JSON.stringify(TRACE_JSON_FORMAT)},\n`;
      if (m) continue;
    }
    if (section === undefined) {
      const open = /^ {2}"(events|packets|links)": \[$/.exec(line);
      if (open) {
        section = open[1];
        codec = section === "packets" && inFormat !== to ? new PacketCodec() : undefined;
      }
      yield `${line}\n`;
      continue;
    }
    if (line === "  ]" || line === "  ],") {
      section = undefined;
      codec = undefined;
      yield `${line}\n`;
      continue;
    }
    if (!codec) {
      yield `${line}\n`;
      continue;
    }
    if (!line.startsWith("    {")) throw new Error(`trace JSON line ${lineNo}: expected one packet version on the line`);
    const comma = line.endsWith(",");
    const o = JSON.parse(line.slice(4, comma ? -1 : undefined)) as Json;
    const out = to === 2 ? codec.encode(o as unknown as PacketVersion) : codec.decode(o);
    yield `    ${JSON.stringify(out)}${comma ? "," : ""}\n`;
  }
  if (!started) throw new Error("trace JSON: the file is empty");
  if (!ended) throw new Error('trace JSON: the file ends before its closing "}" (cut short?)');
}
