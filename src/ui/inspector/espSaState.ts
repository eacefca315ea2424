/**
 * The SA an ESP packet belongs to, as the inspector shows it (issue 10): its sequence-number
 * width — 32-bit, or 64-bit extended sequence numbers (RFC 4303 §2.2.1), whose high half (seq-hi)
 * is kept in the SA and covered by the ICV but never sent — its replay window (FAST_IPSEC counts
 * and checks sequence numbers only when the SA has one: esp_output/esp_input `if (sav->replay)`),
 * and the last sequence number the trace's `sa.update` facts (field "seq", the full 64-bit value,
 * netipsec/replay.ts takeOutboundSeq) give it up to the step. Pure: EspSaPanel renders it.
 */
import { scanAt, type EventList, type HdrView } from "../../engine/index";

/** An SA as the scenario declares it (the fields this view needs). */
export interface DeclaredSa {
  readonly proto: "esp" | "ah";
  readonly spi: number;
  readonly src: string;
  readonly dst: string;
  readonly replayWindow: number;
  readonly esn: boolean;
}

/** What the inspector says about the ESP packet's SA. */
export interface EspSaState {
  readonly spi: number;
  /** The SA's trace id, "esp 0x00001000 127.0.0.1→127.0.0.1" (netipsec/key.ts saName). */
  readonly sa: string;
  readonly esn: boolean;
  readonly replayWindow: number;
  /** The last sequence number taken for this SA up to the step (all 64 bits on an ESN SA), or null. */
  readonly seq: number | null;
  /** seq-hi and the 32 bits on the wire, for `seq`. */
  readonly seqHi: number | null;
  readonly seqLo: number | null;
}

const spiText = (spi: number): string => `0x${spi.toString(16).padStart(8, "0")}`;

/**
 * Where the ESP header starts: from the header stack, or — for a frame the driver has just put in
 * an mbuf, whose stack is one "data, IPv4" range until ip_input parses it — after that datagram's
 * IP header when its protocol is ESP (50).
 */
function espOffset(hdrs: readonly HdrView[], bytes: Uint8Array): number | null {
  const esp = hdrs.find((h) => h.kind === "esp" || (h.kind === "data" && h.proto === 50));
  if (esp) return esp.offset;
  const dgram = hdrs.find((h) => h.kind === "data" && h.proto === 4);
  if (!dgram || dgram.offset + 20 > bytes.length || bytes[dgram.offset + 9] !== 50) return null;
  return dgram.offset + (bytes[dgram.offset]! & 0x0f) * 4;
}

/**
 * The SA state for the ESP header of a packet (its header stack and bytes), at step `upTo`; null
 * when the packet has no ESP header or no declared SA has its SPI.
 */
export function espSaState(
  events: EventList,
  upTo: number,
  hdrs: readonly HdrView[],
  bytes: Uint8Array,
  sas: readonly DeclaredSa[],
): EspSaState | null {
  const at = espOffset(hdrs, bytes);
  if (at === null || at + 4 > bytes.length) return null;
  const spi = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const decl = sas.find((s) => s.proto === "esp" && s.spi === spi);
  if (!decl) return null;
  const sa = `esp ${spiText(spi)} ${decl.src}→${decl.dst}`;
  let seq: number | null = null;
  const last = Math.min(upTo, events.length - 1);
  for (let i = 0; i <= last; i++) {
    const e = scanAt(events, i);
    if (e.kind === "sa.update" && e.field === "seq" && e.sa === sa) seq = Number(e.value);
  }
  const seqHi = seq === null ? null : Math.floor(seq / 2 ** 32);
  const seqLo = seq === null ? null : seq % 2 ** 32;
  return { spi, sa, esn: decl.esn, replayWindow: decl.replayWindow, seq, seqHi, seqLo };
}

/** The state in one sentence, for the panel's label and the CLI-like text of a test. */
export function espSaSentence(s: EspSaState): string {
  const width = s.esn ? "64-bit extended sequence numbers (ESN, RFC 4303 §2.2.1)" : "32-bit sequence numbers";
  const window = s.replayWindow > 0 ? `replay window ${s.replayWindow}` : "no replay window: sequence numbers are neither counted nor checked";
  const counter =
    s.seq === null
      ? ""
      : s.esn
        ? `; last sequence number ${s.seq}: seq-hi ${s.seqHi} kept in the SA, ${s.seqLo} on the wire`
        : `; last sequence number ${s.seq}`;
  return `SA ${spiText(s.spi)}: ${width}, ${window}${counter}.`;
}
