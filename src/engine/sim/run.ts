/**
 * runScenario(scenario) — the engine's one entry point: build the world, start the traffic,
 * run the callouts to completion (or to the step limit), audit, and return the trace.
 * Pure and deterministic: the same scenario gives a byte-identical trace.
 */
import { auditAndForget } from "../audit/audit";
import { annotateStory } from "../audit/story";
import { effectiveBehaviour, isLinux, PERSONALITIES } from "../kernels/personality";
import { runLinux } from "../linux/run";
import { installKeys } from "../netipsec/key";
import { startKeying } from "../keying/pluto";
import { startPing, type PingState } from "../netinet/ping";
import { startUdp } from "../netinet/udp_usrreq";
import { startTcp } from "../netinet/tcp_input";
import type { Scenario } from "../scenario/schema";
import { StepLimitExceeded, type Recorder } from "../trace/recorder";
import type { Scheduler } from "./scheduler";
import { TRACE_VERSION, type LinkInfo, type Trace } from "../trace/events";
import { chainAt, type EventList } from "../trace/store";
import { World } from "./world";
import { scheduleForgeries } from "../net/if_link";

export type ScenarioTrace = Trace<Scenario>;

/**
 * The packet a run was stuck on when it hit its step limit, if it was stuck: a loop keeps one
 * packet going round, while a run that is merely large interleaves many (a flood shows a new
 * echo every hundred-odd steps).
 */
export function loopingChain(events: EventList): number | undefined {
  const from = Math.max(0, events.length - 2000);
  const counts = new Map<number, number>();
  for (let i = from; i < events.length; i++) {
    const chain = chainAt(events, i);
    if (chain >= 0) counts.set(chain, (counts.get(chain) ?? 0) + 1);
  }
  for (const [chain, n] of counts) if (n >= 0.9 * (events.length - from)) return chain;
  return undefined;
}

/** How a caller limits a run, on top of the scenario's own `maxEvents`. */
export interface RunOptions {
  /** Stop after this many events at most (the browser keeps traces it can hold). */
  readonly maxEvents?: number;
  /** Stop once the trace holds this many bytes of packet data (Recorder.maxBytes). */
  readonly maxBytes?: number;
  /** Stop before any callout due after this virtual time, µs (Scheduler.maxTime); at most the scenario's timeBudgetMicros. */
  readonly maxMicros?: number;
  /** Told the steps and packet bytes recorded so far, every `progressEvery` events (the engine worker's progress strip). */
  readonly onProgress?: (steps: number, bytes: number) => void;
  /** Events between onProgress calls (default 256: a step of a 64 KB echo costs about a millisecond). */
  readonly progressEvery?: number;
}

/**
 * Virtual time a run may take past the end of its traffic plan: more than any timer the schema
 * allows to fire after the last send (an SA's hard add-time lifetime ≤ 1 day, an acquire ≤ 1 h,
 * TCP's retransmit give-up ≈ 9 min: tcp_backoff in netinet/tcp_timer.ts).
 */
export const TIME_GRACE_MICROS = 2 * 86_400 * 1_000_000;

/**
 * The virtual-time budget of `scenario`, µs: the last traffic's start plus count × interval (the
 * plan's end: ping's and udp's timers, netinet/ping.ts), plus TIME_GRACE_MICROS. A run still busy
 * after that is not finishing its traffic but running away (issue 16), and stops with a finding.
 */
export function timeBudgetMicros(scenario: Scenario): number {
  let end = 0;
  for (const t of scenario.traffic) end = Math.max(end, (t.startMs + (t.kind === "tcp" ? 0 : t.count * t.intervalMs)) * 1000);
  return end + TIME_GRACE_MICROS;
}

/** Put a caller's budgets and progress watcher on a run's recorder and scheduler (both stacks: this file and linux/run.ts). */
export function applyRunOptions(scenario: Scenario, recorder: Recorder, sched: Scheduler, options: RunOptions): void {
  recorder.maxBytes = options.maxBytes ?? Infinity;
  sched.maxTime = Math.min(timeBudgetMicros(scenario), options.maxMicros ?? Infinity);
  if (options.onProgress) recorder.watch(options.onProgress, options.progressEvery ?? 256);
}

/** Seconds with up to three decimals, for time-budget findings. */
function seconds(micros: number): string {
  return `${+(micros / 1_000_000).toFixed(3)} s`;
}

/** The drop detail and note of a run stopped by its virtual-time budget (Scheduler.maxTime). */
export function timeLimitText(limit: number, started: number, planned: number): { detail: string; note: string } {
  return {
    detail: `virtual time ${seconds(limit)}, ${started} of ${planned} echoes sent`,
    note: `The run's virtual clock reached its limit of ${seconds(limit)} before the run finished (${started} of ${planned} echoes sent): something kept scheduling work after the traffic's plan and its timers were done, and the trace stops here.`,
  };
}

