import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IPSEC_DIR,
  IPSEC_LEVEL,
  IPSEC_MODE,
  IPSEC_POLICY,
  SADB_ADDRESS,
  SADB_COMB,
  SADB_KEY,
  SADB_LIFETIME,
  SADB_MSG,
  SADB_PROP,
  SADB_SA,
  SADB_SASTATE,
  SADB_SATYPE,
  SADB_SPIRANGE,
  SADB_X_IPSECREQUEST,
  SADB_X_POLICY,
  SADB_X_SA2,
  emitPfkey,
  parsePfkey,
  pfkeyMessageLen,
  pfkeySummary,
  setkeySaText,
  setkeySpdText,
  setkeyText,
  type PfkeyMessage,
  type SockaddrFlavour,
} from "../../../src/engine/wire/pfkey";
import { structSpans } from "../../../src/engine/wire/xfrm_nl";
import { vector } from "../keying/vectors";

const KEY = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const addr = (ext: "ADDRESS_SRC" | "ADDRESS_DST", a: string, prefixlen: number, proto: number) =>
  ({ ext, proto, prefixlen, sa: { addr: a, port: 0 } }) as const;

/** The PF_KEY messages gen.c builds (tests/vectors/keying/gen.c), as Reprs. */
const REPRS: Readonly<Record<string, PfkeyMessage>> = {
  register: { type: "REGISTER", errno: 0, satype: SADB_SATYPE.ESP, seq: 1, pid: 4242, exts: [] },
  getspi: {
    type: "GETSPI",
    errno: 0,
    satype: SADB_SATYPE.ESP,
    seq: 2,
    pid: 4242,
    exts: [
      { ext: "X_SA2", mode: IPSEC_MODE.ANY, sequence: 0, reqid: 16389 },
      addr("ADDRESS_SRC", "192.0.2.2", 32, 255),
      addr("ADDRESS_DST", "192.0.2.1", 32, 255),
      { ext: "SPIRANGE", min: 0x1000, max: 0xffffffff },
    ],
  },
  add: {
    type: "ADD",
    errno: 0,
    satype: SADB_SATYPE.ESP,
    seq: 3,
    pid: 4242,
    exts: [
      { ext: "SA", spi: 0xc1a0b2c3, replay: 32, state: SADB_SASTATE.MATURE, auth: 0, encrypt: 20, flags: 0 },
      { ext: "X_SA2", mode: IPSEC_MODE.TUNNEL, sequence: 0, reqid: 16389 },
      addr("ADDRESS_SRC", "192.0.2.1", 32, 255),
      addr("ADDRESS_DST", "192.0.2.2", 32, 255),
      { ext: "KEY_ENCRYPT", key: KEY },
      { ext: "LIFETIME_HARD", allocations: 0, bytes: 0n, addtime: 28800n, usetime: 0n },
      { ext: "LIFETIME_SOFT", allocations: 0, bytes: 0n, addtime: 27000n, usetime: 0n },
    ],
  },
  spdadd: {
    type: "X_SPDADD",
    errno: 0,
    satype: SADB_SATYPE.UNSPEC,
    seq: 4,
    pid: 4242,
    exts: [
      addr("ADDRESS_SRC", "10.1.0.0", 16, 255),
      addr("ADDRESS_DST", "10.2.0.0", 16, 255),
      {
        ext: "X_POLICY",
        type: IPSEC_POLICY.IPSEC,
        dir: IPSEC_DIR.OUTBOUND,
        id: 0,
        priority: 0,
        requests: [{ proto: 50, mode: IPSEC_MODE.TUNNEL, level: IPSEC_LEVEL.REQUIRE, reqid: 16389, tunnel: { src: "192.0.2.1", dst: "192.0.2.2" } }],
      },
    ],
  },
  acquire: {
    type: "ACQUIRE",
    errno: 0,
    satype: SADB_SATYPE.ESP,
    seq: 1,
    pid: 0,
    exts: [
      addr("ADDRESS_SRC", "192.0.2.1", 32, 0),
      addr("ADDRESS_DST", "192.0.2.2", 32, 0),
      { ext: "X_POLICY", type: IPSEC_POLICY.IPSEC, dir: IPSEC_DIR.OUTBOUND, id: 1, priority: 0, requests: [] },
      {
        ext: "PROPOSAL",
        replay: 32,
        combs: [{ encrypt: 20, encrypt_minbits: 128, encrypt_maxbits: 256, hard_addtime: 28800n, soft_addtime: 23040n }],
      },
    ],
  },
};

const FLAVOURS: readonly SockaddrFlavour[] = ["linux", "bsd"];
const CASES = FLAVOURS.flatMap((f) => Object.keys(REPRS).map((n) => [f, n] as const));

