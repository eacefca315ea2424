/**
 * AH — sys/netipsec/xform_ah.c (FAST_IPSEC): ah_output()/ah_output_cb() and
 * ah_input()/ah_input_cb(), RFC 4302 with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA-256-128
 * (RFC 4868). The ICV covers the whole datagram with the mutable IPv4 fields (TOS, flags,
 * fragment offset, TTL, checksum) and the ICV itself zeroed (ah_massage_headers, RFC 4302
 * §3.3.3.1). A verified packet gets M_AUTHIPHDR|M_AUTHIPDGM.
 */
import { ahIcv, authAlg, constantTimeEqual } from "../crypto";
import { m_copyback, m_copydata, m_flags_set, m_hdr_consume, m_makespace, m_striphdr, type Mbuf } from "../mbuf/mbuf";
import { IP, setField } from "../netinet/headers";
import type { Host } from "../sim/world";
import { IP_PROTO, ipProtoName } from "../wire/fields";
import { AH_FIXED_LEN, ahHeaderLen, ahPayloadLenFor, emitAh, parseAh } from "../wire/ah";
import { zeroIpv4MutableFields } from "../wire/ipv4";
import { crypto_dispatch } from "./crypto_queue";
import { drop } from "../mbuf/drop";
import { m_tag_find } from "../mbuf/tag";
import { ipsec4_common_input_cb } from "./ipsec_input";
import { spiText } from "./key";
import { tooBig } from "./maxpacket";
import { chkreplay, inferSeq, seqHiOf, seqLoOf, takeOutboundSeq, updatereplay, windowText } from "./replay";
import type { SecAssoc } from "./types";
import type { Consulted } from "../trace/events";
import { itemFor, one } from "../trace/shared";

/** The datagram as the ICV sees it: mutable IPv4 fields and the ICV field zeroed. */
function massaged(packet: Uint8Array, skip: number, icvLen: number): Uint8Array {
  const copy = packet.slice();
  zeroIpv4MutableFields(copy, 0);
  copy.fill(0, skip + AH_FIXED_LEN, skip + AH_FIXED_LEN + icvLen);
  return copy;
}

/** ah_output: consumes `m`; `done` is ipsec_process_done. */
export function ah_output(host: Host, m: Mbuf, sa: SecAssoc, skip: number, done: () => void): void {
  const site = host.site("ipsec", "ah_output");
  const icvLen = authAlg(sa.auth).icvBytes;
  const rplen = ahHeaderLen(icvLen);
  const nextHeader = m.bytes()[9]!;
  // ah_output: "Check for maximum packet size violations" (rplen + authsize + m_pkthdr.len).
  if (tooBig(site, m, m.len + rplen, "AH", "ahs_toobig")) return;
  // ah_output counts only `if (sav->replay)`: an SA without a window sends sequence number 0.
  const seq = takeOutboundSeq(site, m, sa, "ah_output");
  m_makespace(
    site,
    m,
    skip,
    rplen,
    "ah",
    site.text`m_makespace opens ${rplen} bytes after the IP header for the AH header and its ${icvLen}-byte ICV.`,
    { kind: "ah" },
  );
  const hdr = new Uint8Array(rplen);
  emitAh({ nextHeader, payloadLen: ahPayloadLenFor(icvLen), spi: sa.spi, seq: seqLoOf(seq), icv: new Uint8Array(rplen - AH_FIXED_LEN) }, hdr, 0);
  m_copyback(
    site,
    m,
    skip,
    hdr,
    "ah header",
    `ah_output writes next header ${ipProtoName(nextHeader)}, SPI ${spiText(sa.spi)}, sequence number ${seq}, and a zeroed ICV.`,
  );
  setField(site, m, "ipv4", 0, IP.protocol, IP_PROTO.AH, "ah_output sets ip_p to AH (51).");
  // The ICV covers ip_len, so it must be the final length already (RFC 4302 §3.3.3.1.1.1).
  setField(site, m, "ipv4", 0, IP.totalLength, m.len, site.text`ah_output sets ip_len to ${m.len}: the ICV covers it.`);
  crypto_dispatch(
    host,
    m,
    sa,
    "sign",
    m.len,
    site.text`ah_output zeroes the mutable header fields in a copy (ah_massage_headers) and submits it to the crypto queue for ${authAlg(sa.auth).title}; it continues in ah_output_cb.`,
    () => {
      const icv = ahIcv(sa.auth, sa.authKey, withSeqHi(sa, massaged(m.bytes(), skip, rplen - AH_FIXED_LEN), seq)).slice(0, icvLen);
      const cb = host.site("crypto", "ah_output_cb");
      m_copyback(cb, m, skip + AH_FIXED_LEN, icv, "ah icv", cb.text`ah_output_cb writes the ${icvLen}-byte ICV into the AH header.`);
      cb.emit(
        m,
        { kind: "crypto.done", sa: sa.id, op: "sign", ok: true, detail: cb.text`ICV over ${m.len} bytes` },
        host.world.behaviour.ipsecStack === "openbsd"
          ? "ah_output_cb: the crypto request completed; on to ipsp_process_done."
          : "ah_output_cb: the crypto request completed; on to ipsec_process_done.",
      );
      sa.bytes += m.len;
      sa.packets++;
      done();
    },
  );
}

