/**
 * Columnar trace storage (issue 11, design.md "Trace"): events as struct-of-arrays — typed columns
 * for time, site (host, layer, function), kind, packet, chain, note and story, and one interned
 * payload row per distinct payload — with every string in one string table and every
 * variable-shaped value (tag views, tag lists, consulted lists, segment layouts) in one value
 * table, interned so that a flood's ten thousand identical steps cost one copy. Packet versions
 * keep their bytes as a delta against the previous version of the same chain in one byte arena.
 *
 * Objects (`TraceEvent`, `PacketVersion`, in today's shapes and key order) are materialised on
 * demand — `events.at(i)`, `packets.at(i)` — for the step on screen; a small cache keeps the same
 * object for the same row while it is in use (React compares snapshots by identity). Whole-trace
 * passes read the columns (`kindAt`, `chainAt`, …) without building objects. The columns cross
 * from the engine worker as transferable ArrayBuffers (`toColumns` / `fromColumns`).
 *
 * Modelled on Perfetto's trace processor (columnar tables with an interned string pool), with
 * payload interning on top: a flood repeats the same payload rows, where Perfetto stores args
 * per slice.
 */
import type { HdrView } from "./hdrs";
import { KIND_FIELDS, KIND_IDS, KIND_INDEX, MAX_FIELDS, signatureOf } from "./kinds";
import {
  LAYERS,
  M_FLAGS,
  type EventKind,
  type LayerId,
  type MbufSegView,
  type MFlag,
  type PacketVersion,
  type TagView,
  type TraceEvent,
} from "./events";

/**
 * What every consumer of a trace's events or packets may rely on: the part of ReadonlyArray that
 * the columnar tables implement, so a plain array (a test's hand-made trace, a v1 file being
 * converted) is one too. Whole-trace passes should prefer the column helpers below.
 */
export interface RowList<T> extends Iterable<T> {
  readonly length: number;
  at(index: number): T | undefined;
  filter<S extends T>(predicate: (value: T, index: number) => value is S): S[];
  filter(predicate: (value: T, index: number) => unknown): T[];
  find<S extends T>(predicate: (value: T, index: number) => value is S): S | undefined;
  find(predicate: (value: T, index: number) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number) => unknown): number;
  findLast(predicate: (value: T, index: number) => unknown): T | undefined;
  findLastIndex(predicate: (value: T, index: number) => unknown): number;
  some(predicate: (value: T, index: number) => unknown): boolean;
  every(predicate: (value: T, index: number) => unknown): boolean;
  map<U>(f: (value: T, index: number) => U): U[];
  flatMap<U>(f: (value: T, index: number) => U | readonly U[]): U[];
  forEach(f: (value: T, index: number) => void): void;
  slice(start?: number, end?: number): T[];
  entries(): IterableIterator<[number, T]>;
}

export type EventList = RowList<TraceEvent>;
export type PacketList = RowList<PacketVersion>;

/** Absent optional int field (no real field value is this). */
const NO_INT = -0x80000000;

/** Growable typed-array column. */
type Typed = Float64Array | Int32Array | Uint32Array | Uint8Array | Uint16Array;
function grow<A extends Typed>(a: A, need: number): A {
  if (need <= a.length) return a;
  const next = new (a.constructor as new (n: number) => A)(Math.max(need, a.length * 2, 64));
  next.set(a);
  return next;
}

/**
 * One copy of each distinct string; ids are indexes into `list`. The lookup map exists only
 * while strings are added (recording, or converting a v1 file): `seal` drops it, and tables that
 * arrive from a worker never build it.
 */
export class StringTable {
  readonly list: string[];
  private ids: Map<string, number> | undefined;
  constructor(list: string[] = []) {
    this.list = list;
  }
  id(s: string): number {
    if (this.ids === undefined) {
      this.ids = new Map();
      for (let i = 0; i < this.list.length; i++) this.ids.set(this.list[i]!, i);
    }
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
  get(id: number): string {
    return this.list[id]!;
  }
  seal(): void {
    this.ids = undefined;
  }
}

/**
 * One copy of each distinct variable-shaped value (JSON-equal values are one value). Values are
 * immutable once recorded: the trace contract makes them readonly. Id 0 is null. As with
 * strings, the lookup maps live only while values are added.
 */
export class ValueTable {
  readonly list: unknown[];
  /** Already-seen objects by identity: the engine shares tag views and consulted lists (shared.ts). */
  private byRef = new WeakMap<object, number>();
  private byKey: Map<string, number> | undefined;
  constructor(list: unknown[] = [null]) {
    this.list = list;
  }
  private keys(): Map<string, number> {
    if (this.byKey === undefined) {
      this.byKey = new Map();
      for (let i = 1; i < this.list.length; i++) this.byKey.set(JSON.stringify(this.list[i]), i);
    }
    return this.byKey;
  }
  id(v: unknown): number {
    if (v === null || v === undefined) return 0;
    const o = v as object;
    const known = this.byRef.get(o);
    if (known !== undefined) return known;
    const keys = this.keys();
    const key = JSON.stringify(v);
    let id = keys.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(v);
      keys.set(key, id);
      // Only the first instance is remembered by identity: a fresh copy (a list built again for
      // every packet) is never seen again, and a WeakMap entry per event would cost more than it saves.
      this.byRef.set(o, id);
    }
    return id;
  }
  /** Id of a value whose JSON-equality key the caller already has (segment layouts). */
  idByKey(key: string, make: () => unknown): number {
    const keys = this.keys();
    let id = keys.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(make());
      keys.set(key, id);
    }
    return id;
  }
  get(id: number): unknown {
    return this.list[id];
  }
  seal(): void {
    this.byKey = undefined;
    this.byRef = new WeakMap();
  }
}

