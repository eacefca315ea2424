/**
 * The m_tag API (src/engine/mbuf/tag.ts) against OpenBSD mbuf_tags(9) 1.5 and uipc_mbuf2.c in
 * NetBSD (1.16.4.1: no persistent tags) and FreeBSD (MTAG_PERSISTENT), kernel-notes §1–3.
 */
import { describe, expect, it } from "vitest";
import { isStale, m_gethdr, m_turnaround, type Mbuf } from "../../../src/engine/mbuf/mbuf";
import {
  TDB_IDENT_LEN,
  m_tag_copy,
  m_tag_copy_chain,
  m_tag_delete,
  m_tag_delete_chain,
  m_tag_delete_nonpersistent,
  m_tag_find,
  m_tag_get,
  m_tag_list,
  m_tag_prepend,
  m_tag_unlink,
  type MTag,
  type TagName,
} from "../../../src/engine/mbuf/tag";
import { MTAG_PERSISTENT, PERSONALITIES } from "../../../src/engine/kernels/personality";
import type { PersonalityId } from "../../../src/engine";
import { kernel, ramp, recordsOne } from "../../helpers/site";

const TDBI = { dst: "127.0.0.1", proto: "esp", spi: 0x1000 } as const;

function setup(personality: PersonalityId = "netbsd-2003") {
  const k = kernel(personality);
  const m = m_gethdr(k.site, ramp(20), "m");
  /** A tag naming TDBI, or no tdb_ident with `null` (a default parameter would swallow undefined). */
  const tag = (name: TagName, tdbi: typeof TDBI | null = TDBI) => m_tag_get(k.site, name, tdbi ?? undefined, "get");
  const put = (name: TagName, tdbi: typeof TDBI | null = TDBI) => {
    const t = tag(name, tdbi);
    m_tag_prepend(k.site, m, t, "prepend");
    return t;
  };
  return { ...k, m, tag, put };
}

const names = (m: Mbuf) => m.tags.map((t) => t.name);

describe("m_tag_get", () => {
  it("allocates an unlinked tag with a fresh uid, the personality's id and a tdb_ident", () => {
    const { site, recorder, m } = setup();
    const { result: t, event } = recordsOne(recorder, () => m_tag_get(site, "IPSEC_OUT_DONE", TDBI, "get"));
    expect(t).toEqual({ uid: 1, id: 18, name: "IPSEC_OUT_DONE", len: TDB_IDENT_LEN, persistent: false, class: "record", tdbi: TDBI });
    expect(event).toMatchObject({ kind: "tag.get", tag: t, packet: -1, chain: -1 });
    expect(m.tags).toEqual([]);
    expect(m_tag_get(site, "IPSEC_IN_DONE", undefined, "get").uid).toBe(2);
  });

  it("a tag without a tdb_ident has length 0 (the later zero-length OUT_DONE)", () => {
    const { tag } = setup();
    const t = tag("IPSEC_OUT_DONE", null);
    expect(t.len).toBe(0);
    expect(t.tdbi).toBeUndefined();
  });

  it("records against the packet when one is given", () => {
    const { site, recorder, m } = setup();
    const { event } = recordsOne(recorder, () => m_tag_get(site, "IPSEC_IN_DONE", TDBI, "get", m));
    expect(event.chain).toBe(m.id);
  });

  it("numbers tags as NetBSD mbuf.h 1.118 does", () => {
    const { tag } = setup("netbsd-2003");
    expect(tag("IPSEC_IN_CRYPTO_DONE").id).toBe(16);
    expect(tag("IPSEC_IN_DONE").id).toBe(17);
    expect(tag("IPSEC_OUT_DONE").id).toBe(18);
    expect(tag("IPSEC_OUT_CRYPTO_NEEDED").id).toBe(19);
    expect(tag("IPSEC_PENDING_TDB").id).toBe(21);
    expect(tag("MACLABEL").persistent).toBe(false);
  });

  it("numbers tags as FreeBSD mbuf.h does, MACLABEL with MTAG_PERSISTENT", () => {
    const { tag } = setup("freebsd-7");
    expect(tag("IPSEC_IN_DONE").id).toBe(1);
    expect(tag("IPSEC_OUT_DONE").id).toBe(2);
    expect(tag("IPSEC_IN_CRYPTO_DONE").id).toBe(3);
    expect(tag("IPSEC_OUT_CRYPTO_NEEDED").id).toBe(4);
    expect(tag("IPSEC_PENDING_TDB").id).toBe(6);
    const mac = tag("MACLABEL", null);
    expect(mac.id).toBe(19 | MTAG_PERSISTENT);
    expect(mac.id & MTAG_PERSISTENT).toBe(0x800);
    expect(mac.persistent).toBe(true);
    expect(tag("IPSEC_OUT_DONE").persistent).toBe(false);
    expect(PERSONALITIES["freebsd-7"].tagIds.PF).toBe(21);
  });
});

