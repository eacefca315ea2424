import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NLMSGERR,
  NLMSGHDR,
  XFRM_ID,
  XFRM_INF,
  XFRM_LIFETIME_CFG,
  XFRM_LIFETIME_CUR,
  XFRM_SELECTOR,
  XFRM_USERPOLICY_ID,
  XFRM_USERPOLICY_INFO,
  XFRM_USERSA_ID,
  XFRM_USERSA_INFO,
  XFRM_USERSPI_INFO,
  XFRM_USER_ACQUIRE,
  XFRM_USER_EXPIRE,
  XFRM_USER_TMPL,
  decodeStruct,
  emitXfrm,
  encodeStruct,
  parseXfrm,
  structSpans,
  xfrmLifetime,
  xfrmMessageLen,
  xfrmMonitorText,
  xfrmSelector,
  xfrmSummary,
  type CRecord,
  type XfrmMessage,
} from "../../../src/engine/wire/xfrm_nl";
import { IP_XFRM_MONITOR, vector } from "../keying/vectors";
import { sentinel } from "./fixtures";

/** The messages gen.c builds, as Reprs (tests/vectors/keying/gen.c, same values). */
const KEY = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const AEAD = { type: "ALG_AEAD", alg: { name: "rfc4106(gcm(aes))", key: KEY }, icvBits: 128 } as const;
const TMPL_OUT: CRecord = {
  id: { daddr: "192.0.2.2", spi: 0, proto: 50 },
  family: 2,
  saddr: "192.0.2.1",
  reqid: 16389,
  mode: 1,
  aalgos: 0xffffffff,
  ealgos: 0xffffffff,
  calgos: 0xffffffff,
};
const TMPL_IN: CRecord = { ...TMPL_OUT, id: { daddr: "192.0.2.1", spi: 0, proto: 50 }, saddr: "192.0.2.2" };
const policy = (dir: number, src = "10.1.0.0", dst = "10.2.0.0"): CRecord => ({
  sel: xfrmSelector(src, 16, dst, 16),
  lft: xfrmLifetime(),
  priority: 2084814,
  dir,
  action: 0,
});
const sa = (spi: number, src = "192.0.2.1", dst = "192.0.2.2"): CRecord => ({
  id: { daddr: dst, spi, proto: 50 },
  saddr: src,
  lft: xfrmLifetime({ soft_packet_limit: 10n }),
  seq: 1,
  reqid: 16389,
  family: 2,
  mode: 1,
  replay_window: 32,
  flags: 32,
});
const acqSel: CRecord = { ...xfrmSelector("10.1.0.5", 32, "10.2.0.7", 32, 1), sport: 8, sport_mask: 0xffff, dport: 0, dport_mask: 0xffff };

const REPRS: Readonly<Record<string, XfrmMessage>> = {
  xfrm_updpolicy_out: { type: "UPDPOLICY", flags: 5, seq: 1, pid: 0, body: policy(1), attrs: [{ type: "TMPL", tmpls: [TMPL_OUT] }] },
  nlmsg_ack: {
    type: "ERROR",
    flags: 0,
    seq: 1,
    pid: 0,
    body: { error: 0, msg: { nlmsg_len: 252, nlmsg_type: 0x19, nlmsg_flags: 5, nlmsg_seq: 1, nlmsg_pid: 0 } },
    attrs: [],
  },
  xfrm_acquire: {
    type: "ACQUIRE",
    flags: 0,
    seq: 0,
    pid: 0,
    body: {
      id: { daddr: "192.0.2.2", spi: 0, proto: 50 },
      saddr: "192.0.2.1",
      sel: acqSel,
      policy: policy(1),
      aalgos: 0xffffffff,
      ealgos: 0xffffffff,
      calgos: 0xffffffff,
      seq: 1,
    },
    attrs: [
      { type: "TMPL", tmpls: [TMPL_OUT] },
      { type: "POLICY_TYPE", ptype: 0 },
    ],
  },
  xfrm_allocspi: {
    type: "ALLOCSPI",
    flags: 1,
    seq: 2,
    pid: 0,
    body: {
      info: { id: { daddr: "192.0.2.1", spi: 0, proto: 50 }, saddr: "192.0.2.2", family: 2, mode: 1, reqid: 16389 },
      min: 0x1000,
      max: 0xffffffff,
    },
    attrs: [],
  },
  xfrm_newsa: { type: "NEWSA", flags: 5, seq: 3, pid: 0, body: sa(0xc1a0b2c3), attrs: [AEAD] },
  xfrm_updsa: { type: "UPDSA", flags: 5, seq: 4, pid: 0, body: sa(0xd4e5f607, "192.0.2.2", "192.0.2.1"), attrs: [AEAD] },
  xfrm_updpolicy_fwd: {
    type: "UPDPOLICY",
    flags: 5,
    seq: 5,
    pid: 0,
    body: policy(2, "10.2.0.0", "10.1.0.0"),
    attrs: [{ type: "TMPL", tmpls: [TMPL_IN] }],
  },
  xfrm_expire_soft: {
    type: "EXPIRE",
    flags: 0,
    seq: 0,
    pid: 0,
    body: { state: { ...sa(0xc1a0b2c3), curlft: { packets: 10n } }, hard: 0 },
    attrs: [],
  },
  xfrm_delsa: { type: "DELSA", flags: 5, seq: 9, pid: 0, body: { daddr: "192.0.2.2", spi: 0xc1a0b2c3, family: 2, proto: 50 }, attrs: [] },
  xfrm_delsa_notify: {
    type: "DELSA",
    flags: 0,
    seq: 9,
    pid: 0,
    body: { daddr: "192.0.2.2", spi: 0xc1a0b2c3, family: 2, proto: 50 },
    attrs: [{ type: "SA", sa: sa(0xc1a0b2c3) }],
  },
};