/** Width of a payload row: the kind number, then one slot per field. */
const ROW = 1 + MAX_FIELDS;

/**
 * Interned int tuples of a fixed width (payload rows, packet metadata) → row id, through an
 * open-addressing hash table (no key strings are built per event). The hash table exists only
 * while rows are added.
 */
class TupleTable {
  rows: Int32Array<ArrayBufferLike>;
  count: number;
  private slots: Int32Array | undefined;
  constructor(
    readonly width: number,
    rows: Int32Array<ArrayBufferLike> = new Int32Array(width * 64),
    count = 0,
  ) {
    this.rows = rows;
    this.count = count;
  }
  private hash(a: Int32Array, at: number): number {
    let h = 0x811c9dc5;
    for (let j = 0; j < this.width; j++) h = Math.imul(h ^ a[at + j]!, 0x01000193);
    return h >>> 0;
  }
  /** A hash table with room for twice the rows, holding rows [0, count). */
  private index(): Int32Array {
    if (this.slots !== undefined && (this.count + 1) * 2 <= this.slots.length) return this.slots;
    let size = 256;
    while (size < (this.count + 1) * 4) size *= 2;
    const slots = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let s = this.hash(this.rows, id * this.width) & mask;
      while (slots[s] !== -1) s = (s + 1) & mask;
      slots[s] = id;
    }
    return (this.slots = slots);
  }
  /** The id of the tuple in `scratch` (width ints), adding it when new. */
  intern(scratch: Int32Array): number {
    const w = this.width;
    const slots = this.index();
    const h = this.hash(scratch, 0);
    const mask = slots.length - 1;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const id = slots[s]!;
      if (id === -1) break;
      const at = id * w;
      let same = true;
      for (let j = 0; j < w; j++) {
        if (this.rows[at + j] !== scratch[j]) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
    const id = this.count++;
    this.rows = grow(this.rows, this.count * w);
    this.rows.set(scratch, id * w);
    slots[s] = id;
    return id;
  }
  seal(): void {
    this.slots = undefined;
    this.rows = this.rows.slice(0, this.count * this.width);
  }
}

/** Row-list methods over `at`, shared by both tables. */
abstract class Rows<T> implements RowList<T> {
  abstract readonly length: number;
  abstract at(index: number): T | undefined;
  /**
   * Row `i` (in range) for a whole-table pass: the cached object when there is one, else a fresh
   * one left out of the cache, so a scan of a big trace does not evict the rows on screen.
   */
  protected abstract row(i: number): T;
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.row(i);
  }
  *entries(): IterableIterator<[number, T]> {
    for (let i = 0; i < this.length; i++) yield [i, this.row(i)];
  }
  filter<S extends T>(predicate: (value: T, index: number) => value is S): S[];
  filter(predicate: (value: T, index: number) => unknown): T[];
  filter(predicate: (value: T, index: number) => unknown): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) {
      const v = this.row(i);
      if (predicate(v, i)) out.push(v);
    }
    return out;
  }
  find<S extends T>(predicate: (value: T, index: number) => value is S): S | undefined;
  find(predicate: (value: T, index: number) => unknown): T | undefined;
  find(predicate: (value: T, index: number) => unknown): T | undefined {
    const i = this.findIndex(predicate);
    return i < 0 ? undefined : this.row(i);
  }
  findIndex(predicate: (value: T, index: number) => unknown): number {
    for (let i = 0; i < this.length; i++) if (predicate(this.row(i), i)) return i;
    return -1;
  }
  findLast(predicate: (value: T, index: number) => unknown): T | undefined {
    const i = this.findLastIndex(predicate);
    return i < 0 ? undefined : this.row(i);
  }
  findLastIndex(predicate: (value: T, index: number) => unknown): number {
    for (let i = this.length - 1; i >= 0; i--) if (predicate(this.row(i), i)) return i;
    return -1;
  }
  some(predicate: (value: T, index: number) => unknown): boolean {
    return this.findIndex(predicate) >= 0;
  }
  every(predicate: (value: T, index: number) => unknown): boolean {
    return this.findIndex((v, i) => !predicate(v, i)) < 0;
  }
  map<U>(f: (value: T, index: number) => U): U[] {
    const out = new Array<U>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = f(this.row(i), i);
    return out;
  }
  flatMap<U>(f: (value: T, index: number) => U | readonly U[]): U[] {
    const out: U[] = [];
    for (let i = 0; i < this.length; i++) {
      const r = f(this.row(i), i);
      if (Array.isArray(r)) out.push(...(r as U[]));
      else out.push(r as U);
    }
    return out;
  }
  forEach(f: (value: T, index: number) => void): void {
    for (let i = 0; i < this.length; i++) f(this.row(i), i);
  }
  slice(start = 0, end = this.length): T[] {
    const n = this.length;
    const from = start < 0 ? Math.max(0, n + start) : Math.min(start, n);
    const to = end < 0 ? Math.max(0, n + end) : Math.min(end, n);
    const out: T[] = [];
    for (let i = from; i < to; i++) out.push(this.row(i));
    return out;
  }
  /** JSON sees the rows as an array of objects: the export format does not depend on storage. */
  toJSON(): T[] {
    return this.slice();
  }
}

