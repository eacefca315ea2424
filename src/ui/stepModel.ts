/**
 * Per-trace memo of what the views derive from a step: the packet model of a version (dissected
 * once per version, from its header stack), the ESP layouts from the scenario's SAs, the hosts for the stack.
 * Stepping back and forth hits these caches; nothing is deep-copied per step.
 */
import { authAlg, encAlg, kindAt, scanAt, type AuthAlgId, type EncAlgId, type ScenarioTrace } from "../engine/index";
import { espLayoutFrom, modelPacket, type EspLayout, type PacketModel } from "./inspector/packetModel";
import type { HostInfo } from "./stack/stackLayout";

interface TraceMemo {
  readonly models: Map<number, PacketModel>;
  readonly esp: Map<string, EspLayout>;
  hosts?: readonly HostInfo[];
}

const memos = new WeakMap<object, TraceMemo>();
const MAX_VERSIONS = 512;

function memoOf(trace: ScenarioTrace): TraceMemo {
  let memo = memos.get(trace);
  if (!memo) {
    memo = { models: new Map(), esp: new Map() };
    memos.set(trace, memo);
  }
  return memo;
}

/** ESP IV/ICV lengths by SPI as `host` sees them. */
export function espLayoutFor(trace: ScenarioTrace, host: string): EspLayout {
  const memo = memoOf(trace);
  let layout = memo.esp.get(host);
  if (!layout) {
    const sas = trace.scenario.hosts.flatMap((h) =>
      h.sad.map((sa) => {
        const enc = encAlg(sa.enc as EncAlgId);
        const auth = authAlg(sa.auth as AuthAlgId);
        return { spi: sa.spi, host: h.name, iv: enc.ivBytes, icv: enc.aead ? enc.icvBytes : auth.icvBytes };
      }),
    );
    layout = espLayoutFrom(sas, host);
    memo.esp.set(host, layout);
  }
  return layout;
}

/** The packet model at step `seq` (or of the pinned version `pinned`), or null when the step has no packet. */
export function packetModelAt(trace: ScenarioTrace, seq: number, pinned: number | null = null): PacketModel | null {
  const e = trace.events.at(seq);
  if (!e) return null;
  const versionId = pinned ?? e.packet;
  const version = versionId >= 0 ? trace.packets.at(versionId) : undefined;
  if (!version) return null;
  const memo = memoOf(trace);
  let model = memo.models.get(versionId);
  if (!model) {
    if (memo.models.size >= MAX_VERSIONS) memo.models.delete(memo.models.keys().next().value!);
    model = modelPacket(version, espLayoutFor(trace, e.host));
    memo.models.set(versionId, model);
  }
  return model;
}

/** The hosts of a trace for the stack layout (loopback drawn where the trace uses lo0). */
export function hostsOf(trace: ScenarioTrace): readonly HostInfo[] {
  const memo = memoOf(trace);
  if (!memo.hosts) {
    const looped = new Set<string>();
    const loopLinks = new Set(trace.links.filter((l) => l.kind === "loopback").map((l) => l.id));
    // A column scan: only link.tx events are built (a trace can hold a million steps).
    for (let i = 0; i < trace.events.length; i++) {
      if (kindAt(trace.events, i) !== "link.tx") continue;
      const e = scanAt(trace.events, i);
      if (e.kind === "link.tx" && loopLinks.has(e.link)) looped.add(e.host);
    }
    memo.hosts = trace.scenario.hosts.map((h) => ({
      name: h.name,
      ifaces: h.interfaces.map((i) => (i.capabilities?.includes("ipsec") ? `${i.name} (hypothetical offload)` : i.name)),
      loopback: looped.has(h.name),
    }));
  }
  return memo.hosts;
}
