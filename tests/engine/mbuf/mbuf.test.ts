/**
 * The mbuf verbs (src/engine/mbuf/mbuf.ts) one at a time, against BSD sys/sys/mbuf.h and
 * sys/kern/uipc_mbuf.c (and FAST_IPSEC ipsec_mbuf.c for m_makespace/m_pad/m_striphdr): where
 * the bytes go, what the segments look like afterwards, and the one event each verb records.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_HDR,
  MCLBYTES,
  MHLEN,
  MLEN,
  isStale,
  m_adj,
  m_append,
  m_copyback,
  m_copydata,
  m_dup,
  m_flags_clear,
  m_flags_set,
  m_freem,
  m_gethdr,
  m_makespace,
  m_move_pkthdr,
  m_prepend,
  m_striphdr,
  m_turnaround,
  m_set_rcvif,
  type Mbuf,
} from "../../../src/engine/mbuf/mbuf";
import { m_tag_copy_chain, m_tag_find, m_tag_get, m_tag_prepend } from "../../../src/engine/mbuf/tag";
import { StepLimitExceeded } from "../../../src/engine/trace/recorder";
import { toHex } from "../../../src/engine/wire";
import { kernel, ramp, recordsOne } from "../../helpers/site";

const hex = (b: Uint8Array) => toHex(b);

/** A packet of `n` ramp bytes from m_gethdr, and its kernel. */
function packet(n: number) {
  const k = kernel();
  const data = ramp(n);
  const m = m_gethdr(k.site, data, "test");
  return { ...k, m, data };
}

/** A two-mbuf chain: a 20-byte header mbuf (from m_prepend's new-mbuf path) then MHLEN data bytes. */
function twoSegments() {
  const p = packet(MHLEN);
  m_prepend(p.site, p.m, 20, "ipv4", "test");
  m_copyback(p.site, p.m, 0, ramp(20, 200), "hdr", "test");
  return p;
}

describe("m_gethdr (MGETHDR + MH_ALIGN)", () => {
  it("puts a small packet at the end of a pkthdr mbuf: leading space = MHLEN − len", () => {
    const k = kernel();
    const data = ramp(64);
    const { result: m, event } = recordsOne(k.recorder, () => m_gethdr(k.site, data, "alloc"));
    expect(m.segViews()).toEqual([{ len: 64, leading: MHLEN - 64, trailing: 0, kind: "pkthdr" }]);
    expect(event).toMatchObject({ kind: "mbuf.alloc", len: 64, leading: MHLEN - 64, chain: m.id, packet: 0, note: "alloc" });
    expect(k.recorder.packets.at(0)).toMatchObject({ id: 0, chain: m.id, hex: hex(data), tags: [], flags: [], rcvif: null });
    expect(hex(m.bytes())).toBe(hex(data));
  });

  it("fills a pkthdr mbuf exactly when len = MHLEN (no leading space)", () => {
    const { m } = packet(MHLEN);
    expect(m.segViews()).toEqual([{ len: MHLEN, leading: 0, trailing: 0, kind: "pkthdr" }]);
  });

  it("takes a cluster for more than MHLEN bytes, reserving max_linkhdr + max_protohdr in front", () => {
    const { m, recorder } = packet(MHLEN + 1);
    expect(m.segViews()).toEqual([{ len: MHLEN + 1, leading: MAX_HDR, trailing: MCLBYTES - MAX_HDR - MHLEN - 1, kind: "cluster" }]);
    expect(recorder.events.at(0)).toMatchObject({ kind: "mbuf.alloc", len: MHLEN + 1, leading: MAX_HDR });
  });

  it("keeps the reserve and chains a second cluster when the data would not fit behind it (sosend)", () => {
    const { m, data } = packet(MCLBYTES - 10);
    expect(m.segViews()).toEqual([
      { len: MCLBYTES - MAX_HDR, leading: MAX_HDR, trailing: 0, kind: "cluster" },
      { len: MAX_HDR - 10, leading: 0, trailing: MCLBYTES - MAX_HDR + 10, kind: "cluster" },
    ]);
    expect(hex(m.bytes())).toBe(hex(data));
  });

  // sosend()/m_devget() build a chain of clusters for data longer than one.
  it("holds more than MCLBYTES in a chain of clusters", () => {
    const { m, data } = packet(MCLBYTES + 100);
    expect(m.len).toBe(MCLBYTES + 100);
    expect(hex(m.bytes())).toBe(hex(data));
    expect(m.segs.length).toBeGreaterThan(1);
  });
});

