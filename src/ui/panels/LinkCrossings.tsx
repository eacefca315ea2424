/**
 * The comparative aha (issue 17): at a packet's cleartext crossing of a link, the earlier
 * encrypted crossing of the same link beside it (the request's ESP against the reply's
 * cleartext on lo0), and, where the outbound policy asked for ESP, a dashed "ESP expected by
 * policy" placeholder where the ESP header would sit (transport mode: after the IP header,
 * RFC 4303 §3.1.1). Read from the trace's facts: link.tx events, the packet versions' bytes as
 * the inspector dissects them (stepModel), and the ipsec-out-policy decision's consulted SP.
 */
import type { ReactElement } from "react";
import { scanAt, type Consulted, type ScenarioTrace } from "../../engine/index";
import { tagflowStore } from "../../store/index";
import { packetModelAt } from "../stepModel";

/** One crossing: its step, the headers on the wire (outermost first) and whether ESP hides the payload. */
export interface Crossing {
  readonly seq: number;
  readonly headers: readonly { readonly label: string; readonly bytes: number; readonly encrypted: boolean }[];
  readonly encrypted: boolean;
}

/** The comparison at a link crossing, or null where there is nothing to compare. */
export interface CrossingPair {
  /** The interface it crosses, as ifconfig names it ("lo0"). */
  readonly link: string;
  readonly now: Crossing;
  /** The latest earlier crossing of the same link that was encrypted (null: none). */
  readonly before: Crossing | null;
  /** The policy that asked for ESP on the way out ("sp1 (out): esp/transport//require"), when it did. */
  readonly expected: string | null;
}

const LABEL: Readonly<Record<string, string>> = { ipv4: "IPv4", icmp: "ICMP", esp: "ESP", udp: "UDP", tcp: "TCP", ah: "AH", payload: "data" };

function crossingAt(trace: ScenarioTrace, seq: number): Crossing | null {
  const model = packetModelAt(trace, seq);
  if (!model) return null;
  const headers: { label: string; bytes: number; encrypted: boolean }[] = [];
  for (const r of model.regions) {
    if (r.inner) continue;
    const bytes = r.end - r.start;
    // IV, ciphertext and ICV are one locked band on the wire: what an observer cannot read.
    if (r.header === "esp-iv" || r.header === "esp-ciphertext" || r.header === "esp-icv") {
      const last = headers[headers.length - 1];
      if (last?.encrypted) headers[headers.length - 1] = { ...last, bytes: last.bytes + bytes };
      else headers.push({ label: "encrypted", bytes, encrypted: true });
      continue;
    }
    headers.push({ label: LABEL[r.header] ?? r.header, bytes, encrypted: false });
  }
  return { seq, headers, encrypted: model.encrypted };
}

/** The SP an ipsec-out-policy decision consulted, in words ("sp1 (out): esp/transport//require"). */
function policyWords(consulted: readonly Consulted[]): string {
  const sp = consulted.find((c) => c.kind === "sp");
  return sp && sp.kind === "sp" ? `${sp.id}: ${sp.summary}` : "the outbound policy";
}

/** At a cleartext link.tx step: the crossing, the earlier encrypted one of the same link, and the policy's ask. Pure. */
export function crossingPair(trace: ScenarioTrace, seq: number): CrossingPair | null {
  const e = trace.events.at(seq);
  if (!e || e.kind !== "link.tx") return null;
  const now = crossingAt(trace, seq);
  if (!now || now.encrypted) return null;
  let before: Crossing | null = null;
  let expected: string | null = null;
  for (let i = seq - 1; i >= 0 && (before === null || expected === null); i--) {
    const p = scanAt(trace.events, i);
    if (before === null && p.kind === "link.tx" && p.link === e.link) {
      const c = crossingAt(trace, i);
      if (c?.encrypted) before = c;
    }
    // The last outbound policy decision for this mbuf chain before it left: did it ask for IPsec?
    if (expected === null && p.kind === "decision" && p.check === "ipsec-out-policy" && p.chain === e.chain && p.host === e.host) {
      expected = p.branch === "IPsec" ? policyWords(p.consulted) : "";
    }
  }
  if (before === null && !expected) return null;
  return { link: e.ifname, now, before, expected: expected || null };
}

function Row({ c, label, expected }: { c: Crossing; label: string; expected: string | null }): ReactElement {
  const parts = c.headers.map((h, i) => (
    <span key={i} className={`xing-hdr${h.encrypted ? " is-encrypted" : ""}`}>
      {h.encrypted && (
        // The packet card's lock (PacketCard.tsx): an emoji is a box where the projector PC has no emoji font.
        <svg className="xing-lock" width={13} height={14} viewBox="4 3 12 15" aria-hidden="true">
          <path d="M6 9V7a4 4 0 0 1 8 0v2h1.5v8h-11V9zm2 0h4V7a2 2 0 0 0-4 0z" />
        </svg>
      )}
      {h.label} <span className="xing-bytes">{h.bytes} B</span>
    </span>
  ));
  // Transport-mode ESP sits right after the IP header (RFC 4303 §3.1.1).
  if (expected)
    parts.splice(
      1,
      0,
      <span key="expected" className="xing-hdr xing-hdr--expected" data-testid="esp-expected" title={expected}>
        ESP expected by policy {expected.split(":")[0]}
      </span>,
    );
  return (
    <div className={`xing-row${c.encrypted ? " is-encrypted" : " is-cleartext"}`} data-testid={`xing-${c.encrypted ? "encrypted" : "cleartext"}`}>
      <button
        type="button"
        className="btn btn--ghost xing-step"
        onClick={() => tagflowStore.getState().seek(c.seq, "jump")}
        title={`Go to step ${c.seq + 1}`}
      >
        {label} {c.seq + 1}
      </button>
      <span className={`xing-state xing-state--${c.encrypted ? "encrypted" : "cleartext"}`}>{c.encrypted ? "ENCRYPTED" : "CLEARTEXT"}</span>
      {parts}
    </div>
  );
}

/** Props: the trace and the step. Renders the comparison at a cleartext crossing, else nothing. */
export function LinkCrossings({ trace, seq }: { trace: ScenarioTrace; seq: number }): ReactElement | null {
  const pair = crossingPair(trace, seq);
  if (!pair) return null;
  return (
    <figure className="xings" data-testid="link-crossings" aria-label={`Crossings of ${pair.link} compared`}>
      <figcaption>{pair.before ? `This crossing of ${pair.link} beside the earlier encrypted one` : `This crossing of ${pair.link}`}</figcaption>
      <Row c={pair.now} label="step" expected={pair.expected} />
      {pair.before && <Row c={pair.before} label="step" expected={null} />}
    </figure>
  );
}
