/**
 * The one recorder every layer writes through (in the spirit of smoltcp's phy/tracer.rs):
 * nothing in the engine logs ad hoc. It stamps events with seq, virtual time and site, and
 * takes a packet version only when the chain changed since its last one, so events that
 * leave a packet alone share its version. Both go into the columnar tables of store.ts, which
 * intern strings, payloads and variable-shaped values and keep packet bytes as deltas.
 */
import { DIRTY, isStale, type Mbuf } from "../mbuf/mbuf";
import type { EventPayload, LayerId, TagClass, TagView } from "./events";
import { M_FLAGS } from "./events";
import { newTables, type EventTable, type PacketTable } from "./store";

/** Which budget a run ran out of: steps (events recorded), packet bytes recorded, or virtual time (µs, sim/scheduler.ts). */
export type BudgetKind = "events" | "bytes" | "time";

/** Thrown when a run exceeds its step or byte budget; the simulator turns it into a finding. */
export class StepLimitExceeded extends Error {
  constructor(
    readonly limit: number,
    readonly budget: BudgetKind = "events",
  ) {
    super(
      budget === "events"
        ? `step limit of ${limit} events reached`
        : budget === "bytes"
          ? `byte limit of ${limit} bytes of packet data reached`
          : `virtual-time limit of ${limit} µs reached`,
    );
  }
}

/** Event sink plus the virtual clock reading it stamps with. */
export class Recorder {
  readonly events: EventTable;
  readonly packets: PacketTable;
  /** Current virtual time in µs; the scheduler advances it. */
  now = 0;
  private tagUid = 1;
  private chainId = 1;

  /**
   * The most packet bytes (the delta arena of trace/store.ts) the trace may hold; checked before
   * each event, so a run stops at the same step in Node and in the browser (issue 16: the event
   * cap alone let 100 echoes of 65,499 bytes record 32 MB). Infinity: no byte budget.
   */
  maxBytes = Infinity;

  /** Told (steps, packet bytes) every `every` events; the engine worker's progress strip (issue 16). */
  watch(onProgress: (steps: number, bytes: number) => void, every: number): void {
    this.onProgress = onProgress;
    this.progressEvery = Math.max(1, every);
    this.nextProgress = this.events.length + this.progressEvery;
  }

  private onProgress: ((steps: number, bytes: number) => void) | undefined;
  private progressEvery = 0;
  /** The event count of the next progress call; Infinity (never) unless watched, so one comparison per event. */
  private nextProgress = Infinity;

  constructor(readonly maxEvents: number) {
    ({ events: this.events, packets: this.packets } = newTables());
  }

