/**
 * What a key-management configuration file holds once parsed, whatever its syntax: SAs and
 * policies in the scenario format's own shapes (schema.ts), each remembering the line and column
 * it came from, plus warnings (what the engine cannot model, named by token) and errors.
 * setkey.ts and ipxfrm.ts produce it; infer.ts turns it into a scenario.
 */
import type { ScenarioInput } from "../engine";

type HostInput = ScenarioInput["hosts"][number];
/** An SA as the scenario format writes it (every field spelled out by the parsers). */
export type SaInput = NonNullable<HostInput["sad"]>[number];
/** A policy as the scenario format writes it. */
export type PolicyInput = NonNullable<HostInput["spd"]>[number];
export type RequestInput = NonNullable<PolicyInput["requests"]>[number];

/** A place in the input: 1-based line and column. */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** One message about the input, located. */
export interface Diag extends Pos {
  readonly message: string;
}

/** The SAs and policies of one configuration file. */
export interface KeyConfig {
  readonly syntax: "setkey" | "ip-xfrm";
  readonly sas: { sa: SaInput; at: Pos }[];
  readonly policies: { policy: PolicyInput; at: Pos }[];
  readonly warnings: Diag[];
}

/** A parse either succeeds (possibly with warnings) or fails with every error: nothing half-imported. */
export type ParseResult = { ok: true; config: KeyConfig } | { ok: false; errors: Diag[]; warnings: Diag[] };

/** "3:14: message", the form every diagnostic is printed in (after the file name). */
export function formatDiag(d: Diag): string {
  return `${d.line}:${d.col}: ${d.message}`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A dotted-quad IPv4 address (the engine models IPv4 only). */
export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** A printable string key (setkey "…", ip xfrm "…") as the scenario's 0x hex. */
export function asciiToHex(s: string): string {
  let out = "0x";
  for (const b of new TextEncoder().encode(s)) out += b.toString(16).padStart(2, "0");
  return out;
}

/** `0xABcd` → `0xabcd`, the form the scenario format and the round trip compare. */
export function normaliseHex(s: string): string {
  return `0x${s.slice(2).toLowerCase()}`;
}

/** An SPI as setkey and iproute2 print it: 0x and 8 hex digits. */
export function spiHex(spi: number | string): string {
  const n = typeof spi === "number" ? spi : parseInt(spi, 16);
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** The policy as its peer holds it: the same selectors and requests, the other direction. */
export function mirrorPolicy(p: PolicyInput): PolicyInput {
  return { ...p, dir: p.dir === "out" ? "in" : "out" };
}
