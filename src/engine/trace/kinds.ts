/**
 * The one table of event kinds (issue 11): per kind, its payload fields in contract order with
 * the column each is stored in, the fields that make up its compare signature, and the clause that
 * says it in words. The columnar store (store.ts) encodes and materialises events from the column
 * types, audit/compare.ts signs and narrates them from `sig` and `clause`, so a new kind is one
 * member of the EventPayload union (events.ts, where its fields are documented) plus one entry
 * here — and the type checker refuses an entry whose fields or columns disagree with the union.
 */
import type { CheckId, EventKind, EventOf, EventPayload, FaultKind, MFlag, TagView } from "./events";

/**
 * How a payload field is stored: an interned string, a 32-bit integer, a boolean, or an interned
 * value in the side table (tag views, tag lists, consulted lists: anything variable-shaped). A `?`
 * marks an optional field, absent from the event object when not given.
 */
export type Column = "str" | "int" | "bool" | "obj";
export type ColumnSpec = Column | `${Column}?`;

type PayloadOf<K extends EventKind> = Extract<EventPayload, { kind: K }>;
/** The payload fields of kind K (everything but `kind`). */
export type FieldOf<K extends EventKind> = Exclude<keyof PayloadOf<K>, "kind"> & string;
type ColumnOf<T> = [T] extends [string] ? "str" : [T] extends [number] ? "int" : [T] extends [boolean] ? "bool" : "obj";
/** The column a field must use, from its type in the union (optional fields get the `?` form). */
type SpecOf<K extends EventKind, F extends keyof PayloadOf<K>> = undefined extends PayloadOf<K>[F]
  ? `${ColumnOf<Exclude<PayloadOf<K>[F], undefined>>}?`
  : ColumnOf<PayloadOf<K>[F]>;

/** A step in words: who does it, the verb (bare infinitive) and the rest (used by compare). */
export interface Clause {
  readonly subject: string;
  readonly verb: string;
  readonly rest: string;
}

export interface KindSpec<K extends EventKind> {
  /** Every payload field, in the order the event object (and its JSON) lists them. */
  readonly fields: { readonly [F in FieldOf<K>]-?: SpecOf<K, F> };
  /**
   * The fields that say what the step means, for compare (audit/compare.ts): values that shift
   * between runs without the kernel doing anything different (notes, details, offsets) are left out.
   */
  readonly sig: readonly FieldOf<K>[];
  /** The step as a clause: "ip_output prepends the ESP header". */
  readonly clause: (e: EventOf<K>) => Clause;
  /**
   * What the step does to m_tags and m_flags, for the kinds that touch them: the tag lanes
   * (lanes.ts) and the packet card's badges (ui/stack/cardLayout.ts) both read this, so a new
   * tag verb is one entry here rather than a case in each.
   */
  readonly marks?: (e: EventOf<K>) => MarkEffect;
}

/** How a tag's life ends at a step (the lane's end; mbuf.free ends every live tag of the chain). */
export type TagEnd = "deleted" | "deleted-chain" | "deleted-nonpersistent" | "unlinked" | "retyped";

/** A tag or flag the step looked at, and whether what it found was stale. */
export type MarkConsult =
  | { readonly kind: "tag"; readonly tag: TagView; readonly check: string; readonly stale: boolean }
  | { readonly kind: "flag"; readonly flag: MFlag; readonly stale: boolean };

/** A step's effect on tags and flags (KindSpec.marks); absent parts are empty. */
export interface MarkEffect {
  readonly enter?: readonly TagView[];
  readonly leave?: readonly TagView[];
  readonly end?: TagEnd;
  readonly consult?: readonly MarkConsult[];
  readonly flagsSet?: readonly MFlag[];
  readonly flagsCleared?: readonly MFlag[];
}

