/**
 * The trace contract (design.md, "Trace"): a run of the engine is a list of events, each one
 * step an mbuf takes, plus immutable packet versions the events point at. Plain JSON data only:
 * no classes, no Uint8Array (bytes travel as hex), so a trace can be saved, diffed and shared.
 */

import type { HdrView } from "./hdrs";
import type { EventList, PacketList } from "./store";

/** Bumped when the shape of a Trace changes incompatibly. */
export const TRACE_VERSION = 1;

/** The stack rows of the UI; every event happens in one of them. */
export const LAYERS = ["app", "icmp", "ip", "ipsec", "crypto", "if", "link"] as const;
export type LayerId = (typeof LAYERS)[number];

/** BSD m_flags the engine models (mbuf.h); names without the M_ prefix. */
export const M_FLAGS = ["BCAST", "MCAST", "LOOP", "DECRYPTED", "AUTHIPHDR", "AUTHIPDGM"] as const;
export type MFlag = (typeof M_FLAGS)[number];

/** IPsec protocol a tag or SA names (tdb_ident.proto). */
export type IpsecProto = "esp" | "ah" | "ipcomp";

/** `struct tdb_ident` (OpenBSD/FAST_IPSEC netipsec/ipsec.h): which SA a tag speaks of. */
export interface TdbIdent {
  readonly dst: string;
  readonly proto: IpsecProto;
  readonly spi: number;
}

/** One m_tag instance as the trace sees it. `uid` is unique per run, so a tag has a lane. */
export interface TagView {
  readonly uid: number;
  /** Numeric tag type in the personality's numbering (e.g. 18 for NetBSD OUT_DONE). */
  readonly id: number;
  /** Symbolic name without the PACKET_TAG_ prefix, e.g. "IPSEC_OUT_DONE". */
  readonly name: string;
  /** Payload length in bytes (m_tag_len). */
  readonly len: number;
  readonly persistent: boolean;
  readonly tdbi?: TdbIdent;
  /** For copies made by m_tag_copy: the uid of the original. */
  readonly copyOf?: number;
  /** What the tag is (seed 003): a record of processing done, or a reminder of work still to do. */
  readonly class?: TagClass;
  /** For tags whose payload is an interface pointer (PACKET_TAG_GIF): the interface it names. */
  readonly ifname?: string;
}

/**
 * Keromytis, "Tagging Data In The Network Stack: mbuf_tags" (BSDCon 2003, §1): a tag is "a record
 * of processing that has already been applied to the packet" or "a reminder to perform some
 * operation to the packet in the future".
 */
export type TagClass = "record" | "reminder";

/** One mbuf of a chain: its data length and the free space before and after it. */
export interface MbufSegView {
  readonly len: number;
  readonly leading: number;
  readonly trailing: number;
  /** "pkthdr" mbuf, plain mbuf or a cluster (MCLBYTES); "skb": a Linux sk_buff's one linear buffer (src/engine/linux/skb.ts). */
  readonly kind: "pkthdr" | "mbuf" | "cluster" | "skb";
}

/** An immutable snapshot of a packet (mbuf chain) after some step. */
export interface PacketVersion {
  readonly id: number;
  /** The packet (mbuf chain) this is a version of: stable across versions. */
  readonly chain: number;
  /** The bytes, lowercase hex. */
  readonly hex: string;
  readonly segs: readonly MbufSegView[];
  /** The header stack: what each byte range is, kept by the mbuf verbs (trace/hdrs.ts). */
  readonly hdrs: readonly HdrView[];
  readonly tags: readonly TagView[];
  readonly flags: readonly MFlag[];
  /** m_pkthdr.rcvif, the interface it arrived on, if any. */
  readonly rcvif: string | null;
  /**
   * For ESP packets, the plaintext the ESP payload decrypts to (hex, the inner payload
   * without padding), so the inspector can show the decrypted view without re-running crypto.
   */
  readonly cleartext?: string;
  /** The protocol of `cleartext` (the ESP next header: 1 ICMP, 4 IPv4 in tunnel mode). */
  readonly cleartextProto?: number;
  /**
   * Tags (by uid) and flags that are stale in this version: set before the packet last changed
   * direction (looped back up lo0, or turned around by icmp_reflect). Absent when none are.
   */
  readonly staleTags?: readonly number[];
  readonly staleFlags?: readonly MFlag[];
}