/** Megabytes with one decimal, for budget findings. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * The detail and note of a run stopped by its byte budget: what was recorded, and what the whole
 * run would record, extrapolated from the echoes sent so far (the finding issue 16 asks for).
 */
export function byteLimitText(limit: number, recorded: number, started: number, planned: number): { detail: string; note: string } {
  const whole = started > 0 ? Math.round((recorded * planned) / started) : recorded;
  const would = `this scenario would record about ${megabytes(whole)} of packet data; the app holds ${megabytes(limit)}`;
  return {
    detail: `${megabytes(recorded)} of packet data, ${started} of ${planned} echoes sent; ${would}`,
    note: `The run reached its budget of ${megabytes(limit)} of packet data before the traffic finished (${started} of ${planned} echoes sent): ${would}. Run it with the command line, or lower count or size.`,
  };
}

/** Run a validated scenario (see loadScenario) and return its trace. */
export function runScenario(scenario: Scenario, options: RunOptions = {}): ScenarioTrace {
  const personality = PERSONALITIES[scenario.personality];
  const behaviour = effectiveBehaviour(personality, scenario.fixes);
  // A Linux personality runs on the Linux stack (src/engine/linux: skb, dst, KLIPS, XFRM), not on this BSD World.
  if (isLinux(personality)) return runLinux(scenario, personality, behaviour, options);
  const world = new World(scenario, personality, behaviour, Math.min(scenario.maxEvents, options.maxEvents ?? Infinity));
  applyRunOptions(scenario, world.recorder, world.sched, options);
  world.hosts.forEach((h) => installKeys(h, h.spec));
  // Seed 004: keying daemons install SAs and policies during the run (keying/pluto.ts).
  if (scenario.keying) startKeying(world, scenario.keying);
  // seed 003: frames an attacker on a link injects (fault "forge").
  world.links.forEach(scheduleForgeries);
  const pings: PingState[] = scenario.traffic.flatMap((t, i) => (t.kind === "ping" ? [startPing(world.host(t.from), t, i)] : []));
  // UDP senders (udp_output, netinet/udp_usrreq.ts); not counted among the echoes.
  scenario.traffic.forEach((t, i) => {
    if (t.kind === "udp") startUdp(world, t, i);
    if (t.kind === "tcp") startTcp(world, t, i);
  });
  try {
    world.run();
  } catch (e) {
    if (!(e instanceof StepLimitExceeded)) throw e;
    const host = scenario.hosts[0]!.name;
    const looping = loopingChain(world.recorder.events);
    const planned = scenario.traffic.reduce((n, t) => n + (t.kind === "tcp" ? 0 : t.count), 0);
    const started = pings.reduce((n, p) => n + p.sent, 0);
    if (looping !== undefined) {
      world.recorder.recordFinal(
        host,
        "ip",
        "runScenario",
        { kind: "drop", reason: "step-limit", detail: `${e.limit} events` },
        `The run reached its limit of ${e.limit} events and was stopped: packet #${looping} was going round in a loop.`,
      );
    } else if (e.budget === "time") {
      const { detail, note } = timeLimitText(e.limit, started, planned);
      world.recorder.recordFinal(host, "ip", "runScenario", { kind: "drop", reason: "trace-limit", detail }, note);
    } else if (e.budget === "bytes") {
      const { detail, note } = byteLimitText(e.limit, world.recorder.packets.arenaBytes, started, planned);
      world.recorder.recordFinal(host, "ip", "runScenario", { kind: "drop", reason: "trace-limit", detail }, note);
    } else {
      world.recorder.recordFinal(
        host,
        "ip",
        "runScenario",
        { kind: "drop", reason: "trace-limit", detail: `${e.limit} events, ${started} of ${planned} echoes sent` },
        `The run reached its limit of ${e.limit} events before the traffic finished (${started} of ${planned} echoes sent), and the trace stops here.`,
      );
    }
  }
  const { events, packets } = world.recorder;
  // Recording is over: trim the columns and drop the interning maps (trace/store.ts).
  packets.seal();
  events.seal(packets);
  annotateStory(scenario.story, events, packets, "bsd");
  const sent = pings.reduce((n, p) => n + p.sent, 0);
  const delivered = pings.reduce((n, p) => n + p.received, 0);
  const links: LinkInfo[] = [
    ...world.hosts.map((h) => ({ id: `${h.name}:lo0`, kind: "loopback" as const, ends: [`${h.name}:lo0`] })),
    ...world.links.map((l) => ({
      id: l.name,
      kind: "p2p" as const,
      ends: l.ends.map((e) => `${e.host.name}:${e.iface.name}`),
      mtu: Math.min(l.ends[0].iface.mtu, l.ends[1].iface.mtu),
    })),
  ];
  return {
    version: TRACE_VERSION,
    scenario,
    personality: personality.id,
    fixes: scenario.fixes,
    events,
    packets,
    links,
    outcome: auditAndForget(events, packets, sent, delivered),
  };
}
