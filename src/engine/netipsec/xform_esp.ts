/**
 * ESP — sys/netipsec/xform_esp.c (FAST_IPSEC): esp_output()/esp_output_cb() and
 * esp_input()/esp_input_cb(), with real cryptography (RFC 4303 layout; AES-GCM RFC 4106,
 * ChaCha20-Poly1305 RFC 7634, AES-CBC RFC 3602 + HMAC RFC 2404/4868, NULL RFC 2410).
 *
 * The mbuf work is the kernel's: m_makespace() opens room for the ESP header and IV after the
 * IP header, m_pad() appends the trailer and room for the ICV, the crypto "hardware" rewrites
 * the payload in place and calls back. On input, the callback verifies the ICV, sets
 * M_DECRYPTED, updates the replay window, then m_striphdr() and m_adj() peel
 * the ESP header, IV, ICV and padding off and the original protocol goes back into ip_p.
 *
 * esp_input_cb sets M_DECRYPTED only — never M_AUTHIPDGM — in NetBSD sys/netipsec/xform_esp.c
 * (FAST_IPSEC, 1.x, 2003–2007) and FreeBSD sys/netipsec/xform_esp.c up to RELENG_8 (1.x): ICV
 * compare → m_adj(-authsize) → m_flags |= M_DECRYPTED → ipsec_updatereplay → m_striphdr. Only
 * FreeBSD's later rework sets M_AUTHIPDGM there (kernel-notes §7, corrections). AH's callback
 * does set M_AUTHIPHDR|M_AUTHIPDGM (xform_ah.c).
 */
import { authAlg, encAlg, espDefaultPadding, espOpen, espParseTrailer, espSeal, type EspOpenResult, type EspSaKeys } from "../crypto";
import {
  m_adj,
  m_append,
  m_copyback,
  m_copydata,
  m_flags_set,
  m_hdr_consume,
  m_makespace,
  m_set_cleartext,
  m_striphdr,
  type Mbuf,
} from "../mbuf/mbuf";
import { IP, setField } from "../netinet/headers";
import type { Host } from "../sim/world";
import { IP_PROTO, ipProtoName, toHex } from "../wire/fields";
import { ESP_FIELDS } from "../wire/esp";
import { m_tag_find, type MTag } from "../mbuf/tag";
import { fieldsByName, writeField } from "../wire/fields";
import { crypto_dispatch } from "./crypto_queue";
import { drop } from "../mbuf/drop";
import { ipsec4_common_input_cb } from "./ipsec_input";
import { spiText } from "./key";
import { tooBig } from "./maxpacket";
import { chkreplay, inferSeq, replayCheckOf, seqHiOf, seqLoOf, takeOutboundSeq, updatereplay, windowText } from "./replay";
import type { SecAssoc } from "./types";
import type { Consulted } from "../trace/events";
import { itemFor, one } from "../trace/shared";
import { esp_output_skipcrypto } from "./ipsp_openbsd";

const ESPF = fieldsByName(ESP_FIELDS);
const ESP_HDR = 8;

export function keysOf(sa: SecAssoc): EspSaKeys {
  return { enc: sa.enc, encKey: sa.encKey, auth: sa.auth, authKey: sa.authKey };
}

/** The SA as the ICV decision consults it. */
function icvSaItem(sa: SecAssoc): Consulted {
  return { kind: "sa", id: sa.id, summary: `${sa.id} ${sa.enc}${sa.auth !== "none" ? `+${sa.auth}` : ""}` };
}

/** ICV length: the AEAD tag, or the truncated HMAC. */
export function espIcvLen(sa: SecAssoc): number {
  const e = encAlg(sa.enc);
  return e.aead ? e.icvBytes : authAlg(sa.auth).icvBytes;
}

/** The IV for the next packet: a counter for AEAD (RFC 4106 §3.1), random for CBC (RFC 3602 §2.4). */
function nextIv(host: Host, sa: SecAssoc): Uint8Array {
  const e = encAlg(sa.enc);
  if (e.ivBytes === 0) return new Uint8Array(0);
  if (e.aead) {
    sa.ivCounter += 1n;
    const iv = new Uint8Array(e.ivBytes);
    new DataView(iv.buffer).setBigUint64(0, sa.ivCounter);
    return iv;
  }
  return host.world.rng.bytes(e.ivBytes);
}

