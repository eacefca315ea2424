/**
 * XFRM netlink messages (NETLINK_XFRM = 6): what an IKE daemon and the Linux kernel exchange to
 * manage the SAD and SPD. Layouts are `include/uapi/linux/xfrm.h` (torvalds/linux @00ed905a, the
 * same structs as Debian linux-libc-dev 6.1) and `include/uapi/linux/netlink.h`; sizes and offsets
 * were measured with gcc on x86_64 (kernel-notes §10.4) and the tests assert every one of them.
 *
 *    nlmsghdr (16)                  body (fixed struct per type)          rtattrs, 4-aligned
 *   +-----+------+-------+-----+-----+-----------------------------+  +--------+------+-------+
 *   | len | type | flags | seq | pid | xfrm_usersa_info (224) …    |  | rta_len| type | data… |
 *   +-----+------+-------+-----+-----+-----------------------------+  +--------+------+-------+
 *    u32   u16    u16     u32   u32                                     u16      u16
 *
 * **Byte order.** Netlink is a host-to-kernel interface: every integer is in *host* order, which
 * on x86_64 is little-endian — except what the kernel keeps in network order because it is
 * compared with packet bytes: addresses (`xfrm_address_t`), the SPI (`__be32 spi`) and ports
 * (`__be16 sport/dport` and their masks). The codec below records that per field (`n16`, `n32`,
 * `addr`), so a reader can see why "spi" is big-endian next to a little-endian "reqid".
 *
 * The generic C-struct codec at the top (`defineStruct`, `encodeStruct`, `decodeStruct`) is also
 * what `pfkey.ts` uses: PF_KEY v2 structs are host order too (RFC 2367 §2: "all fields are in
 * host byte order" except SPI and addresses).
 */

import { formatIpv4Addr, ipv4AddrOrThrow, toHex, wireError, wireOk, type WireResult } from "./fields";

// ---------------------------------------------------------------------------------------------
// C struct codec (host order = little-endian x86_64)
// ---------------------------------------------------------------------------------------------

/**
 * How a C field is stored: `u8/u16/u32/u64` host order (little-endian), `n16/n32` network order
 * (`__be16`/`__be32`), `addr4` a 4-byte IPv4 address, `addr16` an `xfrm_address_t` (IPv4 in the
 * first 4 bytes), `str` a NUL-padded char array, or a nested struct.
 */
export type CFieldKind = "u8" | "u16" | "u32" | "u64" | "n16" | "n32" | "addr4" | "addr16" | "str" | CStruct;

/** One C struct member with its measured offset and size. */
export interface CField {
  /** The member's C name without the struct prefix (`reqid`, `replay_window`). */
  readonly name: string;
  /** Label for the inspector. */
  readonly label: string;
  readonly offset: number;
  readonly size: number;
  readonly kind: CFieldKind;
  /** Shown in hex by decoders ("0xc1a0b2c3"). */
  readonly hex?: true;
}

/** A C struct: its name, `sizeof`, and members (padding is whatever no member covers; emitted as zeros). */
export interface CStruct {
  readonly struct: string;
  readonly size: number;
  readonly fields: readonly CField[];
}

/** A decoded struct: numbers for u8..u32 and n16/n32, bigint for u64, dotted quads for addresses, nested objects. */
export type CValue = number | bigint | string | CRecord;
/** A decoded struct as a plain record keyed by member name. */
export interface CRecord {
  readonly [name: string]: CValue;
}

const KIND_SIZE: Readonly<Record<string, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, n16: 2, n32: 4, addr4: 4, addr16: 16 };

/** Declare a struct layout, checking at module load that members fit, do not overlap and have the size their kind needs. */
export function defineStruct(struct: string, size: number, fields: readonly CField[]): CStruct {
  let end = 0;
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new RangeError(`${struct}.${f.name}: duplicate member`);
    seen.add(f.name);
    const want = typeof f.kind === "string" ? KIND_SIZE[f.kind] : f.kind.size;
    if (want !== undefined && want !== f.size) throw new RangeError(`${struct}.${f.name}: ${String(f.kind)} needs ${want} bytes, not ${f.size}`);
    // Members are listed in offset order, like the C declaration; an overlap is a typo in a table.
    if (f.offset < end) throw new RangeError(`${struct}.${f.name}: offset ${f.offset} overlaps the previous member`);
    end = f.offset + f.size;
  }
  if (end > size) throw new RangeError(`${struct}: members end at ${end}, past sizeof ${size}`);
  return { struct, size, fields };
}

/**
 * Write `value` as `def` at `buf[offset]`: the whole `sizeof` range is zeroed first (the kernel
 * and libreswan memset their structs, so padding is 0 on the wire), then every member is written.
 * Missing members are 0. Throws RangeError for a value that does not fit or a short buffer.
 */
export function encodeStruct(def: CStruct, value: CRecord, buf: Uint8Array, offset = 0): number {
  if (offset < 0 || offset + def.size > buf.length) throw new RangeError(`${def.struct} (${def.size}) does not fit at ${offset} in ${buf.length}`);
  buf.fill(0, offset, offset + def.size);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const f of def.fields) {
    const v = value[f.name];
    if (v === undefined) continue;
    const at = offset + f.offset;
    const k = f.kind;
    if (typeof k !== "string") {
      if (typeof v !== "object") throw new RangeError(`${def.struct}.${f.name}: expected a struct`);
      encodeStruct(k, v, buf, at);
      continue;
    }
    switch (k) {
      case "u64":
        view.setBigUint64(at, typeof v === "bigint" ? v : BigInt(num(def, f, v, 2 ** 53)), true);
        break;
      case "u8":
        view.setUint8(at, num(def, f, v, 2 ** 8));
        break;
      case "u16":
      case "n16":
        view.setUint16(at, num(def, f, v, 2 ** 16), k === "u16");
        break;
      case "u32":
      case "n32":
        view.setUint32(at, num(def, f, v, 2 ** 32), k === "u32");
        break;
      case "addr4":
      case "addr16":
        if (typeof v !== "string") throw new RangeError(`${def.struct}.${f.name}: expected an address`);
        view.setUint32(at, ipv4AddrOrThrow(v, `${def.struct}.${f.name}`), false);
        break;
      case "str": {
        if (typeof v !== "string") throw new RangeError(`${def.struct}.${f.name}: expected a string`);
        // C char array: at most size-1 bytes so the kernel's strnlen finds the NUL.
        if (v.length >= f.size) throw new RangeError(`${def.struct}.${f.name}: "${v}" does not fit char[${f.size}]`);
        for (let i = 0; i < v.length; i++) buf[at + i] = v.charCodeAt(i) & 0xff;
        break;
      }
    }
  }
  return def.size;
}

