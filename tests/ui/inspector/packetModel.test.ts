import { describe, expect, it } from "vitest";
import { dissect, fromHex, type ScenarioTrace } from "../../../src/engine/index";
import { dissectFrom, indexFields, modelPacket, type PacketModel } from "../../../src/ui/inspector/packetModel";
import { espLayoutFor, packetModelAt } from "../../../src/ui/stepModel";
import { firstIndex, replyLoopCheck, traceOf } from "../support";

function models(t: ScenarioTrace): [number, PacketModel][] {
  return t.events.filter((e) => e.packet >= 0).map((e) => [e.seq, packetModelAt(t, e.seq)!]);
}

describe("modelPacket", () => {
  for (const name of ["lo0-esp-ping", "lo0-ah-ping", "lo0-esp-cbc-ping", "gw-esp-tunnel", "lo0-ping"]) {
    it(`covers every byte exactly once at every step of ${name}`, () => {
      for (const [seq, m] of models(traceOf(name))) {
        let at = 0;
        for (const r of m.regions) {
          expect({ seq, start: r.start }).toEqual({ seq, start: at });
          expect(r.end).toBeGreaterThanOrEqual(r.start);
          at = r.end;
        }
        expect({ seq, end: at }).toEqual({ seq, end: m.bytes.length });
      }
    });
  }

  it("never leaves the seed story's bytes undecoded, even half-built", () => {
    for (const [seq, m] of models(traceOf("lo0-esp-ping")))
      expect({ seq, undecoded: m.regions.filter((r) => r.header === "undecoded") }).toEqual({ seq, undecoded: [] });
  });

  it("reads the room m_makespace opened as a header being written, not as ICMP", () => {
    const t = traceOf("lo0-esp-ping");
    const at = firstIndex(t, (e) => e.kind === "mbuf.makespace");
    const m = packetModelAt(t, at)!;
    expect(m.regions.map((r) => r.header)).toEqual(["ipv4", "pending", "icmp", "payload"]);
    expect(m.regions[1]).toMatchObject({ start: 20, end: 36, note: "ESP header + IV" });
    // Dissected bare, the same bytes would claim an ICMP header at offset 20.
    const naive = dissect(fromHex(m.version.hex));
    expect(naive[1]?.header).toBe("icmp");
    expect(naive[1]?.start).toBe(20);
  });

  it("shows the ESP payload as plaintext before esp_output_cb encrypts it, and as ciphertext after", () => {
    const t = traceOf("lo0-esp-ping");
    const proto = firstIndex(t, (e) => e.kind === "field.set" && e.field === "protocol" && e.to === "50");
    const before = packetModelAt(t, proto)!;
    expect(before.espPlain).toBe("plain");
    expect(before.encrypted).toBe(false);
    expect(before.regions.filter((r) => r.inner).map((r) => r.header)).toEqual(["icmp", "payload", "esp-trailer"]);
    const onWire = packetModelAt(
      t,
      firstIndex(t, (e) => e.kind === "link.tx"),
    )!;
    expect(onWire.encrypted).toBe(true);
    expect(onWire.regions.map((r) => r.header)).toEqual(["ipv4", "esp", "esp-iv", "esp-ciphertext", "esp-icv"]);
    expect(onWire.decrypted?.regions.map((r) => r.header)).toEqual(["ipv4", "esp", "esp-iv", "icmp", "payload"]);
    expect(onWire.decrypted?.regions.at(-1)?.inner).toBe(true);
  });

  it("knows what follows the IP header after m_striphdr, while ip_p still says ESP", () => {
    const t = traceOf("lo0-esp-ping");
    const strip = firstIndex(t, (e) => e.kind === "mbuf.strip");
    const m = packetModelAt(t, strip)!;
    expect(fromHex(m.version.hex)[9]).toBe(50);
    expect(m.regions.map((r) => r.header).slice(0, 2)).toEqual(["ipv4", "icmp"]);
    expect(m.notes.join(" ")).toMatch(/ip_p still names/);
    // The ESP trailer is still at the tail until m_adj removes it: the stack says so, not "echo data".
    expect(m.regions.at(-1)).toMatchObject({ header: "esp-trailer", start: 84, end: 88 });
    expect(m.regions.at(-1)?.inner).toBeUndefined();
  });

  it("reads the layout from the version's header stack, not from the events around it", () => {
    const t = traceOf("lo0-esp-ping");
    const at = firstIndex(t, (e) => e.kind === "mbuf.makespace");
    const version = t.packets.at(t.events.at(at)!.packet)!;
    // The same bytes with the stack of a linked ESP header are read as ESP, whatever the step.
    const linked = version.hdrs.map((h) => (h.kind === "esp" ? { kind: h.kind, offset: h.offset, len: h.len, state: "plain" as const } : h));
    expect(modelPacket({ ...version, hdrs: linked }).regions.map((r) => r.header)).toEqual(["ipv4", "esp", "esp-iv", "icmp", "payload"]);
    expect(modelPacket(version).regions.map((r) => r.header)).toEqual(["ipv4", "pending", "icmp", "payload"]);
  });

  it("shows the reply leaving in cleartext in the bug run, and encrypted with the fix", () => {
    const bug = traceOf("lo0-esp-ping");
    const fixed = traceOf("lo0-esp-ping", ["icmp-reflect-strips-tags"]);
    const wire = (t: ScenarioTrace) => t.events.filter((e) => e.kind === "link.tx")[1]!.seq;
    expect(packetModelAt(bug, wire(bug))!.encrypted).toBe(false);
    expect(packetModelAt(fixed, wire(fixed))!.encrypted).toBe(true);
  });

  it("sees an inner IPv4 packet in a tunnel's decrypted view", () => {
    const t = traceOf("gw-esp-tunnel");
    const done = firstIndex(t, (e) => e.kind === "crypto.done");
    const m = packetModelAt(t, done)!;
    expect(m.decrypted?.regions.filter((r) => r.inner).map((r) => r.header)).toEqual(["ipv4", "icmp", "payload"]);
  });

  it("dissects the decrypted view as the ESP next header the engine recorded says, not by guessing", () => {
    const t = traceOf("gw-esp-tunnel");
    const done = firstIndex(t, (e) => e.kind === "crypto.done");
    const version = t.packets.at(t.events.at(done)!.packet)!;
    expect(version.cleartextProto).toBe(4);
    // Told the plaintext is ICMP (1), the same bytes are read as ICMP: the recorded protocol wins.
    const asIcmp = modelPacket({ ...version, cleartextProto: 1 }, espLayoutFor(t, t.events.at(done)!.host));
    expect(asIcmp.decrypted?.regions.filter((r) => r.inner).map((r) => r.header)[0]).toBe("icmp");
    const seed = traceOf("lo0-esp-ping");
    const onWire = seed.packets.at(seed.events.at(firstIndex(seed, (e) => e.kind === "link.tx"))!.packet)!;
    expect(onWire.cleartextProto).toBe(1);
  });

  it("is memoised per version", () => {
    const t = traceOf("lo0-esp-ping");
    const loop = replyLoopCheck(t);
    expect(packetModelAt(t, loop)).toBe(packetModelAt(t, loop));
    expect(packetModelAt(t, 0)).toBeNull();
    const direct = modelPacket(t.packets.at(t.events.at(loop)!.packet)!, espLayoutFor(t, "host"));
    expect(direct.regions).toEqual(packetModelAt(t, loop)!.regions);
  });
});