describe("m_prepend (M_PREPEND)", () => {
  it("uses the leading space when there is enough: same segments, event leading: space", () => {
    const { m, recorder, site, data } = packet(64);
    const { event } = recordsOne(recorder, () => m_prepend(site, m, 20, "ipv4", "prepend"));
    expect(event).toMatchObject({ kind: "mbuf.prepend", header: "ipv4", len: 20, leading: "space" });
    expect(m.segViews()).toEqual([{ len: 84, leading: MHLEN - 84, trailing: 0, kind: "pkthdr" }]);
    expect(hex(m.bytes())).toBe("00".repeat(20) + hex(data));
  });

  it("allocates a new mbuf when there is not: a segment is added and the pkthdr moves to it", () => {
    const { m, recorder, site, data } = packet(MHLEN);
    const tag = m_tag_get(site, "IPSEC_OUT_DONE", undefined, "t");
    m_tag_prepend(site, m, tag, "t");
    m_flags_set(site, m, ["DECRYPTED"], "f");
    const id = m.id;
    const { event } = recordsOne(recorder, () => m_prepend(site, m, 20, "ipv4", "prepend"));
    expect(event).toMatchObject({ kind: "mbuf.prepend", len: 20, leading: "new-mbuf" });
    // MH_ALIGN in the new mbuf: the header sits at its end.
    expect(m.segViews()).toEqual([
      { len: 20, leading: MHLEN - 20, trailing: 0, kind: "pkthdr" },
      { len: MHLEN, leading: 0, trailing: 0, kind: "mbuf" },
    ]);
    expect(hex(m.bytes())).toBe("00".repeat(20) + hex(data));
    // The packet keeps its identity, tags and flags (M_MOVE_PKTHDR into the new first mbuf).
    expect(m.id).toBe(id);
    expect(m.tags).toEqual([tag]);
    expect([...m.flags]).toEqual(["DECRYPTED"]);
    expect(recorder.packets.at(-1)!.segs.map((s) => s.kind)).toEqual(["pkthdr", "mbuf"]);
  });

  it("takes the space exactly when leading space equals the header length", () => {
    const { m, site } = packet(MHLEN - 20);
    m_prepend(site, m, 20, "ipv4", "p");
    expect(m.segViews()).toEqual([{ len: MHLEN, leading: 0, trailing: 0, kind: "pkthdr" }]);
  });
});

describe("m_makespace (ipsec_mbuf.c)", () => {
  it("slides the tail back in place when the mbuf has trailing space", () => {
    const { m, site, recorder, data } = packet(300); // a cluster: plenty of trailing space
    m_prepend(site, m, 20, "ipv4", "p");
    m_copyback(site, m, 0, ramp(20, 200), "hdr", "h");
    const { event } = recordsOne(recorder, () => m_makespace(site, m, 20, 16, "esp", "makespace"));
    expect(event).toMatchObject({ kind: "mbuf.makespace", header: "esp", offset: 20, len: 16, how: "in-place" });
    expect(m.segs).toHaveLength(1);
    expect(hex(m.bytes())).toBe(hex(ramp(20, 200)) + "00".repeat(16) + hex(data));
  });

  it("splits: the bytes after `skip` move to a new mbuf, the gap opens in the first", () => {
    const { m, site, recorder, data } = packet(64);
    m_prepend(site, m, 20, "ipv4", "p");
    m_copyback(site, m, 0, ramp(20, 200), "hdr", "h");
    const { event } = recordsOne(recorder, () => m_makespace(site, m, 20, 16, "esp", "makespace"));
    expect(event).toMatchObject({ kind: "mbuf.makespace", offset: 20, len: 16, how: "split" });
    expect(m.segViews()).toEqual([
      { len: 36, leading: MHLEN - 84, trailing: 48, kind: "pkthdr" },
      { len: 64, leading: 0, trailing: MLEN - 64, kind: "mbuf" },
    ]);
    expect(hex(m.bytes())).toBe(hex(ramp(20, 200)) + "00".repeat(16) + hex(data));
  });

  it("splits with a separate gap mbuf when the first mbuf has no room even after the move", () => {
    const { m, site, data } = packet(MHLEN);
    m_makespace(site, m, MHLEN - 8, 16, "esp", "makespace");
    expect(m.segViews().map((s) => s.len)).toEqual([MHLEN - 8, 16, 8]);
    expect(hex(m.bytes())).toBe(hex(data.subarray(0, MHLEN - 8)) + "00".repeat(16) + hex(data.subarray(MHLEN - 8)));
  });
});

