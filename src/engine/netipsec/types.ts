/**
 * The IPsec databases (FAST_IPSEC netipsec/keydb.h, ipsec.h): SAs in the SAD, policies in the
 * SPD, and the requests (`struct ipsecrequest`) a policy makes, each caching the SA that
 * key_checkrequest() found for it in `sav` — the field ip_output's loop check compares with.
 */
import type { AuthAlgId, EncAlgId } from "../crypto/registry";
import type { IpsecProto } from "../trace/events";
import type { Prefix } from "../sim/addr";

/** A security association (struct secasvar). */
export interface SecAssoc {
  /** Stable id for the trace, e.g. "esp 0x00001000 127.0.0.1→127.0.0.1". */
  readonly id: string;
  readonly spi: number;
  readonly src: string;
  readonly dst: string;
  readonly proto: "esp" | "ah";
  readonly mode: "transport" | "tunnel";
  readonly enc: EncAlgId;
  readonly encKey: Uint8Array;
  readonly auth: AuthAlgId;
  readonly authKey: Uint8Array;
  readonly replayWindow: number;
  /**
   * Extended (64-bit) sequence numbers, RFC 4303 §2.2.1 / RFC 4302 §2.5.1: the counters below then
   * run past 2^32; the high 32 bits (seq-hi) stay in the SA, never on the wire, and enter the ICV.
   */
  readonly esn: boolean;
  /** Last sequence number sent, all 64 bits with ESN (RFC 4303 §3.3.3: the first packet carries 1). */
  seqOut: number;
  /** Highest sequence number received (64-bit with ESN) and the window bitmap (bit i: seqIn - i seen). */
  seqIn: number;
  replayBitmap: bigint;
  /** Counter for AEAD IVs (RFC 4106 §3.1 allows a counter). */
  ivCounter: bigint;
  bytes: number;
  packets: number;
  /** OpenBSD TDBF_SKIPCRYPTO (seed 003, hypothetical): a NIC is to do this SA's crypto; cleared by ipsp_skipcrypto_unmark. */
  skipCrypto?: boolean;
}

/** struct ipsecrequest: one transform a policy asks for. */
export interface IpsecRequest {
  readonly proto: IpsecProto;
  readonly mode: "transport" | "tunnel";
  readonly tunnelSrc: string | undefined;
  readonly tunnelDst: string | undefined;
  readonly level: "require" | "use";
  /** isr->sav: the SA key_checkrequest() found and cached; null until the first lookup. */
  sav: SecAssoc | null;
}

/** struct secpolicy. */
export interface SecPolicy {
  readonly id: string;
  readonly dir: "out" | "in";
  readonly src: Prefix;
  readonly dst: Prefix;
  readonly proto: "any" | "icmp";
  readonly action: "ipsec" | "discard" | "none";
  readonly requests: IpsecRequest[];
  /** setkey syntax, for narration: "esp/transport//require". */
  readonly summary: string;
}