  /**
   * A tagged template that builds each distinct text once: `site.text\`… ${a} … ${b}\`` gives the
   * same string as the template literal would (one copy per distinct text; the string table of
   * trace/store.ts then stores it once), looked up by the call site's
   * template object and the values. Narration repeats from echo to echo; building, flattening
   * and interning those strings again for every event was the engine's largest string cost.
   * Use it for values with few distinct values (addresses, lengths, names); per-packet values
   * (sequence numbers, ids, times) would only fill the table — write plain templates there.
   */
  text(strings: TemplateStringsArray, values: readonly TextValue[]): string {
    let node: TextNode | undefined = this.texts.get(strings);
    if (node === undefined) this.texts.set(strings, (node = {}));
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      let next: TextNode | undefined = node.next?.get(v);
      if (next === undefined) {
        // A safety valve for misuse with per-packet values: stop remembering, keep answering.
        if (this.textNodes >= MAX_TEXT_NODES) return cook(strings, values);
        this.textNodes++;
        (node.next ??= new Map()).set(v, (next = {}));
      }
      node = next;
    }
    return (node.text ??= cook(strings, values));
  }

  private readonly texts = new Map<TemplateStringsArray, TextNode>();
  private textNodes = 0;

  /** A fresh packet (mbuf chain) identity. */
  nextChainId(): number {
    return this.chainId++;
  }

  /** Record an event even past the step limit: the one that says the limit was hit. */
  recordFinal(host: string, layer: LayerId, fn: string, payload: EventPayload, note: string): void {
    this.events.push(this.events.siteId(host, layer, fn), this.now, -1, -1, payload, note);
  }

  /** A fresh m_tag identity. */
  nextTagUid(): number {
    return this.tagUid++;
  }

  /** Record one event at a site (EventTable.siteId); returns its seq. */
  record(site: number, m: Mbuf | null, payload: EventPayload, note: string): number {
    if (this.events.length >= this.maxEvents) throw new StepLimitExceeded(this.maxEvents);
    if (this.packets.arenaBytes >= this.maxBytes) throw new StepLimitExceeded(this.maxBytes, "bytes");
    if (this.events.length >= this.nextProgress) {
      this.nextProgress += this.progressEvery;
      this.onProgress?.(this.events.length, this.packets.arenaBytes);
    }
    const packet = m ? this.version(m) : -1;
    return this.events.push(site, this.now, packet, m ? m.id : -1, payload, note);
  }

  /** The version id of `m` as it is now; a new version only if something changed. */
  private version(m: Mbuf): number {
    if (m.dirty === 0 && m.lastVersion >= 0) return m.lastVersion;
    const c = m.cache;
    const d = m.dirty;
    const values = this.packets.values;
    if (d & (DIRTY.BYTES | DIRTY.SEGS) || c.bytes === undefined) c.bytes = m.bytes().slice();
    if (d & DIRTY.SEGS || c.segs === undefined) c.segs = segsId(values, m);
    if (d & DIRTY.TAGS || c.tags === undefined) c.tags = values.id(m.tags.length === 0 ? NO_TAGS : m.tags.slice());
    if (d & DIRTY.FLAGS || c.flags === undefined) c.flags = flagMask(m, false);
    const id = this.packets.push({
      chain: m.id,
      bytes: c.bytes,
      prev: m.lastVersion,
      prevBytes: c.prevBytes,
      segs: c.segs,
      // The header stack is the mbuf verbs' (trace/hdrs.ts): shared and immutable, stored as it is.
      hdrs: m.hdrs,
      tags: c.tags,
      flags: c.flags,
      staleFlags: m.incarnation > 0 ? flagMask(m, true) : 0,
      rcvif: m.rcvif,
      cleartext: m.cleartext,
      cleartextProto: m.cleartextProto,
      staleTags: m.incarnation > 0 ? staleTagsOf(m) : undefined,
    });
    c.prevBytes = c.bytes;
    m.lastVersion = id;
    m.dirty = 0;
    return id;
  }
}

/** What a `text` template interpolates. */
export type TextValue = string | number | boolean;

interface TextNode {
  text?: string;
  next?: Map<TextValue, TextNode>;
}

const MAX_TEXT_NODES = 100_000;

/** The string a template literal with these parts would make. */
function cook(strings: TemplateStringsArray, values: readonly TextValue[]): string {
  let s = strings[0]!;
  for (let i = 0; i < values.length; i++) s += String(values[i]) + strings[i + 1]!;
  return s;
}

const NO_TAGS: readonly TagView[] = [];

/** The interned segment layout of `m`: a flood repeats the same few layouts thousands of times. */
function segsId(values: PacketTable["values"], m: Mbuf): number {
  let key = "";
  for (const s of m.segs) key += `${s.kind}:${s.len}:${s.off}:${s.buf.length - s.off - s.len};`;
  return values.idByKey(key, () => m.segViews());
}

/**
 * The uids of `m`'s stale tags, or undefined when none is stale. Consecutive versions of a
 * packet usually have the same stale tags: the previous version's array is reused then.
 */