/** ah_input: consumes `m`. */
export function ah_input(host: Host, m: Mbuf, sa: SecAssoc, skip: number): void {
  const site = host.site("ipsec", "ah_input");
  const icvLen = authAlg(sa.auth).icvBytes;
  const parsed = parseAh(m.bytes(), skip);
  if (!parsed.ok || parsed.value.icv.length < icvLen) {
    drop(site, m, "ipsec-bad-length", parsed.ok ? "short ICV" : parsed.error.message, "ah_input: the AH header is malformed (ahs_badauthl).");
    return;
  }
  // ESN: the header carries the low half; the full number is inferred from the window (RFC 4303 App. A2.2, used by RFC 4302 §3.4.3).
  const ah = { ...parsed.value, seq: inferSeq(sa, parsed.value.seq) };
  // ah_input (FreeBSD 7 xform_ah.c; NetBSD FAST_IPSEC alike) looks for IN_CRYPTO_DONE, left by a
  // NIC that verified the ICV already; no modelled interface does, so none is found.
  m_tag_find(
    site,
    m,
    "IPSEC_IN_CRYPTO_DONE",
    "ah_input looks for an IN_CRYPTO_DONE tag (the NIC already checked the ICV); there is none, so the crypto engine will do it.",
  );
  // ah_input: `if (sav->replay && !ipsec_chkreplay(...))` — no window, no check.
  const rc = sa.replayWindow > 0 ? chkreplay(sa, ah.seq) : ({ ok: true } as const);
  if (sa.replayWindow > 0)
    site.emit(
      m,
      {
        kind: "decision",
        check: "replay",
        question: `Could sequence number ${ah.seq} be new (anti-replay window, RFC 4302 §3.4.3)?`,
        consulted: [{ kind: "sa", id: sa.id, summary: windowText(sa) }],
        branch: rc.ok ? "maybe new" : "replay",
      },
      rc.ok ? `ipsec_chkreplay: sequence number ${ah.seq} is not yet seen.` : `ipsec_chkreplay: ${rc.why}.`,
    );
  if (!rc.ok) {
    drop(site, m, "ipsec-replay", rc.why, "ah_input drops the packet (ahs_replay).");
    return;
  }
  const rplen = ahHeaderLen(icvLen);
  // ah_input has read the AH header: in a received datagram, what follows it is its next header.
  m_hdr_consume(m, skip, [
    { kind: "ah", len: rplen, state: "plain" },
    ah.nextHeader === IP_PROTO.ICMP
      ? { kind: "icmp", len: m.len - skip - rplen, state: "plain" }
      : { kind: "data", len: m.len - skip - rplen, state: "plain", proto: ah.nextHeader },
  ]);
  const received = m_copydata(m, skip + AH_FIXED_LEN, icvLen);
  crypto_dispatch(
    host,
    m,
    sa,
    "verify",
    m.len,
    `ah_input zeroes the mutable fields in a copy and submits it to the crypto queue to recompute the ICV; it continues in ah_input_cb.`,
    () => {
      const cb = host.site("ipsec", "ah_input_cb");
      const computed = ahIcv(sa.auth, sa.authKey, withSeqHi(sa, massaged(m.bytes(), skip, rplen - AH_FIXED_LEN), ah.seq)).slice(0, icvLen);
      const ok = constantTimeEqual(computed, received);
      host
        .site("crypto", "crypto_done")
        .emit(
          m,
          { kind: "crypto.done", sa: sa.id, op: "verify", ok, detail: ok ? "ICV recomputed" : "ICV differs" },
          `The crypto request completed.`,
        );
      cb.emit(
        m,
        {
          kind: "decision",
          check: "icv",
          question: "Does the AH ICV verify over the datagram with its mutable fields zeroed?",
          consulted: one(itemFor(sa, ahIcvItem)),
          branch: ok ? "ICV ok" : "ICV mismatch",
        },
        ok ? "ah_input_cb: the ICV verifies." : "ah_input_cb: the ICV does not match (ahs_badauth).",
      );
      if (!ok) {
        drop(cb, m, "ipsec-icv", "AH ICV mismatch", "ah_input_cb drops the packet.");
        return;
      }
      m_flags_set(cb, m, ["AUTHIPHDR", "AUTHIPDGM"], "ah_input_cb sets M_AUTHIPHDR|M_AUTHIPDGM: header and datagram are authenticated.");
      // ah_input_cb: `if (sav->replay)` ipsec_updatereplay.
      if (sa.replayWindow > 0) {
        const ur = updatereplay(sa, ah.seq);
        if (!ur.ok) {
          drop(cb, m, "ipsec-replay", ur.why, "ipsec_updatereplay: a replay after all.");
          return;
        }
        cb.emit(m, { kind: "sa.update", sa: sa.id, field: "replay", value: windowText(sa) }, `ipsec_updatereplay records sequence number ${ah.seq}.`);
      }
      m_striphdr(cb, m, skip, rplen, "ah", cb.text`m_striphdr removes the ${rplen}-byte AH header.`);
      setField(
        cb,
        m,
        "ipv4",
        0,
        IP.protocol,
        ah.nextHeader,
        cb.text`ah_input_cb restores ip_p from the AH next header: ${ipProtoName(ah.nextHeader)}.`,
      );
      ipsec4_common_input_cb(host, m, sa, skip);
    },
  );
}

/** The SA as the AH ICV decision consults it. */
function ahIcvItem(sa: SecAssoc): Consulted {
  return { kind: "sa", id: sa.id, summary: `${sa.id} ${sa.auth}` };
}

/** RFC 4302 §2.5.1: with ESN the (unsent) high 32 bits follow the packet in the ICV input. */
function withSeqHi(sa: SecAssoc, zeroed: Uint8Array, seq: number): Uint8Array {
  if (!sa.esn) return zeroed;
  const out = new Uint8Array(zeroed.length + 4);
  out.set(zeroed);
  new DataView(out.buffer).setUint32(zeroed.length, seqHiOf(seq));
  return out;
}
