/**
 * The columnar trace store (src/engine/trace/store.ts) and the kinds table (kinds.ts): rows
 * materialise in the contract's shape and key order, packet bytes survive their deltas, repeated
 * payloads and values are stored once, and whole-table passes read columns.
 */
import { describe, expect, it } from "vitest";
import { KINDS, KIND_IDS, fromHex, signatureOf, toHex, type TraceEvent } from "../../../src/engine";
import { PacketTable, StringTable, ValueTable, byteAt, chainAt, kindAt, type EventTable } from "../../../src/engine/trace/store";
import { BUILTIN_NAMES, runBuiltin, validated, builtinInput } from "../../helpers/trace";
import { runScenario } from "../../../src/engine";

/** Deterministic xorshift, so a failing case can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("the kinds table", () => {
  it("lists every kind once, and each materialised event has exactly its base and table fields, in table order", () => {
    expect(new Set(KIND_IDS).size).toBe(KIND_IDS.length);
    const seen = new Set<string>();
    for (const name of BUILTIN_NAMES) {
      const t = runBuiltin(name);
      for (const e of t.events) {
        seen.add(e.kind);
        const fields = Object.keys(KINDS[e.kind].fields);
        const expected = ["seq", "t", "host", "layer", "fn", "packet", "chain", "note", "kind", ...fields];
        const keys = Object.keys(e).filter((k) => k !== "story");
        // Optional fields (link.rx fault, deliver rttMicros) may be absent, never out of order.
        expect(keys).toEqual(expected.filter((k) => k in e));
      }
    }
    expect(seen.size).toBeGreaterThan(20);
  });

  it("signs an event by host, layer, function, kind and the kind's sig fields only", () => {
    const e = {
      seq: 3,
      t: 9,
      host: "h",
      layer: "ip",
      fn: "ip_output",
      packet: 1,
      chain: 1,
      note: "n",
      kind: "mbuf.prepend",
      header: "ESP",
      len: 8,
      leading: "space",
    } as TraceEvent;
    expect(signatureOf(e)).toBe("h|ip|ip_output|mbuf.prepend|ESP|8|space");
    expect(signatureOf({ ...e, seq: 99, note: "other", packet: 7 } as TraceEvent)).toBe(signatureOf(e));
    expect(signatureOf({ ...e, len: 16 } as TraceEvent)).not.toBe(signatureOf(e));
  });
});

describe("packet bytes as deltas", () => {
  it("give back every version's bytes exactly, whatever the edits (prepends, trims, rewrites, growth)", () => {
    const next = rng(0x5eed);
    const table = new PacketTable(new StringTable(), new ValueTable());
    const expected: Uint8Array[] = [];
    for (let chain = 1; chain <= 40; chain++) {
      let bytes = Uint8Array.from({ length: 20 + Math.floor(next() * 200) }, () => Math.floor(next() * 256));
      let prev = -1;
      let prevBytes: Uint8Array | undefined;
      for (let v = 0; v < 60; v++) {
        const op = Math.floor(next() * 5);
        const at = Math.floor(next() * bytes.length);
        const n = 1 + Math.floor(next() * 24);
        if (op === 0)
          bytes = Uint8Array.from([...Array.from({ length: n }, () => Math.floor(next() * 256)), ...bytes]); // prepend
        else if (op === 1 && bytes.length > n)
          bytes = bytes.slice(n); // m_adj from the head
        else if (op === 2 && bytes.length > n)
          bytes = bytes.slice(0, bytes.length - n); // from the tail
        else if (op === 3) bytes = Uint8Array.from(bytes, (b, i) => (i >= at && i < at + n ? b ^ 0x5a : b)); // rewrite
        const id = table.push({
          chain,
          bytes,
          prev,
          prevBytes,
          segs: 0,
          tags: 0,
          hdrs: [],
          flags: 0,
          staleFlags: 0,
          rcvif: null,
          cleartext: undefined,
          cleartextProto: undefined,
          staleTags: undefined,
        });
        expected[id] = bytes;
        prev = id;
        prevBytes = bytes;
      }
    }
    for (let i = 0; i < table.length; i++) {
      expect(toHex(table.bytesAt(i)), `version ${i}`).toBe(toHex(expected[i]!));
      expect(table.at(i)!.hex).toBe(toHex(expected[i]!));
      const off = Math.floor(next() * expected[i]!.length);
      expect(byteAt(table, i, off)).toBe(expected[i]![off]);
    }
    // Deltas keep the arena far smaller than the bytes of every version.
    const total = expected.reduce((n, b) => n + b.length, 0);
    expect(table.arenaBytes).toBeLessThan(total / 4);
  });

  it("rebuild whole IPv4 datagrams in every built-in: at each link.tx, ip_len is the length and the header checksum holds", () => {
    let checked = 0;
    for (const name of BUILTIN_NAMES) {
      const t = runBuiltin(name);
      for (const e of t.events) {
        if (e.kind !== "link.tx" || e.packet < 0) continue;
        const b = fromHex(t.packets.at(e.packet)!.hex);
        expect(b[0]! >> 4, `${name} step ${e.seq + 1}`).toBe(4);
        expect((b[2]! << 8) | b[3]!).toBe(b.length);
        let sum = 0;
        for (let i = 0; i < (b[0]! & 15) * 4; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        expect(sum, `${name} step ${e.seq + 1}: RFC 1071 sum`).toBe(0xffff);
        expect(byteAt(t.packets, e.packet, 9)).toBe(b[9]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe("interning", () => {
  it("stores a flood's repeated payloads, strings and values once", () => {
    const input = builtinInput("lo0-esp-ping", {
      fixes: ["icmp-reflect-strips-tags"],
      patch: (s) => {
        s.traffic = [{ kind: "ping", from: "host", dst: "127.0.0.1", count: 200, flood: true }] as never;
      },
    });
    const t = runScenario(validated(input));
    const events = t.events as EventTable;
    const cols = events.toColumns();
    // Per echo, a handful of payloads are new (sequence numbers, checksums, tags): most repeat.
    expect(cols.payloadCount).toBeLessThan(events.length / 3);
    expect(events.strings.list.length).toBeLessThan(events.length / 4);
    expect(new Set(events.strings.list).size).toBe(events.strings.list.length);
    const values = new ValueTable();
    expect(values.id([{ a: 1 }])).toBe(values.id([{ a: 1 }]));
    expect(values.id([{ a: 1 }])).not.toBe(values.id([{ a: 2 }]));
    expect(values.id(null)).toBe(0);
  });

  it("answers column reads without building objects, the same as the objects say", () => {
    const t = runBuiltin("gw-esp-tunnel");
    for (let i = 0; i < t.events.length; i++) {
      const e = t.events.at(i)!;
      expect(kindAt(t.events, i)).toBe(e.kind);
      expect(chainAt(t.events, i)).toBe(e.chain);
    }
    expect(t.events.at(5)).toBe(t.events.at(5)); // one object per row while in use
    expect(t.events.at(-1)).toBe(t.events.at(t.events.length - 1));
    expect(t.events.at(t.events.length)).toBeUndefined();
  });
});