/** Read `def` at `buf[offset]`; the caller has checked that `sizeof` bytes are there. */
export function decodeStruct(def: CStruct, buf: Uint8Array, offset = 0): CRecord {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Record<string, CValue> = {};
  for (const f of def.fields) {
    const at = offset + f.offset;
    const k = f.kind;
    if (typeof k !== "string") {
      out[f.name] = decodeStruct(k, buf, at);
      continue;
    }
    switch (k) {
      case "u8":
        out[f.name] = view.getUint8(at);
        break;
      case "u16":
      case "n16":
        out[f.name] = view.getUint16(at, k === "u16");
        break;
      case "u32":
      case "n32":
        out[f.name] = view.getUint32(at, k === "u32");
        break;
      case "u64":
        out[f.name] = view.getBigUint64(at, true);
        break;
      case "addr4":
      case "addr16":
        out[f.name] = formatIpv4Addr(view.getUint32(at, false));
        break;
      case "str": {
        let s = "";
        for (let i = 0; i < f.size && buf[at + i] !== 0; i++) s += String.fromCharCode(buf[at + i]!);
        out[f.name] = s;
        break;
      }
    }
  }
  return out;
}

/** Byte ranges of every leaf member of `def` placed at `base`, with dotted names ("sel.daddr"), for the inspector and the tests. */
export function structSpans(def: CStruct, base = 0, prefix = ""): { name: string; label: string; start: number; end: number }[] {
  const out: { name: string; label: string; start: number; end: number }[] = [];
  for (const f of def.fields) {
    if (typeof f.kind !== "string") out.push(...structSpans(f.kind, base + f.offset, `${prefix}${f.name}.`));
    else out.push({ name: prefix + f.name, label: f.label, start: base + f.offset, end: base + f.offset + f.size });
  }
  return out;
}

function num(def: CStruct, f: CField, v: CValue, limit: number): number {
  if (typeof v === "bigint") v = Number(v);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= limit) {
    throw new RangeError(`${def.struct}.${f.name}: ${String(v)} does not fit ${f.kind as string}`);
  }
  return v;
}

/** A CField from its C name, offset, size and kind (pfkey.ts builds its tables with it too). */
export const fld = (name: string, offset: number, size: number, kind: CFieldKind, label = name, hex?: true): CField =>
  hex ? { name, label, offset, size, kind, hex } : { name, label, offset, size, kind };

// ---------------------------------------------------------------------------------------------
// Netlink and XFRM constants (uapi netlink.h, xfrm.h)
// ---------------------------------------------------------------------------------------------

/** `NETLINK_XFRM` protocol number (uapi netlink.h). */
export const NETLINK_XFRM = 6;
/** `sizeof(struct nlmsghdr)`. */
export const NLMSG_HDRLEN = 16;
/** `NLMSG_ALIGN`: netlink messages and attributes are padded to 4 bytes. */
export const nlmsgAlign = (n: number): number => (n + 3) & ~3;

/** nlmsg_flags (uapi netlink.h). */
export const NLM_F = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8 } as const;

/** nlmsg_type values: NLMSG_* control messages and XFRM_MSG_* (uapi xfrm.h `enum { XFRM_MSG_BASE = 0x10, … }`). */
export const XFRM_MSG = {
  NOOP: 0x1,
  ERROR: 0x2,
  DONE: 0x3,
  NEWSA: 0x10,
  DELSA: 0x11,
  GETSA: 0x12,
  NEWPOLICY: 0x13,
  DELPOLICY: 0x14,
  GETPOLICY: 0x15,
  ALLOCSPI: 0x16,
  ACQUIRE: 0x17,
  EXPIRE: 0x18,
  UPDPOLICY: 0x19,
  UPDSA: 0x1a,
  POLEXPIRE: 0x1b,
  FLUSHSA: 0x1c,
  FLUSHPOLICY: 0x1d,
} as const;
/** A modelled nlmsg_type name. */
export type XfrmMsgName = keyof typeof XFRM_MSG;

/** Kernel name of an nlmsg_type: "XFRM_MSG_NEWSA", "NLMSG_ERROR", or "type 0x…". */
export function xfrmMsgName(type: number): string {
  for (const [k, v] of Object.entries(XFRM_MSG)) if (v === type) return v < 0x10 ? `NLMSG_${k}` : `XFRM_MSG_${k}`;
  return `type 0x${type.toString(16)}`;
}

/** Multicast groups (`enum xfrm_nlgroups`); a socket binds `1 << (group - 1)` (libreswan binds ACQUIRE|EXPIRE = 1|2). */
export const XFRMNLGRP = { ACQUIRE: 1, EXPIRE: 2, SA: 3, POLICY: 4 } as const;

/** Attribute types (`enum xfrm_attr_type_t`). */
export const XFRMA = {
  ALG_AUTH: 1,
  ALG_CRYPT: 2,
  ALG_COMP: 3,
  ENCAP: 4,
  TMPL: 5,
  SA: 6,
  POLICY: 7,
  SEC_CTX: 8,
  LTIME_VAL: 9,
  REPLAY_VAL: 10,
  REPLAY_THRESH: 11,
  ETIMER_THRESH: 12,
  SRCADDR: 13,
  COADDR: 14,
  LASTUSED: 15,
  POLICY_TYPE: 16,
  MIGRATE: 17,
  ALG_AEAD: 18,
  KMADDRESS: 19,
  ALG_AUTH_TRUNC: 20,
  MARK: 21,
} as const;

/** `XFRM_MODE_*`. */
export const XFRM_MODE = { TRANSPORT: 0, TUNNEL: 1 } as const;
/** `XFRM_POLICY_*` directions. */
export const XFRM_POLICY_DIR = { IN: 0, OUT: 1, FWD: 2 } as const;
/** `XFRM_POLICY_ALLOW/BLOCK`. */
export const XFRM_POLICY_ACTION = { ALLOW: 0, BLOCK: 1 } as const;
/** `XFRM_STATE_*` flags in xfrm_usersa_info.flags. */
export const XFRM_STATE_FLAG = { NOECN: 1, DECAP_DSCP: 2, NOPMTUDISC: 4, WILDRECV: 8, ICMP: 16, AF_UNSPEC: 32, ALIGN4: 64, ESN: 128 } as const;
/** `XFRM_INF`, `~(__u64)0`: "no limit" in xfrm_lifetime_cfg. */
export const XFRM_INF = 0xffffffffffffffffn;
/** Address families. */
export const AF = { UNSPEC: 0, INET: 2, INET6: 10 } as const;
/** IPPROTO_ESP / AH / COMP as xfrm_id.proto holds them. */
export const XFRM_PROTO = { ESP: 50, AH: 51, COMP: 108 } as const;

// ---------------------------------------------------------------------------------------------
// Struct layouts (uapi xfrm.h; offsets measured, kernel-notes §10.4)
// ---------------------------------------------------------------------------------------------