/** The decisions, in a few words: "ip_output's IPsec loop check". */
export const CHECK_NAMES: Readonly<Record<CheckId, string>> = {
  route: "route lookup",
  "ip-checksum": "header checksum check",
  ours: "local-address check",
  mtu: "MTU check",
  "ip-maxpacket": "IP_MAXPACKET check",
  "ipsec-out-policy": "outbound policy lookup",
  "ipsec-loop": "IPsec loop check",
  "ipsec-out-sa": "SA lookup",
  "ipsec-in-sa": "SA lookup",
  replay: "replay check",
  icv: "ICV check",
  "pr-lasthdr": "PR_LASTHDR check",
  "ipsec-in-policy": "inbound policy lookup",
  "ipsec-in-reject": "policy check",
  "ipsec-evidence": "IPsec-evidence check",
  "icmp-type": "ICMP type switch",
  ttl: "TTL check",
  forward: "forwarding check",
  "icmp-error": "ICMP error check",
  pmtu: "path MTU update",
  reass: "reassembly check",
  // seed 003
  "skip-crypto": "TDBF_SKIPCRYPTO check",
  "ipsec-capability": "IFCAP_IPSEC check",
  reminder: "driver's reminder check",
  "gif-loop": "gif loop detection",
  "rx-offload": "NIC's inbound crypto (hypothetical)",
  // Linux stack (seed 002, src/engine/linux):
  "skb-dev-dst": "skb->dev / skb->dst->dev check",
  "klips-eroute": "KLIPS eroute lookup",
  "klips-mtu": "KLIPS MTU check",
  "klips-recursion": "KLIPS recursion check",
  "xfrm-lookup": "XFRM policy lookup",
  "xfrm-bundle-mtu": "XFRM bundle MTU check",
  "xfrm-policy-check": "XFRM inbound policy check",
  "ip-defrag": "reassembly",
  // seed 004 (keying)
  "km-acquire": "ACQUIRE decision",
  "km-install": "SA installation",
  "km-expire": "lifetime check",
  // TCP (issue 12)
  "tcp-segsize": "segment size",
  "tcp-input": "TCP input",
  "tcp-rexmt": "retransmit timer",
};

const article = (word: string): string => (/^[AEIOU]/.test(word) ? "an" : "a");
/** "M_DECRYPTED|M_LOOP". */
export const flagList = (flags: readonly MFlag[]): string => flags.map((f) => `M_${f}`).join("|");

/** "IPSEC_IN_DONE and IPSEC_OUT_DONE". */
function names(tags: readonly TagView[]): string {
  const n = tags.map((t) => t.name);
  return n.length <= 1 ? (n[0] ?? "") : `${n.slice(0, -1).join(", ")} and ${n[n.length - 1]!}`;
}

/** "the packet's IPSEC_IN_DONE and IPSEC_OUT_DONE tags", "the packet's 5 tags". */
function tagPhrase(tags: readonly TagView[]): string {
  if (tags.length === 0) return "no tags";
  return tags.length <= 3 ? `the packet's ${names(tags)} tag${tags.length === 1 ? "" : "s"}` : `the packet's ${tags.length} tags`;
}

const said = (e: { readonly fn: string }, verb: string, rest: string, subject = e.fn): Clause => ({ subject, verb, rest });

const TAG = { tag: "obj" } as const;

/** What the attacker does, per fault, as verb and object: "an attacker on the link replays a recorded frame on ab". */
const FAULT_ACT: Readonly<Record<FaultKind, readonly [string, string]>> = {
  replay: ["replay", "a recorded frame"],
  "flip-bit": ["flip", "a bit of the frame"],
  forge: ["forge", "a packet"],
};