/** A record with every member the struct defines, zero where the Repr left one out, as decodeStruct returns it. */
function full(def: Parameters<typeof encodeStruct>[0], r: CRecord): CRecord {
  const b = new Uint8Array(def.size);
  encodeStruct(def, r, b);
  return decodeStruct(def, b);
}

describe("xfrm netlink struct layouts (kernel-notes §10.4, measured with gcc on x86_64)", () => {
  it.each([
    [NLMSGHDR, 16],
    [XFRM_SELECTOR, 56],
    [XFRM_ID, 24],
    [XFRM_LIFETIME_CFG, 64],
    [XFRM_LIFETIME_CUR, 32],
    [XFRM_USERSA_INFO, 224],
    [XFRM_USERSA_ID, 24],
    [XFRM_USERSPI_INFO, 232],
    [XFRM_USERPOLICY_INFO, 168],
    [XFRM_USERPOLICY_ID, 64],
    [XFRM_USER_TMPL, 64],
    [XFRM_USER_ACQUIRE, 280],
    [XFRM_USER_EXPIRE, 232],
    [NLMSGERR, 20],
  ] as const)("%# sizeof(%s)", (def, size) => {
    expect(def.size).toBe(size);
  });

  it("places every member at its measured offset", () => {
    const at = (def: typeof NLMSGHDR): Record<string, [number, number]> =>
      Object.fromEntries(structSpans(def).map((s) => [s.name, [s.start, s.end - s.start]]));
    expect(at(NLMSGHDR)).toEqual({ nlmsg_len: [0, 4], nlmsg_type: [4, 2], nlmsg_flags: [6, 2], nlmsg_seq: [8, 4], nlmsg_pid: [12, 4] });
    expect(at(XFRM_SELECTOR)).toMatchObject({
      daddr: [0, 16],
      saddr: [16, 16],
      dport: [32, 2],
      dport_mask: [34, 2],
      sport: [36, 2],
      sport_mask: [38, 2],
      family: [40, 2],
      prefixlen_d: [42, 1],
      prefixlen_s: [43, 1],
      proto: [44, 1],
      ifindex: [48, 4],
      user: [52, 4],
    });
    expect(at(XFRM_ID)).toEqual({ daddr: [0, 16], spi: [16, 4], proto: [20, 1] });
    expect(at(XFRM_USERSA_INFO)).toMatchObject({
      "sel.daddr": [0, 16],
      "id.daddr": [56, 16],
      "id.spi": [72, 4],
      saddr: [80, 16],
      "lft.soft_byte_limit": [96, 8],
      "curlft.bytes": [160, 8],
      "stats.replay_window": [192, 4],
      seq: [204, 4],
      reqid: [208, 4],
      family: [212, 2],
      mode: [214, 1],
      replay_window: [215, 1],
      flags: [216, 1],
    });
    expect(at(XFRM_USERSA_ID)).toEqual({ daddr: [0, 16], spi: [16, 4], family: [20, 2], proto: [22, 1] });
    expect(at(XFRM_USERSPI_INFO)).toMatchObject({ min: [224, 4], max: [228, 4] });
    expect(at(XFRM_USERPOLICY_INFO)).toMatchObject({
      "lft.soft_byte_limit": [56, 8],
      "curlft.bytes": [120, 8],
      priority: [152, 4],
      index: [156, 4],
      dir: [160, 1],
      action: [161, 1],
      flags: [162, 1],
      share: [163, 1],
    });
    expect(at(XFRM_USERPOLICY_ID)).toMatchObject({ index: [56, 4], dir: [60, 1] });
    expect(at(XFRM_USER_TMPL)).toMatchObject({
      "id.daddr": [0, 16],
      family: [24, 2],
      saddr: [28, 16],
      reqid: [44, 4],
      mode: [48, 1],
      share: [49, 1],
      optional: [50, 1],
      aalgos: [52, 4],
      ealgos: [56, 4],
      calgos: [60, 4],
    });
    expect(at(XFRM_USER_ACQUIRE)).toMatchObject({
      "id.daddr": [0, 16],
      saddr: [24, 16],
      "sel.daddr": [40, 16],
      "policy.sel.daddr": [96, 16],
      "policy.priority": [248, 4],
      aalgos: [264, 4],
      ealgos: [268, 4],
      calgos: [272, 4],
      seq: [276, 4],
    });
    expect(at(XFRM_USER_EXPIRE)).toMatchObject({ "state.sel.daddr": [0, 16], hard: [224, 1] });
  });

  it("is host order (little-endian) except addresses, SPI and ports", () => {
    const b = sentinel(XFRM_USERSA_INFO.size);
    encodeStruct(
      XFRM_USERSA_INFO,
      { id: { daddr: "192.0.2.2", spi: 0xc1a0b2c3, proto: 50 }, reqid: 0x01020304, family: 2, sel: { dport: 0x1234 } },
      b,
    );
    expect(Array.from(b.subarray(56, 60))).toEqual([192, 0, 2, 2]);
    expect(Array.from(b.subarray(72, 76))).toEqual([0xc1, 0xa0, 0xb2, 0xc3]);
    expect(Array.from(b.subarray(208, 212))).toEqual([4, 3, 2, 1]);
    expect(Array.from(b.subarray(212, 214))).toEqual([2, 0]);
    expect(Array.from(b.subarray(32, 34))).toEqual([0x12, 0x34]);
    // encodeStruct zeroes its whole sizeof first: padding (e.g. 217..224) is 0, as memset leaves it.
    expect(Array.from(b.subarray(217, 224))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("encodeStruct writes only inside sizeof and rejects values that do not fit", () => {
    const b = sentinel(XFRM_USERSA_ID.size + 8);
    encodeStruct(XFRM_USERSA_ID, { daddr: "10.0.0.1" }, b, 4);
    expect(Array.from(b.subarray(0, 4))).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
    expect(Array.from(b.subarray(28))).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
    expect(() => encodeStruct(XFRM_USERSA_ID, { proto: 256 }, new Uint8Array(24))).toThrow(RangeError);
    expect(() => encodeStruct(XFRM_USERSA_ID, { daddr: "10.0.0.300" }, new Uint8Array(24))).toThrow(RangeError);
    expect(() => encodeStruct(XFRM_USERSA_ID, {}, new Uint8Array(23))).toThrow(RangeError);
  });
});

describe("xfrm netlink messages against bytes built in C with the uapi structs (tests/vectors/keying)", () => {
  it.each(Object.keys(REPRS))("emit %s is byte-identical to gen.c", (name) => {
    const m = REPRS[name]!;
    const b = emitXfrm(m);
    expect(b.length).toBe(xfrmMessageLen(m));
    expect(Buffer.from(b).toString("hex")).toBe(Buffer.from(vector(name)).toString("hex"));
  });

  it.each(Object.keys(REPRS))("parse %s gives back the Repr", (name) => {
    const p = parseXfrm(vector(name));
    if (!p.ok) throw new Error(p.error.message);
    const want = REPRS[name]!;
    expect(p.value.type).toBe(want.type);
    expect([p.value.flags, p.value.seq, p.value.pid]).toEqual([want.flags, want.seq, want.pid]);
    expect(p.value.len).toBe(vector(name).length);
    expect(emitXfrm(p.value)).toEqual(vector(name));
  });

  it("message sizes: header 16 + body + 4-aligned attributes", () => {
    const len = (n: string): number => vector(n).length;
    expect(len("xfrm_updpolicy_out")).toBe(16 + 168 + 4 + 64);
    expect(len("xfrm_acquire")).toBe(16 + 280 + (4 + 64) + 12); // XFRMA_POLICY_TYPE: 4 + 6, padded to 12
    expect(len("xfrm_allocspi")).toBe(16 + 232);
    expect(len("xfrm_newsa")).toBe(16 + 224 + 4 + 72 + 20); // xfrm_algo_aead 72 + 160-bit key (RFC 4106 key + salt)
    expect(len("xfrm_expire_soft")).toBe(16 + 232);
    expect(len("xfrm_delsa")).toBe(16 + 24);
    expect(len("nlmsg_ack")).toBe(16 + 20);
  });

  it("reads lifetimes as u64 with XFRM_INF and key lengths in bits", () => {
    const p = parseXfrm(vector("xfrm_newsa"));
    if (!p.ok) throw new Error(p.error.message);
    const lft = p.value.body["lft"] as CRecord;
    expect(lft["soft_packet_limit"]).toBe(10n);
    expect(lft["hard_packet_limit"]).toBe(XFRM_INF);
    const aead = p.value.attrs[0];
    expect(aead?.type === "ALG_AEAD" && [aead.alg.name, aead.alg.key.length, aead.icvBits]).toEqual(["rfc4106(gcm(aes))", 20, 128]);
  });

  it("emits into fresh buffers: parse(emit(r)) = r for random SAs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0x100, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        (spi, reqid, rw, key) => {
          const m: XfrmMessage = {
            type: "NEWSA",
            flags: 5,
            seq: 7,
            pid: 0,
            body: { ...sa(spi), reqid, replay_window: rw },
            attrs: [{ type: "ALG_CRYPT", alg: { name: "cbc(aes)", key } }],
          };
          const p = parseXfrm(emitXfrm(m));
          expect(p.ok).toBe(true);
          if (!p.ok) return;
          expect(p.value.body).toEqual(full(XFRM_USERSA_INFO, m.body));
          const a = p.value.attrs[0];
          expect(a?.type === "ALG_CRYPT" && Array.from(a.alg.key)).toEqual(Array.from(key));
        },
      ),
    );
  });

  it("fails, never throws, on truncated or inconsistent bytes", () => {
    const b = vector("xfrm_newsa");
    expect(parseXfrm(b.subarray(0, 10))).toMatchObject({ ok: false, error: { kind: "truncated", header: "nlmsghdr" } });
    expect(parseXfrm(b.subarray(0, 100))).toMatchObject({ ok: false, error: { kind: "truncated" } });
    const bad = b.slice();
    bad[16 + 224] = 2; // rta_len 2 < 4
    bad[16 + 225] = 0;
    expect(parseXfrm(bad)).toMatchObject({ ok: false, error: { kind: "malformed", header: "rtattr" } });
    const unknown = b.slice();
    unknown[4] = 0x7f;
    expect(parseXfrm(unknown)).toMatchObject({ ok: false, error: { kind: "unsupported" } });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (junk) => void parseXfrm(junk)));
  });
});