/** `struct nlmsghdr` (16). */
export const NLMSGHDR = defineStruct("nlmsghdr", 16, [
  fld("nlmsg_len", 0, 4, "u32", "Length"),
  fld("nlmsg_type", 4, 2, "u16", "Type"),
  fld("nlmsg_flags", 6, 2, "u16", "Flags", true),
  fld("nlmsg_seq", 8, 4, "u32", "Sequence"),
  fld("nlmsg_pid", 12, 4, "u32", "Port id"),
]);

/** `struct xfrm_selector` (56): ports and masks are __be16; ICMP type/code travel in sport/dport. */
export const XFRM_SELECTOR = defineStruct("xfrm_selector", 56, [
  fld("daddr", 0, 16, "addr16", "Destination"),
  fld("saddr", 16, 16, "addr16", "Source"),
  fld("dport", 32, 2, "n16", "Destination port"),
  fld("dport_mask", 34, 2, "n16", "Destination port mask", true),
  fld("sport", 36, 2, "n16", "Source port"),
  fld("sport_mask", 38, 2, "n16", "Source port mask", true),
  fld("family", 40, 2, "u16", "Family"),
  fld("prefixlen_d", 42, 1, "u8", "Destination prefix"),
  fld("prefixlen_s", 43, 1, "u8", "Source prefix"),
  fld("proto", 44, 1, "u8", "Protocol"),
  fld("ifindex", 48, 4, "u32", "Interface index"),
  fld("user", 52, 4, "u32", "User"),
]);

/** `struct xfrm_id` (24): the SA's identity {daddr, spi, proto}. */
export const XFRM_ID = defineStruct("xfrm_id", 24, [
  fld("daddr", 0, 16, "addr16", "Destination"),
  fld("spi", 16, 4, "n32", "SPI", true),
  fld("proto", 20, 1, "u8", "Protocol"),
]);

/** `struct xfrm_lifetime_cfg` (64): soft and hard limits, XFRM_INF for none. */
export const XFRM_LIFETIME_CFG = defineStruct("xfrm_lifetime_cfg", 64, [
  fld("soft_byte_limit", 0, 8, "u64", "Soft byte limit"),
  fld("hard_byte_limit", 8, 8, "u64", "Hard byte limit"),
  fld("soft_packet_limit", 16, 8, "u64", "Soft packet limit"),
  fld("hard_packet_limit", 24, 8, "u64", "Hard packet limit"),
  fld("soft_add_expires_seconds", 32, 8, "u64", "Soft add expiry (s)"),
  fld("hard_add_expires_seconds", 40, 8, "u64", "Hard add expiry (s)"),
  fld("soft_use_expires_seconds", 48, 8, "u64", "Soft use expiry (s)"),
  fld("hard_use_expires_seconds", 56, 8, "u64", "Hard use expiry (s)"),
]);

/** `struct xfrm_lifetime_cur` (32): what has been used so far. */
export const XFRM_LIFETIME_CUR = defineStruct("xfrm_lifetime_cur", 32, [
  fld("bytes", 0, 8, "u64", "Bytes"),
  fld("packets", 8, 8, "u64", "Packets"),
  fld("add_time", 16, 8, "u64", "Added (s)"),
  fld("use_time", 24, 8, "u64", "First use (s)"),
]);

/** `struct xfrm_stats` (12). */
export const XFRM_STATS = defineStruct("xfrm_stats", 12, [
  fld("replay_window", 0, 4, "u32", "Replay window failures"),
  fld("replay", 4, 4, "u32", "Replays"),
  fld("integrity_failed", 8, 4, "u32", "Integrity failures"),
]);

/** `struct xfrm_usersa_info` (224): body of NEWSA / UPDSA, and of XFRMA_SA. */
export const XFRM_USERSA_INFO = defineStruct("xfrm_usersa_info", 224, [
  fld("sel", 0, 56, XFRM_SELECTOR, "Selector"),
  fld("id", 56, 24, XFRM_ID, "Id"),
  fld("saddr", 80, 16, "addr16", "Source"),
  fld("lft", 96, 64, XFRM_LIFETIME_CFG, "Lifetime"),
  fld("curlft", 160, 32, XFRM_LIFETIME_CUR, "Current"),
  fld("stats", 192, 12, XFRM_STATS, "Stats"),
  fld("seq", 204, 4, "u32", "km.seq"),
  fld("reqid", 208, 4, "u32", "Request id"),
  fld("family", 212, 2, "u16", "Family"),
  fld("mode", 214, 1, "u8", "Mode"),
  fld("replay_window", 215, 1, "u8", "Replay window"),
  fld("flags", 216, 1, "u8", "Flags", true),
]);

/** `struct xfrm_usersa_id` (24): body of DELSA / GETSA. */
export const XFRM_USERSA_ID = defineStruct("xfrm_usersa_id", 24, [
  fld("daddr", 0, 16, "addr16", "Destination"),
  fld("spi", 16, 4, "n32", "SPI", true),
  fld("family", 20, 2, "u16", "Family"),
  fld("proto", 22, 1, "u8", "Protocol"),
]);

/** `struct xfrm_userspi_info` (232): body of ALLOCSPI, an SA template plus the SPI range. */
export const XFRM_USERSPI_INFO = defineStruct("xfrm_userspi_info", 232, [
  fld("info", 0, 224, XFRM_USERSA_INFO, "SA"),
  fld("min", 224, 4, "u32", "SPI min", true),
  fld("max", 228, 4, "u32", "SPI max", true),
]);

/** `struct xfrm_userpolicy_info` (168): body of NEWPOLICY / UPDPOLICY, and of XFRMA_POLICY. */
export const XFRM_USERPOLICY_INFO = defineStruct("xfrm_userpolicy_info", 168, [
  fld("sel", 0, 56, XFRM_SELECTOR, "Selector"),
  fld("lft", 56, 64, XFRM_LIFETIME_CFG, "Lifetime"),
  fld("curlft", 120, 32, XFRM_LIFETIME_CUR, "Current"),
  fld("priority", 152, 4, "u32", "Priority"),
  fld("index", 156, 4, "u32", "Index"),
  fld("dir", 160, 1, "u8", "Direction"),
  fld("action", 161, 1, "u8", "Action"),
  fld("flags", 162, 1, "u8", "Flags", true),
  fld("share", 163, 1, "u8", "Share"),
]);

/** `struct xfrm_userpolicy_id` (64): body of DELPOLICY / GETPOLICY. */
export const XFRM_USERPOLICY_ID = defineStruct("xfrm_userpolicy_id", 64, [
  fld("sel", 0, 56, XFRM_SELECTOR, "Selector"),
  fld("index", 56, 4, "u32", "Index"),
  fld("dir", 60, 1, "u8", "Direction"),
]);