/** The table. Field order is the contract's key order (events.ts). */
export const KINDS: { readonly [K in EventKind]: KindSpec<K> } = {
  "app.send": {
    fields: { socket: "str", summary: "str", bytes: "int?", transport: "str?" },
    sig: ["socket"],
    clause: (e) => said(e, "send", `another packet on ${e.socket}`),
  },
  "mbuf.alloc": {
    fields: { len: "int", leading: "int", fragOf: "int?" },
    sig: ["len"],
    clause: (e) => said(e, "allocate", `an mbuf for ${e.len} bytes`),
  },
  "mbuf.prepend": {
    fields: { header: "str", len: "int", leading: "str" },
    sig: ["header", "len", "leading"],
    clause: (e) => said(e, "prepend", `the ${e.header} header`),
  },
  "mbuf.makespace": {
    fields: { header: "str", offset: "int", len: "int", how: "str" },
    sig: ["header", "len", "how"],
    clause: (e) => said(e, "open", `${e.len} bytes for the ${e.header} header`),
  },
  "mbuf.append": {
    fields: { what: "str", len: "int", how: "str", from: "int?" },
    sig: ["what", "len", "how"],
    clause: (e) => said(e, "append", e.what),
  },
  "mbuf.adj": {
    fields: { header: "str", len: "int", from: "str" },
    sig: ["header", "len", "from"],
    clause: (e) => said(e, "trim", `the ${e.header} header (${e.len} bytes) off the ${e.from}`),
  },
  "mbuf.strip": {
    fields: { header: "str", offset: "int", len: "int" },
    sig: ["header", "len"],
    clause: (e) => said(e, "strip", `the ${e.header} header`),
  },
  "mbuf.rewrite": { fields: { what: "str", offset: "int", len: "int" }, sig: ["what", "len"], clause: (e) => said(e, "rewrite", e.what) },
  "mbuf.pkthdr": {
    fields: { mode: "str", from: "int" },
    sig: ["mode"],
    clause: (e) => said(e, e.mode === "move" ? "move" : "copy", "the packet header"),
  },
  "mbuf.free": { fields: { reason: "str" }, sig: ["reason"], clause: (e) => said(e, "free", `the packet (${e.reason})`) },
  "field.set": {
    fields: { header: "str", field: "str", from: "str", to: "str", socket: "str?" },
    sig: ["header", "field", "to"],
    clause: (e) => said(e, "set", `${e.header} ${e.field} to ${e.to}`),
  },
  "tag.get": { fields: TAG, sig: ["tag"], clause: (e) => said(e, "allocate", `${article(e.tag.name)} ${e.tag.name} tag`) },
  "tag.prepend": {
    fields: TAG,
    sig: ["tag"],
    clause: (e) => said(e, "prepend", `${article(e.tag.name)} ${e.tag.name} tag`),
    marks: (e) => ({ enter: [e.tag] }),
  },
  "tag.find": {
    fields: { name: "str", found: "obj" },
    sig: ["name", "found"],
    clause: (e) => (e.found ? said(e, "find", `the ${e.name} tag`) : said(e, "look", `for ${article(e.name)} ${e.name} tag and finds none`)),
    marks: (e) => ({ consult: e.found ? [{ kind: "tag", tag: e.found, check: "find", stale: false }] : [] }),
  },
  "tag.unlink": {
    fields: TAG,
    sig: ["tag"],
    clause: (e) => said(e, "unlink", `the ${e.tag.name} tag`),
    marks: (e) => ({ leave: [e.tag], end: "unlinked" }),
  },
  "tag.delete": {
    fields: TAG,
    sig: ["tag"],
    clause: (e) => said(e, "delete", `the packet's ${e.tag.name} tag (m_tag_delete)`),
    marks: (e) => ({ leave: [e.tag], end: "deleted" }),
  },
  "tag.deleteChain": {
    fields: { deleted: "obj" },
    sig: ["deleted"],
    clause: (e) => said(e, "delete", `${tagPhrase(e.deleted)} (m_tag_delete_chain)`),
    marks: (e) => ({ leave: e.deleted, end: "deleted-chain" }),
  },
  "tag.deleteNonpersistent": {
    fields: { deleted: "obj", kept: "obj" },
    sig: ["deleted", "kept"],
    clause: (e) =>
      e.deleted.length === 0
        ? said(e, "call", "m_tag_delete_nonpersistent (the packet has no tags)")
        : said(e, "delete", `${tagPhrase(e.deleted)} (m_tag_delete_nonpersistent)${e.kept.length > 0 ? `, keeping ${names(e.kept)}` : ""}`),
    marks: (e) => ({ leave: e.deleted, end: "deleted-nonpersistent" }),
  },
  "tag.copy": {
    fields: { from: "obj", to: "obj" },
    sig: ["from"],
    clause: (e) => said(e, "copy", `the ${e.from.name} tag`),
    marks: (e) => ({ enter: [e.to] }),
  },
  "tag.copyChain": {
    fields: { copies: "obj" },
    sig: ["copies"],
    clause: (e) => said(e, "copy", "the packet's tags"),
    marks: (e) => ({ enter: e.copies.map(([, copy]) => copy) }),
  },
  "tag.retype": {
    fields: { from: "obj", to: "obj" },
    sig: ["from", "to"],
    clause: (e) => said(e, "retype", `the ${e.from.name} tag as ${e.to.name}`),
    // One lane ends and the next begins at the same step: a new type is, to every reader, a new tag.
    marks: (e) => ({ leave: [e.from], end: "retyped", enter: [e.to] }),
  },
  "flag.set": { fields: { flags: "obj" }, sig: ["flags"], clause: (e) => said(e, "set", flagList(e.flags)), marks: (e) => ({ flagsSet: e.flags }) },
  "flag.clear": {
    fields: { flags: "obj" },
    sig: ["flags"],
    clause: (e) => said(e, "clear", e.flags.length > 0 ? flagList(e.flags) : "no m_flags"),
    marks: (e) => ({ flagsCleared: e.flags }),
  },
  decision: {
    fields: { check: "str", question: "str", consulted: "obj", branch: "str" },
    sig: ["check", "branch"],
    clause: (e) => said(e, "decide", `“${e.branch}”`, `${e.fn}'s ${CHECK_NAMES[e.check] ?? e.check}`),
    // A flag consulted but not set says nothing about the flag's life, so only set ones count.
    marks: (e) => ({
      consult: e.consulted.flatMap((c): MarkConsult[] =>
        c.kind === "tag" && c.tag
          ? [{ kind: "tag", tag: c.tag, check: e.check, stale: c.stale === true }]
          : c.kind === "flag" && c.set
            ? [{ kind: "flag", flag: c.flag, stale: c.stale === true }]
            : [],
      ),
    }),
  },
  "crypto.submit": {
    fields: { sa: "str", op: "str", bytes: "int" },
    sig: ["sa", "op", "bytes"],
    clause: (e) => said(e, "hand", `${e.bytes} bytes to the crypto queue to ${e.op}`),
  },
  "crypto.done": {
    fields: { sa: "str", op: "str", ok: "bool", detail: "str" },
    sig: ["sa", "op", "ok"],
    clause: (e) => (e.ok ? said(e, "finish", `the ${e.op}`) : said(e, "fail", `to ${e.op}: ${e.detail}`)),
  },
  "queue.enqueue": { fields: { queue: "str", depth: "int" }, sig: ["queue", "depth"], clause: (e) => said(e, "queue", `the packet on ${e.queue}`) },
  "queue.dequeue": { fields: { queue: "str", depth: "int" }, sig: ["queue", "depth"], clause: (e) => said(e, "take", `the packet off ${e.queue}`) },
  "link.tx": {
    fields: { ifname: "str", link: "str", bytes: "int" },
    sig: ["ifname", "link", "bytes"],
    clause: (e) => said(e, "send", `the packet across ${e.ifname} (${e.bytes} bytes)`),
  },
  "link.rx": {
    fields: { ifname: "str", link: "str", bytes: "int", fault: "obj?" },
    sig: ["ifname", "link", "bytes"],
    clause: (e) => said(e, "receive", `the packet on ${e.ifname}`),
  },
  "sa.update": {
    fields: { sa: "str", field: "str", value: "str" },
    sig: ["sa", "field", "value"],
    clause: (e) => said(e, "set", `${e.field} of ${e.sa} to ${e.value}`),
  },
  deliver: {
    fields: { socket: "str", summary: "str", rttMicros: "int?", bytes: "int?", transport: "str?" },
    sig: ["socket", "summary"],
    clause: (e) => said(e, "deliver", `the ${e.summary.split(/[,(]/)[0]!.trim() || "packet"} to ${e.socket}`),
  },
  drop: { fields: { reason: "str", detail: "str", socket: "str?" }, sig: ["reason"], clause: (e) => said(e, "drop", `the packet (${e.reason})`) },
  // Issue 10: an injected fault is the attacker's step, not the driver's (the subject says so).
  fault: {
    fields: { fault: "str", link: "str", detail: "str" },
    sig: ["fault", "link"],
    clause: (e) => said(e, FAULT_ACT[e.fault][0], `${FAULT_ACT[e.fault][1]} on ${e.link}`, "an attacker on the link"),
  },
};