function staleTagsOf(m: Mbuf): readonly number[] | undefined {
  let n = 0;
  for (let i = 0; i < m.tags.length; i++) if (isStale(m, m.tags[i]!.uid)) n++;
  if (n === 0) return undefined;
  const last = m.cache.staleTags;
  if (last !== undefined && last.length === n) {
    let same = true;
    for (let i = 0, j = 0; i < m.tags.length; i++) {
      const uid = m.tags[i]!.uid;
      if (isStale(m, uid) && last[j++] !== uid) {
        same = false;
        break;
      }
    }
    if (same) return last;
  }
  const uids = new Array<number>(n);
  for (let i = 0, j = 0; i < m.tags.length; i++) {
    const uid = m.tags[i]!.uid;
    if (isStale(m, uid)) uids[j++] = uid;
  }
  m.cache.staleTags = uids;
  return uids;
}

/** The m_flags set on `m` (or only the stale ones) as a bitmask in M_FLAGS order. */
function flagMask(m: Mbuf, staleOnly: boolean): number {
  let mask = 0;
  if (m.flags.size === 0) return 0;
  for (let i = 0; i < M_FLAGS.length; i++) {
    const f = M_FLAGS[i]!;
    if (m.flags.has(f) && (!staleOnly || isStale(m, f))) mask |= 1 << i;
  }
  return mask;
}

/** Personality facts the mbuf and tag verbs need. */
export interface TagNumbering {
  /** Numeric id of a tag type in this kernel, e.g. OUT_DONE = 18 on NetBSD 2005. */
  idOf(name: string): number;
  /** Whether this kernel considers the tag type persistent (FreeBSD MTAG_PERSISTENT). */
  isPersistent(name: string): boolean;
  /** Whether the kernel has persistent tags at all (NetBSD 2003: no). */
  readonly hasPersistentTags: boolean;
  /** Record of work done, or reminder of work to do (Keromytis, BSDCon 2003; seed 003). */
  classOf(name: string): TagClass;
}

/**
 * Where a step happens: host, layer and kernel function. Layer code makes one per call
 * (`k.site("ip", "ip_output")`) and hands it to the mbuf and tag verbs, which record through it.
 */
export class Site {
  constructor(
    readonly recorder: Recorder,
    readonly host: string,
    readonly layer: LayerId,
    readonly fn: string,
    readonly tags: TagNumbering,
  ) {}

  /**
   * Record one event. Strings are stored as given: a note (question, branch, detail) that repeats
   * from packet to packet must be a literal or a `site.text` template, so all events share one
   * copy; a plain template literal is for text that is new every time (sequence numbers, ids).
   */
  emit(m: Mbuf | null, payload: EventPayload, note: string): number {
    return this.recorder.record((this.id ??= this.recorder.events.siteId(this.host, this.layer, this.fn)), m, payload, note);
  }

  /** This site's id in the recorder's event table, taken on first use. */
  private id: number | undefined;

  /** Recorder.text as a tagged template: `site.text\`ip_len ${m.len}\``. */
  text(strings: TemplateStringsArray, ...values: TextValue[]): string {
    return this.recorder.text(strings, values);
  }

  /** The same host and kernel numbering, another layer/function (one Site per place, reused). */
  at(layer: LayerId, fn: string): Site {
    const family = (this.family ??= new Map([[this.layer, new Map([[this.fn, this as Site]])]]));
    return siteIn(family, this.recorder, this.host, layer, fn, this.tags);
  }

  /** The sites of the same host and numbering, by layer and function, shared (see siteIn). */
  family: SiteFamily | undefined;
}

/** Sites by layer, then function. */
export type SiteFamily = Map<LayerId, Map<string, Site>>;

/**
 * The Site for (layer, fn) in `family`, made once: layer code asks for its site on every call,
 * and a Site is immutable, so one object per place serves every packet.
 */
export function siteIn(family: SiteFamily, recorder: Recorder, host: string, layer: LayerId, fn: string, tags: TagNumbering): Site {
  let byFn = family.get(layer);
  if (byFn === undefined) family.set(layer, (byFn = new Map()));
  let site = byFn.get(fn);
  if (site === undefined) {
    site = new Site(recorder, host, layer, fn, tags);
    site.family = family;
    byFn.set(fn, site);
  }
  return site;
}
