/**
 * The m_tag API (OpenBSD mbuf_tags(9) 1.5; sys/kern/uipc_mbuf2.c in OpenBSD, FreeBSD, NetBSD).
 *
 * A tag is {id, len, data}; IPsec tags carry a struct tdb_ident naming the SA. Tags are
 * immutable once made, so the TagView a tag is recorded as *is* the tag: packet versions and
 * events share it. Numbering and persistence come from the personality (NetBSD 2003 numbers
 * tags differently from FreeBSD and OpenBSD, and has no persistent tags).
 */
import type { TagView, TdbIdent } from "../trace/events";
import type { Site } from "../trace/recorder";
import { DIRTY, type Mbuf } from "./mbuf";

/** An m_tag. */
export type MTag = TagView;

/** Tag types the engine knows, named as in mbuf.h without the PACKET_TAG_ prefix. */
export const TAG_NAMES = [
  "IPSEC_IN_DONE",
  "IPSEC_OUT_DONE",
  "IPSEC_IN_CRYPTO_DONE",
  "IPSEC_OUT_CRYPTO_NEEDED",
  "IPSEC_IN_COULD_DO_CRYPTO",
  "IPSEC_PENDING_TDB",
  "IPSEC_SOCKET",
  "IPSEC_HISTORY",
  "PF",
  "MACLABEL",
  // seed 003: OpenBSD's per-interface gif loop record (if_gif.c 1.45 gif_start; payload a struct ifnet *).
  "GIF",
] as const;
export type TagName = (typeof TAG_NAMES)[number];

/**
 * sizeof(struct tdb_ident) (sys/netipsec/xform.h): `union sockaddr_union dst` (28, the size of
 * its largest member, sockaddr_in6) + u_int8_t proto (padded to 4) + u_int32_t spi = 36 — the
 * union is as large as an IPv6 address even for an IPv4 SA (kernel-notes §7, corrections).
 */
export const TDB_IDENT_LEN = 36;

/** m_tag_get: allocate an unlinked tag. */
export function m_tag_get(site: Site, name: TagName, tdbi: TdbIdent | undefined, note: string, m: Mbuf | null = null): MTag {
  const tag: MTag = {
    uid: site.recorder.nextTagUid(),
    id: site.tags.idOf(name),
    name,
    len: tdbi ? TDB_IDENT_LEN : 0,
    persistent: site.tags.isPersistent(name),
    class: site.tags.classOf(name),
    ...(tdbi ? { tdbi } : {}),
  };
  site.emit(m, { kind: "tag.get", tag }, note);
  return tag;
}

/**
 * m_tag_get for a tag whose payload is an interface pointer (PACKET_TAG_GIF: `bcopy(&ifp, mtag + 1,
 * sizeof(caddr_t))`, OpenBSD if_gif.c 1.45 gif_start): `len` is a pointer's size, `ifname` names it.
 */
export function m_tag_get_ifp(site: Site, name: TagName, ifname: string, note: string, m: Mbuf | null = null): MTag {
  const tag: MTag = {
    uid: site.recorder.nextTagUid(),
    id: site.tags.idOf(name),
    name,
    // sizeof(caddr_t) on the 32-bit i386 of 2003.
    len: 4,
    persistent: site.tags.isPersistent(name),
    class: site.tags.classOf(name),
    ifname,
  };
  site.emit(m, { kind: "tag.get", tag }, note);
  return tag;
}

/** m_tag_prepend: link `t` at the head of the packet's tag list. */
export function m_tag_prepend(site: Site, m: Mbuf, t: MTag, note: string): void {
  m.tags.unshift(t);
  m.born.set(t.uid, m.incarnation);
  m.touch(DIRTY.TAGS);
  site.emit(m, { kind: "tag.prepend", tag: t }, note);
}

/**
 * m_tag_find: the first tag of type `name` after `after` (from the head when null).
 * Records the lookup, found or not, because "who looked at which tag" is the whole story.
 */
export function m_tag_find(site: Site, m: Mbuf, name: TagName, note: string, after: MTag | null = null): MTag | null {
  let start = 0;
  if (after) {
    const i = m.tags.indexOf(after);
    start = i < 0 ? m.tags.length : i + 1;
  }
  let found: MTag | null = null;
  for (let i = start; i < m.tags.length; i++) {
    if (m.tags[i]!.name === name) {
      found = m.tags[i]!;
      break;
    }
  }
  site.emit(m, { kind: "tag.find", name, found }, note);
  return found;
}

/** m_tag_first / m_tag_next walk without recording; the walk's conclusion is a decision event. */
export function m_tag_list(m: Mbuf): readonly MTag[] {
  return m.tags;
}

