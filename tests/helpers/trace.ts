/**
 * Running scenarios and reading traces in tests: load a built-in through the same validation any
 * input goes through, run it, and pick events, packets and findings out of the trace.
 */
import type { EventList } from "../../src/engine";
import {
  BUILTIN_SCENARIOS,
  FIX_IDS,
  PERSONALITIES,
  PERSONALITY_IDS,
  builtinByName,
  fixesFor,
  fromHex,
  loadScenario,
  runScenario,
  type EventKind,
  type EventOf,
  type FixId,
  type PacketVersion,
  type PersonalityId,
  type Scenario,
  type ScenarioInput,
  type ScenarioTrace,
  type TraceEvent,
} from "../../src/engine";
import type { EspSaKeys } from "../../src/engine/crypto";

export { BUILTIN_SCENARIOS, FIX_IDS, PERSONALITY_IDS };
export const BUILTIN_NAMES: readonly string[] = BUILTIN_SCENARIOS.map((s) => s.name);

/**
 * Seed 003's switches break what OpenBSD gets right (the loop check, the NIC's reminder); they
 * are studied on the openbsd-* built-ins (tests/engine/openbsd). Elsewhere no-ipsec-loop-check
 * only makes a runaway re-encryption that grows the packet to IP_MAXPACKET — real, but a minute
 * of work per run — so the sweeps pair them with the openbsd-* built-ins only.
 */
export const SEED_003_SWITCHES: readonly FixId[] = ["no-ipsec-loop-check", "driver-ignores-reminder"];

/**
 * The fixes a sweep tries on built-in `name` under `personality`, each alone: the personality's own
 * (a Linux switch changes nothing on BSD, and the other way round), and seed 003's switches only on
 * the openbsd-* built-ins (elsewhere no-ipsec-loop-check is a real but minute-long runaway).
 */
export function sweepFixes(name: string, personality: PersonalityId = "netbsd-2003"): FixId[] {
  return fixesFor(PERSONALITIES[personality]).filter((f) => name.startsWith("openbsd-") || !SEED_003_SWITCHES.includes(f));
}

export interface RunOptions {
  readonly fixes?: readonly FixId[];
  readonly personality?: PersonalityId;
  readonly seed?: number;
  readonly maxEvents?: number;
  /** Edit the scenario before validation (it gets a deep copy). */
  readonly patch?: (s: ScenarioInput) => void;
}

/** A scenario input: a built-in by name (deep-copied), with the options applied. */
export function builtinInput(name: string, opts: RunOptions = {}): ScenarioInput {
  const base = builtinByName(name);
  if (!base) throw new Error(`no built-in scenario ${name}`);
  const input = structuredClone(base) as ScenarioInput;
  if (opts.fixes) input.fixes = [...opts.fixes];
  if (opts.personality) input.personality = opts.personality;
  if (opts.seed !== undefined) input.seed = opts.seed;
  if (opts.maxEvents !== undefined) input.maxEvents = opts.maxEvents;
  opts.patch?.(input);
  return input;
}

/** Validate a scenario input, failing loudly with its problems. */
export function validated(input: unknown): Scenario {
  const r = loadScenario(input);
  if (!r.ok) throw new Error(`scenario does not validate:\n${r.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`);
  return r.scenario;
}

/** Run a built-in with options. */
export function runBuiltin(name: string, opts: RunOptions = {}): ScenarioTrace {
  return runScenario(validated(builtinInput(name, opts)));
}

const cache = new Map<string, ScenarioTrace>();

/** Like runBuiltin, memoised per options (traces are plain data; tests must not mutate them). */
export function traceOf(name: string, opts: Omit<RunOptions, "patch"> = {}): ScenarioTrace {
  const key = JSON.stringify([name, opts.fixes ?? [], opts.personality ?? "", opts.seed ?? null, opts.maxEvents ?? null]);
  let t = cache.get(key);
  if (!t) {
    t = runBuiltin(name, opts);
    cache.set(key, t);
  }
  return t;
}

/** The echo reply's ip_output loop check: the first ipsec-loop decision after icmp_reflect. */
export function replyLoopCheck(trace: { readonly events: EventList }): number {
  const reflect = trace.events.findIndex((e) => e.fn === "icmp_reflect");
  const i = trace.events.findIndex((e) => e.seq > reflect && e.kind === "decision" && e.check === "ipsec-loop");
  if (reflect < 0 || i < 0) throw new Error("no loop check after icmp_reflect in this trace");
  return i;
}

/** Events of one kind, narrowed. */
export function eventsOf<K extends EventKind>(trace: { readonly events: EventList }, kind: K): EventOf<K>[] {
  return trace.events.filter((e): e is EventOf<K> => e.kind === kind);
}