describe("PF_KEY v2 struct layouts (kernel-notes §10.4, measured with gcc on x86_64)", () => {
  it("has the measured sizes", () => {
    expect(
      [
        SADB_MSG,
        SADB_SA,
        SADB_LIFETIME,
        SADB_ADDRESS,
        SADB_KEY,
        SADB_SPIRANGE,
        SADB_X_POLICY,
        SADB_X_IPSECREQUEST,
        SADB_X_SA2,
        SADB_PROP,
        SADB_COMB,
      ].map((d) => d.size),
    ).toEqual([16, 16, 32, 8, 8, 16, 16, 16, 16, 8, 72]);
  });

  it("places every member at its measured offset", () => {
    const at = (def: typeof SADB_MSG): Record<string, number> => Object.fromEntries(structSpans(def).map((s) => [s.name, s.start]));
    expect(at(SADB_MSG)).toEqual({
      sadb_msg_version: 0,
      sadb_msg_type: 1,
      sadb_msg_errno: 2,
      sadb_msg_satype: 3,
      sadb_msg_len: 4,
      sadb_msg_reserved: 6,
      sadb_msg_seq: 8,
      sadb_msg_pid: 12,
    });
    expect(at(SADB_SA)).toEqual({ len: 0, exttype: 2, spi: 4, replay: 8, state: 9, auth: 10, encrypt: 11, flags: 12 });
    expect(at(SADB_LIFETIME)).toMatchObject({ allocations: 4, bytes: 8, addtime: 16, usetime: 24 });
    expect(at(SADB_ADDRESS)).toMatchObject({ proto: 4, prefixlen: 5, reserved: 6 });
    expect(at(SADB_KEY)).toMatchObject({ bits: 4 });
    expect(at(SADB_SPIRANGE)).toMatchObject({ min: 4, max: 8 });
    expect(at(SADB_X_POLICY)).toMatchObject({ type: 4, dir: 6, id: 8, priority: 12 });
    expect(at(SADB_X_IPSECREQUEST)).toMatchObject({ len: 0, proto: 2, mode: 4, level: 5, reqid: 8 });
    expect(at(SADB_X_SA2)).toMatchObject({ mode: 4, sequence: 8, reqid: 12 });
    expect(at(SADB_COMB)).toMatchObject({ soft_allocations: 16, hard_addtime: 48 });
  });
});

describe("PF_KEY messages against bytes built in C with <linux/pfkeyv2.h> (tests/vectors/keying)", () => {
  it.each(CASES)("emit %s %s is byte-identical to gen.c", (flavour, name) => {
    const m = REPRS[name]!;
    const b = emitPfkey(m, flavour);
    expect(b.length).toBe(pfkeyMessageLen(m));
    expect(Buffer.from(b).toString("hex")).toBe(Buffer.from(vector(`pfkey_${flavour}_${name}`)).toString("hex"));
  });

  it.each(CASES)("parse %s %s gives back the Repr", (flavour, name) => {
    const p = parsePfkey(vector(`pfkey_${flavour}_${name}`), flavour);
    if (!p.ok) throw new Error(p.error.message);
    const { len, ...m } = p.value;
    expect(len).toBe(vector(`pfkey_${flavour}_${name}`).length);
    expect(emitPfkey(m, flavour)).toEqual(vector(`pfkey_${flavour}_${name}`));
    expect(m.type).toBe(REPRS[name]!.type);
    expect(m.exts.map((e) => e.ext)).toEqual(REPRS[name]!.exts.map((e) => e.ext));
  });

  it("counts lengths in 64-bit words, except the ipsecrequest's, which is in bytes", () => {
    const b = vector("pfkey_linux_spdadd");
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(v.getUint16(4, true) * 8).toBe(b.length);
    // sadb_msg 16, two address exts of 3 words each (8 + sockaddr_in 16), then X_POLICY.
    expect(v.getUint16(16, true)).toBe(3);
    expect(v.getUint16(40, true)).toBe(3);
    expect(v.getUint16(64, true)).toBe(8); // sadb_x_policy 16 + request 48 = 64 bytes = 8 words
    expect(v.getUint16(80, true)).toBe(48); // sadb_x_ipsecrequest_len: 16 + 2 × 16, in bytes
    // The 3DES/AES key of the ADD: 20 bytes of key padded to 24, so KEY_ENCRYPT is 4 words.
    const add = parsePfkey(vector("pfkey_linux_add"), "linux");
    expect(add.ok && add.value.exts.find((e) => e.ext === "KEY_ENCRYPT")).toMatchObject({ bits: 160 });
  });

  it("differs between BSD and Linux only in the sockaddr's first two bytes", () => {
    const linux = vector("pfkey_linux_getspi");
    const bsd = vector("pfkey_bsd_getspi");
    const diff = Array.from(linux).flatMap((x, i) => (x === bsd[i] ? [] : [i]));
    // After sadb_msg (16) and X_SA2 (16), ADDRESS_SRC (8 + sockaddr at 40) and ADDRESS_DST (sockaddr at 64): Linux u16 family 02 00, BSD sin_len 10, family 02.
    expect(diff).toEqual([40, 41, 64, 65]);
    expect(Array.from(linux.subarray(40, 42))).toEqual([2, 0]);
    expect(Array.from(bsd.subarray(40, 42))).toEqual([16, 2]);
    // Reading BSD bytes as Linux sees family 0x0210: refused, not misread.
    expect(parsePfkey(bsd, "linux")).toMatchObject({ ok: false, error: { kind: "malformed" } });
  });

  it("round-trips random SAs in both flavours", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FLAVOURS),
        fc.integer({ min: 0x100, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        (f, spi, reqid, key) => {
          const m: PfkeyMessage = {
            type: "UPDATE",
            errno: 0,
            satype: 3,
            seq: 9,
            pid: 1,
            exts: [
              { ext: "SA", spi, replay: 0, state: 1, auth: 0, encrypt: 12, flags: 0 },
              { ext: "X_SA2", mode: 2, sequence: 0, reqid },
              addr("ADDRESS_SRC", "192.0.2.2", 32, 255),
              addr("ADDRESS_DST", "192.0.2.1", 32, 255),
              { ext: "KEY_ENCRYPT", key },
            ],
          };
          const p = parsePfkey(emitPfkey(m, f), f);
          expect(p.ok).toBe(true);
          if (!p.ok) return;
          expect(p.value.exts[0]).toEqual(m.exts[0]);
          expect(p.value.exts[1]).toEqual(m.exts[1]);
          const k = p.value.exts[4];
          expect(k?.ext === "KEY_ENCRYPT" && Array.from(k.key)).toEqual(Array.from(key));
        },
      ),
    );
  });

  it("fails, never throws, on bad bytes", () => {
    const b = vector("pfkey_linux_add");
    expect(parsePfkey(b.subarray(0, 8), "linux")).toMatchObject({ ok: false, error: { kind: "truncated" } });
    expect(parsePfkey(b.subarray(0, 40), "linux")).toMatchObject({ ok: false, error: { kind: "truncated" } });
    const v1 = b.slice();
    v1[0] = 1;
    expect(parsePfkey(v1, "linux")).toMatchObject({ ok: false, error: { kind: "malformed" } });
    const zero = b.slice();
    zero[16] = 0; // first extension length 0 words
    expect(parsePfkey(zero, "linux")).toMatchObject({ ok: false, error: { kind: "malformed" } });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...FLAVOURS), (junk, f) => void parsePfkey(junk, f)));
  });
});