/** esp_output(m, isr, skip, protoff): consumes `m`; `done` is ipsec_process_done. */
export function esp_output(host: Host, m: Mbuf, sa: SecAssoc, skip: number, done: () => void): void {
  const site = host.site("ipsec", "esp_output");
  const e = encAlg(sa.enc);
  const payload = m_copydata(m, skip, m.len - skip);
  const nextHeader = m.bytes()[9]!;
  // "Check for maximum packet size violations" comes before the sequence number is taken.
  const ivLen = e.ivBytes;
  const total = skip + ESP_HDR + ivLen + payload.length + espDefaultPadding(payload.length, e.blockBytes).length + 2 + espIcvLen(sa);
  if (tooBig(site, m, total, "ESP", "esps_toobig")) return;
  // RFC 4303 §3.3.3: the sender increments the counter; the first packet sent carries 1. FAST_IPSEC
  // esp_output counts only `if (sav->replay)` — an SA without a window sends sequence number 0.
  const seq = takeOutboundSeq(site, m, sa, "esp_output");
  const iv = nextIv(host, sa);
  const hlen = ESP_HDR + iv.length;
  m_makespace(
    site,
    m,
    skip,
    hlen,
    "esp",
    iv.length
      ? site.text`m_makespace opens ${hlen} bytes after the IP header for the ESP header and the ${iv.length}-byte IV.`
      : site.text`m_makespace opens ${hlen} bytes after the IP header for the ESP header.`,
    { kind: "esp" },
  );
  const hdr = new Uint8Array(hlen);
  writeField(hdr, 0, ESPF.spi, sa.spi);
  // With ESN only the low 32 bits go on the wire (RFC 4303 §2.2.1); seq-hi stays in the SA.
  writeField(hdr, 0, ESPF.seq, seqLoOf(seq));
  hdr.set(iv, ESP_HDR);
  m_copyback(site, m, skip, hdr, "esp header", `esp_output writes SPI ${spiText(sa.spi)}, sequence number ${seq}${iv.length ? " and the IV" : ""}.`);
  const padding = espDefaultPadding(payload.length, e.blockBytes);
  const icvLen = espIcvLen(sa);
  const trailer = new Uint8Array(padding.length + 2 + icvLen);
  trailer.set(padding, 0);
  trailer[padding.length] = padding.length;
  trailer[padding.length + 1] = nextHeader;
  m_append(
    site,
    m,
    trailer,
    "esp trailer",
    icvLen
      ? site.text`m_pad appends ${padding.length} bytes of padding (1, 2, 3, …), pad length and next header ${ipProtoName(nextHeader)}, plus ${icvLen} bytes of room for the ICV.`
      : site.text`m_pad appends ${padding.length} bytes of padding (1, 2, 3, …), pad length and next header ${ipProtoName(nextHeader)}.`,
    // The trailer joins the ESP payload when ip_p names ESP; the ICV room is filled by the cipher.
    [
      { kind: "esp-trailer", len: padding.length + 2, state: "pending", until: "link" },
      { kind: "esp-icv", len: icvLen, state: "pending", until: "write" },
    ],
  );
  setField(
    site,
    m,
    "ipv4",
    0,
    IP.protocol,
    IP_PROTO.ESP,
    "esp_output sets ip_p to ESP (50); the original protocol travels encrypted in the trailer.",
  );
  // seed 003: OpenBSD ip_esp.c's TDBF_SKIPCRYPTO branch — esp_output_cb directly, no cipher.
  if (sa.skipCrypto && host.world.behaviour.ipsecStack === "openbsd") {
    esp_output_skipcrypto(host, m, sa, payload, nextHeader, done);
    return;
  }
  crypto_dispatch(
    host,
    m,
    sa,
    "encrypt",
    payload.length + trailer.length,
    sa.auth !== "none"
      ? site.text`esp_output hands the payload to the crypto queue: ${e.title} with ${authAlg(sa.auth).title}; it continues in esp_output_cb.`
      : site.text`esp_output hands the payload to the crypto queue: ${e.title}; it continues in esp_output_cb.`,
    () => {
      const sealed = espSeal(keysOf(sa), { spi: sa.spi, seq: seqLoOf(seq), seqHi: sa.esn ? seqHiOf(seq) : undefined, iv, payload, nextHeader });
      const cb = host.site("crypto", "esp_output_cb");
      // The plaintext is kept beside the packet, so the inspector can show the decrypted view.
      m_set_cleartext(m, toHex(payload), nextHeader);
      m_copyback(
        cb,
        m,
        skip,
        sealed.bytes,
        "ciphertext + ICV",
        icvLen
          ? cb.text`The crypto engine has encrypted the payload in place and written the ${icvLen}-byte ICV: on the wire it is now ciphertext.`
          : "The crypto engine has encrypted the payload in place: on the wire it is now ciphertext.",
        { op: "encrypt" },
      );
      cb.emit(
        m,
        { kind: "crypto.done", sa: sa.id, op: "encrypt", ok: true, detail: cb.text`${payload.length} bytes encrypted` },
        host.world.behaviour.ipsecStack === "openbsd"
          ? "esp_output_cb: the crypto request completed; on to ipsp_process_done."
          : `esp_output_cb: the crypto request completed; on to ipsec_process_done.`,
      );
      sa.bytes += payload.length;
      sa.packets++;
      done();
    },
  );
}