describe("m_append (m_pad)", () => {
  it("writes into the last mbuf's trailing space when it fits", () => {
    const { m, site, recorder, data } = packet(300);
    const { event } = recordsOne(recorder, () => m_append(site, m, ramp(20, 100), "esp trailer", "append"));
    expect(event).toMatchObject({ kind: "mbuf.append", what: "esp trailer", len: 20, how: "trailing-space" });
    expect(m.segs).toHaveLength(1);
    expect(hex(m.bytes())).toBe(hex(data) + hex(ramp(20, 100)));
  });

  it("allocates a new mbuf at the end when it does not", () => {
    const { m, site, recorder, data } = packet(64); // MH_ALIGNed: no trailing space
    const { event } = recordsOne(recorder, () => m_append(site, m, ramp(20, 100), "esp trailer", "append"));
    expect(event).toMatchObject({ kind: "mbuf.append", how: "new-mbuf" });
    expect(m.segViews()).toEqual([
      { len: 64, leading: MHLEN - 64, trailing: 0, kind: "pkthdr" },
      { len: 20, leading: 0, trailing: MLEN - 20, kind: "mbuf" },
    ]);
    expect(hex(m.bytes())).toBe(hex(data) + hex(ramp(20, 100)));
  });

  it("takes a cluster for an append longer than MLEN", () => {
    const { m, site } = packet(64);
    m_append(site, m, ramp(MLEN + 1), "big", "append");
    expect(m.segViews()[1]!.kind).toBe("cluster");
  });
});

describe("m_adj", () => {
  it("trims from the head for a positive length", () => {
    const { m, site, recorder, data } = packet(64);
    const { event } = recordsOne(recorder, () => m_adj(site, m, 20, "ipv4 (outer)", "adj"));
    expect(event).toMatchObject({ kind: "mbuf.adj", header: "ipv4 (outer)", len: 20, from: "head" });
    expect(hex(m.bytes())).toBe(hex(data.subarray(20)));
    expect(m.segViews()).toEqual([{ len: 44, leading: MHLEN - 44, trailing: 0, kind: "pkthdr" }]);
  });

  it("trims from the tail for a negative length", () => {
    const { m, site, recorder, data } = packet(64);
    const { event } = recordsOne(recorder, () => m_adj(site, m, -16, "esp icv", "adj"));
    expect(event).toMatchObject({ kind: "mbuf.adj", len: 16, from: "tail" });
    expect(hex(m.bytes())).toBe(hex(data.subarray(0, 48)));
    expect(m.segViews()).toEqual([{ len: 48, leading: MHLEN - 64, trailing: 16, kind: "pkthdr" }]);
  });

  it("trims across mbufs, emptying the first", () => {
    const { m, site } = twoSegments();
    const all = m.bytes().slice();
    m_adj(site, m, 30, "x", "adj");
    expect(hex(m.bytes())).toBe(hex(all.subarray(30)));
    expect(m.segViews().map((s) => s.len)).toEqual([0, MHLEN - 10]);
  });

  it("trims across mbufs from the tail, dropping the emptied last mbuf", () => {
    const p = packet(64);
    m_append(p.site, p.m, ramp(20, 100), "t", "a"); // [64 | 20]
    m_adj(p.site, p.m, -30, "t", "adj");
    expect(p.m.segViews().map((s) => s.len)).toEqual([54]);
    expect(hex(p.m.bytes())).toBe(hex(p.data.subarray(0, 54)));
  });

  it("refuses to trim more than the packet holds, recording nothing", () => {
    const { m, site, recorder } = packet(10);
    const before = recorder.events.length;
    expect(() => m_adj(site, m, 11, "x", "adj")).toThrow(RangeError);
    expect(recorder.events.length).toBe(before);
  });
});