/** Every kind, in table order: a kind's index here is its number in the kind column. */
export const KIND_IDS: readonly EventKind[] = Object.keys(KINDS) as EventKind[];

/** A kind's fields as the store walks them: name, column, optional. */
export interface FieldColumn {
  readonly name: string;
  readonly column: Column;
  readonly optional: boolean;
}

/** Per kind number, its fields as FieldColumns (the store's decoding plan). */
export const KIND_FIELDS: readonly (readonly FieldColumn[])[] = KIND_IDS.map((k) =>
  Object.entries(KINDS[k].fields as Record<string, ColumnSpec>).map(([name, spec]) => ({
    name,
    column: spec.replace("?", "") as Column,
    optional: spec.endsWith("?"),
  })),
);

/** The most payload fields any kind has: the width of a payload row in the store. */
export const MAX_FIELDS = Math.max(...KIND_FIELDS.map((f) => f.length));

/** A kind's number in the kind column. */
export const KIND_INDEX: ReadonlyMap<EventKind, number> = new Map(KIND_IDS.map((k, i) => [k, i]));

/** A tag in a signature: its name and SA, never its uid or numbering (they shift between runs). */
const tagKey = (t: TagView | null): string => (t === null ? "-" : t.tdbi ? `${t.name}{${t.tdbi.dst},${t.tdbi.proto},${t.tdbi.spi}}` : t.name);

