/**
 * The workloads the bench runs: the seed story and its ping flood through ESP on lo0, with the
 * 2003 fix on (so both the request and the reply are protected: four AEAD operations per echo).
 */
import { builtinByName, LIMITS, loadScenario, type Scenario, type ScenarioInput } from "../src/engine/index";

export type FloodCipher = "aes-gcm-16" | "chacha20-poly1305";

/** The seed story (the app's default scenario) as the engine receives it. */
export function seedInput(fixes: readonly string[] = []): ScenarioInput {
  const seed = builtinByName("lo0-esp-ping");
  if (!seed) throw new Error("the built-in lo0-esp-ping is missing");
  return { ...seed, fixes: [...fixes] } as ScenarioInput;
}

/** Teaching keys: KEYMAT is the cipher key followed by the 4-byte nonce salt (RFC 4106, RFC 7634). */
export const FLOOD_KEYS: Readonly<Record<FloodCipher, string>> = {
  "aes-gcm-16": "0x0123456789abcdef0123456789abcdefcafebabe",
  "chacha20-poly1305": `0x${"0123456789abcdef".repeat(4)}cafebabe`,
};

/** `ping -f -c <echoes> 127.0.0.1` through ESP (`cipher`) on lo0, icmp-reflect-strips-tags on. */
export function floodInput(echoes: number, cipher: FloodCipher): ScenarioInput {
  const seed = seedInput(["icmp-reflect-strips-tags"]);
  const host = seed.hosts?.[0];
  const sa = host?.sad?.[0];
  if (!host || !sa) throw new Error("lo0-esp-ping has no SA to re-key");
  return {
    ...seed,
    maxEvents: LIMITS.maxEvents,
    hosts: [{ ...host, sad: [{ ...sa, enc: cipher, encKey: FLOOD_KEYS[cipher] }] }],
    traffic: [{ kind: "ping", from: "host", dst: "127.0.0.1", count: echoes, flood: true }],
  } as ScenarioInput;
}

/** Validate a scenario the bench built itself (a failure is a bug in the bench). */
export function mustLoad(input: ScenarioInput): Scenario {
  const r = loadScenario(input);
  if (!r.ok) throw new Error(`bench scenario ${String(input.name)} does not validate: ${JSON.stringify(r.problems)}`);
  return r.scenario;
}