describe("setkey text (ipsec-tools pfkey_dump.c pfkey_sadump / pfkey_spdump)", () => {
  const parsed = (n: string): PfkeyMessage => {
    const p = parsePfkey(vector(`pfkey_bsd_${n}`), "bsd");
    if (!p.ok) throw new Error(p.error.message);
    return p.value;
  };

  it("prints an SADB_ADD as setkey -D prints the SA", () => {
    expect(setkeySaText(parsed("add"))).toBe(
      [
        "192.0.2.1 192.0.2.2 ",
        // pfkey_dump.c's str_alg_enc has no AES-GCM entry: GETMSGV2S falls back to the number.
        "\tesp mode=tunnel spi=3248534211(0xc1a0b2c3) reqid=16389(0x00004005)",
        "\tE: 20  01020304 05060708 090a0b0c 0d0e0f10 11121314",
        "\tseq=0x00000000 replay=32 flags=0x00000000 state=mature ",
        "\tsadb_seq=3 pid=4242 refcnt=0",
        "",
      ].join("\n"),
    );
  });

  it("prints an SADB_X_SPDADD as setkey -DP prints the policy", () => {
    expect(setkeySpdText(parsed("spdadd"))).toBe(
      [
        "10.1.0.0/16[any] 10.2.0.0/16[any] any",
        "\tout ipsec",
        "\tesp/tunnel/192.0.2.1-192.0.2.2/require#16389",
        "\tspid=0 seq=4 pid=4242",
        "\trefcnt=0",
        "",
      ].join("\n"),
    );
  });

  it("prints GETSPI (no SA extension yet) and ACQUIRE by name and chain", () => {
    expect(setkeyText(parsed("getspi"))).toBe("SADB_GETSPI X_SA2 ADDRESS_SRC ADDRESS_DST SPIRANGE\n");
    expect(setkeyText(parsed("acquire"))).toBe("SADB_ACQUIRE ADDRESS_SRC ADDRESS_DST X_POLICY PROPOSAL\n");
    expect(pfkeySummary(parsed("acquire"))).toBe("SADB_ACQUIRE seq 1 esp 192.0.2.1→192.0.2.2");
    expect(pfkeySummary(parsed("add"))).toBe("SADB_ADD seq 3 esp spi 0xc1a0b2c3 192.0.2.1→192.0.2.2");
  });
});