/** m_tag_unlink: remove `t` from the list (the caller keeps it). */
export function m_tag_unlink(site: Site, m: Mbuf, t: MTag, note: string): void {
  removeTag(m, t);
  site.emit(m, { kind: "tag.unlink", tag: t }, note);
}

/**
 * Change a linked tag's type in place: FreeBSD sys/netipsec/ipsec_input.c ipsec4_common_input_cb
 * (RELENG_7), for the IN_CRYPTO_DONE a NIC left: "just change the type" (`mt->m_tag_id =
 * PACKET_TAG_IPSEC_IN_DONE`). The payload (the tdb_ident) and the tag's place in the list stay;
 * the view gets a new uid because views are immutable, and keeps the old one's birth (staleness).
 */
export function m_tag_retype(site: Site, m: Mbuf, t: MTag, name: TagName, note: string): MTag {
  const i = m.tags.indexOf(t);
  if (i < 0) throw new Error(`tag ${t.name}#${t.uid} is not on packet ${m.id}`);
  const to: MTag = {
    ...t,
    uid: site.recorder.nextTagUid(),
    id: site.tags.idOf(name),
    name,
    persistent: site.tags.isPersistent(name),
    class: site.tags.classOf(name),
  };
  m.tags = m.tags.map((x) => (x === t ? to : x));
  m.born.set(to.uid, m.born.get(t.uid) ?? m.incarnation);
  m.touch(DIRTY.TAGS);
  site.emit(m, { kind: "tag.retype", from: t, to }, note);
  return to;
}

/** m_tag_delete: unlink and free `t`. */
export function m_tag_delete(site: Site, m: Mbuf, t: MTag, note: string): void {
  removeTag(m, t);
  site.emit(m, { kind: "tag.delete", tag: t }, note);
}

function removeTag(m: Mbuf, t: MTag): void {
  const i = m.tags.indexOf(t);
  if (i < 0) throw new Error(`tag ${t.name}#${t.uid} is not on packet ${m.id}`);
  m.tags.splice(i, 1);
  m.touch(DIRTY.TAGS);
}

/** m_tag_delete_chain: delete every tag after `after` (all when null). */
export function m_tag_delete_chain(site: Site, m: Mbuf, note: string, after: MTag | null = null): readonly MTag[] {
  const start = after ? m.tags.indexOf(after) + 1 : 0;
  const deleted = m.tags.slice(start);
  m.tags = m.tags.slice(0, start);
  if (deleted.length > 0) m.touch(DIRTY.TAGS);
  site.emit(m, { kind: "tag.deleteChain", deleted }, note);
  return deleted;
}

/**
 * m_tag_delete_nonpersistent: delete every tag without the persistent bit (FreeBSD
 * MTAG_PERSISTENT). On a kernel without persistent tags it deletes them all — NetBSD's
 * uipc_mbuf2.c 1.16.4.1 just calls m_tag_delete_chain ("NetBSD has no persistent tags yet").
 */
export function m_tag_delete_nonpersistent(site: Site, m: Mbuf, note: string): readonly MTag[] {
  const keep = site.tags.hasPersistentTags ? m.tags.filter((t) => t.persistent) : [];
  const deleted = m.tags.filter((t) => !keep.includes(t));
  // The event keeps its own copy: the packet's list goes on changing after this step.
  m.tags = keep.slice();
  if (deleted.length > 0) m.touch(DIRTY.TAGS);
  site.emit(m, { kind: "tag.deleteNonpersistent", deleted, kept: keep }, note);
  return deleted;
}

/** m_tag_copy: an unlinked copy of `t` with its own identity. */
export function m_tag_copy(site: Site, t: MTag, note: string, m: Mbuf | null = null): MTag {
  const copy: MTag = { ...t, uid: site.recorder.nextTagUid(), copyOf: t.uid };
  site.emit(m, { kind: "tag.copy", from: t, to: copy }, note);
  return copy;
}

/**
 * m_tag_copy_chain: copy all of `from`'s tags onto `to`, replacing `to`'s (OpenBSD: the
 * destination "loses any attached tags even if the operation fails"). Returns true (1).
 * Allocation cannot fail in the simulator.
 */
export function m_tag_copy_chain(site: Site, to: Mbuf, from: Mbuf, note: string): boolean {
  const copies: (readonly [MTag, MTag])[] = from.tags.map((t) => [t, { ...t, uid: site.recorder.nextTagUid(), copyOf: t.uid }] as const);
  to.tags = copies.map(([, c]) => c);
  for (const [orig, copy] of copies) to.born.set(copy.uid, from.born.get(orig.uid) ?? to.incarnation);
  to.touch(DIRTY.TAGS);
  site.emit(to, { kind: "tag.copyChain", copies }, note);
  return true;
}
