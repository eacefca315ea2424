/**
 * The one recorder every layer writes through (in the spirit of smoltcp's phy/tracer.rs):
 * nothing in the engine logs ad hoc. It stamps events with seq, virtual time and host, and
 * takes a packet version only when the chain changed since its last one, so events that
 * leave a packet alone share its version and unchanged parts (hex, tags, flags) are shared
 * between versions.
 */
import { toHex } from "../wire/fields";
import { DIRTY, isStale, MCLBYTES, MHLEN, MLEN, type Mbuf } from "../mbuf/mbuf";
import type { EventPayload, LayerId, MbufSegView, MFlag, PacketVersion, TagClass, TagView, TraceEvent } from "./events";
import { M_FLAGS } from "./events";

/** Thrown when a run exceeds its step budget; the simulator turns it into a finding. */
export class StepLimitExceeded extends Error {
  constructor(readonly limit: number) {
    super(`step limit of ${limit} events reached`);
  }
}

/** Event sink plus the virtual clock reading it stamps with. */
export class Recorder {
  readonly events: TraceEvent[] = [];
  readonly packets: PacketVersion[] = [];
  /** Current virtual time in µs; the scheduler advances it. */
  now = 0;
  private tagUid = 1;
  private chainId = 1;

  constructor(readonly maxEvents: number) {}

  private readonly strings = new Map<string, string>();

  /**
   * One copy of each distinct string, flat (template literals leave rope strings; hashing
   * flattens them). Used by `text`; events store what they are given, so repeated narration
   * must come as a literal or through `text` (see Site.emit).
   */
  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  /**
   * A tagged template that builds each distinct text once: `site.text\`… ${a} … ${b}\`` gives the
   * same (interned, flat) string as the template literal would, looked up by the call site's
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
        if (this.textNodes >= MAX_TEXT_NODES) return this.intern(cook(strings, values));
        this.textNodes++;
        (node.next ??= new Map()).set(v, (next = {}));
      }
      node = next;
    }
    return (node.text ??= this.intern(cook(strings, values)));
  }

  private readonly texts = new Map<TemplateStringsArray, TextNode>();
  private textNodes = 0;

  /** A fresh packet (mbuf chain) identity. */
  nextChainId(): number {
    return this.chainId++;
  }

  /** Record an event even past the step limit: the one that says the limit was hit. */
  recordFinal(host: string, layer: LayerId, fn: string, payload: EventPayload, note: string): void {
    const base = { seq: this.events.length, t: this.now, host, layer, fn, packet: -1, chain: -1, note };
    this.events.push({ ...base, ...payload } as TraceEvent);
  }

  /** A fresh m_tag identity. */
  nextTagUid(): number {
    return this.tagUid++;
  }

  /** Record one event (seed-story steps are marked afterwards, by audit/story.ts). */
  record(host: string, layer: LayerId, fn: string, m: Mbuf | null, payload: EventPayload, note: string): TraceEvent {
    if (this.events.length >= this.maxEvents) throw new StepLimitExceeded(this.maxEvents);
    const packet = m ? this.version(m) : -1;
    const event = makeEvent(this.events.length, this.now, host, layer, fn, packet, m ? m.id : -1, note, payload);
    this.events.push(event);
    return event;
  }

  /** The version id of `m` as it is now; a new version only if something changed. */
  private version(m: Mbuf): number {
    if (m.dirty === 0 && m.lastVersion >= 0) return m.lastVersion;
    const c = m.cache;
    const d = m.dirty;
    if (d & DIRTY.BYTES || c.hex === undefined) c.hex = toHex(m.bytes());
    if (d & DIRTY.SEGS || c.segs === undefined) c.segs = this.segViews(m);
    if (d & DIRTY.TAGS || c.tags === undefined) c.tags = m.tags.length === 0 ? NO_TAGS : m.tags.slice();
    if (d & DIRTY.FLAGS || c.flags === undefined) c.flags = flagList(flagMask(m, false));
    const id = this.packets.length;
    let staleTags: readonly number[] | undefined;
    let staleFlags: readonly MFlag[] | undefined;
    if (m.incarnation > 0) {
      staleTags = staleTagsOf(m);
      const mask = flagMask(m, true);
      if (mask !== 0) staleFlags = flagList(mask);
    }
    const v = versionObject(id, m.id, c.hex, c.segs, c.tags, c.flags, m.rcvif, m.cleartext, m.cleartextProto, staleTags, staleFlags);
    this.packets.push(v);
    m.lastVersion = id;
    m.dirty = 0;
    return id;
  }