/** Decisions of one check. */
export function decisions(trace: { readonly events: EventList }, check: EventOf<"decision">["check"]): EventOf<"decision">[] {
  return eventsOf(trace, "decision").filter((e) => e.check === check);
}

/** The packet version an event points at. */
export function packetOf(trace: ScenarioTrace, e: TraceEvent): PacketVersion {
  const p = trace.packets.at(e.packet);
  if (!p) throw new Error(`event ${e.seq} (${e.kind}) has no packet version`);
  return p;
}

/** The bytes of the packet version an event points at. */
export function bytesOf(trace: ScenarioTrace, e: TraceEvent): Uint8Array {
  return fromHex(packetOf(trace, e).hex);
}

/** The IP protocol number of the packet an event points at. */
export function protoOf(trace: ScenarioTrace, e: TraceEvent): number {
  return bytesOf(trace, e)[9]!;
}

/** Finding ids, in the audit's order. */
export function findingIds(trace: ScenarioTrace): string[] {
  return trace.outcome.findings.map((f) => f.id);
}

/** The severity of a finding, or undefined when it is absent. */
export function severityOf(trace: ScenarioTrace, id: string): string | undefined {
  return trace.outcome.findings.find((f) => f.id === id)?.severity;
}

/** The events of one packet (chain), in order. */
export function chainEvents(trace: ScenarioTrace, chain: number): TraceEvent[] {
  return trace.events.filter((e) => e.chain === chain);
}

/** The chain id of the first echo request (the packet Stone's story follows). */
export function firstEchoChain(trace: ScenarioTrace): number {
  const alloc = trace.events.find((e) => e.kind === "mbuf.alloc");
  if (!alloc) throw new Error("no mbuf.alloc in trace");
  return alloc.chain;
}

/** The events of a chain from its icmp_reflect onwards: the echo reply's trip. */
export function replyTrip(trace: ScenarioTrace, chain: number): TraceEvent[] {
  const events = chainEvents(trace, chain);
  const at = events.findIndex((e) => e.fn === "icmp_reflect");
  if (at < 0) throw new Error(`chain ${chain} was never reflected`);
  return events.slice(at);
}

/** The ESP/AH keys of the SA with this SPI on a host of the scenario that ran. */
export function saKeys(trace: ScenarioTrace, spiValue: number, host?: string): EspSaKeys {
  for (const h of trace.scenario.hosts) {
    if (host && h.name !== host) continue;
    const sa = h.sad.find((s) => s.spi === spiValue);
    if (sa) return { enc: sa.enc, encKey: hexKey(sa.encKey), auth: sa.auth, authKey: hexKey(sa.authKey) };
  }
  throw new Error(`no SA with SPI 0x${spiValue.toString(16)}`);
}

export function hexKey(k: string): Uint8Array {
  return fromHex(k.startsWith("0x") ? k.slice(2) : k);
}

/** Every (builtin, personality, fixes) combination the suites sweep: none, and each fix alone. */
export function allConfigurations(): { name: string; personality: PersonalityId; fixes: FixId[]; label: string }[] {
  const out: { name: string; personality: PersonalityId; fixes: FixId[]; label: string }[] = [];
  for (const name of BUILTIN_NAMES) {
    for (const personality of PERSONALITY_IDS) {
      for (const fixes of [[], ...sweepFixes(name, personality).map((f) => [f])] as FixId[][]) {
        out.push({ name, personality, fixes, label: `${name} @${personality}${fixes.length ? ` +${fixes.join("+")}` : ""}` });
      }
    }
  }
  return out;
}

/** A packet seen on a link: the event, its packet version and its bytes. */
export interface OnWire<K extends "link.tx" | "link.rx"> {
  readonly event: EventOf<K>;
  readonly packet: PacketVersion;
  readonly bytes: Uint8Array;
}

/** Every packet transmitted (link.tx), optionally only on one link ("host:lo0", "net0"). */
export function transmitted(trace: ScenarioTrace, link?: string): OnWire<"link.tx">[] {
  return eventsOf(trace, "link.tx")
    .filter((e) => link === undefined || e.link === link)
    .map((event) => ({ event, packet: packetOf(trace, event), bytes: bytesOf(trace, event) }));
}

/** Every packet received from a link (link.rx), optionally only at one host. */
export function received(trace: ScenarioTrace, host?: string): OnWire<"link.rx">[] {
  return eventsOf(trace, "link.rx")
    .filter((e) => host === undefined || e.host === host)
    .map((event) => ({ event, packet: packetOf(trace, event), bytes: bytesOf(trace, event) }));
}