describe("m_striphdr (ipsec_mbuf.c)", () => {
  it("removes `len` bytes at `skip` and slides the bytes in front of them forward", () => {
    const p = packet(64);
    m_prepend(p.site, p.m, 36, "ipv4+esp", "p");
    const hdr = ramp(20, 200);
    const espHdr = ramp(16, 0xe0);
    m_copyback(p.site, p.m, 0, new Uint8Array([...hdr, ...espHdr]), "headers", "h");
    const { event } = recordsOne(p.recorder, () => m_striphdr(p.site, p.m, 20, 16, "esp", "strip"));
    expect(event).toMatchObject({ kind: "mbuf.strip", header: "esp", offset: 20, len: 16 });
    expect(hex(p.m.bytes())).toBe(hex(hdr) + hex(p.data));
    expect(p.m.segViews()).toEqual([{ len: 84, leading: MHLEN - 84, trailing: 0, kind: "pkthdr" }]);
  });

  it("works when the header sits in its own mbuf", () => {
    const p = packet(MHLEN);
    m_prepend(p.site, p.m, 36, "ipv4+esp", "p"); // new mbuf of 36
    m_copyback(p.site, p.m, 0, ramp(36, 200), "headers", "h");
    m_striphdr(p.site, p.m, 20, 16, "esp", "strip");
    expect(hex(p.m.bytes())).toBe(hex(ramp(20, 200)) + hex(p.data));
  });
});

describe("m_copydata / m_copyback", () => {
  it("m_copydata reads across a segment boundary, returns a copy and records nothing", () => {
    const { m, recorder } = twoSegments();
    const before = recorder.events.length;
    const got = m_copydata(m, 10, 20);
    expect(hex(got)).toBe(hex(ramp(10, 210)) + hex(ramp(10, 0)));
    got.fill(0xff);
    expect(hex(m_copydata(m, 10, 20))).toBe(hex(ramp(10, 210)) + hex(ramp(10, 0)));
    expect(recorder.events.length).toBe(before);
    expect(() => m_copydata(m, m.len - 4, 5)).toThrow(RangeError);
  });

  it("m_copyback writes across a segment boundary in place and records one rewrite", () => {
    const { m, site, recorder } = twoSegments();
    const segs = m.segViews();
    const { event } = recordsOne(recorder, () => m_copyback(site, m, 10, ramp(20, 0x80), "field", "write"));
    expect(event).toMatchObject({ kind: "mbuf.rewrite", what: "field", offset: 10, len: 20 });
    expect(hex(m_copydata(m, 0, 40))).toBe(hex(ramp(10, 200)) + hex(ramp(20, 0x80)) + hex(ramp(10, 10)));
    expect(m.segViews()).toEqual(segs);
  });

  it("m_copyback past the end throws", () => {
    const { m, site } = packet(10);
    expect(() => m_copyback(site, m, 5, ramp(6), "x", "x")).toThrow(RangeError);
  });
});

/** A packet with history: rcvif, two tags, M_DECRYPTED, turned around once. */
function withHistory() {
  const p = packet(64);
  m_set_rcvif(p.m, "lo0");
  const out = m_tag_get(p.site, "IPSEC_OUT_DONE", { dst: "127.0.0.1", proto: "esp", spi: 0x1000 }, "t");
  m_tag_prepend(p.site, p.m, out, "t");
  m_flags_set(p.site, p.m, ["DECRYPTED"], "f");
  m_turnaround(p.m);
  const inDone = m_tag_get(p.site, "IPSEC_IN_DONE", { dst: "127.0.0.1", proto: "esp", spi: 0x1000 }, "t");
  m_tag_prepend(p.site, p.m, inDone, "t");
  return { ...p, out, inDone };
}