/** Something a decision looked at, so the UI can highlight it. */
export type Consulted =
  | { readonly kind: "tag"; readonly name: string; readonly tag: TagView | null; readonly stale?: boolean }
  | { readonly kind: "flag"; readonly flag: MFlag; readonly set: boolean; readonly stale?: boolean }
  | { readonly kind: "sp"; readonly id: string; readonly summary: string }
  | { readonly kind: "sa"; readonly id: string; readonly summary: string }
  | { readonly kind: "field"; readonly header: string; readonly field: string; readonly value: string }
  | { readonly kind: "route"; readonly dst: string; readonly summary: string }
  | { readonly kind: "switch"; readonly name: string; readonly value: string };

/** Why a packet was dropped; mirrors the kernel's statistics counters. */
export type DropReason =
  | "ip-bad-version"
  | "ip-bad-hlen"
  | "ip-bad-checksum"
  | "ip-too-short"
  | "ip-bad-len"
  | "ip-no-route"
  | "ip-msgsize"
  | "ip-ttl-exceeded"
  | "ip-not-ours"
  | "ip-unknown-proto"
  | "icmp-too-short"
  | "icmp-bad-checksum"
  | "ipsec-policy-discard"
  | "ipsec-policy-reject"
  | "ipsec-no-sa"
  | "ipsec-replay"
  | "ipsec-icv"
  | "ipsec-bad-padding"
  | "ipsec-bad-length"
  | "ipsec-no-policy"
  | "queue-full"
  | "no-socket"
  | "not-modelled"
  | "step-limit"
  | "trace-limit"
  // Networks (issue 12): ip_reass's drops (ips_fragdropped, ips_fragtimeout) and a link's ICMP filter.
  | "ip-frag-overlap"
  | "ip-frag-toomany"
  | "ip-frag-timeout"
  | "ip-cantforward"
  | "icmp-filtered"
  // seed 003 (OpenBSD): ip_output's IFCAP_IPSEC check unmarks the TDB and drops (EHOSTUNREACH);
  | "ipsec-crypto-needed"
  // gif_start finds its own PACKET_TAG_GIF (IF_DROP) or gif_output's counter passes max_gif_nesting (EIO).
  | "gif-loop"
  // Linux stack (src/engine/linux, seed 002): the modelled kernel oopsed (verdict "crash", never tagflow's own failure),
  | "kernel-oops"
  // a driver was handed a frame longer than its device MTU,
  | "oversize-frame"
  // ipsec_tunnel_send found the re-route pointing back at ipsec0 ("suspect recursion", IPSEC_XMIT_RECURSDETECT),
  | "klips-recursion"
  // a router could not forward a DF packet larger than the next hop's MTU (ICMP 3/4 sent back),
  | "frag-needed"
  // an ICMP error about an ESP packet that no handler acted on (KLIPS registers no ESP err_handler).
  | "icmp-error-ignored"
  // Seed 004 (keying): the packet that triggered an ACQUIRE, dropped while it is answered
  // (xfrm_larval_drop=1 / KAME ENOENT); a hold queue that is full; a held packet whose ACQ expired.
  | "ipsec-larval"
  | "ipsec-hold-queue-full"
  | "ipsec-hold-expired"
  // TCP (issue 12, netinet/tcp_*.ts): a connection tcp_drop closed — ETIMEDOUT after TCP_MAXRXTSHIFT
  // retransmissions (tcps_timeoutdrop), or ECONNRESET on a RST.
  | "tcp-timeout"
  | "tcp-reset";