/**
 * Materialised rows kept while in use: all of them for a small trace, the most recent few
 * thousand (two generations) for a big one, so `at(i)` is the same object while it is on screen.
 */
class RowCache<T> {
  private cur = new Map<number, T>();
  private old = new Map<number, T>();
  constructor(private readonly size: number) {}
  get(i: number): T | undefined {
    const v = this.cur.get(i);
    if (v !== undefined) return v;
    const o = this.old.get(i);
    if (o !== undefined) this.set(i, o);
    return o;
  }
  set(i: number, v: T): void {
    if (this.cur.size >= this.size) {
      this.old = this.cur;
      this.cur = new Map();
    }
    this.cur.set(i, v);
  }
  /** The cached row, without making it recent. */
  peek(i: number): T | undefined {
    return this.cur.get(i) ?? this.old.get(i);
  }
  clear(i: number): void {
    this.cur.delete(i);
    this.old.delete(i);
  }
  clearAll(): void {
    this.cur = new Map();
    this.old = new Map();
  }
}

const CACHE_ROWS = 1 << 16;

/** The columns of an EventTable, as they cross from a worker (every array exactly `length` long). */
export interface EventColumns {
  readonly length: number;
  /** Int32 when every time is a whole 32-bit number of µs (as the virtual clock gives). */
  readonly t: Float64Array | Int32Array;
  /** Uint16 when the trace has fewer than 65,536 sites. */
  readonly site: Uint32Array | Uint16Array;
  readonly kind: Uint8Array;
  readonly payload: Uint32Array;
  readonly packet: Int32Array;
  /** Null when every event's chain is its packet version's (or -1 without one): read from the packets then. */
  readonly chain: Int32Array | null;
  readonly note: Uint32Array;
  readonly story: Uint8Array;
  /** (host string id, layer number, fn string id) per site. */
  readonly sites: Int32Array;
  readonly payloads: Int32Array;
  readonly payloadCount: number;
}

/** Events as columns. Rows are appended by the Recorder; `at(i)` materialises one. */
export class EventTable extends Rows<TraceEvent> {
  length = 0;
  private t: Float64Array | Int32Array;
  private site: Uint32Array | Uint16Array;
  private kind: Uint8Array;
  private payload: Uint32Array;
  private packet: Int32Array;
  private chain: Int32Array | null;
  /** The packet table chains are read from when `chain` is null (set by seal and fromColumns). */
  private packets: PacketTable | undefined;
  private note: Uint32Array;
  private story: Uint8Array;
  private sites: Int32Array;
  private siteCount: number;
  private readonly siteIds = new Map<string, number>();
  private readonly payloads: TupleTable;
  private readonly scratch = new Int32Array(ROW);
  private readonly cache = new RowCache<TraceEvent>(CACHE_ROWS);
  /** Let go of the rows materialised so far (the run's audit): see auditAndForget in audit/audit.ts. */
  forgetRows(): void {
    this.cache.clearAll();
  }

  constructor(
    readonly strings: StringTable,
    readonly values: ValueTable,
    cols?: EventColumns,
  ) {
    super();
    if (cols) {
      this.length = cols.length;
      ({ t: this.t, site: this.site, kind: this.kind, payload: this.payload, packet: this.packet, chain: this.chain, note: this.note } = cols);
      this.story = cols.story;
      this.sites = cols.sites;
      this.siteCount = cols.sites.length / 3;
      for (let s = 0; s < this.siteCount; s++) this.siteIds.set(`${cols.sites[s * 3]}|${cols.sites[s * 3 + 1]}|${cols.sites[s * 3 + 2]}`, s);
      this.payloads = new TupleTable(ROW, cols.payloads, cols.payloadCount);
    } else {
      this.t = new Float64Array(256);
      this.site = new Uint32Array(256);
      this.kind = new Uint8Array(256);
      this.payload = new Uint32Array(256);
      this.packet = new Int32Array(256);
      this.chain = new Int32Array(256);
      this.note = new Uint32Array(256);
      this.story = new Uint8Array(256);
      this.sites = new Int32Array(3 * 64);
      this.siteCount = 0;
      this.payloads = new TupleTable(ROW);
    }
  }

  /** The id of a (host, layer, fn) site; the recorder's Sites keep theirs. */
  siteId(host: string, layer: LayerId, fn: string): number {
    const h = this.strings.id(host);
    const l = LAYERS.indexOf(layer);
    const f = this.strings.id(fn);
    const key = `${h}|${l}|${f}`;
    let id = this.siteIds.get(key);
    if (id === undefined) {
      id = this.siteCount++;
      this.sites = grow(this.sites, this.siteCount * 3);
      this.sites.set([h, l, f], id * 3);
      this.siteIds.set(key, id);
    }
    return id;
  }