/** `struct xfrm_user_tmpl` (64): one element of the XFRMA_TMPL array. */
export const XFRM_USER_TMPL = defineStruct("xfrm_user_tmpl", 64, [
  fld("id", 0, 24, XFRM_ID, "Id"),
  fld("family", 24, 2, "u16", "Family"),
  fld("saddr", 28, 16, "addr16", "Source"),
  fld("reqid", 44, 4, "u32", "Request id"),
  fld("mode", 48, 1, "u8", "Mode"),
  fld("share", 49, 1, "u8", "Share"),
  fld("optional", 50, 1, "u8", "Optional"),
  fld("aalgos", 52, 4, "u32", "Auth algorithms", true),
  fld("ealgos", 56, 4, "u32", "Encryption algorithms", true),
  fld("calgos", 60, 4, "u32", "Compression algorithms", true),
]);

/** `struct xfrm_user_acquire` (280): body of ACQUIRE, kernel → daemon. */
export const XFRM_USER_ACQUIRE = defineStruct("xfrm_user_acquire", 280, [
  fld("id", 0, 24, XFRM_ID, "Id"),
  fld("saddr", 24, 16, "addr16", "Source"),
  fld("sel", 40, 56, XFRM_SELECTOR, "Selector"),
  fld("policy", 96, 168, XFRM_USERPOLICY_INFO, "Policy"),
  fld("aalgos", 264, 4, "u32", "Auth algorithms", true),
  fld("ealgos", 268, 4, "u32", "Encryption algorithms", true),
  fld("calgos", 272, 4, "u32", "Compression algorithms", true),
  fld("seq", 276, 4, "u32", "km.seq"),
]);

/** `struct xfrm_user_expire` (232): body of EXPIRE, hard = 0 soft, 1 hard. */
export const XFRM_USER_EXPIRE = defineStruct("xfrm_user_expire", 232, [
  fld("state", 0, 224, XFRM_USERSA_INFO, "State"),
  fld("hard", 224, 1, "u8", "Hard"),
]);

/** `struct nlmsgerr` (20): body of NLMSG_ERROR; error 0 is an ACK (the s32 is stored as its u32 bit pattern). */
export const NLMSGERR = defineStruct("nlmsgerr", 20, [fld("error", 0, 4, "u32", "Error"), fld("msg", 4, 16, NLMSGHDR, "Request header")]);

/** `struct xfrm_userpolicy_type` (6): XFRMA_POLICY_TYPE payload. */
export const XFRM_USERPOLICY_TYPE = defineStruct("xfrm_userpolicy_type", 6, [fld("type", 0, 1, "u8", "Type")]);

/** The fixed body struct of each modelled message type (FLUSHPOLICY has none). */
export const XFRM_BODY: Readonly<Partial<Record<XfrmMsgName, CStruct>>> = {
  ERROR: NLMSGERR,
  NEWSA: XFRM_USERSA_INFO,
  UPDSA: XFRM_USERSA_INFO,
  DELSA: XFRM_USERSA_ID,
  GETSA: XFRM_USERSA_ID,
  NEWPOLICY: XFRM_USERPOLICY_INFO,
  UPDPOLICY: XFRM_USERPOLICY_INFO,
  DELPOLICY: XFRM_USERPOLICY_ID,
  GETPOLICY: XFRM_USERPOLICY_ID,
  ALLOCSPI: XFRM_USERSPI_INFO,
  ACQUIRE: XFRM_USER_ACQUIRE,
  EXPIRE: XFRM_USER_EXPIRE,
};

/** The inspector's table for the netlink header (the "FIELDS" of this module; bodies use `structSpans`). */
export const NLMSGHDR_FIELDS = structSpans(NLMSGHDR);

// ---------------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------------

/** `struct xfrm_algo` (68 + key): ALG_CRYPT / ALG_AUTH; key_len in bits. */
export interface XfrmAlgo {
  readonly name: string;
  readonly key: Uint8Array;
}

/**
 * One rtattr. Typed for the attributes the model uses; anything else is kept raw, so parsing
 * never loses an attribute (smoltcp's `Unknown(raw)` rule).
 */
export type XfrmAttr =
  | { readonly type: "ALG_CRYPT" | "ALG_AUTH"; readonly alg: XfrmAlgo }
  | { readonly type: "ALG_AUTH_TRUNC"; readonly alg: XfrmAlgo; readonly truncBits: number }
  | { readonly type: "ALG_AEAD"; readonly alg: XfrmAlgo; readonly icvBits: number }
  | { readonly type: "TMPL"; readonly tmpls: readonly CRecord[] }
  | { readonly type: "SA"; readonly sa: CRecord }
  | { readonly type: "POLICY"; readonly policy: CRecord }
  | { readonly type: "POLICY_TYPE"; readonly ptype: number }
  | { readonly type: "raw"; readonly rtaType: number; readonly data: Uint8Array };

/** A whole XFRM netlink message: header fields, the fixed body and the attributes. */
export interface XfrmMessage {
  readonly type: XfrmMsgName;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** The body struct as a record (see `XFRM_BODY`); empty for bodiless types. */
  readonly body: CRecord;
  readonly attrs: readonly XfrmAttr[];
}

const ALG_NAME_LEN = 64;

function attrPayload(a: XfrmAttr): { type: number; data: Uint8Array } {
  switch (a.type) {
    case "ALG_CRYPT":
    case "ALG_AUTH":
    case "ALG_AUTH_TRUNC":
    case "ALG_AEAD": {
      // xfrm_algo: char alg_name[64]; u32 alg_key_len (bits); [u32 trunc/icv len (bits)]; key.
      const extra = a.type === "ALG_CRYPT" || a.type === "ALG_AUTH" ? 0 : 4;
      const data = new Uint8Array(ALG_NAME_LEN + 4 + extra + a.alg.key.length);
      if (a.alg.name.length >= ALG_NAME_LEN) throw new RangeError(`algorithm name ${a.alg.name} is too long`);
      for (let i = 0; i < a.alg.name.length; i++) data[i] = a.alg.name.charCodeAt(i);
      const v = new DataView(data.buffer);
      v.setUint32(ALG_NAME_LEN, a.alg.key.length * 8, true);
      if (a.type === "ALG_AUTH_TRUNC") v.setUint32(ALG_NAME_LEN + 4, a.truncBits, true);
      if (a.type === "ALG_AEAD") v.setUint32(ALG_NAME_LEN + 4, a.icvBits, true);
      data.set(a.alg.key, ALG_NAME_LEN + 4 + extra);
      return { type: XFRMA[a.type], data };
    }
    case "TMPL": {
      const data = new Uint8Array(XFRM_USER_TMPL.size * a.tmpls.length);
      a.tmpls.forEach((t, i) => encodeStruct(XFRM_USER_TMPL, t, data, i * XFRM_USER_TMPL.size));
      return { type: XFRMA.TMPL, data };
    }
    case "SA": {
      const data = new Uint8Array(XFRM_USERSA_INFO.size);
      encodeStruct(XFRM_USERSA_INFO, a.sa, data);
      return { type: XFRMA.SA, data };
    }
    case "POLICY": {
      const data = new Uint8Array(XFRM_USERPOLICY_INFO.size);
      encodeStruct(XFRM_USERPOLICY_INFO, a.policy, data);
      return { type: XFRMA.POLICY, data };
    }
    case "POLICY_TYPE": {
      const data = new Uint8Array(XFRM_USERPOLICY_TYPE.size);
      encodeStruct(XFRM_USERPOLICY_TYPE, { type: a.ptype }, data);
      return { type: XFRMA.POLICY_TYPE, data };
    }
    case "raw":
      return { type: a.rtaType, data: a.data };
  }
}

