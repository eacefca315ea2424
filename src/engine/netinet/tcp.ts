/**
 * The TCP header (RFC 793 §3.1; BSD netinet/tcp.h: struct tcphdr, th_flags, TCPOPT_MAXSEG): its
 * constants and decoder, with no imports, so the packet card's TCP band (ui/stack/cardLayout.ts)
 * reads a segment with the engine's own decoder without pulling the rest of the TCP model into
 * the page's first load. tcp_var.ts re-exports all of it.
 */

/** Bytes of a TCP header without options (sizeof(struct tcphdr)). */
export const TCP_HDRLEN = 20;
/** TCPOPT_MAXSEG and TCPOLEN_MAXSEG (netinet/tcp.h). */
export const TCPOPT_MAXSEG = 2;
export const TCPOLEN_MAXSEG = 4;
/** th_flags (netinet/tcp.h). */
export const TH = { FIN: 0x01, SYN: 0x02, RST: 0x04, PUSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/** "SYN|ACK" for narration. */
export function flagNames(flags: number): string {
  const names = (["SYN", "FIN", "RST", "PUSH", "ACK", "URG"] as const).filter((n) => flags & TH[n]);
  return names.length > 0 ? names.join("|") : "none";
}

export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** Header length in bytes (th_off × 4). */
  readonly hlen: number;
  readonly flags: number;
  readonly window: number;
  readonly checksum: number;
  /** The MSS option's value, if present. */
  readonly mss: number | undefined;
}

/** Decode the TCP header at `seg[0…]`; undefined when too short or th_off is impossible (tcps_rcvbadoff). */
export function parseTcp(seg: Uint8Array): TcpRepr | undefined {
  if (seg.length < TCP_HDRLEN) return undefined;
  const v = new DataView(seg.buffer, seg.byteOffset, seg.length);
  const hlen = (v.getUint8(12) >> 4) * 4;
  if (hlen < TCP_HDRLEN || hlen > seg.length) return undefined;
  let mss: number | undefined;
  // tcp_dooptions: walk kind/length pairs; EOL ends, NOP is one byte.
  for (let i = TCP_HDRLEN; i < hlen;) {
    const kind = seg[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = seg[i + 1] ?? 0;
    if (len < 2 || i + len > hlen) break;
    if (kind === TCPOPT_MAXSEG && len === TCPOLEN_MAXSEG) mss = v.getUint16(i + 2);
    i += len;
  }
  return {
    srcPort: v.getUint16(0),
    dstPort: v.getUint16(2),
    seq: v.getUint32(4),
    ack: v.getUint32(8),
    hlen,
    flags: v.getUint8(13) & 0x3f,
    window: v.getUint16(14),
    checksum: v.getUint16(16),
    mss,
  };
}