/** The decisions the engine records. */
export type CheckId =
  | "route"
  | "ip-checksum"
  | "ours"
  | "mtu"
  | "ip-maxpacket"
  | "ipsec-out-policy"
  | "ipsec-loop"
  | "ipsec-out-sa"
  | "ipsec-in-sa"
  | "replay"
  | "icv"
  | "pr-lasthdr"
  | "ipsec-in-policy"
  | "ipsec-in-reject"
  | "ipsec-evidence"
  | "icmp-type"
  // Networks (issue 12): ip_forward's TTL and forwarding checks, icmp_error's "may I answer?",
  // icmp_mtudisc's route update, ip_reass's "is the datagram complete?".
  | "ttl"
  | "forward"
  | "icmp-error"
  | "pmtu"
  | "reass"
  // seed 003 (OpenBSD): esp_output's TDBF_SKIPCRYPTO branch, ip_output's IFCAP_IPSEC check,
  | "skip-crypto"
  | "ipsec-capability"
  // a driver's start routine honouring (or not) an OUT_CRYPTO_NEEDED reminder, gif's loop detection.
  | "reminder"
  | "gif-loop"
  // a HYPOTHETICAL NIC with IFCAP_IPSEC decrypting and verifying an ESP packet on receive.
  | "rx-offload"
  // Linux stack (src/engine/linux, seed 002 and the seed story on XFRM):
  // skb->dev against skb->dst->dev at a point where the code relies on one of them,
  | "skb-dev-dst"
  // KLIPS eroute lookup in ipsec_tunnel_start_xmit,
  | "klips-eroute"
  // ipsec_xmit_encap_bundle's room / prv->mtu ratchet / DF-ICMP logic,
  | "klips-mtu"
  // ipsec_tunnel_send's re-route and recursion check, or a fragment re-entering ipsec0,
  | "klips-recursion"
  // xfrm_lookup: policy, bundle, or DST_NOXFRM / disable_xfrm bypass,
  | "xfrm-lookup"
  // xfrm_bundle_ok / xfrm_init_pmtu: the bundle MTU from xfrm_state_mtu,
  | "xfrm-bundle-mtu"
  // __xfrm_policy_check on input (template against sec_path, or the rx device's disable_policy),
  | "xfrm-policy-check"
  // ip_defrag: fragment queued or datagram reassembled.
  | "ip-defrag"
  // Seed 004 (keying): the kernel raising an ACQUIRE, the daemon's handling of it and of the
  // negotiated SA (installed, or not: nokernel), and lifetime expiry.
  | "km-acquire"
  | "km-install"
  | "km-expire"
  // TCP (issue 12, netinet/tcp_*.ts): tcp_segsize's segment size (and tcp_mtudisc's resend),
  // tcp_input's connection lookup / state step, tcp_timer_rexmt's resend-or-drop.
  | "tcp-segsize"
  | "tcp-input"
  | "tcp-rexmt";

/**
 * The transport of an app.send or deliver whose socket is a datagram socket: the audit tallies
 * its datagrams (audit/tally.ts). Stream sockets (TCP) are named by their connection instead.
 */
export type Transport = "udp";

