/**
 * The header stack of a packet version (design.md, "Trace"): what each byte range of the chain
 * is, as the mbuf verbs that built or took apart the chain know it — in the manner of gVisor's
 * PacketBuffer (pkg/tcpip/stack/packet_buffer.go), which keeps each header's offset and length
 * as it is pushed (outgoing) or consumed (incoming). The inspector, the packet card and the
 * exports read this; they never infer a layout from an event's wording.
 *
 * Non-trimmed entries tile the packet: in offset order, each starts where the previous ended,
 * the first at 0, the last ending at the packet's length. Plain data, JSON-friendly.
 */

/**
 * What a range is. `data` is bytes no modelled layer has taken apart yet — a datagram as a link
 * delivered it, an ESP payload before its decryption tells what it holds — and `proto` says
 * which protocol they start with, so a dissector can walk them.
 */
export type HdrKind = "ipv4" | "icmp" | "esp" | "ah" | "esp-trailer" | "esp-icv" | "data";

/**
 * - `plain`: readable as what it is;
 * - `encrypted`: ciphertext (an ESP payload after esp_output_cb, before esp_input_cb);
 * - `pending`: room made for a header that is not yet part of the packet — not yet written
 *   (`until: "write"`), or written but the header in front does not yet name it (`until: "link"`:
 *   ip_p still says what used to follow);
 * - `trimmed`: removed by the step that made this version (m_adj, m_striphdr); it covers no byte
 *   of it (offset and len say where it was and how long) and is gone from the chain's next version,
 *   kept so a reader can say what the step took away.
 */
export type HdrState = "plain" | "encrypted" | "pending" | "trimmed";

/** One entry of a header stack. Optional fields are absent when false / unknown. */
export interface HdrView {
  readonly kind: HdrKind;
  readonly offset: number;
  readonly len: number;
  readonly state: HdrState;
  /** For `pending`: what makes it part of the packet. */
  readonly until?: "write" | "link";
  /** For `data`: the IP protocol number of what the bytes start with (4 an IPv4 datagram, 50 ESP, …). */
  readonly proto?: number;
  /** The outer IPv4 header of tunnel mode (ipip_output). */
  readonly outer?: true;
  /** Inside an ESP payload (ciphertext on the wire; `state` says what it is in memory now). */
  readonly inEsp?: true;
  /** Was ciphertext and is now its decryption, in place (esp_input_cb). */
  readonly decrypted?: true;
}

/** IP protocol numbers the header kinds stand for (IANA "Assigned Internet Protocol Numbers"). */
export const HDR_PROTO: Readonly<Partial<Record<HdrKind, number>>> = { ipv4: 4, icmp: 1, esp: 50, ah: 51 };

/** The IP protocol an entry starts with, or null for trailers, ICVs and data of unknown protocol. */
export function hdrProto(h: HdrView): number | null {
  return h.kind === "data" ? (h.proto ?? null) : (HDR_PROTO[h.kind] ?? null);
}

/** The entries that cover bytes of the version (all but the trimmed ones), in offset order. */
export function liveHdrs(hdrs: readonly HdrView[]): readonly HdrView[] {
  return hdrs.some((h) => h.state === "trimmed") ? hdrs.filter((h) => h.state !== "trimmed") : hdrs;
}