  /**
   * The segment views of `m`, shared between versions (and packets) with the same layout: a
   * flood repeats the same few layouts thousands of times. Keyed by kind, buffer size, offset
   * and length of each mbuf (all below 4096: the largest buffer is a cluster).
   */
  private segViews(m: Mbuf): readonly MbufSegView[] {
    let node = this.segLayouts;
    for (const s of m.segs) {
      const size = BUFFER_SIZES.indexOf(s.buf.length);
      if (size < 0) return m.segViews();
      const key = ((SEG_KINDS.indexOf(s.kind) * BUFFER_SIZES.length + size) * 4096 + s.off) * 4096 + s.len;
      let next = node.next?.get(key);
      if (next === undefined) {
        next = {};
        (node.next ??= new Map()).set(key, next);
      }
      node = next;
    }
    return (node.views ??= m.segViews());
  }

  private readonly segLayouts: SegLayoutNode = {};
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

/** A trie of segment layouts (see Recorder.segViews). */
interface SegLayoutNode {
  views?: readonly MbufSegView[];
  next?: Map<number, SegLayoutNode>;
}

const SEG_KINDS: readonly MbufSegView["kind"][] = ["pkthdr", "mbuf", "cluster"];
const BUFFER_SIZES: readonly number[] = [MHLEN, MLEN, MCLBYTES];
const NO_TAGS: readonly TagView[] = [];

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

/** One shared array per set of flags, in M_FLAGS order (flags and staleFlags of versions). */
const FLAG_LISTS: (readonly MFlag[] | undefined)[] = [];
function flagList(mask: number): readonly MFlag[] {
  return (FLAG_LISTS[mask] ??= M_FLAGS.filter((_, i) => (mask & (1 << i)) !== 0));
}

/**
 * A packet version as one object literal per shape, so every version is a fast object with its
 * fields in place (and in the contract's key order), without spreading optional parts.
 */
function versionObject(
  id: number,
  chain: number,
  hex: string,
  segs: readonly MbufSegView[],
  tags: readonly TagView[],
  flags: readonly MFlag[],
  rcvif: string | null,
  cleartext: string | undefined,
  cleartextProto: number | undefined,
  staleTags: readonly number[] | undefined,
  staleFlags: readonly MFlag[] | undefined,
): PacketVersion {
  if (cleartext === undefined) {
    if (staleTags === undefined) {
      return staleFlags === undefined ? { id, chain, hex, segs, tags, flags, rcvif } : { id, chain, hex, segs, tags, flags, rcvif, staleFlags };
    }
    return staleFlags === undefined
      ? { id, chain, hex, segs, tags, flags, rcvif, staleTags }
      : { id, chain, hex, segs, tags, flags, rcvif, staleTags, staleFlags };
  }
  if (cleartextProto === undefined) {
    if (staleTags === undefined) {
      return staleFlags === undefined
        ? { id, chain, hex, segs, tags, flags, rcvif, cleartext }
        : { id, chain, hex, segs, tags, flags, rcvif, cleartext, staleFlags };
    }
    return staleFlags === undefined
      ? { id, chain, hex, segs, tags, flags, rcvif, cleartext, staleTags }
      : { id, chain, hex, segs, tags, flags, rcvif, cleartext, staleTags, staleFlags };
  }
  if (staleTags === undefined) {
    return staleFlags === undefined
      ? { id, chain, hex, segs, tags, flags, rcvif, cleartext, cleartextProto }
      : { id, chain, hex, segs, tags, flags, rcvif, cleartext, cleartextProto, staleFlags };
  }
  return staleFlags === undefined
    ? { id, chain, hex, segs, tags, flags, rcvif, cleartext, cleartextProto, staleTags }
    : { id, chain, hex, segs, tags, flags, rcvif, cleartext, cleartextProto, staleTags, staleFlags };
}

/**
 * One event as one object literal per kind: all fields in the object itself, in the contract's
 * key order (EventBase, then the payload's fields in the order events.ts declares them and every
 * call site writes them). Copying a payload onto a base object instead left most fields in an
 * out-of-object property store: ~40 more bytes and one more allocation per event.
 * A new payload field must be added here too (the literals are type-checked against the union).
 */
function makeEvent(
  seq: number,
  t: number,
  host: string,
  layer: LayerId,
  fn: string,
  packet: number,
  chain: number,
  note: string,
  p: EventPayload,
): TraceEvent {
  switch (p.kind) {
    case "app.send":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, socket: p.socket, summary: p.summary };
    case "mbuf.alloc":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, len: p.len, leading: p.leading };
    case "mbuf.prepend":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, header: p.header, len: p.len, leading: p.leading };
    case "mbuf.makespace":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, header: p.header, offset: p.offset, len: p.len, how: p.how };
    case "mbuf.append":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, what: p.what, len: p.len, how: p.how };
    case "mbuf.adj":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, header: p.header, len: p.len, from: p.from };
    case "mbuf.strip":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, header: p.header, offset: p.offset, len: p.len };
    case "mbuf.rewrite":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, what: p.what, offset: p.offset, len: p.len };
    case "mbuf.pkthdr":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, mode: p.mode, from: p.from };
    case "mbuf.free":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, reason: p.reason };
    case "field.set":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, header: p.header, field: p.field, from: p.from, to: p.to };
    case "tag.get":
    case "tag.prepend":
    case "tag.unlink":
    case "tag.delete":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, tag: p.tag };
    case "tag.find":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, name: p.name, found: p.found };
    case "tag.deleteChain":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, deleted: p.deleted };
    case "tag.deleteNonpersistent":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, deleted: p.deleted, kept: p.kept };
    case "tag.copy":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, from: p.from, to: p.to };
    case "tag.copyChain":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, copies: p.copies };
    case "flag.set":
    case "flag.clear":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, flags: p.flags };
    case "decision":
      return {
        seq,
        t,
        host,
        layer,
        fn,
        packet,
        chain,
        note,
        kind: p.kind,
        check: p.check,
        question: p.question,
        consulted: p.consulted,
        branch: p.branch,
      };
    case "crypto.submit":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, sa: p.sa, op: p.op, bytes: p.bytes };
    case "crypto.done":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, sa: p.sa, op: p.op, ok: p.ok, detail: p.detail };
    case "queue.enqueue":
    case "queue.dequeue":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, queue: p.queue, depth: p.depth };
    case "link.tx":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, ifname: p.ifname, link: p.link, bytes: p.bytes };
    case "link.rx":
      return p.fault
        ? { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, ifname: p.ifname, link: p.link, bytes: p.bytes, fault: p.fault }
        : { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, ifname: p.ifname, link: p.link, bytes: p.bytes };
    case "sa.update":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, sa: p.sa, field: p.field, value: p.value };
    case "deliver":
      return "rttMicros" in p
        ? { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, socket: p.socket, summary: p.summary, rttMicros: p.rttMicros }
        : { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, socket: p.socket, summary: p.summary };
    case "drop":
      return { seq, t, host, layer, fn, packet, chain, note, kind: p.kind, reason: p.reason, detail: p.detail };
  }
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
  emit(m: Mbuf | null, payload: EventPayload, note: string): TraceEvent {
    return this.recorder.record(this.host, this.layer, this.fn, m, payload, note);
  }

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
