/**
 * runLinux(scenario): runScenario for a Linux personality (seed 002, the XFRM seed story). The
 * same contract as the BSD run (sim/run.ts): build the world, start the traffic, run the
 * callouts to completion or to the step limit, audit, return the trace.
 */
import { annotateStory } from "../audit/story";
import { auditAndForget } from "../audit/audit";
import type { Behaviour, Personality } from "../kernels/personality";
import type { Scenario } from "../scenario/schema";
import { applyRunOptions, byteLimitText, loopingChain, timeLimitText, type RunOptions, type ScenarioTrace } from "../sim/run";
import { TRACE_VERSION, type LinkInfo } from "../trace/events";
import { StepLimitExceeded } from "../trace/recorder";
import { startLinuxPing, startUdp, type AppState } from "./apps";
import { KernelOops, LinuxWorld } from "./world";
import { linuxKeyingUnmodelled } from "../keying/adapters";
import type { LinuxBehaviour } from "./behaviour";
import { startLinuxKeying } from "./xfrm_km";

/** Run a validated scenario whose personality is a Linux one. */
export function runLinux(scenario: Scenario, personality: Personality, behaviour: Behaviour, options: RunOptions = {}): ScenarioTrace {
  const world = new LinuxWorld(scenario, personality, behaviour, Math.min(scenario.maxEvents, options.maxEvents ?? Infinity));
  applyRunOptions(scenario, world.recorder, world.sched, options);
  const pings: AppState[] = [];
  const missing = unmodelled(scenario, behaviour.linux!.stack);
  if (missing) {
    // Say so and run nothing, rather than send in cleartext what the scenario means to protect.
    world.recorder.recordFinal(
      scenario.hosts[0]!.name,
      "ipsec",
      "runScenario",
      { kind: "drop", reason: "not-modelled", detail: missing },
      `The Linux stack of tagflow models ESP in transport mode only; this scenario uses ${missing}, so nothing is run on ${personality.id}.`,
    );
    return finish(world, scenario, personality, pings);
  }
  if (scenario.keying) startLinuxKeying(world, scenario.keying);
  for (const [i, t] of scenario.traffic.entries()) {
    if (t.kind === "ping") pings.push(startLinuxPing(world.host(t.from), t, i));
    else if (t.kind === "udp") startUdp(world.host(t.from), t);
    // TCP is modelled on the BSD stack only (netinet/tcp_*.ts): said, not silently skipped.
    else
      world.recorder.recordFinal(
        t.from,
        "app",
        "runScenario",
        { kind: "drop", reason: "not-modelled", detail: `TCP on ${personality.id}` },
        `tagflow models TCP on the BSD stack only (netinet/tcp_*.ts); the transfer from ${t.from} to ${t.dst} is not run on ${personality.id}.`,
      );
  }
  try {
    world.run();
  } catch (e) {
    // The modelled oops ends the run: its drop event is already recorded (audit: verdict "crash").
    if (e instanceof KernelOops) return finish(world, scenario, personality, pings);
    if (!(e instanceof StepLimitExceeded)) throw e;
    const host = scenario.hosts[0]!.name;
    const looping = loopingChain(world.recorder.events);
    if (e.budget === "time") {
      const planned = scenario.traffic.reduce((n, t) => n + (t.kind === "tcp" ? 0 : t.count), 0);
      const { detail, note } = timeLimitText(
        e.limit,
        pings.reduce((n, p) => n + p.sent, 0),
        planned,
      );
      world.recorder.recordFinal(host, "ip", "runScenario", { kind: "drop", reason: "trace-limit", detail }, note);
      return finish(world, scenario, personality, pings);
    }
    if (looping === undefined && e.budget === "bytes") {
      const planned = scenario.traffic.reduce((n, t) => n + (t.kind === "tcp" ? 0 : t.count), 0);
      const { detail, note } = byteLimitText(
        e.limit,
        world.recorder.packets.arenaBytes,
        pings.reduce((n, p) => n + p.sent, 0),
        planned,
      );
      world.recorder.recordFinal(host, "ip", "runScenario", { kind: "drop", reason: "trace-limit", detail }, note);
      return finish(world, scenario, personality, pings);
    }
    world.recorder.recordFinal(
      host,
      "ip",
      "runScenario",
      looping !== undefined
        ? { kind: "drop", reason: "step-limit", detail: `${e.limit} events` }
        : { kind: "drop", reason: "trace-limit", detail: `${e.limit} events` },
      looping !== undefined
        ? `The run reached its limit of ${e.limit} events and was stopped: packet #${looping} was going round in a loop.`
        : `The run reached its limit of ${e.limit} events before the traffic finished, and the trace stops here.`,
    );
  }
  return finish(world, scenario, personality, pings);
}

/**
 * What of a scenario the Linux stack `stack` would not run (AH, keying on KLIPS, TCP…), or
 * undefined when it runs all of it: the app offers "compare with Linux" only then.
 */
export function linuxUnmodelled(s: Scenario, stack: LinuxBehaviour["stack"]): string | undefined {
  return unmodelled(s, stack) ?? (s.traffic.some((t) => t.kind === "tcp") ? "TCP" : undefined);
}

/** What a scenario asks of the Linux stack that it does not model (AH, tunnel mode), or undefined. */
function unmodelled(s: Scenario, stack: LinuxBehaviour["stack"]): string | undefined {
  // Seed 004: keying runs on linux-xfrm, not on KLIPS (keying/adapters.ts says why).
  const keying = linuxKeyingUnmodelled(s, stack);
  if (keying) return keying;
  for (const h of s.hosts) {
    if (h.sad.some((sa) => sa.proto === "ah") || h.spd.some((sp) => sp.requests.some((r) => r.proto === "ah"))) return "AH";
    if (h.sad.some((sa) => sa.mode === "tunnel") || h.spd.some((sp) => sp.requests.some((r) => r.mode === "tunnel"))) return "ESP tunnel mode";
  }
  return undefined;
}

function finish(world: LinuxWorld, scenario: Scenario, personality: Personality, pings: readonly AppState[]): ScenarioTrace {
  const { events, packets } = world.recorder;
  // Seed 002: the mail's claims on the steps that show them (audit/story_briggs.ts).
  annotateStory(scenario.story, events, packets, "linux");
  const sent = pings.reduce((n, p) => n + p.sent, 0);
  const delivered = pings.reduce((n, p) => n + p.received, 0);
  const links: LinkInfo[] = [
    ...world.hosts.map((h) => ({ id: `${h.name}:lo`, kind: "loopback" as const, ends: [`${h.name}:lo`] })),
    ...world.links.map((l) => ({ id: l.name, kind: "p2p" as const, ends: l.ends.map((e) => `${e.host.name}:${e.dev.name}`) })),
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