/** esp_input(m, sav, skip, protoff): consumes `m`. */
export function esp_input(host: Host, m: Mbuf, sa: SecAssoc, skip: number): void {
  const site = host.site("ipsec", "esp_input");
  const e = encAlg(sa.enc);
  const icvLen = espIcvLen(sa);
  const hlen = ESP_HDR + e.ivBytes;
  const plen = m.len - (skip + hlen + icvLen);
  if (plen <= 0 || plen % e.blockBytes !== 0) {
    drop(
      site,
      m,
      "ipsec-bad-length",
      site.text`payload of ${plen} bytes is not a positive multiple of ${e.blockBytes}`,
      site.text`esp_input: the encrypted payload length ${plen} is not a multiple of the ${e.blockBytes}-byte block (esps_badilen).`,
    );
    return;
  }
  // ESN: the wire holds the low half; the full number is inferred from the window (RFC 4303 App. A2.2).
  const seq = inferSeq(sa, new DataView(m_copydata(m, skip + 4, 4).buffer).getUint32(0));
  // esp_input (FAST_IPSEC xform_esp.c): `if (esph && sav->replay && !ipsec_chkreplay(...))` —
  // ESP without authentication (esph == NULL) and an SA without a window are never checked here.
  const checked = replayCheckOf({ proto: "esp", icvLen, replayWindow: sa.replayWindow }) === "window";
  if (!checked) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "replay",
        question: `Is sequence number ${seq} checked against a replay window?`,
        consulted: [{ kind: "sa", id: sa.id, summary: icvLen > 0 ? "no replay window (sav->replay == NULL)" : "no authentication (esph == NULL)" }],
        branch: "not checked",
      },
      icvLen > 0
        ? `esp_input does not call ipsec_chkreplay: ${sa.id} has no replay window (sav->replay == NULL).`
        : `esp_input does not call ipsec_chkreplay: ${sa.id} has no authentication, and ESP without authentication is never replay-checked (esph == NULL).`,
    );
  }
  const rc = checked ? chkreplay(sa, seq) : ({ ok: true } as const);
  if (checked)
    site.emit(
      m,
      {
        kind: "decision",
        check: "replay",
        question: `Could sequence number ${seq} be new (anti-replay window, RFC 4303 §3.4.3)?`,
        consulted: [{ kind: "sa", id: sa.id, summary: windowText(sa) }],
        branch: rc.ok ? "maybe new" : "replay",
      },
      rc.ok
        ? `ipsec_chkreplay: sequence number ${seq} is within or right of the window and not yet seen.`
        : `ipsec_chkreplay: ${rc.why}. The packet is a replay.`,
    );
  if (!rc.ok) {
    drop(site, m, "ipsec-replay", rc.why, "esp_input drops the packet (esps_replay).");
    return;
  }
  const mtag = findCryptoDone(host, m, sa);
  if (mtag) {
    // FreeBSD: `if (mtag == NULL) return crypto_dispatch(crp); else return esp_input_cb(crp);`
    site.emit(
      m,
      {
        kind: "decision",
        check: "icv",
        question: "Does the ICV verify (was the packet made with this SA's key, unmodified)?",
        consulted: [{ kind: "tag", name: mtag.name, tag: mtag }],
        branch: "NIC verified: no crypto request",
      },
      site.text`esp_input finds an IN_CRYPTO_DONE record naming ${sa.id}: the NIC (hypothetical) has already checked and decrypted the packet, so there is no crypto request — esp_input calls esp_input_cb itself.`,
    );
    esp_input_cb(host, m, sa, skip, hlen, icvLen, seq, m_copydata(m, skip, m.len - skip), mtag);
    return;
  }
  // esp_input has read the ESP header: a received datagram's ESP part is header + IV, ciphertext, ICV.
  m_hdr_consume(m, skip, [
    { kind: "esp", len: hlen, state: "plain" },
    { kind: "data", len: plen, state: "encrypted", inEsp: true },
    { kind: "esp-icv", len: icvLen, state: "plain" },
  ]);
  const esp = m_copydata(m, skip, m.len - skip);
  crypto_dispatch(
    host,
    m,
    sa,
    "decrypt",
    esp.length,
    site.text`esp_input hands the packet to the crypto queue to check the ICV and decrypt with ${sa.id}; it continues in esp_input_cb.`,
    () => {
      esp_input_cb(host, m, sa, skip, hlen, icvLen, seq, esp, null);
    },
  );
}