describe("ip xfrm monitor text (iproute2 6.1 output for the same bytes)", () => {
  it.each(Object.keys(REPRS))("%s prints as ip xfrm monitor does", (name) => {
    const p = parseXfrm(vector(name));
    if (!p.ok) throw new Error(p.error.message);
    expect(xfrmMonitorText(p.value)).toBe(IP_XFRM_MONITOR[name]);
  });

  it("shows the text for the on-demand sequence", () => {
    const text = (n: string): string => {
      const p = parseXfrm(vector(n));
      return p.ok ? xfrmMonitorText(p.value) : "";
    };
    expect(text("xfrm_acquire")).toBe(
      [
        "acquire proto esp ",
        "  sel src 10.1.0.5/32 dst 10.2.0.7/32 proto icmp type 8 code 0 ",
        "  policy src 10.1.0.0/16 dst 10.2.0.0/16 ",
        "    \tdir out priority 2084814 ptype main ",
        "    \ttmpl src 192.0.2.1 dst 192.0.2.2",
        "    \t\tproto esp reqid 16389 mode tunnel",
        "",
        "",
      ].join("\n"),
    );
    expect(text("xfrm_newsa")).toBe(
      "src 192.0.2.1 dst 192.0.2.2\n\tproto esp spi 0xc1a0b2c3 reqid 16389 mode tunnel\n\treplay-window 32 flag af-unspec\n\taead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128\n",
    );
    expect(text("xfrm_expire_soft")).toContain("Expired src 192.0.2.1 dst 192.0.2.2\n");
    expect(text("xfrm_expire_soft").endsWith("\thard 0\n")).toBe(true);
  });

  it("summarises each message by its kernel name", () => {
    const sum = (n: string): string => {
      const p = parseXfrm(vector(n));
      return p.ok ? xfrmSummary(p.value) : "";
    };
    expect(sum("xfrm_acquire")).toBe("XFRM_MSG_ACQUIRE seq 1 esp 192.0.2.1→192.0.2.2");
    expect(sum("xfrm_newsa")).toBe("XFRM_MSG_NEWSA esp spi 0xc1a0b2c3 192.0.2.1→192.0.2.2 reqid 16389");
    expect(sum("xfrm_updpolicy_fwd")).toBe("XFRM_MSG_UPDPOLICY dir fwd src 10.2.0.0/16 dst 10.1.0.0/16");
    expect(sum("xfrm_expire_soft")).toBe("XFRM_MSG_EXPIRE soft spi 0xc1a0b2c3");
    expect(sum("nlmsg_ack")).toBe("NLMSG_ERROR 0 (ACK)");
  });
});
