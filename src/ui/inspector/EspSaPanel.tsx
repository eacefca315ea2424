/**
 * The ESP packet's SA in one line at the top of the inspector (issue 10): 32-bit or ESN, seq-hi
 * (in the SA, not on the wire) against the 32 bits in the header, and whether the SA has a replay
 * window at all. Renders nothing for a packet without an ESP header.
 */
import type { ReactElement } from "react";
import type { ScenarioTrace } from "../../engine/index";
import type { PacketModel } from "./packetModel";
import { espSaState } from "./espSaState";

/** Props: the trace, the step on screen, and the packet model the inspector shows. */
export interface EspSaPanelProps {
  readonly trace: ScenarioTrace;
  readonly cursor: number;
  readonly model: PacketModel;
  /** The host whose SAD the packet is read against (the step's host). */
  readonly host: string;
}

export function EspSaPanel({ trace, cursor, model, host }: EspSaPanelProps): ReactElement | null {
  const own = trace.scenario.hosts.find((h) => h.name === host)?.sad ?? [];
  const all = [...own, ...trace.scenario.hosts.flatMap((h) => h.sad)];
  const s = espSaState(trace.events, cursor, model.version.hdrs, model.bytes, all);
  if (!s) return null;
  return (
    <div className="esp-sa-panel" data-testid="esp-sa-panel" role="note">
      <code>SA 0x{s.spi.toString(16).padStart(8, "0")}</code>
      <span className={`esp-sa-chip${s.esn ? " is-esn" : ""}`}>{s.esn ? "ESN · 64-bit" : "32-bit seq"}</span>
      {s.seq !== null &&
        (s.esn ? (
          <span>
            seq {s.seq} = seq-hi {s.seqHi} <small>(in the SA, not on the wire)</small> · {s.seqLo} <small>(on the wire)</small>
          </span>
        ) : (
          <span>seq {s.seq}</span>
        ))}
      <span className={s.replayWindow > 0 ? "" : "esp-sa-none"}>
        {s.replayWindow > 0 ? `replay window ${s.replayWindow}` : "no replay window (sequence numbers not counted or checked)"}
      </span>
    </div>
  );
}