  /** Append one event; returns its seq. Payload fields are encoded by their kind's columns (kinds.ts). */
  push(site: number, t: number, packet: number, chain: number, payload: { readonly kind: EventKind }, note: string): number {
    const i = this.length;
    if (i >= this.t.length) this.growTo(i + 1);
    const k = KIND_INDEX.get(payload.kind);
    if (k === undefined) throw new Error(`unknown event kind ${payload.kind}`);
    const row = this.scratch;
    row.fill(0);
    row[0] = k;
    const fields = KIND_FIELDS[k]!;
    const p = payload as unknown as Record<string, unknown>;
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j]!;
      const v = p[f.name];
      row[1 + j] = this.encode(f.column, f.optional, v, f.name, payload.kind);
    }
    this.t[i] = t;
    this.site[i] = site;
    this.kind[i] = k;
    this.payload[i] = this.payloads.intern(row);
    this.packet[i] = packet;
    this.chain![i] = chain;
    this.note[i] = this.strings.id(note);
    this.length = i + 1;
    return i;
  }

  private encode(column: string, optional: boolean, v: unknown, name: string, kind: string): number {
    if (v === undefined) {
      if (!optional) throw new Error(`${kind} event without its ${name}`);
      return column === "int" ? NO_INT : -1;
    }
    switch (column) {
      case "str":
        return this.strings.id(v as string);
      case "int":
        if ((v as number) !== ((v as number) | 0) || v === NO_INT) throw new Error(`${kind}.${name} must be a 32-bit integer, got ${String(v)}`);
        return v as number;
      case "bool":
        return v ? 1 : 0;
      default:
        return this.values.id(v);
    }
  }

  private growTo(n: number): void {
    this.t = grow(this.t, n);
    this.site = grow(this.site, n);
    this.kind = grow(this.kind, n);
    this.payload = grow(this.payload, n);
    this.packet = grow(this.packet, n);
    this.chain = grow(this.chain!, n);
    this.note = grow(this.note, n);
    this.story = grow(this.story, n);
  }

  at(i: number): TraceEvent | undefined {
    if (i < 0) i += this.length;
    if (!(i >= 0 && i < this.length)) return undefined;
    const known = this.cache.get(i);
    if (known !== undefined) return known;
    const e = this.make(i);
    this.cache.set(i, e);
    return e;
  }

  protected row(i: number): TraceEvent {
    return this.length <= CACHE_ROWS ? this.at(i)! : (this.cache.peek(i) ?? this.make(i));
  }

  /**
   * The run is over: trim the columns to their length and drop what only recording needs (the
   * lookup maps of the string, value and payload tables). Rows can still be read, and stories set.
   */
  seal(packets: PacketTable): void {
    const n = this.length;
    this.t = narrowTimes(this.t.subarray(0, n));
    this.site = this.siteCount < 0x10000 ? Uint16Array.from(this.site.subarray(0, n)) : this.site.slice(0, n);
    this.kind = this.kind.slice(0, n);
    this.payload = this.payload.slice(0, n);
    this.packet = this.packet.slice(0, n);
    this.packets = packets;
    this.chain = this.chain === null ? null : chainsIfNeeded(this.chain.subarray(0, n), this.packet, packets);
    this.note = this.note.slice(0, n);
    this.story = this.story.slice(0, n);
    this.sites = this.sites.slice(0, this.siteCount * 3);
    this.siteIds.clear();
    this.payloads.seal();
    this.strings.seal();
    this.values.seal();
  }

  private make(i: number): TraceEvent {
    const s = this.site[i]! * 3;
    const k = this.kind[i]!;
    const o: Record<string, unknown> = {
      seq: i,
      t: this.t[i],
      host: this.strings.get(this.sites[s]!),
      layer: LAYERS[this.sites[s + 1]!],
      fn: this.strings.get(this.sites[s + 2]!),
      packet: this.packet[i],
      chain: this.chainAt(i),
      note: this.strings.get(this.note[i]!),
      kind: KIND_IDS[k],
    };
    const fields = KIND_FIELDS[k]!;
    const at = this.payload[i]! * ROW + 1;
    const rows = this.payloads.rows;
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j]!;
      const slot = rows[at + j]!;
      if (f.optional && slot === (f.column === "int" ? NO_INT : -1)) continue;
      o[f.name] = f.column === "str" ? this.strings.get(slot) : f.column === "int" ? slot : f.column === "bool" ? slot === 1 : this.values.get(slot);
    }
    const story = this.story[i]!;
    if (story !== 0) o.story = story;
    return o as unknown as TraceEvent;
  }

  /** The packet table this one's versions are in (chains are read there when the chain column was dropped). */
  link(packets: PacketTable): void {
    this.packets = packets;
  }

  /** The (site, payload) pair of event `i` as one number: events with equal keys have equal signatures. */
  meaningKey(i: number): number {
    return this.site[i]! * 0x100000000 + this.payload[i]!;
  }

  /** Row `i` for a whole-trace pass: the cached object if there is one, else a fresh one left uncached. */
  scanAt(i: number): TraceEvent {
    return this.cache.peek(i) ?? this.make(i);
  }

  /** Column reads for whole-trace passes: no objects built. */
  kindAt(i: number): EventKind {
    return KIND_IDS[this.kind[i]!]!;
  }
  chainAt(i: number): number {
    if (this.chain !== null) return this.chain[i]!;
    const p = this.packet[i]!;
    return p >= 0 ? this.packets!.chainAt(p) : -1;
  }
  packetAt(i: number): number {
    return this.packet[i]!;
  }
  tAt(i: number): number {
    return this.t[i]!;
  }
  fnAt(i: number): string {
    return this.strings.get(this.sites[this.site[i]! * 3 + 2]!);
  }
  layerAt(i: number): LayerId {
    return LAYERS[this.sites[this.site[i]! * 3 + 1]!]!;
  }
  hostAt(i: number): string {
    return this.strings.get(this.sites[this.site[i]! * 3]!);
  }
  storyAt(i: number): number | undefined {
    return this.story[i] || undefined;
  }

  /** Mark event `i` as illustrating step `n` of the seed story (audit/story.ts). */
  setStory(i: number, n: number): void {
    this.story[i] = n;
    this.cache.clear(i);
  }

  /** The columns, trimmed to length (copies: the table stays usable). */
  toColumns(): EventColumns {
    const n = this.length;
    return {
      length: n,
      t: this.t.slice(0, n),
      site: this.site.slice(0, n),
      kind: this.kind.slice(0, n),
      payload: this.payload.slice(0, n),
      packet: this.packet.slice(0, n),
      chain: this.chain === null ? null : this.chain.slice(0, n),
      note: this.note.slice(0, n),
      story: this.story.slice(0, n),
      sites: this.sites.slice(0, this.siteCount * 3),
      payloads: this.payloads.rows.slice(0, this.payloads.count * ROW),
      payloadCount: this.payloads.count,
    };
  }

  /** Bytes held by the columns (capacity, not just length), for the bench. */
  columnBytes(): number {
    return (
      this.t.byteLength +
      this.site.byteLength +
      this.kind.byteLength +
      this.payload.byteLength +
      this.packet.byteLength +
      (this.chain?.byteLength ?? 0) +
      this.note.byteLength +
      this.story.byteLength +
      this.sites.byteLength +
      this.payloads.rows.byteLength
    );
  }
}