/** The discriminated part of an event. */
export type EventPayload =
  /**
   * `bytes`: data a stream socket's writer put into so_snd (TCP sosend, issue 12), for the audit's byte count;
   * with `transport` "udp", one sendto() of a datagram of `bytes` data bytes (the audit's datagram tally).
   */
  | { readonly kind: "app.send"; readonly socket: string; readonly summary: string; readonly bytes?: number; readonly transport?: Transport }
  /** `fragOf`: the chain of the datagram this new chain is a fragment of (ip_fragment). */
  | { readonly kind: "mbuf.alloc"; readonly len: number; readonly leading: number; readonly fragOf?: number }
  | { readonly kind: "mbuf.prepend"; readonly header: string; readonly len: number; readonly leading: "space" | "new-mbuf" }
  | { readonly kind: "mbuf.makespace"; readonly header: string; readonly offset: number; readonly len: number; readonly how: "in-place" | "split" }
  /** `from`: the chain whose data was appended (ip_reass m_cat()s each fragment onto the first). */
  | { readonly kind: "mbuf.append"; readonly what: string; readonly len: number; readonly how: "trailing-space" | "new-mbuf"; readonly from?: number }
  | { readonly kind: "mbuf.adj"; readonly header: string; readonly len: number; readonly from: "head" | "tail" }
  | { readonly kind: "mbuf.strip"; readonly header: string; readonly offset: number; readonly len: number }
  | { readonly kind: "mbuf.rewrite"; readonly what: string; readonly offset: number; readonly len: number }
  | { readonly kind: "mbuf.pkthdr"; readonly mode: "move" | "dup"; readonly from: number }
  | { readonly kind: "mbuf.free"; readonly reason: string }
  /** `socket`: whose control block, when `header` is one (TCP's "tcpcb": snd_una moved by an ACK, issue 12). */
  | {
      readonly kind: "field.set";
      readonly header: string;
      readonly field: string;
      readonly from: string;
      readonly to: string;
      readonly socket?: string;
    }
  | { readonly kind: "tag.get"; readonly tag: TagView }
  | { readonly kind: "tag.prepend"; readonly tag: TagView }
  | { readonly kind: "tag.find"; readonly name: string; readonly found: TagView | null }
  | { readonly kind: "tag.unlink"; readonly tag: TagView }
  | { readonly kind: "tag.delete"; readonly tag: TagView }
  | { readonly kind: "tag.deleteChain"; readonly deleted: readonly TagView[] }
  | { readonly kind: "tag.deleteNonpersistent"; readonly deleted: readonly TagView[]; readonly kept: readonly TagView[] }
  | { readonly kind: "tag.copy"; readonly from: TagView; readonly to: TagView }
  | { readonly kind: "tag.copyChain"; readonly copies: readonly (readonly [TagView, TagView])[] }
  /**
   * The same m_tag given another type in place (`mt->m_tag_id = PACKET_TAG_IPSEC_IN_DONE`, FreeBSD
   * ipsec4_common_input_cb): `to` is the tag as it is now; views are immutable, so it has its own uid.
   */
  | { readonly kind: "tag.retype"; readonly from: TagView; readonly to: TagView }
  | { readonly kind: "flag.set"; readonly flags: readonly MFlag[] }
  | { readonly kind: "flag.clear"; readonly flags: readonly MFlag[] }
  | {
      readonly kind: "decision";
      /** Which check this is, stable across runs (the audit and "next decision" key on it). */
      readonly check: CheckId;
      /** What the kernel asked, e.g. "Has IPsec output already been done for this SA?" */
      readonly question: string;
      readonly consulted: readonly Consulted[];
      /** The branch taken, short: "skip IPsec", "apply ESP", "accept". */
      readonly branch: string;
    }
  | { readonly kind: "crypto.submit"; readonly sa: string; readonly op: "encrypt" | "decrypt" | "sign" | "verify"; readonly bytes: number }
  | {
      readonly kind: "crypto.done";
      readonly sa: string;
      readonly op: "encrypt" | "decrypt" | "sign" | "verify";
      readonly ok: boolean;
      readonly detail: string;
    }
  | { readonly kind: "queue.enqueue"; readonly queue: string; readonly depth: number }
  | { readonly kind: "queue.dequeue"; readonly queue: string; readonly depth: number }
  /** `ifname` is the host's interface ("lo0", "em0"); `link` the LinkInfo id it is attached to. */
  | { readonly kind: "link.tx"; readonly ifname: string; readonly link: string; readonly bytes: number }
  /**
   * `fault`: a scenario fault the link injected into this frame ("replay", "flip-bit") and what it
   * did, so the trace and the capture mark the frame an attacker produced.
   */
  | {
      readonly kind: "link.rx";
      readonly ifname: string;
      readonly link: string;
      readonly bytes: number;
      readonly fault?: { readonly kind: FaultKind; readonly detail: string };
    }
  | { readonly kind: "sa.update"; readonly sa: string; readonly field: string; readonly value: string }
  /**
   * `bytes`: in-order data appended to a stream socket's so_rcv (TCP, issue 12); with `transport`
   * "udp", a datagram of `bytes` data bytes appended to a datagram socket's receive buffer.
   */
  | {
      readonly kind: "deliver";
      readonly socket: string;
      readonly summary: string;
      readonly rttMicros?: number;
      readonly bytes?: number;
      readonly transport?: Transport;
    }
  /**
   * `socket`: the connection tcp_drop closed (tcp-timeout, tcp-reset), when the drop is of a
   * connection rather than a packet; or the datagram socket a send was refused to (ip-msgsize:
   * sendto() returns EMSGSIZE to it).
   */
  | { readonly kind: "drop"; readonly reason: DropReason; readonly detail: string; readonly socket?: string }
  /**
   * A scenario fault, as its own step (issue 10): an attacker on `link` replays a recorded frame,
   * flips a bit in transit or forges a packet. Not kernel code: the step is the attacker's, on the
   * frame it produced, before the receiving driver's link.rx (whose `fault` marks the same frame
   * in the capture).
   */
  | { readonly kind: "fault"; readonly fault: FaultKind; readonly link: string; readonly detail: string };