/**
 * esp_input's "Find out if we've already done crypto" (FreeBSD sys/netipsec/xform_esp.c, RELENG_7/8;
 * NetBSD FAST_IPSEC alike): walk the IN_CRYPTO_DONE tags for one whose tdb_ident is this SA's
 * {proto, spi, dst}. It comes after the replay check and the byte counters, before the crypto
 * descriptors. OpenBSD ip_esp.c 1.111 has the same loop under `#ifdef notyet` (`mtag = NULL`): no
 * lookup at all, so a record a NIC left is never read.
 */
function findCryptoDone(host: Host, m: Mbuf, sa: SecAssoc): MTag | null {
  const site = host.site("ipsec", "esp_input");
  if (host.world.behaviour.inCryptoDone === "notyet") {
    // Said only when a NIC did leave a record: the kernel's silence is the point of the story.
    const left = m.tags.find((t) => t.name === "IPSEC_IN_CRYPTO_DONE");
    if (left)
      site.emit(
        m,
        {
          kind: "decision",
          check: "rx-offload",
          question: "Does esp_input look for an IN_CRYPTO_DONE record (crypto already done by the NIC)?",
          consulted: [{ kind: "switch", name: "ip_esp.c 1.111 IN_CRYPTO_DONE lookup", value: "#ifdef notyet" }],
          branch: "not looked for (#ifdef notyet)",
        },
        "esp_input does not look for IN_CRYPTO_DONE: in ip_esp.c 1.111 that loop is under #ifdef notyet (mtag = NULL). The NIC's record on this packet is never read, so the software crypto runs on what is already plaintext.",
      );
    return null;
  }
  for (let t: MTag | null = null; ;) {
    t = m_tag_find(
      site,
      m,
      "IPSEC_IN_CRYPTO_DONE",
      t === null
        ? "esp_input looks for an IN_CRYPTO_DONE tag (crypto already done by the NIC) naming this SA."
        : "esp_input looks further along the tag list for an IN_CRYPTO_DONE tag naming this SA.",
      t,
    );
    if (t === null) return null;
    const id = t.tdbi;
    if (id && id.proto === sa.proto && id.spi === sa.spi && id.dst === sa.dst) return t;
  }
}