describe("m_dup (M_DUP_PKTHDR, a deep copy)", () => {
  it("copies data, rcvif, flags and staleness into an independent chain; one event without tag copies", () => {
    const p = withHistory();
    const { result: n, event } = recordsOne(p.recorder, () => m_dup(p.site, p.m, () => undefined, "dup"));
    expect(event).toMatchObject({ kind: "mbuf.pkthdr", mode: "dup", from: p.m.id, chain: n.id });
    expect(n.id).not.toBe(p.m.id);
    expect(hex(n.bytes())).toBe(hex(p.m.bytes()));
    expect(n.rcvif).toBe("lo0");
    expect([...n.flags]).toEqual(["DECRYPTED"]);
    expect(isStale(n, "DECRYPTED")).toBe(true);
    // Independent: writing or clearing on the copy leaves the original alone.
    m_copyback(p.site, n, 0, ramp(8, 0x77), "x", "x");
    m_flags_clear(p.site, n, ["DECRYPTED"], "x");
    expect(hex(p.m.bytes())).toBe(hex(p.data));
    expect([...p.m.flags]).toEqual(["DECRYPTED"]);
    expect(p.m.tags).toEqual([p.inDone, p.out]);
  });

  it("deep-copies the tags through m_tag_copy_chain: new uids, copyOf, staleness kept", () => {
    const p = withHistory();
    const before = p.recorder.events.length;
    const n = m_dup(p.site, p.m, (to, from) => m_tag_copy_chain(p.site, to, from, "copy"), "dup");
    expect(p.recorder.events.slice(before).map((e) => e.kind)).toEqual(["mbuf.pkthdr", "tag.copyChain"]);
    expect(n.tags.map((t) => [t.name, t.copyOf])).toEqual([
      ["IPSEC_IN_DONE", p.inDone.uid],
      ["IPSEC_OUT_DONE", p.out.uid],
    ]);
    expect(n.tags.map((t) => t.uid)).not.toContain(p.inDone.uid);
    expect(isStale(n, n.tags[1]!.uid)).toBe(true); // the OUT_DONE copy is as stale as its original
    expect(isStale(n, n.tags[0]!.uid)).toBe(false);
    expect(p.m.tags).toEqual([p.inDone, p.out]);
  });
});

describe("m_move_pkthdr (M_MOVE_PKTHDR)", () => {
  it("moves flags, rcvif and the tag list itself; the source loses its tags and flags", () => {
    const p = withHistory();
    const to = m_gethdr(p.site, ramp(8), "to");
    const { event } = recordsOne(p.recorder, () => m_move_pkthdr(p.site, to, p.m, "move"));
    expect(event).toMatchObject({ kind: "mbuf.pkthdr", mode: "move", from: p.m.id, chain: to.id });
    expect(to.tags).toEqual([p.inDone, p.out]); // the same tags (same uids): moved, not copied
    expect([...to.flags]).toEqual(["DECRYPTED"]);
    expect(to.rcvif).toBe("lo0");
    expect(isStale(to, p.out.uid)).toBe(true);
    expect(p.m.tags).toEqual([]);
    expect([...p.m.flags]).toEqual([]);
    expect(p.recorder.packets.at(event.packet)!.tags.map((t) => t.uid)).toEqual([p.inDone.uid, p.out.uid]);
  });
});

describe("m_freem", () => {
  it("marks the chain freed and records why", () => {
    const { m, site, recorder } = packet(10);
    const { event } = recordsOne(recorder, () => m_freem(site, m, "delivered", "free"));
    expect(event).toMatchObject({ kind: "mbuf.free", reason: "delivered" });
    expect(m.freed).toBe(true);
  });
});