/** Bytes `emitXfrm` writes: header + body + each attribute padded to 4 (nlmsg_len counts them all). */
export function xfrmMessageLen(m: XfrmMessage): number {
  let n = NLMSG_HDRLEN + (XFRM_BODY[m.type]?.size ?? 0);
  for (const a of m.attrs) n += nlmsgAlign(4 + attrPayload(a).data.length);
  return n;
}

/**
 * Build the bytes of `m` as the sender writes them to the netlink socket (`nlmsg_len` set, every
 * attribute's `rta_len` = 4 + payload and padded with zeros to 4, as `addattr_l` / `nla_put` do).
 */
export function emitXfrm(m: XfrmMessage): Uint8Array {
  const body = XFRM_BODY[m.type];
  const attrs = m.attrs.map(attrPayload);
  let len = NLMSG_HDRLEN + (body?.size ?? 0);
  for (const a of attrs) len += nlmsgAlign(4 + a.data.length);
  const buf = new Uint8Array(len);
  encodeStruct(NLMSGHDR, { nlmsg_len: len, nlmsg_type: XFRM_MSG[m.type], nlmsg_flags: m.flags, nlmsg_seq: m.seq, nlmsg_pid: m.pid }, buf, 0);
  let at = NLMSG_HDRLEN;
  if (body) at += encodeStruct(body, m.body, buf, at);
  const view = new DataView(buf.buffer);
  for (const a of attrs) {
    view.setUint16(at, 4 + a.data.length, true);
    view.setUint16(at + 2, a.type, true);
    buf.set(a.data, at + 4);
    at += nlmsgAlign(4 + a.data.length);
  }
  return buf;
}

function parseAttr(type: number, data: Uint8Array): XfrmAttr {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const name = (): string => decodeStruct(defineStruct("alg", ALG_NAME_LEN, [fld("n", 0, ALG_NAME_LEN, "str")]), data)["n"] as string;
  switch (type) {
    case XFRMA.ALG_CRYPT:
    case XFRMA.ALG_AUTH:
      if (data.length >= ALG_NAME_LEN + 4) {
        const bits = v.getUint32(ALG_NAME_LEN, true);
        const key = data.slice(ALG_NAME_LEN + 4, ALG_NAME_LEN + 4 + bits / 8);
        return { type: type === XFRMA.ALG_CRYPT ? "ALG_CRYPT" : "ALG_AUTH", alg: { name: name(), key } };
      }
      break;
    case XFRMA.ALG_AUTH_TRUNC:
    case XFRMA.ALG_AEAD:
      if (data.length >= ALG_NAME_LEN + 8) {
        const bits = v.getUint32(ALG_NAME_LEN, true);
        const second = v.getUint32(ALG_NAME_LEN + 4, true);
        const alg = { name: name(), key: data.slice(ALG_NAME_LEN + 8, ALG_NAME_LEN + 8 + bits / 8) };
        return type === XFRMA.ALG_AEAD ? { type: "ALG_AEAD", alg, icvBits: second } : { type: "ALG_AUTH_TRUNC", alg, truncBits: second };
      }
      break;
    case XFRMA.TMPL:
      if (data.length % XFRM_USER_TMPL.size === 0) {
        const tmpls: CRecord[] = [];
        for (let i = 0; i < data.length; i += XFRM_USER_TMPL.size) tmpls.push(decodeStruct(XFRM_USER_TMPL, data, i));
        return { type: "TMPL", tmpls };
      }
      break;
    case XFRMA.SA:
      if (data.length >= XFRM_USERSA_INFO.size) return { type: "SA", sa: decodeStruct(XFRM_USERSA_INFO, data) };
      break;
    case XFRMA.POLICY:
      if (data.length >= XFRM_USERPOLICY_INFO.size) return { type: "POLICY", policy: decodeStruct(XFRM_USERPOLICY_INFO, data) };
      break;
    case XFRMA.POLICY_TYPE:
      if (data.length >= XFRM_USERPOLICY_TYPE.size) return { type: "POLICY_TYPE", ptype: data[0]! };
      break;
  }
  return { type: "raw", rtaType: type, data: data.slice() };
}

/**
 * Decode one netlink message at `bytes[offset]`. Fails (never throws) when the header or body is
 * truncated, `nlmsg_len` runs past the buffer, the type is not modelled, or an attribute's
 * `rta_len` is below 4 or past the message (the checks `nlmsg_ok` / `RTA_OK` make).
 */
export function parseXfrm(bytes: Uint8Array, offset = 0): WireResult<XfrmMessage & { len: number }> {
  if (bytes.length - offset < NLMSG_HDRLEN)
    return wireError("truncated", "nlmsghdr", `need ${NLMSG_HDRLEN} bytes for nlmsghdr, have ${bytes.length - offset}`);
  const h = decodeStruct(NLMSGHDR, bytes, offset);
  const len = h["nlmsg_len"] as number;
  if (len < NLMSG_HDRLEN || offset + len > bytes.length) {
    return wireError("truncated", "nlmsghdr", `nlmsg_len ${len} does not fit the ${bytes.length - offset} bytes left`);
  }
  const typeNum = h["nlmsg_type"] as number;
  const type = (Object.keys(XFRM_MSG) as XfrmMsgName[]).find((k) => XFRM_MSG[k] === typeNum);
  if (!type) return wireError("unsupported", "xfrm", `${xfrmMsgName(typeNum)} is not modelled`);
  const def = XFRM_BODY[type];
  if (def && len < NLMSG_HDRLEN + def.size)
    return wireError("truncated", "xfrm", `${xfrmMsgName(typeNum)} needs ${def.size} body bytes, has ${len - NLMSG_HDRLEN}`);
  const body = def ? decodeStruct(def, bytes, offset + NLMSG_HDRLEN) : {};
  const attrs: XfrmAttr[] = [];
  let at = offset + NLMSG_HDRLEN + (def?.size ?? 0);
  const end = offset + len;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (at + 4 <= end) {
    const rtaLen = view.getUint16(at, true);
    if (rtaLen < 4 || at + rtaLen > end) return wireError("malformed", "rtattr", `rta_len ${rtaLen} at ${at - offset} is outside the message`);
    attrs.push(parseAttr(view.getUint16(at + 2, true), bytes.subarray(at + 4, at + rtaLen)));
    at += nlmsgAlign(rtaLen);
  }
  return wireOk({ type, flags: h["nlmsg_flags"] as number, seq: h["nlmsg_seq"] as number, pid: h["nlmsg_pid"] as number, body, attrs, len });
}

