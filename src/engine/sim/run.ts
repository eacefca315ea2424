/**
 * runScenario(scenario) — the engine's one entry point: build the world, start the traffic,
 * run the callouts to completion (or to the step limit), audit, and return the trace.
 * Pure and deterministic: the same scenario gives a byte-identical trace.
 */
import { audit } from "../audit/audit";
import { annotateStone } from "../audit/story";
import { effectiveBehaviour, PERSONALITIES } from "../kernels/personality";
import { installKeys } from "../netipsec/key";
import { startPing, type PingState } from "../netinet/ping";
import type { Scenario } from "../scenario/schema";
import { StepLimitExceeded } from "../trace/recorder";
import { TRACE_VERSION, type LinkInfo, type Trace } from "../trace/events";
import { World } from "./world";

export type ScenarioTrace = Trace<Scenario>;

/** Run a validated scenario (see loadScenario) and return its trace. */
export function runScenario(scenario: Scenario): ScenarioTrace {
  const personality = PERSONALITIES[scenario.personality];
  const behaviour = effectiveBehaviour(personality, scenario.fixes);
  const world = new World(scenario, personality, behaviour);
  world.hosts.forEach((h) => installKeys(h, h.spec));
  const pings: PingState[] = scenario.traffic.map((t, i) => startPing(world.host(t.from), t, i));
  try {
    world.run();
  } catch (e) {
    if (!(e instanceof StepLimitExceeded)) throw e;
    world.stoppedByLimit = true;
    world.recorder.recordFinal(scenario.hosts[0]!.name, "ip", "runScenario", { kind: "drop", reason: "step-limit", detail: `${e.limit} events` }, `The run reached its limit of ${e.limit} events and was stopped: something is looping.`);
  }
  const { events, packets } = world.recorder;
  if (scenario.story === "stone-2003") annotateStone(events);
  const sent = pings.reduce((n, p) => n + p.sent, 0);
  const delivered = pings.reduce((n, p) => n + p.received, 0);
  const links: LinkInfo[] = [
    ...world.hosts.map((h) => ({ id: `${h.name}:lo0`, kind: "loopback" as const, ends: [`${h.name}:lo0`] })),
    ...world.links.map((l) => ({ id: l.name, kind: "p2p" as const, ends: l.ends.map((e) => `${e.host.name}:${e.iface.name}`) })),
  ];
  return {
    version: TRACE_VERSION,
    scenario,
    personality: personality.id,
    fixes: scenario.fixes,
    events,
    packets,
    links,
    outcome: audit({ events, packets, sent, delivered }),
  };
}