/** esp_input_cb(crp): the crypto request finished. */
function esp_input_cb(
  host: Host,
  m: Mbuf,
  sa: SecAssoc,
  skip: number,
  hlen: number,
  icvLen: number,
  seq: number,
  esp: Uint8Array,
  mtag: MTag | null,
): void {
  const site = host.site("ipsec", "esp_input_cb");
  // With a NIC's record the payload in the mbuf is already plaintext: only the trailer is read.
  const opened = mtag ? null : espOpen(keysOf(sa), esp, sa.esn ? seqHiOf(seq) : undefined);
  const r = opened ?? espParseTrailer(m_copydata(m, skip + hlen, m.len - skip - hlen - icvLen));
  const integrity = icvLen > 0;
  if (!r.ok) {
    if (!mtag)
      host
        .site("crypto", "crypto_done")
        .emit(
          m,
          { kind: "crypto.done", sa: sa.id, op: "decrypt", ok: false, detail: r.detail },
          host.site("crypto", "crypto_done").text`The crypto request failed: ${r.detail}.`,
        );
    const reason = r.reason === "icv-mismatch" ? "ipsec-icv" : r.reason === "bad-padding" ? "ipsec-bad-padding" : "ipsec-bad-length";
    site.emit(
      m,
      {
        kind: "decision",
        check: "icv",
        question: "Does the ICV verify (was the packet made with this SA's key, unmodified)?",
        consulted: one(itemFor(sa, icvSaItem)),
        branch: r.reason === "icv-mismatch" ? "ICV mismatch" : r.reason,
      },
      r.reason === "icv-mismatch"
        ? "esp_input_cb: the ICV does not match — the packet was modified or made with another key (esps_badauth)."
        : site.text`esp_input_cb: ${r.detail}.`,
    );
    drop(site, m, reason, r.detail, "esp_input_cb drops the packet.");
    return;
  }
  if (opened?.ok) esp_input_decrypted(host, m, sa, skip, hlen, opened);
  if (mtag) {
    // The NIC left plaintext behind the ESP header; esp_input_cb has now read the trailer, so the
    // layout is known: header + IV, the inner message, the trailer, the already-checked ICV.
    const innerLen = m.len - skip - hlen - icvLen - r.padLength - 2;
    m_hdr_consume(m, skip, [
      { kind: "esp", len: hlen, state: "plain" },
      { ...innerOf(r.nextHeader), len: innerLen, state: "plain", inEsp: true, decrypted: true },
      { kind: "esp-trailer", len: r.padLength + 2, state: "plain", inEsp: true, decrypted: true },
      { kind: "esp-icv", len: icvLen, state: "plain" },
    ]);
  }
  m_set_cleartext(m, undefined);
  if (integrity) {
    // No M_AUTHIPDGM here: FAST_IPSEC's esp_input_cb (NetBSD; FreeBSD ≤ 8) only sets M_DECRYPTED.
    // With a record, FreeBSD skips the compare ("an IPsec-aware NIC did the verification for us") but still trims the ICV.
    m_adj(
      site,
      m,
      -icvLen,
      "esp icv",
      mtag ? site.text`m_adj removes the ${icvLen}-byte ICV, which the NIC already checked.` : site.text`m_adj removes the ${icvLen}-byte ICV.`,
    );
  }
  m_flags_set(site, m, ["DECRYPTED"], 'esp_input_cb sets M_DECRYPTED: "Packet is now decrypted."');
  // esp_input_cb: "Update replay sequence number, if appropriate" — `if (sav->replay)` only.
  if (sa.replayWindow > 0) {
    const ur = updatereplay(sa, seq);
    if (!ur.ok) {
      drop(site, m, "ipsec-replay", ur.why, "ipsec_updatereplay: the packet is a replay after all (esps_replay).");
      return;
    }
    site.emit(
      m,
      { kind: "sa.update", sa: sa.id, field: "replay", value: windowText(sa) },
      `ipsec_updatereplay records sequence number ${seq} in the replay window of ${sa.id}.`,
    );
  }
  m_striphdr(site, m, skip, hlen, "esp", site.text`m_striphdr removes the ${hlen}-byte ESP header${hlen > ESP_HDR ? " and IV" : ""}.`);
  m_adj(site, m, -(r.padLength + 2), "esp trailer", site.text`m_adj removes the ${r.padLength} padding bytes, pad length and next header.`);
  setField(
    site,
    m,
    "ipv4",
    0,
    IP.protocol,
    r.nextHeader,
    site.text`esp_input_cb restores ip_p from the trailer's next header: ${ipProtoName(r.nextHeader)}.`,
  );
  ipsec4_common_input_cb(host, m, sa, skip, mtag);
}

/** The software crypto's success in esp_input_cb: crypto_done, the ICV decision, the plaintext written back. */
function esp_input_decrypted(host: Host, m: Mbuf, sa: SecAssoc, skip: number, hlen: number, r: Extract<EspOpenResult, { ok: true }>): void {
  const site = host.site("ipsec", "esp_input_cb");
  const integrity = espIcvLen(sa) > 0;
  host
    .site("crypto", "crypto_done")
    .emit(
      m,
      { kind: "crypto.done", sa: sa.id, op: "decrypt", ok: true, detail: site.text`${r.payload.length} bytes decrypted` },
      site.text`The crypto request completed: ${integrity ? "the ICV verified and " : ""}the payload is decrypted.`,
    );
  if (integrity) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "icv",
        question: "Does the ICV verify (was the packet made with this SA's key, unmodified)?",
        consulted: one(itemFor(sa, icvSaItem)),
        branch: "ICV ok",
      },
      "esp_input_cb: the ICV verifies.",
    );
  }
  // The decrypted plaintext replaces the ciphertext in the mbuf (the driver works in place).
  // What the plaintext holds is known now: the inner message (by the trailer's next header), then the trailer.
  m_copyback(site, m, skip + hlen, r.plaintext, "decrypted payload", "The ciphertext in the mbuf is replaced by its decryption.", {
    op: "decrypt",
    inner: innerOf(r.nextHeader),
    innerLen: r.plaintext.length - r.padLength - 2,
  });
}

/** What an ESP trailer's next header says the decrypted payload holds, as a header-stack entry. */
function innerOf(nextHeader: number): { readonly kind: "icmp" } | { readonly kind: "data"; readonly proto: number } {
  return nextHeader === IP_PROTO.ICMP ? { kind: "icmp" } : { kind: "data", proto: nextHeader };
}