// ---------------------------------------------------------------------------------------------
// Builders for the records the daemon and kernel fill in
// ---------------------------------------------------------------------------------------------

/** An IPv4 selector `src/plen → dst/plen` (any port, any protocol unless given), as libreswan's `netlink_raw_eroute` fills it. */
export function xfrmSelector(src: string, srcPlen: number, dst: string, dstPlen: number, proto = 0): CRecord {
  return { daddr: dst, saddr: src, family: AF.INET, prefixlen_d: dstPlen, prefixlen_s: srcPlen, proto };
}

/** xfrm_lifetime_cfg with the given limits and XFRM_INF elsewhere. */
export function xfrmLifetime(
  limits: Partial<
    Record<
      | "soft_byte_limit"
      | "hard_byte_limit"
      | "soft_packet_limit"
      | "hard_packet_limit"
      | "soft_add_expires_seconds"
      | "hard_add_expires_seconds"
      | "soft_use_expires_seconds"
      | "hard_use_expires_seconds",
      bigint
    >
  > = {},
): CRecord {
  return {
    soft_byte_limit: limits.soft_byte_limit ?? XFRM_INF,
    hard_byte_limit: limits.hard_byte_limit ?? XFRM_INF,
    soft_packet_limit: limits.soft_packet_limit ?? XFRM_INF,
    hard_packet_limit: limits.hard_packet_limit ?? XFRM_INF,
    soft_add_expires_seconds: limits.soft_add_expires_seconds ?? 0n,
    hard_add_expires_seconds: limits.hard_add_expires_seconds ?? 0n,
    soft_use_expires_seconds: limits.soft_use_expires_seconds ?? 0n,
    hard_use_expires_seconds: limits.hard_use_expires_seconds ?? 0n,
  };
}

// ---------------------------------------------------------------------------------------------
// `ip xfrm monitor` text: iproute2 ip/xfrm_monitor.c xfrm_accept_msg → ip/xfrm_state.c
// xfrm_state_print, ip/xfrm_policy.c xfrm_policy_print, ip/ipxfrm.c xfrm_state_info_print /
// xfrm_policy_info_print / xfrm_selector_print / xfrm_id_info_print / xfrm_xfrma_print
// (iproute2 @048bff6e read; output checked byte for byte against iproute2 6.1 `ip xfrm monitor file`).
// ---------------------------------------------------------------------------------------------

const XFRMPROTO_NAME: Readonly<Record<number, string>> = { 50: "esp", 51: "ah", 108: "comp", 43: "route2", 60: "hao", 255: "ipsec-any" };
/** getprotobynumber() names from /etc/protocols, for the protocols a selector here can hold. */
const IPPROTO_NAME: Readonly<Record<number, string>> = { 1: "icmp", 4: "ipencap", 6: "tcp", 17: "udp", 50: "esp", 51: "ah" };
const MODE_NAME: Readonly<Record<number, string>> = { 0: "transport", 1: "tunnel", 2: "ro", 3: "in_trigger", 4: "beet" };
const DIR_NAME: Readonly<Record<number, string>> = { 0: "in", 1: "out", 2: "fwd" };

const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;
const u = (r: CRecord, k: string): number => r[k] as number;
const sub = (r: CRecord, k: string): CRecord => r[k] as CRecord;
const xproto = (p: number): string => XFRMPROTO_NAME[p] ?? String(p);

/** `xfrm_selector_print`: every item ends in a space, ICMP type/code sit in sport/dport. */
function selectorText(sel: CRecord, prefix: string): string {
  let s = `${prefix}src ${sel["saddr"] as string}/${u(sel, "prefixlen_s")} dst ${sel["daddr"] as string}/${u(sel, "prefixlen_d")} `;
  const proto = u(sel, "proto");
  if (proto) s += `proto ${IPPROTO_NAME[proto] ?? proto} `;
  const [a, b] = proto === 1 ? ["type", "code"] : ["sport", "dport"];
  if (u(sel, "sport_mask")) s += `${a} ${u(sel, "sport")} `;
  if (u(sel, "dport_mask")) s += `${b} ${u(sel, "dport")} `;
  return `${s}\n`;
}

/** `xfrm_id_info_print`: "src S dst D" / "\tproto P [spi X ]reqid R mode M". */
function idText(saddr: string, id: CRecord, mode: number, reqid: number, forceSpi: boolean, prefix: string, title: string): string {
  const spi = forceSpi || u(id, "spi") ? `spi ${hex8(u(id, "spi"))} ` : "";
  return `${title}src ${saddr} dst ${id["daddr"] as string}\n${prefix}\tproto ${xproto(u(id, "proto"))} ${spi}reqid ${reqid} mode ${MODE_NAME[mode] ?? mode}\n`;
}

/** `xfrm_xfrma_print`, in its fixed order (auth, auth-trunc, aead, enc, …, tmpl), whatever order the attributes came in. */
function xfrmaText(attrs: readonly XfrmAttr[], prefix: string): string {
  const find = <T extends XfrmAttr["type"]>(t: T): (XfrmAttr & { type: T }) | undefined =>
    attrs.find((a): a is XfrmAttr & { type: T } => a.type === t);
  const key = (alg: XfrmAlgo): string => `${alg.name} 0x${toHex(alg.key)}`;
  let s = "";
  const auth = find("ALG_AUTH");
  const trunc = find("ALG_AUTH_TRUNC");
  const aead = find("ALG_AEAD");
  const crypt = find("ALG_CRYPT");
  const tmpl = find("TMPL");
  if (auth && !trunc) s += `${prefix}auth ${key(auth.alg)}\n`;
  if (trunc) s += `${prefix}auth-trunc ${key(trunc.alg)} ${trunc.truncBits}\n`;
  if (aead) s += `${prefix}aead ${key(aead.alg)} ${aead.icvBits}\n`;
  if (crypt) s += `${prefix}enc ${key(crypt.alg)}\n`;
  if (tmpl) {
    for (const t of tmpl.tmpls) {
      s += prefix + idText(t["saddr"] as string, sub(t, "id"), u(t, "mode"), u(t, "reqid"), false, prefix, "tmpl ");
      if (u(t, "optional")) s += `${prefix}\tlevel ${u(t, "optional") === 1 ? "use" : u(t, "optional")} \n`;
    }
  }
  return s;
}