describe("dissectFrom and indexFields", () => {
  it("dissects an upper-layer message at an offset with absolute byte ranges", () => {
    const t = traceOf("lo0-esp-ping");
    const bytes = fromHex(t.packets.at(t.events.at(3)!.packet)!.hex);
    const regions = dissectFrom(bytes, 20, 1);
    expect(regions[0]).toMatchObject({ header: "icmp", start: 20, end: 28 });
    expect(regions[0]!.fields.find((f) => f.name === "type")).toMatchObject({ start: 20, end: 21 });
    expect(dissectFrom(bytes, bytes.length, 1)).toEqual([]);
  });

  it("maps every header byte to its field, with keys stable across steps", () => {
    const t = traceOf("lo0-esp-ping");
    const m = packetModelAt(t, replyLoopCheck(t))!;
    const index = indexFields(m.regions, m.bytes.length);
    expect(index.fields[index.owner[8]!]!.key).toBe("ipv4#0.ttl");
    expect(index.fields[index.owner[12]!]!.key).toBe("ipv4#0.src");
    expect(index.fields[index.owner[20]!]!.key).toBe("icmp#0.type");
    expect(index.owner[40]).toBe(-1);
    expect(index.regionOf[40]).toBe(2);
    expect(new Set(index.fields.map((f) => f.key)).size).toBe(index.fields.length);
    expect(index.byKey.get("ipv4#0.ttl")).toMatchObject({ start: 8, end: 9 });
  });
});