describe("m_flags", () => {
  it("set records the bits; versions list flags in M_FLAGS order", () => {
    const { m, site, recorder } = packet(10);
    const { event } = recordsOne(recorder, () => m_flags_set(site, m, ["AUTHIPDGM", "DECRYPTED"], "set"));
    expect(event).toMatchObject({ kind: "flag.set", flags: ["AUTHIPDGM", "DECRYPTED"] });
    expect(recorder.packets.at(event.packet)!.flags).toEqual(["DECRYPTED", "AUTHIPDGM"]);
  });

  it("clear records only the bits that were actually set", () => {
    const { m, site, recorder } = packet(10);
    m_flags_set(site, m, ["DECRYPTED", "LOOP"], "set");
    const { event } = recordsOne(recorder, () => m_flags_clear(site, m, ["BCAST", "MCAST", "DECRYPTED"], "clear"));
    expect(event).toMatchObject({ kind: "flag.clear", flags: ["DECRYPTED"] });
    expect([...m.flags]).toEqual(["LOOP"]);
    expect(recorder.packets.at(event.packet)!.flags).toEqual(["LOOP"]);
  });

  it("a flag set before m_turnaround is stale after it; setting it again makes it fresh", () => {
    const { m, site } = packet(10);
    expect(isStale(m, "DECRYPTED")).toBe(false); // never set: not stale
    m_flags_set(site, m, ["DECRYPTED"], "set");
    expect(isStale(m, "DECRYPTED")).toBe(false);
    m_turnaround(m);
    expect(isStale(m, "DECRYPTED")).toBe(true);
    m_flags_set(site, m, ["DECRYPTED"], "set again");
    expect(isStale(m, "DECRYPTED")).toBe(false);
  });

  // Setting a bit again is a fresh statement (it is no longer stale), so the event lists it.
  it("set records every bit asked for, and makes a new version only if one was off", () => {
    const { m, site, recorder } = packet(10);
    m_flags_set(site, m, ["DECRYPTED"], "set");
    const before = recorder.events.at(-1)!.packet;
    const again = recordsOne(recorder, () => m_flags_set(site, m, ["DECRYPTED"], "set again"));
    expect(again.event).toMatchObject({ kind: "flag.set", flags: ["DECRYPTED"] });
    expect(again.event.packet).toBe(before);
    const { event } = recordsOne(recorder, () => m_flags_set(site, m, ["DECRYPTED", "AUTHIPDGM"], "set"));
    expect(event).toMatchObject({ kind: "flag.set", flags: ["DECRYPTED", "AUTHIPDGM"] });
    expect(event.packet).not.toBe(before);
  });
});