/** The faults a scenario can inject on a link (scenario/schema.ts `faults`). */
export type FaultKind = "replay" | "flip-bit" | "forge";

export type EventKind = EventPayload["kind"];

/** Fields every event has. */
export interface EventBase {
  /** Index in Trace.events (0-based). */
  readonly seq: number;
  /** Virtual time in microseconds since the scenario started. */
  readonly t: number;
  readonly host: string;
  readonly layer: LayerId;
  /** The kernel function this step models, e.g. "ip_output". */
  readonly fn: string;
  /** Packet version after this step, or -1 when the step concerns no packet. */
  readonly packet: number;
  /** The packet (chain) id, or -1. */
  readonly chain: number;
  /** One plain sentence for narration. */
  readonly note: string;
  /** Step of the seed story this event illustrates (e.g. Stone's 8 steps), when one applies. */
  readonly story?: number;
}

export type TraceEvent = EventBase & EventPayload;

/** Narrow an event by kind. */
export type EventOf<K extends EventKind> = EventBase & Extract<EventPayload, { kind: K }>;

/** "crash": the modelled kernel oopsed (seed 002's KLIPS on Linux 2.2), never a failure of tagflow itself. */
export type Verdict = "secure" | "insecure" | "dropped" | "loop" | "crash";
export type Severity = "critical" | "warning" | "info";

/** One thing the audit found, anchored at the step where it became true. */
export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  /** Event seq (0-based) where it became true; shown to people as "step seq + 1". */
  readonly step: number;
  readonly sentence: string;
}

export interface Outcome {
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
  /** Echo requests sent and replies delivered, for the banner. */
  readonly sent: number;
  readonly delivered: number;
  /** TCP transfers (issue 12), when the run has any: bytes written, acknowledged and delivered (audit/tcp.ts). */
  readonly tcp?: readonly TcpOutcome[];
  /** UDP datagrams (issue 12), when the run sent any. */
  readonly udp?: UdpOutcome;
}

/** What a run's UDP senders came to: datagrams, not bytes — UDP neither resends nor acknowledges. */
export interface UdpOutcome {
  /** sendto() calls (app.send with transport "udp"), refused ones included. */
  readonly sent: number;
  /** Of those, how many the kernel refused with EMSGSIZE before anything left the host (DF over the MTU). */
  readonly refused: number;
  /** Datagrams udp_input / udp_rcv appended to a socket's receive buffer. */
  readonly delivered: number;
}

/** One TCP connection's byte count at the end of a run (audit/tcp.ts). */
export interface TcpOutcome {
  /** The connecting socket, e.g. "tcp#0". */
  readonly socket: string;
  /** Bytes the application wrote into so_snd. */
  readonly written: number;
  /** Of those, how many the peer acknowledged (snd_una − 1, the SYN and FIN left out). */
  readonly acked: number;
  /** Bytes tcp_input appended in order to the receiver's so_rcv. */
  readonly delivered: number;
  /** The errno tcp_drop closed it with, if it did. */
  readonly error?: "ETIMEDOUT" | "ECONNRESET";
}

/** A link the trace saw traffic on, for captures. */
export interface LinkInfo {
  readonly id: string;
  /** "loopback" for lo0 (captured as BSD DLT_NULL), "p2p" for links between hosts. */
  readonly kind: "loopback" | "p2p";
  /** host:ifname pairs attached. */
  readonly ends: readonly string[];
  /** For p2p links: the smaller MTU of the two ends' interfaces — the largest datagram it carries (issue 12). */
  readonly mtu?: number;
}

/** What a run produced. `scenario` is the normalised scenario that was run. */
export interface Trace<S = unknown> {
  readonly version: typeof TRACE_VERSION;
  readonly scenario: S;
  readonly personality: string;
  readonly fixes: readonly string[];
  /** Columnar in a trace the engine made (store.ts); any RowList (a plain array) otherwise. */
  readonly events: EventList;
  readonly packets: PacketList;
  readonly links: readonly LinkInfo[];
  readonly outcome: Outcome;
}
