/**
 * Extended sequence numbers (RFC 4303 §2.2.1, RFC 4302 §2.5.1, RFC 4106 §5) through the SA, the
 * replay window and the engine's ESP/AH transforms. The published ESN vectors (AES-GCM,
 * draft-mcgrew-gcm-test-01) are checked in gcm.test.ts; no published ESN vector for HMAC-only AH or
 * ESP-CBC was found, so those cases are derived from the RFC text: seq-hi is never on the wire and
 * is appended to the ICV input (AH, ESP with HMAC) or sits in the 12-byte AAD (AEAD).
 */
import { describe, expect, it } from "vitest";
import { espOpen } from "../../../src/engine/crypto";
import { chkreplay, inferSeq, seqHiOf, seqLoOf, updatereplay } from "../../../src/engine/netipsec/replay";
import type { SecAssoc } from "../../../src/engine/netipsec/types";
import { loadScenario } from "../../../src/engine";
import { builtinInput, runBuiltin, saKeys, transmitted } from "../../helpers/trace";

const TWO32 = 2 ** 32;

function sa(esn: boolean, seqIn: number, replayWindow = 64): SecAssoc {
  return {
    id: "test",
    spi: 0x1000,
    src: "127.0.0.1",
    dst: "127.0.0.1",
    proto: "esp",
    mode: "transport",
    enc: "null",
    encKey: new Uint8Array(0),
    auth: "hmac-sha1-96",
    authKey: new Uint8Array(20),
    replayWindow,
    esn,
    seqOut: 0,
    seqIn,
    replayBitmap: seqIn > 0 ? 1n : 0n,
    ivCounter: 0n,
    bytes: 0,
    packets: 0,
  };
}

describe("seq-hi inference (RFC 4303 Appendix A2.2)", () => {
  it("splits a 64-bit number into the wire half and seq-hi", () => {
    expect([seqHiOf(TWO32 + 5), seqLoOf(TWO32 + 5)]).toEqual([1, 5]);
    expect([seqHiOf(0xffffffff), seqLoOf(0xffffffff)]).toEqual([0, 0xffffffff]);
  });

  it("a 32-bit SA takes the wire value as is", () => {
    expect(inferSeq(sa(false, 0xfffffff0), 3)).toBe(3);
  });

  it("case A: the window lies inside one block; a low value left of it is from the next block", () => {
    const s = sa(true, 0xfffffff0);
    expect(inferSeq(s, 0xfffffff1)).toBe(0xfffffff1); // right of T, same block
    expect(inferSeq(s, 0xffffffc0)).toBe(0xffffffc0); // inside the window
    expect(inferSeq(s, 3)).toBe(TWO32 + 3); // the sender wrapped: seq-hi 1
  });

  it("case B: the window straddles a block boundary; a value beyond its left edge is from the block before", () => {
    const s = sa(true, TWO32 + 10);
    expect(inferSeq(s, 11)).toBe(TWO32 + 11);
    expect(inferSeq(s, 0xfffffff0)).toBe(0xfffffff0); // T - 26: the previous block, inside the window
  });

  it("the window runs over 64-bit numbers across the 2^32 boundary", () => {
    const s = sa(true, 0xffffffff);
    const next = inferSeq(s, 0); // low half 0 after the wrap is a valid packet with ESN
    expect(next).toBe(TWO32);
    expect(updatereplay(s, next)).toEqual({ ok: true });
    expect(s.seqIn).toBe(TWO32);
    // The old packet just left of the boundary is still remembered as seen …
    expect(chkreplay(s, inferSeq(s, 0xffffffff)).ok).toBe(false);
    // … and replaying the post-wrap packet is caught.
    expect(chkreplay(s, inferSeq(s, 0)).ok).toBe(false);
    expect(chkreplay(s, inferSeq(s, 1)).ok).toBe(true);
  });

  it("a jump of a whole block resets the bitmap without a 2^32-bit shift", () => {
    const s = sa(true, 5);
    expect(updatereplay(s, 2 * TWO32 + 1)).toEqual({ ok: true });
    expect(s.replayBitmap).toBe(1n);
  });
});

describe("ESN SAs in a run (lo0-esp-ping with esn: true)", () => {
  const withEsn = { patch: (s: { hosts: { sad?: { esn?: boolean }[] }[] }) => void (s.hosts[0]!.sad![0]!.esn = true) };

  it("the scenario schema accepts esn and defaults it to false", () => {
    const on = loadScenario(builtinInput("lo0-esp-ping", withEsn));
    const off = loadScenario(builtinInput("lo0-esp-ping"));
    if (!on.ok || !off.ok) throw new Error("scenario does not validate");
    expect(on.scenario.hosts[0]!.sad[0]!.esn).toBe(true);
    expect(off.scenario.hosts[0]!.sad[0]!.esn).toBe(false);
  });

  it("rejects esn on ESP without integrity: seq-hi would be carried nowhere", () => {
    const r = loadScenario(
      builtinInput("lo0-esp-cbc-ping", {
        patch: (s) => {
          const x = s.hosts[0]!.sad![0]!;
          Object.assign(x, { esn: true, auth: "none", authKey: undefined });
        },
      }),
    );
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toContain("$.hosts[0].sad[0].esn");
  });

  it("ESP packets authenticate a 12-byte AAD with seq-hi 0 (RFC 4106 §5), not the 8-byte one", () => {
    const t = runBuiltin("lo0-esp-ping", withEsn);
    const keys = saKeys(t, 0x1000);
    const esp = transmitted(t, "host:lo0").filter((w) => w.bytes[9] === 50);
    expect(esp.length).toBeGreaterThan(0);
    for (const w of esp) {
      const body = w.bytes.subarray(20);
      expect(espOpen(keys, body, 0).ok).toBe(true);
      expect(espOpen(keys, body).ok).toBe(false);
    }
    // The receiver verified them the same way: every request reached icmp_input.
    expect(t.outcome.verdict).toBe(runBuiltin("lo0-esp-ping").outcome.verdict);
  });

  it("AH packets carry an ICV over the packet followed by seq-hi (RFC 4302 §2.5.1)", () => {
    const plain = runBuiltin("lo0-ah-ping");
    const t = runBuiltin("lo0-ah-ping", withEsn);
    const icvOf = (tr: typeof t) =>
      transmitted(tr, "host:lo0")
        .filter((w) => w.bytes[9] === 51)
        .map((w) => Array.from(w.bytes.subarray(32, 48)).join(","));
    const a = icvOf(plain);
    const b = icvOf(t);
    expect(b).toHaveLength(a.length);
    b.forEach((icv, i) => expect(icv).not.toBe(a[i]));
    expect(t.outcome.verdict).toBe(plain.outcome.verdict);
  });
});

describe("ESN in the narration", () => {
  it("the sequence-number step names seq-hi and the wire half on an ESN SA only", () => {
    const on = runBuiltin("lo0-esp-ping", { patch: (s) => void (s.hosts[0]!.sad![0]!.esn = true) });
    const seqNotes = (t: typeof on) => t.events.filter((e) => e.kind === "sa.update" && e.field === "seq").map((e) => e.note);
    expect(seqNotes(on)[0]).toMatch(/sequence number of .*: 1 \(ESN: seq-hi 0 kept in the SA, 1 on the wire\)\.$/);
    expect(seqNotes(runBuiltin("lo0-esp-ping")).some((n) => n.includes("ESN"))).toBe(false);
  });
});