describe("packet versions", () => {
  function versionOf(recorder: { events: { at(i: number): { packet: number } | undefined } }): number {
    return recorder.events.at(-1)!.packet;
  }

  it("an event that does not change the chain reuses the previous version", () => {
    const { m, site, recorder } = packet(64);
    const v0 = versionOf(recorder);
    m_tag_find(site, m, "IPSEC_IN_DONE", "find");
    site.emit(m, { kind: "decision", check: "ours", question: "?", consulted: [], branch: "ours" }, "d");
    expect(recorder.events.slice(-2).map((e) => e.packet)).toEqual([v0, v0]);
    expect(recorder.packets).toHaveLength(1);
  });

  it("a change makes a new version that shares every unchanged part by reference", () => {
    const { m, site, recorder } = packet(64);
    const v0 = recorder.packets.at(versionOf(recorder))!;
    m_flags_set(site, m, ["DECRYPTED"], "flags only");
    const v1 = recorder.packets.at(versionOf(recorder))!;
    expect(v1.id).toBe(v0.id + 1);
    expect(v1.hex).toBe(v0.hex);
    expect(v1.segs).toBe(v0.segs);
    expect(v1.tags).toBe(v0.tags);
    expect(v1.flags).not.toBe(v0.flags);
    m_copyback(site, m, 0, ramp(4, 0x90), "bytes only", "b");
    const v2 = recorder.packets.at(versionOf(recorder))!;
    expect(v2.hex).not.toBe(v1.hex);
    expect(v2.segs).toBe(v1.segs);
    expect(v2.flags).toBe(v1.flags);
    m_tag_prepend(site, m, m_tag_get(site, "IPSEC_IN_DONE", undefined, "t"), "tags only");
    const v3 = recorder.packets.at(versionOf(recorder))!;
    expect(v3.tags).not.toBe(v2.tags);
    expect(v3.flags).toBe(v2.flags);
    expect(v3.segs).toBe(v2.segs);
    // Old versions are snapshots: later changes do not reach back.
    expect(v0.flags).toEqual([]);
    expect(v2.tags).toEqual([]);
  });

  it("versions are per chain: an event on another packet does not disturb this one's", () => {
    const k = kernel();
    const a = m_gethdr(k.site, ramp(10), "a");
    const b = m_gethdr(k.site, ramp(12), "b");
    const va = k.recorder.events.at(0)!.packet;
    k.site.emit(a, { kind: "queue.enqueue", queue: "ipintrq", depth: 1 }, "q");
    expect(k.recorder.events.at(-1)!.packet).toBe(va);
    expect(k.recorder.packets.map((p) => p.chain)).toEqual([a.id, b.id]);
  });

  // icmp_reflect's routine "clear M_BCAST|M_MCAST" must not make an identical packet version.
  it("clearing flags that are not set reuses the previous version", () => {
    const { m, site, recorder } = packet(10);
    const v0 = versionOf(recorder);
    m_flags_clear(site, m, ["BCAST", "MCAST"], "nothing to clear");
    expect(versionOf(recorder)).toBe(v0);
  });

  it("events without a packet carry packet and chain -1", () => {
    const { site, recorder } = kernel();
    site.emit(null, { kind: "app.send", socket: "s", summary: "x" }, "n");
    expect(recorder.events.at(0)).toMatchObject({ packet: -1, chain: -1, seq: 0, host: "host", layer: "ip", fn: "test" });
  });

  it("the recorder stops at its step limit with StepLimitExceeded, but recordFinal still records", () => {
    const k = kernel("netbsd-2003", 2);
    const m = m_gethdr(k.site, ramp(4), "1");
    m_freem(k.site, m, "2", "2");
    expect(() => m_flags_set(k.site, m, ["LOOP"], "3")).toThrow(StepLimitExceeded);
    k.recorder.recordFinal("host", "ip", "runScenario", { kind: "drop", reason: "step-limit", detail: "2 events" }, "stop");
    expect(k.recorder.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(k.recorder.events.at(2)).toMatchObject({ kind: "drop", reason: "step-limit", packet: -1 });
  });

  it("Site.at keeps the host and numbering but changes layer and function", () => {
    const { site, recorder } = kernel();
    site.at("if", "looutput").emit(null, { kind: "queue.enqueue", queue: "ipintrq", depth: 1 }, "q");
    expect(recorder.events.at(0)).toMatchObject({ host: "host", layer: "if", fn: "looutput" });
  });
});

describe("Mbuf bookkeeping", () => {
  it("len is the sum of the segment lengths and bytes() concatenates them", () => {
    const { m } = twoSegments();
    expect(m.len).toBe(20 + MHLEN);
    expect(m.bytes().length).toBe(m.len);
    const single: Mbuf = packet(5).m;
    expect(single.bytes().length).toBe(5);
  });

  it("the flat copy of a multi-mbuf chain is reused until a verb changes bytes or segments", () => {
    const { m, site } = twoSegments();
    const flat = m.bytes();
    expect(m.bytes()).toBe(flat); // cached
    m_flags_set(site, m, ["LOOP"], "flags do not touch the bytes");
    expect(m.bytes()).toBe(flat);
    m_copyback(site, m, 19, Uint8Array.of(0xaa, 0xbb), "across the boundary", "w");
    const after = m.bytes();
    expect(after).not.toBe(flat);
    expect([after[19], after[20]]).toEqual([0xaa, 0xbb]);
    m_adj(site, m, -1, "t", "trim");
    expect(m.bytes().length).toBe(after.length - 1);
  });
});