/** Times as Int32 when each is a whole 32-bit number (the virtual clock counts µs), else as they are. */
function narrowTimes(t: Float64Array | Int32Array): Float64Array | Int32Array {
  if (t instanceof Int32Array) return t.slice();
  for (let i = 0; i < t.length; i++) if (t[i]! !== (t[i]! | 0)) return t.slice();
  return Int32Array.from(t);
}

/** The chain column, or null when every entry is what the packet versions already say. */
function chainsIfNeeded(chain: Int32Array, packet: Int32Array, packets: PacketTable): Int32Array | null {
  for (let i = 0; i < chain.length; i++) {
    const p = packet[i]!;
    if (chain[i] !== (p >= 0 && p < packets.length ? packets.chainAt(p) : -1)) return chain.slice();
  }
  return null;
}

/** The columns of a PacketTable. */
export interface PacketColumns {
  readonly length: number;
  readonly chain: Int32Array;
  /** Bytes: the version they extend (-1: none), bytes kept from its start and end, new bytes in between. */
  readonly base: Int32Array;
  readonly pre: Uint32Array;
  readonly suf: Uint32Array;
  readonly off: Uint32Array;
  readonly mid: Uint32Array;
  /** The version's metadata row (META_* slots), interned: consecutive versions mostly share one. */
  readonly meta: Uint32Array;
  readonly metas: Int32Array;
  readonly metaCount: number;
  readonly arena: Uint8Array;
}

/** How many deltas at most before a version stores its bytes whole (bounds `bytesAt`'s walk). */
const MAX_DELTA_DEPTH = 24;

/** The slots of a packet metadata row. */
const META_SEGS = 0;
const META_TAGS = 1;
const META_FLAGS = 2;
const META_STALE_FLAGS = 3;
const META_RCVIF = 4;
const META_CLEARTEXT = 5;
const META_CLEARTEXT_PROTO = 6;
const META_STALE_TAGS = 7;
/** The header stack (trace/hdrs.ts): shared immutable arrays, one value-table entry per layout. */
const META_HDRS = 8;
const META = 9;

/** One packet version to append (the recorder's view of an mbuf at a step). */
export interface VersionInput {
  readonly chain: number;
  readonly bytes: Uint8Array;
  /** The version whose bytes these extend (the chain's previous one), or -1. */
  readonly prev: number;
  readonly prevBytes: Uint8Array | undefined;
  /** Value-table ids of the segment views and the tag list. */
  readonly segs: number;
  readonly tags: number;
  /** The header stack the mbuf verbs keep (HdrView[]). */
  readonly hdrs: readonly HdrView[];
  /** m_flags bitmasks in M_FLAGS order. */
  readonly flags: number;
  readonly staleFlags: number;
  readonly rcvif: string | null;
  readonly cleartext: string | undefined;
  readonly cleartextProto: number | undefined;
  readonly staleTags: readonly number[] | undefined;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** One shared array per set of m_flags, in M_FLAGS order. */
const FLAG_LISTS: (readonly MFlag[] | undefined)[] = [];
export function flagList(mask: number): readonly MFlag[] {
  return (FLAG_LISTS[mask] ??= M_FLAGS.filter((_, i) => (mask & (1 << i)) !== 0));
}
/** The bitmask (M_FLAGS order) of a flag list. */
export function flagMaskOf(flags: readonly MFlag[]): number {
  let mask = 0;
  for (const f of flags) mask |= 1 << M_FLAGS.indexOf(f);
  return mask;
}

/** Packet versions as columns, bytes as deltas in one arena. */
export class PacketTable extends Rows<PacketVersion> {
  length = 0;
  private chain: Int32Array;
  private base: Int32Array;
  private pre: Uint32Array;
  private suf: Uint32Array;
  private off: Uint32Array;
  private mid: Uint32Array;
  private meta: Uint32Array;
  /** Delta depth per version (recording only). */
  private depth: Uint8Array;
  private readonly metas: TupleTable;
  private readonly scratch = new Int32Array(META);
  private arena: Uint8Array;
  private arenaUsed: number;
  private readonly cache = new RowCache<PacketVersion>(CACHE_ROWS);
  /** Let go of the rows materialised so far (the run's audit): see auditAndForget in audit/audit.ts. */
  forgetRows(): void {
    this.cache.clearAll();
  }