const STATE_FLAG_NAMES: readonly [number, string][] = [
  [1, "noecn"],
  [2, "decap-dscp"],
  [4, "nopmtudisc"],
  [8, "wildrecv"],
  [16, "icmp"],
  [32, "af-unspec"],
  [64, "align4"],
];

function isZero(r: CRecord): boolean {
  return Object.values(r).every((v) => (typeof v === "object" ? isZero(v) : v === 0 || v === 0n || v === "0.0.0.0" || v === ""));
}

/** `xfrm_state_info_print` (ESP/AH/IPComp always print their SPI). */
function stateText(sa: CRecord, attrs: readonly XfrmAttr[], title: string): string {
  const id = sub(sa, "id");
  let s = idText(sa["saddr"] as string, id, u(sa, "mode"), u(sa, "reqid"), [50, 51, 108].includes(u(id, "proto")), "", title);
  s += `\treplay-window ${u(sa, "replay_window")} `;
  let flags = u(sa, "flags");
  if (flags) {
    // XFRM_FLAG_PRINT prints "name" and clears the bit, with a space between names.
    const names: string[] = [];
    for (const [bit, name] of STATE_FLAG_NAMES) {
      if (flags & bit) {
        names.push(name);
        flags &= ~bit;
      }
    }
    s += `flag ${names.join(" ")}${flags ? (names.length ? " " : "") + flags.toString(16) : ""}`;
  }
  s += "\n" + xfrmaText(attrs, "\t");
  if (!isZero(sub(sa, "sel"))) s += selectorText(sub(sa, "sel"), "\tsel ");
  return s;
}

/** `xfrm_policy_info_print`: "dir D [action block ]priority N [ptype main ]" then the templates. */
function policyText(p: CRecord, attrs: readonly XfrmAttr[], prefix: string, title: string): string {
  let s = selectorText(sub(p, "sel"), title);
  s += `${prefix}\tdir ${DIR_NAME[u(p, "dir")] ?? u(p, "dir")} `;
  const action = u(p, "action");
  if (action === XFRM_POLICY_ACTION.BLOCK) s += "action block ";
  else if (action !== XFRM_POLICY_ACTION.ALLOW) s += `action ${action} `;
  s += `priority ${u(p, "priority")} `;
  const pt = attrs.find((a) => a.type === "POLICY_TYPE");
  if (pt && pt.type === "POLICY_TYPE") s += `ptype ${pt.ptype === 0 ? "main" : pt.ptype === 1 ? "sub" : pt.ptype} `;
  return s + "\n" + xfrmaText(attrs, `${prefix}\t`);
}

/**
 * The text `ip xfrm monitor` prints for `m` (no `-s`, no timestamps), byte for byte as iproute2
 * 6.1 does for the same bytes. Kernel delete notifications carry the deleted object in XFRMA_SA /
 * XFRMA_POLICY; a daemon's DELSA/DELPOLICY *request* has none, and ip then prints only "Deleted "
 * (its "Buggy … no XFRMA_SA" complaint goes to stderr). Requests ip never sees as multicast
 * (ALLOCSPI) print as its "Unknown message" line; NLMSG_ERROR (ACKs) print nothing.
 */
export function xfrmMonitorText(m: XfrmMessage): string {
  const sa = m.attrs.find((a) => a.type === "SA");
  const pol = m.attrs.find((a) => a.type === "POLICY");
  switch (m.type) {
    case "NEWSA":
      return stateText(m.body, m.attrs, "");
    case "UPDSA":
      return stateText(m.body, m.attrs, "Updated ");
    case "DELSA":
      return sa && sa.type === "SA" ? stateText(sa.sa, m.attrs, "Deleted ") : "Deleted ";
    case "EXPIRE":
      return `${stateText(sub(m.body, "state"), m.attrs, "Expired ")}\thard ${u(m.body, "hard")}\n`;
    case "NEWPOLICY":
      return policyText(m.body, m.attrs, "", "");
    case "UPDPOLICY":
      return policyText(m.body, m.attrs, "", "Updated ");
    case "DELPOLICY":
      return pol && pol.type === "POLICY" ? policyText(pol.policy, m.attrs, "", "Deleted ") : "Deleted ";
    case "ACQUIRE": {
      const b = m.body;
      const id = sub(b, "id");
      let s = `acquire proto ${xproto(u(id, "proto"))} ${u(id, "spi") ? `spi ${hex8(u(id, "spi"))} ` : ""}\n`;
      s += selectorText(sub(b, "sel"), "  sel ");
      s += policyText(sub(b, "policy"), m.attrs, "    ", "  policy ");
      return `${s}\n`;
    }
    case "NOOP":
    case "ERROR":
    case "DONE":
      return "";
    default:
      return `Unknown message: ${String(xfrmMessageLen(m)).padStart(8, "0")} ${hex8(XFRM_MSG[m.type])} ${hex8(m.flags)}\n`;
  }
}

/** One line for narration and the trace: the kernel name and what it is about ("XFRM_MSG_NEWSA esp spi 0xc1a0b2c3 192.0.2.1→192.0.2.2"). */
export function xfrmSummary(m: XfrmMessage): string {
  const name = xfrmMsgName(XFRM_MSG[m.type]);
  const b = m.body;
  switch (m.type) {
    case "NEWSA":
    case "UPDSA": {
      const id = sub(b, "id");
      return `${name} ${xproto(u(id, "proto"))} spi ${hex8(u(id, "spi"))} ${b["saddr"] as string}→${id["daddr"] as string} reqid ${u(b, "reqid")}`;
    }
    case "ALLOCSPI": {
      const info = sub(b, "info");
      return `${name} ${xproto(u(sub(info, "id"), "proto"))} ${info["saddr"] as string}→${sub(info, "id")["daddr"] as string} range ${hex8(u(b, "min"))}-${hex8(u(b, "max"))}`;
    }
    case "ACQUIRE":
      return `${name} seq ${u(b, "seq")} ${xproto(u(sub(b, "id"), "proto"))} ${b["saddr"] as string}→${sub(b, "id")["daddr"] as string}`;
    case "EXPIRE": {
      const st = sub(b, "state");
      return `${name} ${u(b, "hard") ? "hard" : "soft"} spi ${hex8(u(sub(st, "id"), "spi"))}`;
    }
    case "NEWPOLICY":
    case "UPDPOLICY":
      return `${name} dir ${DIR_NAME[u(b, "dir")] ?? u(b, "dir")} ${selectorText(sub(b, "sel"), "").trim()}`;
    case "DELSA":
      return `${name} spi ${hex8(u(b, "spi"))} dst ${b["daddr"] as string}`;
    case "DELPOLICY":
      return `${name} dir ${DIR_NAME[u(b, "dir")] ?? u(b, "dir")}`;
    case "ERROR":
      return u(b, "error") === 0 ? "NLMSG_ERROR 0 (ACK)" : `NLMSG_ERROR ${u(b, "error") | 0}`;
    default:
      return name;
  }
}

