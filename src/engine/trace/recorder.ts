/**
 * The one recorder every layer writes through (in the spirit of smoltcp's phy/tracer.rs):
 * nothing in the engine logs ad hoc. It stamps events with seq, virtual time and host, and
 * takes a packet version only when the chain changed since its last one, so events that
 * leave a packet alone share its version and unchanged parts (hex, tags, flags) are shared
 * between versions.
 */
import { toHex } from "../wire/fields";
import { DIRTY, isStale, type Mbuf } from "../mbuf/mbuf";
import type { EventPayload, LayerId, MFlag, PacketVersion, TraceEvent } from "./events";
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
   * One copy of each distinct narration string: most notes repeat from echo to echo, and
   * template literals leave rope strings that interning flattens.
   */
  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

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

  record(host: string, layer: LayerId, fn: string, m: Mbuf | null, payload: EventPayload, note: string, story?: number): TraceEvent {
    if (this.events.length >= this.maxEvents) throw new StepLimitExceeded(this.maxEvents);
    const packet = m ? this.version(m) : -1;
    // Object.assign onto a literal keeps V8's fast object layout: a spread of two objects made
    // each event a dictionary-mode object (~530 bytes instead of ~150 in a 10,000-echo trace).
    const base = { seq: this.events.length, t: this.now, host, layer, fn, packet, chain: m ? m.id : -1, note: this.intern(note) };
    const event = Object.assign(story === undefined ? base : Object.assign(base, { story }), payload) as TraceEvent;
    this.events.push(event);
    return event;
  }

  /** The version id of `m` as it is now; a new version only if something changed. */
  private version(m: Mbuf): number {
    if (m.dirty === 0 && m.lastVersion >= 0) return m.lastVersion;
    const c = m.cache;
    const d = m.dirty;
    if (d & DIRTY.BYTES || c.hex === undefined) c.hex = toHex(m.bytes());
    if (d & DIRTY.SEGS || c.segs === undefined) c.segs = m.segViews();
    if (d & DIRTY.TAGS || c.tags === undefined) c.tags = m.tags.slice();
    if (d & DIRTY.FLAGS || c.flags === undefined) c.flags = M_FLAGS.filter((f: MFlag) => m.flags.has(f));
    const id = this.packets.length;
    const staleTags = m.incarnation > 0 ? m.tags.filter((t) => isStale(m, t.uid)).map((t) => t.uid) : [];
    const staleFlags = m.incarnation > 0 ? c.flags.filter((f) => isStale(m, f)) : [];
    const v: PacketVersion = {
      id,
      chain: m.id,
      hex: c.hex,
      segs: c.segs,
      tags: c.tags,
      flags: c.flags,
      rcvif: m.rcvif,
      ...(m.cleartext === undefined ? {} : { cleartext: m.cleartext, ...(m.cleartextProto === undefined ? {} : { cleartextProto: m.cleartextProto }) }),
      ...(staleTags.length > 0 ? { staleTags } : {}),
      ...(staleFlags.length > 0 ? { staleFlags } : {}),
    };
    this.packets.push(v);
    m.lastVersion = id;
    m.dirty = 0;
    return id;
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

  emit(m: Mbuf | null, payload: EventPayload, note: string, story?: number): TraceEvent {
    return this.recorder.record(this.host, this.layer, this.fn, m, payload, note, story);
  }

  /** The same host and kernel numbering, another layer/function. */
  at(layer: LayerId, fn: string): Site {
    return new Site(this.recorder, this.host, layer, fn, this.tags);
  }
}