  constructor(
    readonly strings: StringTable,
    readonly values: ValueTable,
    cols?: PacketColumns,
  ) {
    super();
    if (cols) {
      this.length = cols.length;
      ({ chain: this.chain, base: this.base, pre: this.pre, suf: this.suf, off: this.off, mid: this.mid, meta: this.meta, arena: this.arena } = cols);
      this.metas = new TupleTable(META, cols.metas, cols.metaCount);
      this.arenaUsed = cols.arena.length;
      this.depth = new Uint8Array(0);
    } else {
      const n = 128;
      this.chain = new Int32Array(n);
      this.base = new Int32Array(n);
      this.pre = new Uint32Array(n);
      this.suf = new Uint32Array(n);
      this.off = new Uint32Array(n);
      this.mid = new Uint32Array(n);
      this.meta = new Uint32Array(n);
      this.depth = new Uint8Array(n);
      this.metas = new TupleTable(META);
      this.arena = new Uint8Array(1 << 12);
      this.arenaUsed = 0;
    }
  }

  /** Append a version; returns its id. */
  push(v: VersionInput): number {
    const i = this.length;
    if (i >= this.chain.length) this.growTo(i + 1);
    const b = v.bytes;
    let pre = 0;
    let suf = 0;
    let base = -1;
    if (v.prev >= 0 && v.prevBytes !== undefined && this.depth[v.prev]! < MAX_DELTA_DEPTH) {
      const a = v.prevBytes;
      const max = Math.min(a.length, b.length);
      if (a === b) pre = b.length;
      while (pre < max && a[pre] === b[pre]) pre++;
      while (suf < max - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
      // A delta that keeps little of its base is not worth the walk: store the bytes whole.
      if (pre + suf >= 8) base = v.prev;
      else pre = suf = 0;
    }
    const mid = b.length - pre - suf;
    this.arena = grow(this.arena, this.arenaUsed + mid);
    this.arena.set(b.subarray(pre, pre + mid), this.arenaUsed);
    this.chain[i] = v.chain;
    this.base[i] = base;
    this.pre[i] = pre;
    this.suf[i] = suf;
    this.off[i] = this.arenaUsed;
    this.mid[i] = mid;
    this.depth[i] = base < 0 ? 0 : this.depth[base]! + 1;
    this.arenaUsed += mid;
    const m = this.scratch;
    m[META_SEGS] = v.segs;
    m[META_TAGS] = v.tags;
    m[META_FLAGS] = v.flags;
    m[META_STALE_FLAGS] = v.staleFlags;
    m[META_RCVIF] = v.rcvif === null ? -1 : this.strings.id(v.rcvif);
    m[META_CLEARTEXT] = v.cleartext === undefined ? -1 : this.strings.id(v.cleartext);
    m[META_CLEARTEXT_PROTO] = v.cleartextProto === undefined ? NO_INT : v.cleartextProto;
    m[META_STALE_TAGS] = v.staleTags === undefined ? -1 : this.values.id(v.staleTags);
    m[META_HDRS] = this.values.id(v.hdrs);
    this.meta[i] = this.metas.intern(m);
    this.length = i + 1;
    return i;
  }

  private growTo(n: number): void {
    this.chain = grow(this.chain, n);
    this.base = grow(this.base, n);
    this.pre = grow(this.pre, n);
    this.suf = grow(this.suf, n);
    this.off = grow(this.off, n);
    this.mid = grow(this.mid, n);
    this.meta = grow(this.meta, n);
    this.depth = grow(this.depth, n);
  }

  /** Trim to length and drop what only recording needs (see EventTable.seal). */
  seal(): void {
    const n = this.length;
    this.chain = this.chain.slice(0, n);
    this.base = this.base.slice(0, n);
    this.pre = this.pre.slice(0, n);
    this.suf = this.suf.slice(0, n);
    this.off = this.off.slice(0, n);
    this.mid = this.mid.slice(0, n);
    this.meta = this.meta.slice(0, n);
    this.depth = new Uint8Array(0);
    this.arena = this.arena.slice(0, this.arenaUsed);
    this.metas.seal();
  }

  /** Byte length of version `i`. */
  lengthAt(i: number): number {
    return this.pre[i]! + this.mid[i]! + this.suf[i]!;
  }

  /**
   * The bytes of version `i` (a fresh array): its base's first `pre` bytes, its own new bytes,
   * its base's last `suf` bytes. The walk is at most MAX_DELTA_DEPTH versions long.
   */
  bytesAt(i: number): Uint8Array {
    const out = new Uint8Array(this.lengthAt(i));
    this.fill(i, out, 0, 0, out.length);
    return out;
  }

  /** Write bytes [from, to) of version `i` into `out` at `at`: each delta level copies only its part. */
  private fill(i: number, out: Uint8Array, at: number, from: number, to: number): void {
    const pre = this.pre[i]!;
    const mid = this.mid[i]!;
    const len = pre + mid + this.suf[i]!;
    const lo = Math.max(from, pre);
    const hi = Math.min(to, pre + mid);
    if (lo < hi) out.set(this.arena.subarray(this.off[i]! + lo - pre, this.off[i]! + hi - pre), at + lo - from);
    const base = this.base[i]!;
    if (base < 0) return;
    // Bytes before `pre` are the base's own; bytes after `pre + mid` its last `suf`.
    if (from < pre) this.fill(base, out, at, from, Math.min(to, pre));
    const sLo = Math.max(from, pre + mid);
    if (sLo < to) {
      const shift = this.lengthAt(base) - len;
      this.fill(base, out, at + sLo - from, sLo + shift, to + shift);
    }
  }

  /** Byte `offset` of version `i` (NaN past its end), walking the deltas without copying. */
  byteAt(i: number, offset: number): number {
    for (;;) {
      const pre = this.pre[i]!;
      const mid = this.mid[i]!;
      const len = pre + mid + this.suf[i]!;
      if (offset < 0 || offset >= len) return NaN;
      if (offset >= pre && offset < pre + mid) return this.arena[this.off[i]! + offset - pre]!;
      const base = this.base[i]!;
      if (offset >= pre + mid) offset = this.lengthAt(base) - (len - offset);
      i = base;
    }
  }

  at(i: number): PacketVersion | undefined {
    if (i < 0) i += this.length;
    if (!(i >= 0 && i < this.length)) return undefined;
    const known = this.cache.get(i);
    if (known !== undefined) return known;
    const v = this.make(i);
    this.cache.set(i, v);
    return v;
  }

  protected row(i: number): PacketVersion {
    return this.length <= CACHE_ROWS ? this.at(i)! : (this.cache.peek(i) ?? this.make(i));
  }

  private metaAt(i: number, slot: number): number {
    return this.metas.rows[this.meta[i]! * META + slot]!;
  }

  private make(i: number): PacketVersion {
    const bytes = this.bytesAt(i);
    let hex = "";
    for (let j = 0; j < bytes.length; j++) hex += HEX[bytes[j]!];
    const rcvif = this.metaAt(i, META_RCVIF);
    const o: Record<string, unknown> = {
      id: i,
      chain: this.chain[i],
      hex,
      segs: this.values.get(this.metaAt(i, META_SEGS)),
      hdrs: this.values.get(this.metaAt(i, META_HDRS)),
      tags: this.values.get(this.metaAt(i, META_TAGS)),
      flags: flagList(this.metaAt(i, META_FLAGS)),
      rcvif: rcvif === -1 ? null : this.strings.get(rcvif),
    };
    const cleartext = this.metaAt(i, META_CLEARTEXT);
    if (cleartext !== -1) o.cleartext = this.strings.get(cleartext);
    const proto = this.metaAt(i, META_CLEARTEXT_PROTO);
    if (proto !== NO_INT) o.cleartextProto = proto;
    const staleTags = this.metaAt(i, META_STALE_TAGS);
    if (staleTags !== -1) o.staleTags = this.values.get(staleTags);
    const staleFlags = this.metaAt(i, META_STALE_FLAGS);
    if (staleFlags !== 0) o.staleFlags = flagList(staleFlags);
    return o as unknown as PacketVersion;
  }

  chainAt(i: number): number {
    return this.chain[i]!;
  }
  tagsAt(i: number): readonly TagView[] {
    return this.values.get(this.metaAt(i, META_TAGS)) as readonly TagView[];
  }
  segsAt(i: number): readonly MbufSegView[] {
    return this.values.get(this.metaAt(i, META_SEGS)) as readonly MbufSegView[];
  }

  toColumns(): PacketColumns {
    const n = this.length;
    return {
      length: n,
      chain: this.chain.slice(0, n),
      base: this.base.slice(0, n),
      pre: this.pre.slice(0, n),
      suf: this.suf.slice(0, n),
      off: this.off.slice(0, n),
      mid: this.mid.slice(0, n),
      meta: this.meta.slice(0, n),
      metas: this.metas.rows.slice(0, this.metas.count * META),
      metaCount: this.metas.count,
      arena: this.arena.slice(0, this.arenaUsed),
    };
  }

  /** Bytes held by the columns and the arena (capacity), for the bench. */
  columnBytes(): number {
    const cols = [this.chain, this.base, this.pre, this.suf, this.off, this.mid, this.meta, this.depth, this.metas.rows, this.arena];
    return cols.reduce((n, a) => n + a.byteLength, 0);
  }

  /** Bytes of packet data in the arena (the deltas), for the bench. */
  get arenaBytes(): number {
    return this.arenaUsed;
  }
}

/** A trace's columns, as one structured-cloneable value with its ArrayBuffers listed for transfer. */
export interface TraceColumns {
  readonly strings: string[];
  readonly values: unknown[];
  readonly events: EventColumns;
  readonly packets: PacketColumns;
}

/** One store: the string and value tables both tables intern into. */
export function newTables(): { events: EventTable; packets: PacketTable } {
  const strings = new StringTable();
  const values = new ValueTable();
  return { events: new EventTable(strings, values), packets: new PacketTable(strings, values) };
}

/** Columnar tables for any event and packet lists (tables already: returned as they are). */
export function asTables(events: EventList, packets: PacketList): { events: EventTable; packets: PacketTable } {
  if (events instanceof EventTable && packets instanceof PacketTable && events.strings === packets.strings) return { events, packets };
  const t = newTables();
  const chainLast = new Map<number, { id: number; bytes: Uint8Array }>();
  for (const p of packets) {
    const bytes = hexBytes(p.hex);
    const last = chainLast.get(p.chain);
    const id = t.packets.push({
      chain: p.chain,
      bytes,
      prev: last?.id ?? -1,
      prevBytes: last?.bytes,
      segs: t.packets.values.id(p.segs),
      // A v1 file has no header stack: its versions get an empty one (the inspector dissects bytes).
      hdrs: p.hdrs ?? [],
      tags: t.packets.values.id(p.tags),
      flags: flagMaskOf(p.flags),
      staleFlags: p.staleFlags ? flagMaskOf(p.staleFlags) : 0,
      rcvif: p.rcvif,
      cleartext: p.cleartext,
      cleartextProto: p.cleartextProto,
      staleTags: p.staleTags,
    });
    chainLast.set(p.chain, { id, bytes });
  }
  for (const e of events) {
    const i = t.events.push(t.events.siteId(e.host, e.layer, e.fn), e.t, e.packet, e.chain, e, e.note);
    if (e.story !== undefined) t.events.setStory(i, e.story);
  }
  return t;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** The columns of a trace's events and packets, and the buffers to transfer with them. */
export function traceColumns(events: EventList, packets: PacketList): { columns: TraceColumns; transfer: ArrayBuffer[] } {
  const t = asTables(events, packets);
  const columns: TraceColumns = {
    strings: t.events.strings.list,
    values: t.events.values.list,
    events: t.events.toColumns(),
    packets: t.packets.toColumns(),
  };
  const transfer: ArrayBuffer[] = [];
  for (const part of [columns.events, columns.packets]) {
    for (const v of Object.values(part)) if (ArrayBuffer.isView(v)) transfer.push(v.buffer as ArrayBuffer);
  }
  return { columns, transfer };
}

/** Tables over columns that came from `traceColumns` (e.g. through postMessage). */
export function fromColumns(c: TraceColumns): { events: EventTable; packets: PacketTable } {
  const strings = new StringTable(c.strings);
  const values = new ValueTable(c.values);
  const packets = new PacketTable(strings, values, c.packets);
  const events = new EventTable(strings, values, c.events);
  events.link(packets);
  return { events, packets };
}

/** The kind of event `i` — from the column when `events` is a table. */
export function kindAt(events: EventList, i: number): EventKind {
  return events instanceof EventTable ? events.kindAt(i) : events.at(i)!.kind;
}

/** The chain of event `i` — from the column when `events` is a table. */
export function chainAt(events: EventList, i: number): number {
  return events instanceof EventTable ? events.chainAt(i) : events.at(i)!.chain;
}

/** The function of event `i` — from the site column when `events` is a table. */
export function fnAt(events: EventList, i: number): string {
  return events instanceof EventTable ? events.fnAt(i) : events.at(i)!.fn;
}

/**
 * Packet version `id` of an event, or undefined for -1 ("this step concerns no packet", the trace
 * contract's sentinel). Never `packets.at(e.packet)` directly: `at(-1)` is the LAST version, as for
 * arrays, and a step with no packet would be described by whatever packet came last.
 */
export function versionAt(packets: PacketList, id: number): PacketVersion | undefined {
  return id >= 0 ? packets.at(id) : undefined;
}

/** Byte `offset` of packet version `id` (NaN past its end or for no version), without building the version. */
export function byteAt(packets: PacketList, id: number, offset: number): number {
  if (packets instanceof PacketTable) return id >= 0 && id < packets.length ? packets.byteAt(id, offset) : NaN;
  const hex = versionAt(packets, id)?.hex ?? "";
  return parseInt(hex.slice(offset * 2, offset * 2 + 2), 16);
}

/** Event `i` for a whole-trace pass: from a table, without filling its cache of rows on screen. */
export function scanAt(events: EventList, i: number): TraceEvent {
  return events instanceof EventTable ? events.scanAt(i) : events.at(i)!;
}

/**
 * A function giving the compare signature (kinds.ts signatureOf) of event `i` of `events`. For a
 * table it builds one signature per distinct (site, payload) pair and keeps them for the
 * function's life only: a flood repeats most steps, so a million-step comparison materialises a
 * fraction of its events.
 */
export function signer(events: EventList): (i: number) => string {
  if (!(events instanceof EventTable)) return (i) => signatureOf(events.at(i)!);
  const memo = new Map<number, string>();
  return (i) => {
    const key = events.meaningKey(i);
    let sig = memo.get(key);
    if (sig === undefined) memo.set(key, (sig = signatureOf(events.scanAt(i))));
    return sig;
  };
}