// ---------------------------------------------------------------------------------------------
// Field rows for the inspector: every C member of a message with its struct, offset and value,
// read through the same struct tables the codec encodes and decodes with (one table per struct).
// ---------------------------------------------------------------------------------------------

/** One member of a key-management message as the inspector lists it. */
export interface KeyFieldRow {
  /** The C struct the member belongs to ("xfrm_usersa_info", "rtattr", "sadb_sa"). */
  readonly struct: string;
  /** The member, dotted through nested structs ("sel.daddr", "lft.soft_packet_limit"). */
  readonly field: string;
  readonly label: string;
  /** Byte offset in the message, and size. */
  readonly offset: number;
  readonly size: number;
  readonly value: string;
}

/** A member's value as the inspector shows it (hex where the table says so, XFRM_INF by name). */
function fieldText(f: CField, v: CValue | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "bigint") return v === XFRM_INF ? "XFRM_INF (2^64 − 1)" : v.toString();
  if (typeof v === "number") return f.hex ? `0x${v.toString(16).padStart(f.size * 2, "0")}` : String(v);
  if (typeof v === "string") return f.kind === "str" ? JSON.stringify(v) : v;
  return "";
}

/** Rows for every leaf member of `def` at `buf[base]` (nested structs flattened, named by their outer struct). */
export function structRows(def: CStruct, buf: Uint8Array, base: number, struct = def.struct, prefix = "", rec?: CRecord): KeyFieldRow[] {
  const r = rec ?? decodeStruct(def, buf, base);
  const out: KeyFieldRow[] = [];
  for (const f of def.fields) {
    const v = r[f.name];
    if (typeof f.kind !== "string") out.push(...structRows(f.kind, buf, base + f.offset, struct, `${prefix}${f.name}.`, v as CRecord));
    else out.push({ struct, field: prefix + f.name, label: f.label, offset: base + f.offset, size: f.size, value: fieldText(f, v) });
  }
  return out;
}

/** A run of bytes no struct describes (a key, an unmodelled attribute), shown in hex. */
export function bytesRow(struct: string, field: string, label: string, buf: Uint8Array, offset: number, size: number): KeyFieldRow {
  return { struct, field, label, offset, size, value: size === 0 ? "(none)" : `0x${toHex(buf.subarray(offset, offset + size))}` };
}

const RTATTR = defineStruct("rtattr", 4, [fld("rta_len", 0, 2, "u16", "Length (bytes, with header)"), fld("rta_type", 2, 2, "u16", "Type")]);
/** struct xfrm_algo / xfrm_algo_auth / xfrm_algo_aead: the name, the key length in bits, then (auth/aead) the ICV length in bits. */
const XFRM_ALGO = defineStruct("xfrm_algo", 68, [fld("alg_name", 0, 64, "str", "Algorithm"), fld("alg_key_len", 64, 4, "u32", "Key length (bits)")]);
const XFRM_ALGO_AUTH = defineStruct("xfrm_algo_auth", 72, [...XFRM_ALGO.fields, fld("alg_trunc_len", 68, 4, "u32", "Truncated ICV (bits)")]);
const XFRM_ALGO_AEAD = defineStruct("xfrm_algo_aead", 72, [...XFRM_ALGO.fields, fld("alg_icv_len", 68, 4, "u32", "ICV length (bits)")]);
const XFRMA_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(XFRMA).map(([k, v]) => [v, `XFRMA_${k}`]));

/** The payload of one rtattr as rows: the attribute's own struct where the model knows it, else hex. */
function attrRows(type: number, buf: Uint8Array, at: number, len: number): KeyFieldRow[] {
  const algo = (def: CStruct): KeyFieldRow[] => {
    if (len < def.size) return [bytesRow("rtattr", "data", "Payload", buf, at, len)];
    const rows = structRows(def, buf, at);
    rows.push(bytesRow(def.struct, "alg_key", "Key", buf, at + def.size, len - def.size));
    return rows;
  };
  const array = (def: CStruct): KeyFieldRow[] =>
    len % def.size === 0
      ? Array.from({ length: len / def.size }, (_, i) => structRows(def, buf, at + i * def.size, `${def.struct}[${i}]`)).flat()
      : [];
  switch (type) {
    case XFRMA.ALG_CRYPT:
    case XFRMA.ALG_AUTH:
      return algo(XFRM_ALGO);
    case XFRMA.ALG_AUTH_TRUNC:
      return algo(XFRM_ALGO_AUTH);
    case XFRMA.ALG_AEAD:
      return algo(XFRM_ALGO_AEAD);
    case XFRMA.TMPL: {
      const rows = array(XFRM_USER_TMPL);
      if (rows.length) return rows;
      break;
    }
    case XFRMA.SA:
      if (len >= XFRM_USERSA_INFO.size) return structRows(XFRM_USERSA_INFO, buf, at);
      break;
    case XFRMA.POLICY:
      if (len >= XFRM_USERPOLICY_INFO.size) return structRows(XFRM_USERPOLICY_INFO, buf, at);
      break;
    case XFRMA.POLICY_TYPE:
      if (len >= XFRM_USERPOLICY_TYPE.size) return structRows(XFRM_USERPOLICY_TYPE, buf, at);
      break;
  }
  return [bytesRow("rtattr", "data", "Payload", buf, at, len)];
}

/**
 * Every member of a netlink XFRM message, in byte order: nlmsghdr, the body struct of its type
 * (XFRM_BODY), then each rtattr's header and payload. Fails as parseXfrm does; never throws.
 */
export function xfrmFieldRows(bytes: Uint8Array): WireResult<KeyFieldRow[]> {
  const p = parseXfrm(bytes);
  if (!p.ok) return p;
  const rows = structRows(NLMSGHDR, bytes, 0);
  const def = XFRM_BODY[p.value.type];
  if (def) rows.push(...structRows(def, bytes, NLMSG_HDRLEN));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = NLMSG_HDRLEN + (def?.size ?? 0); at + 4 <= p.value.len;) {
    const rtaLen = view.getUint16(at, true);
    const type = view.getUint16(at + 2, true);
    const head = structRows(RTATTR, bytes, at);
    rows.push(head[0]!, { ...head[1]!, value: `${type} (${XFRMA_NAME[type] ?? "unknown"})` });
    rows.push(...attrRows(type, bytes, at + 4, rtaLen - 4));
    at += nlmsgAlign(rtaLen);
  }
  return wireOk(rows);
}
