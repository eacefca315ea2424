/**
 * ipsec4_hdrsiz_tcp(tp) — what IPsec will add to each of a connection's segments, which NetBSD
 * 1.6's tcp_segsize (tcp_output.c 1.79.4.1) subtracts from the segment size. FAST_IPSEC:
 * ipsec4_hdrsiz(m, IPSEC_DIR_OUTBOUND, inp) looks up the outbound policy and, for an IPSEC
 * policy, ipsec_hdrsiz(sp) (netipsec/ipsec.c) sums over its requests esp_hdrsiz(isr->sav) or
 * ah_hdrsiz(isr->sav), plus sizeof(struct ip) for a tunnel-mode request. The per-transform sizes,
 * netipsec/xform_esp.c and xform_ah.c (FreeBSD and NetBSD FAST_IPSEC, unchanged since the 2002
 * import; read in FreeBSD's later text):
 *
 *   esp_hdrsiz(sav) = sizeof(struct newesp) (8) + blocksize + 9 (+ ah_hdrsiz(sav) with an auth algorithm)
 *   esp_hdrsiz(NULL) = 8 + EALG_MAX_BLOCK_LEN (16) + 9 + 16 = 49   ("max icv supported")
 *   ah_hdrsiz(sav)  = roundup(AUTHSIZE, 4) + HDRSIZE (sizeof(struct ah) 8 + 4 for the sequence number)
 *   ah_hdrsiz(NULL) = sizeof(struct ah) + 4 + 16 = 28
 *
 * isr->sav is NULL until key_checkrequest has found an SA for the first packet — so the SYN is
 * sized with the guesses and later segments with the SA's own transforms. An AEAD transform
 * (AES-GCM, ChaCha20-Poly1305: not in the 2003 FAST_IPSEC) has no separate auth algorithm, so
 * esp_hdrsiz counts no ICV for it — as the later kernels' formula does; hypothetical for 2003.
 */
import { authAlg, encAlg } from "../crypto/registry";
import type { IpsecRequest } from "../netipsec/types";
import { spdLookup } from "../netipsec/key";
import { IP_PROTO } from "../wire/fields";
import type { Tcpcb } from "./tcp_var";

/** sizeof(struct newesp): SPI and sequence number. */
const NEWESP = 8;
/** EALG_MAX_BLOCK_LEN (netipsec/xform.h / opencrypto). */
const EALG_MAX_BLOCK_LEN = 16;
/** sizeof(struct ah) + the sequence number: HDRSIZE(sav) of a new-style SA. */
const AH_HDRSIZE = 12;

/** ah_hdrsiz(sav) — xform_ah.c. */
export function ah_hdrsiz(isr: Pick<IpsecRequest, "sav">): number {
  const sav = isr.sav;
  if (!sav) return 8 + 4 + 16;
  const authsize = sav.auth === "none" ? 0 : authAlg(sav.auth).icvBytes;
  return Math.ceil(authsize / 4) * 4 + AH_HDRSIZE;
}

/** esp_hdrsiz(sav) — xform_esp.c. */
export function esp_hdrsiz(isr: Pick<IpsecRequest, "sav">): number {
  const sav = isr.sav;
  if (!sav) return NEWESP + EALG_MAX_BLOCK_LEN + 9 + 16;
  let size = NEWESP + encAlg(sav.enc).blockBytes + 9;
  if (sav.auth !== "none") size += ah_hdrsiz(isr);
  return size;
}

/** ipsec_hdrsiz(sp) over the requests of the outbound policy for this connection; 0 without one. */
export function ipsec4_hdrsiz_tcp(tp: Tcpcb): number {
  const sp = spdLookup(tp.host, "out", { src: tp.laddr, dst: tp.faddr, proto: IP_PROTO.TCP });
  if (!sp || sp.action !== "ipsec") return 0;
  let siz = 0;
  for (const isr of sp.requests) {
    let clen = isr.proto === "esp" ? esp_hdrsiz(isr) : ah_hdrsiz(isr);
    if (isr.mode === "tunnel") clen += 20;
    siz += clen;
  }
  return siz;
}