describe("m_tag_prepend", () => {
  it("inserts at the head, so the newest tag comes first", () => {
    const { site, recorder, m, tag } = setup();
    const a = tag("IPSEC_OUT_DONE");
    const b = tag("IPSEC_IN_DONE");
    recordsOne(recorder, () => m_tag_prepend(site, m, a, "a"));
    const { event } = recordsOne(recorder, () => m_tag_prepend(site, m, b, "b"));
    expect(m.tags).toEqual([b, a]);
    expect(m_tag_list(m)).toEqual([b, a]);
    expect(event).toMatchObject({ kind: "tag.prepend", tag: b, chain: m.id });
    expect(recorder.packets.at(event.packet)!.tags).toEqual([b, a]);
  });
});

describe("m_tag_find", () => {
  it("returns the first tag of the type from the head, and records the lookup", () => {
    const { site, recorder, m, put } = setup();
    const out1 = put("IPSEC_OUT_DONE");
    put("IPSEC_IN_DONE");
    const out2 = put("IPSEC_OUT_DONE");
    expect(names(m)).toEqual(["IPSEC_OUT_DONE", "IPSEC_IN_DONE", "IPSEC_OUT_DONE"]);
    const { result, event } = recordsOne(recorder, () => m_tag_find(site, m, "IPSEC_OUT_DONE", "find"));
    expect(result).toBe(out2);
    expect(event).toMatchObject({ kind: "tag.find", name: "IPSEC_OUT_DONE", found: out2 });
    expect(m_tag_find(site, m, "IPSEC_OUT_DONE", "next", out2)).toBe(out1);
    expect(m_tag_find(site, m, "IPSEC_OUT_DONE", "next", out1)).toBeNull();
  });

  it("records a miss too (found: null)", () => {
    const { site, recorder, m } = setup();
    const { result, event } = recordsOne(recorder, () => m_tag_find(site, m, "IPSEC_IN_DONE", "find"));
    expect(result).toBeNull();
    expect(event).toMatchObject({ kind: "tag.find", found: null });
  });
});

describe("m_tag_unlink / m_tag_delete", () => {
  it("unlink removes the tag from the list; the caller keeps it", () => {
    const { site, recorder, m, put } = setup();
    const a = put("IPSEC_OUT_DONE");
    const b = put("IPSEC_IN_DONE");
    const { event } = recordsOne(recorder, () => m_tag_unlink(site, m, a, "unlink"));
    expect(m.tags).toEqual([b]);
    expect(event).toMatchObject({ kind: "tag.unlink", tag: a });
    // It can be linked again (to this or another packet).
    m_tag_prepend(site, m, a, "again");
    expect(m.tags).toEqual([a, b]);
  });

  it("delete unlinks and frees", () => {
    const { site, recorder, m, put } = setup();
    const a = put("IPSEC_OUT_DONE");
    const b = put("IPSEC_IN_DONE");
    const { event } = recordsOne(recorder, () => m_tag_delete(site, m, b, "delete"));
    expect(m.tags).toEqual([a]);
    expect(event).toMatchObject({ kind: "tag.delete", tag: b });
  });

  it("refuses a tag that is not on the packet", () => {
    const { site, m, tag } = setup();
    expect(() => m_tag_delete(site, m, tag("IPSEC_IN_DONE"), "x")).toThrow(/not on packet/);
    expect(() => m_tag_unlink(site, m, tag("IPSEC_IN_DONE"), "x")).toThrow(/not on packet/);
  });
});

describe("m_tag_delete_chain", () => {
  it("deletes every tag when `after` is null", () => {
    const { site, recorder, m, put } = setup();
    const a = put("IPSEC_OUT_DONE");
    const b = put("IPSEC_IN_DONE");
    const { result, event } = recordsOne(recorder, () => m_tag_delete_chain(site, m, "all"));
    expect(result).toEqual([b, a]);
    expect(m.tags).toEqual([]);
    expect(event).toMatchObject({ kind: "tag.deleteChain", deleted: [b, a] });
  });

  it("deletes only the tags after `t`, keeping `t` and those before it", () => {
    const { site, m, put } = setup();
    const a = put("IPSEC_OUT_DONE");
    const b = put("IPSEC_IN_DONE");
    const c = put("IPSEC_HISTORY");
    expect(m.tags).toEqual([c, b, a]);
    expect(m_tag_delete_chain(site, m, "after b", b)).toEqual([a]);
    expect(m.tags).toEqual([c, b]);
  });
});