/** One signature value: tags by name and SA, lists (tag lists, copy pairs' originals, flags) joined. */
function sigValue(v: unknown): string {
  if (v === null) return "-";
  if (Array.isArray(v)) return v.map((x) => sigValue(Array.isArray(x) ? x[0] : x)).join(",");
  if (typeof v === "object") return tagKey(v as TagView);
  return String(v);
}

/** What an event means, without the parts that shift between runs (host, layer, fn, kind, `sig`). */
export function signatureOf(e: EventOf<EventKind>): string {
  let s = `${e.host}|${e.layer}|${e.fn}|${e.kind}`;
  const rec = e as unknown as Record<string, unknown>;
  for (const f of KINDS[e.kind].sig as readonly string[]) s += `|${sigValue(rec[f])}`;
  return s;
}

const NO_MARKS: MarkEffect = {};

/** What the event does to tags and flags, from its kind's entry (empty for kinds that touch neither). */
export function marksOf(e: EventOf<EventKind>): MarkEffect {
  const marks = KINDS[e.kind].marks as ((e: EventOf<EventKind>) => MarkEffect) | undefined;
  return marks ? marks(e) : NO_MARKS;
}

/** The event as a clause, from its kind's entry. */
export function clauseOf(e: EventOf<EventKind>): Clause {
  return (KINDS[e.kind].clause as (e: EventOf<EventKind>) => Clause)(e);
}

/** "clear" → "clears", "finish" → "finishes", "copy" → "copies" (a clause's verb, said of its subject). */
export function thirdPerson(verb: string): string {
  if (/(s|sh|ch|x|z)$/.test(verb)) return `${verb}es`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

/** The event as a sentence from its clause: "ip_output's IPsec loop check decides “skip IPsec”" (timeline tooltips, compare). */
export function stepSentence(e: EventOf<EventKind>): string {
  const c = clauseOf(e);
  return `${c.subject} ${thirdPerson(c.verb)} ${c.rest}`;
}
