/**
 * The caps on scenario input, in a module of their own (no schema library): the app's first page
 * load checks share links against them without carrying the validator, which only the engine
 * worker needs.
 */

/** Caps that keep a hostile scenario from exhausting memory before validation finishes. */
export const LIMITS = {
  name: 64,
  text: 2000,
  hosts: 16,
  interfaces: 8,
  routes: 64,
  sas: 64,
  policies: 64,
  links: 32,
  traffic: 16,
  pingCount: 100_000,
  payload: 65_507 - 8,
  maxEvents: 20_000_000,
  faults: 16,
  /**
   * Σ count × size over the traffic: the ICMP data a run would carry. Each echo is recorded as
   * several packet versions, so 64 MiB of data already makes a trace of ~800 MB in Node; a
   * 20,000 × 65,499 scenario (1.3 GB of data) used to end in V8's out-of-memory abort.
   */
  pingBytes: 64 * 1024 * 1024,
} as const;

/** Caps on raw input, checked before anything is parsed; jsonBytes counts UTF-16 characters. */
export const INPUT_LIMITS = { jsonBytes: 512 * 1024, depth: 32 } as const;

/** Bracket depth of JSON text, ignoring brackets inside strings; linear, never recursive. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}