describe("m_tag_delete_nonpersistent", () => {
  it("on NetBSD (no persistent tags) deletes every tag, MACLABEL included", () => {
    const { site, recorder, m, put } = setup("netbsd-2003");
    const mac = put("MACLABEL", null);
    const out = put("IPSEC_OUT_DONE");
    const inDone = put("IPSEC_IN_DONE");
    const { result, event } = recordsOne(recorder, () => m_tag_delete_nonpersistent(site, m, "strip"));
    expect(result).toEqual([inDone, out, mac]);
    expect(m.tags).toEqual([]);
    expect(event).toMatchObject({ kind: "tag.deleteNonpersistent", deleted: [inDone, out, mac], kept: [] });
  });

  it("on FreeBSD keeps MACLABEL (MTAG_PERSISTENT) and deletes the IPsec tags", () => {
    const { site, recorder, m, put } = setup("freebsd-7");
    const mac = put("MACLABEL", null);
    const out = put("IPSEC_OUT_DONE");
    const inDone = put("IPSEC_IN_DONE");
    const { result, event } = recordsOne(recorder, () => m_tag_delete_nonpersistent(site, m, "strip"));
    expect(result).toEqual([inDone, out]);
    expect(m.tags).toEqual([mac]);
    expect(event).toMatchObject({ kind: "tag.deleteNonpersistent", deleted: [inDone, out], kept: [mac] });
  });
});

describe("recorded tag events are snapshots", () => {
  // A recorded event must not share the packet's live tag list: later prepends would rewrite
  // history (if_simloop's event once "kept" an IN_DONE created 21 steps later).
  it("m_tag_delete_nonpersistent's kept list does not change when tags are prepended later", () => {
    const { site, recorder, m, put } = setup("freebsd-7");
    put("MACLABEL", null);
    put("IPSEC_OUT_DONE");
    const { event } = recordsOne(recorder, () => m_tag_delete_nonpersistent(site, m, "strip"));
    const before = JSON.stringify(event);
    put("IPSEC_IN_DONE");
    expect(JSON.stringify(event)).toBe(before);
  });

  it("the other verbs' events do not change when the packet's tags change later", () => {
    const { site, recorder, m, put } = setup("freebsd-7");
    const a = put("IPSEC_OUT_DONE");
    put("IPSEC_IN_DONE");
    const to = m_gethdr(site, ramp(4), "to");
    m_tag_copy_chain(site, to, m, "copy");
    m_tag_find(site, m, "IPSEC_OUT_DONE", "find");
    m_tag_delete_chain(site, m, "chain", m.tags[0]!);
    m_tag_unlink(site, to, to.tags[0]!, "unlink");
    const frozen = JSON.stringify(recorder.events);
    put("IPSEC_HISTORY");
    m_tag_prepend(site, to, a, "relink");
    m_tag_delete_chain(site, m, "all");
    expect(JSON.stringify(recorder.events.slice(0, JSON.parse(frozen).length))).toBe(frozen);
  });
});

describe("m_tag_copy / m_tag_copy_chain", () => {
  it("copy returns an unlinked tag with a new uid and copyOf = the original's uid", () => {
    const { site, recorder, m, put } = setup();
    const a = put("IPSEC_OUT_DONE");
    const { result: c, event } = recordsOne(recorder, () => m_tag_copy(site, a, "copy"));
    expect(c).toEqual({ ...a, uid: a.uid + 1, copyOf: a.uid });
    expect(event).toMatchObject({ kind: "tag.copy", from: a, to: c });
    expect(m.tags).toEqual([a]);
  });

  it("copy_chain replaces the destination's tags with copies of the source's, in order", () => {
    const k = setup();
    const a = k.put("IPSEC_OUT_DONE");
    const b = k.put("IPSEC_IN_DONE");
    const to = m_gethdr(k.site, ramp(4), "to");
    const old = m_tag_get(k.site, "IPSEC_HISTORY", undefined, "old");
    m_tag_prepend(k.site, to, old, "old");
    const { result, event } = recordsOne(k.recorder, () => m_tag_copy_chain(k.site, to, k.m, "copy chain"));
    expect(result).toBe(true);
    expect(to.tags.map((t) => [t.name, t.copyOf])).toEqual([
      ["IPSEC_IN_DONE", b.uid],
      ["IPSEC_OUT_DONE", a.uid],
    ]);
    expect(to.tags).not.toContain(old);
    expect(new Set(to.tags.map((t) => t.uid)).has(a.uid)).toBe(false);
    expect(k.m.tags).toEqual([b, a]);
    expect(event).toMatchObject({ kind: "tag.copyChain", chain: to.id });
    if (event.kind !== "tag.copyChain") throw new Error("kind");
    expect(event.copies.map(([from, copy]) => [from.uid, copy.copyOf])).toEqual([
      [b.uid, b.uid],
      [a.uid, a.uid],
    ]);
  });
});

describe("staleness (isStale after m_turnaround)", () => {
  it("a tag prepended before the packet turned around is stale; one prepended after is not", () => {
    const { site, m, put } = setup();
    const out = put("IPSEC_OUT_DONE");
    expect(isStale(m, out.uid)).toBe(false);
    m_turnaround(m);
    expect(isStale(m, out.uid)).toBe(true);
    const inDone = put("IPSEC_IN_DONE");
    expect(isStale(m, inDone.uid)).toBe(false);
    m_turnaround(m);
    expect(isStale(m, inDone.uid)).toBe(true);
    expect(isStale(m, 9999)).toBe(false); // never on this packet
    const fresh: MTag = m_tag_get(site, "IPSEC_HISTORY", undefined, "x");
    expect(isStale(m, fresh.uid)).toBe(false);
  });
});
