/**
 * The share-link format: what a URL fragment says about the app's state, and back. Pure (no DOM,
 * no store), so Node tests can throw anything at it.
 *
 *   #v=1&s=lo0-esp-ping                                   a built-in at its defaults
 *   #v=1&s=lo0-esp-ping&f=icmp-reflect-strips-tags&c=66&k=2/host~ip~ip_output~decision~ipsec-loop/0&t=tags&tag=3
 *   #v=1&z=<base64url(deflate(scenario JSON))>&c=12      a scenario of your own
 *
 * Parts (each only when it differs from the default):
 *   v      link format version (absent: 1)          s  built-in scenario name     z  a whole scenario
 *   p      personality                              f  fixes, comma-separated ("f=" for none)
 *   c      step, 1-based as the app shows it        k  the step's logical key (engine/trace/logical.ts, spaces as ~)
 *   t      side tab: packet | mbufs | tags | fixes  tag / pin  selected tag uid / pinned packet version
 *   field  selected header field ("ipv4#0.ttl")     lanes=0  tag lanes closed     dec=1  decrypted view
 *
 * Untrusted input is bounded before anything expensive happens: the fragment's length, the
 * compressed size, the inflated size (a streaming inflate that stops at the cap, so a zip bomb
 * costs at most one chunk beyond it), the JSON nesting depth. The scenario inside `z` is checked by
 * the engine when it runs (loadScenarioJson), which reports every problem with its JSON path.
 */
import { Inflate, deflateSync } from "fflate";
import {
  FIX_IDS,
  INPUT_LIMITS,
  LIMITS,
  nestingDepth,
  PERSONALITY_IDS,
  isFixId,
  isPersonalityId,
  type FixId,
  type PersonalityId,
  type Problem,
} from "../engine/index";
import { BUILTINS, builtinInfo, DEFAULT_SCENARIO } from "../store/builtinCatalog";

/** The link format this build writes; older links are migrated forward (SHARE_MIGRATIONS). */
export const SHARE_VERSION = 1;

/**
 * Caps on a link, checked before the expensive steps. The scenario caps are the engine's own
 * (scenario/limits.ts keeps them apart from the validator, which only the worker loads).
 */
export const SHARE_LIMITS = {
  /** Characters in the fragment. */
  fragment: 64 * 1024,
  /** Bytes a shared scenario may inflate to. */
  scenarioBytes: INPUT_LIMITS.jsonBytes,
  /** JSON nesting depth. */
  depth: INPUT_LIMITS.depth,
  /** The largest step number. */
  steps: LIMITS.maxEvents,
  /** Compressed bytes fed to the inflater at a time: the most it can overshoot the cap is ~1032× this. */
  inflateChunk: 1024,
  /** Parts in one fragment. */
  parts: 32,
} as const;

export type SideTab = "packet" | "mbufs" | "tags" | "fixes";
export const SIDE_TABS: readonly SideTab[] = ["packet", "mbufs", "tags", "fixes"];

/** The scenario a link names: a built-in, or a whole scenario as JSON text. */
export type SharedScenario = { readonly kind: "builtin"; readonly name: string } | { readonly kind: "custom"; readonly json: string };

/** The view a link restores. */
export interface ShareView {
  readonly tab: SideTab;
  readonly tag: number | null;
  readonly field: string | null;
  readonly pin: number | null;
  readonly lanes: boolean;
  readonly decrypted: boolean;
}

export const DEFAULT_VIEW: ShareView = { tab: "packet", tag: null, field: null, pin: null, lanes: true, decrypted: false };

/** Everything a link holds. */
export interface ShareState {
  readonly scenario: SharedScenario;
  /** For a built-in, always given (its own when the link says nothing); for a custom scenario, an override or null. */
  readonly personality: PersonalityId | null;
  readonly fixes: readonly FixId[] | null;
  /** 0-based step and its logical key; seq 0 has no key. */
  readonly cursor: { readonly seq: number; readonly key: string | null };
  readonly view: ShareView;
}

export type DecodeResult =
  | { readonly ok: true; readonly state: ShareState; readonly notes: readonly Problem[]; readonly migratedFrom?: number }
  | { readonly ok: false; readonly message: string; readonly problems: readonly Problem[] };

/** The state a bare URL (no fragment) stands for. */
export function defaultShareState(): ShareState {
  return builtinState(DEFAULT_SCENARIO);
}

/** A built-in at its own personality and fixes, at step 1, default view. */
export function builtinState(name: string): ShareState {
  const input = builtinInfo(name);
  return {
    scenario: { kind: "builtin", name },
    personality: builtinPersonality(name),
    fixes: FIX_IDS.filter((id) => (input?.fixes ?? []).includes(id)),
    cursor: { seq: 0, key: null },
    view: DEFAULT_VIEW,
  };
}

function builtinPersonality(name: string): PersonalityId {
  const p = builtinInfo(name)?.personality;
  return p !== undefined && isPersonalityId(p) ? p : "netbsd-2003";
}

// ---------------------------------------------------------------------------------------------
// Encoding

let lastJson = "";
let lastZ = "";

/** base64url(deflate(json)), remembered for the last scenario (the cursor moves far more often than the scenario changes). */
export function compressScenario(json: string): string {
  if (json !== lastJson) {
    lastZ = toBase64Url(deflateSync(new TextEncoder().encode(json), { level: 9 }));
    lastJson = json;
  }
  return lastZ;
}

/**
 * The fragment (without "#") for `state`: only what differs from the defaults, in a fixed order,
 * so equal states give equal links.
 */
export function encodeShare(state: ShareState): string {
  const parts: [string, string][] = [["v", String(SHARE_VERSION)]];
  const sc = state.scenario;
  if (sc.kind === "builtin") {
    parts.push(["s", sc.name]);
    const defaults = builtinState(sc.name);
    if (state.personality !== null && state.personality !== defaults.personality) parts.push(["p", state.personality]);
    if (state.fixes !== null && !sameList(canonical(state.fixes), defaults.fixes ?? [])) parts.push(["f", canonical(state.fixes).join(",")]);
  } else {
    parts.push(["z", compressScenario(sc.json)]);
    if (state.personality !== null) parts.push(["p", state.personality]);
    if (state.fixes !== null) parts.push(["f", canonical(state.fixes).join(",")]);
  }
  if (state.cursor.seq > 0) {
    parts.push(["c", String(state.cursor.seq + 1)]);
    if (state.cursor.key !== null && KEY.test(state.cursor.key)) parts.push(["k", state.cursor.key.replace(/ /g, "~")]);
  }
  const v = state.view;
  if (v.tab !== DEFAULT_VIEW.tab) parts.push(["t", v.tab]);
  if (v.tag !== null) parts.push(["tag", String(v.tag)]);
  if (v.field !== null && FIELD.test(v.field)) parts.push(["field", v.field]);
  if (v.pin !== null) parts.push(["pin", String(v.pin)]);
  if (!v.lanes) parts.push(["lanes", "0"]);
  if (v.decrypted) parts.push(["dec", "1"]);
  return parts.map(([k, val]) => `${k}=${escapePart(val)}`).join("&");
}

/** What picks the trace (scenario, personality, fixes): two states with equal keys show the same run. */
export function scenarioKey(state: ShareState): string {
  const sc = state.scenario;
  return JSON.stringify([
    sc.kind,
    sc.kind === "builtin" ? sc.name : sc.json,
    state.personality,
    state.fixes === null ? null : canonical(state.fixes),
  ]);
}

function canonical(fixes: readonly FixId[]): FixId[] {
  return FIX_IDS.filter((id) => fixes.includes(id));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** encodeURIComponent, leaving the characters a fragment may hold as they are (",", "/", ":", "@"). */
function escapePart(value: string): string {
  return encodeURIComponent(value).replace(/%2C/gi, ",").replace(/%2F/gi, "/").replace(/%3A/gi, ":").replace(/%40/gi, "@");
}

function stripHash(fragment: string): string {
  return fragment.startsWith("#") ? fragment.slice(1) : fragment;
}

// ---------------------------------------------------------------------------------------------
// Migrations (tldraw-style): SHARE_MIGRATIONS[n] turns the parts of a version-n link into version n + 1.

export type ShareParts = Readonly<Record<string, string>>;
export type ShareMigration = (parts: ShareParts) => ShareParts;

/** Version 1 is the first format; a new entry is added whenever SHARE_VERSION is bumped. */
export const SHARE_MIGRATIONS: Readonly<Record<number, ShareMigration>> = {};

/** Bring `parts` of a version-`from` link up to `SHARE_VERSION` (or report the missing step). */
export function migrateParts(
  parts: ShareParts,
  from: number,
  migrations: Readonly<Record<number, ShareMigration>> = SHARE_MIGRATIONS,
  to: number = SHARE_VERSION,
): { ok: true; parts: ShareParts } | { ok: false; problem: Problem } {
  let current = parts;
  for (let v = from; v < to; v++) {
    const step = migrations[v];
    if (!step) return { ok: false, problem: { path: "#v", message: `this tagflow cannot read links of format version ${v}` } };
    current = step(current);
  }
  return { ok: true, parts: current };
}

// ---------------------------------------------------------------------------------------------
// Decoding

// "l" and "st" carry a lesson and its stop (src/lessons/link.ts reads them).
const KNOWN = new Set(["v", "s", "z", "p", "f", "c", "k", "t", "tag", "field", "pin", "lanes", "dec", "l", "st"]);
/** A logical key as engine/trace/logical.ts writes it (spaces inside). */
const KEY = /^\d{1,7}\/[a-z0-9._ -]{1,160}\/\d{1,7}$/i;
/** The same pattern, for lesson stops (src/lessons/validate.ts). */
export const STEP_KEY = KEY;
/** A field key as the inspector writes it: `${header}#${nth}.${field}`. */
const FIELD = /^[a-z0-9-]{1,24}#\d{1,3}\.[A-Za-z0-9_]{1,40}$/;
const UINT = /^\d{1,9}$/;

/** A short, printable quote of untrusted text for a message. */
function quote(text: string, max = 40): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

function fail(problems: Problem[]): DecodeResult {
  const first = problems[0]!;
  return { ok: false, message: `${first.path}: ${first.message}`, problems };
}

/** Split a fragment into its parts, percent-decoded; duplicates and undecodable parts are problems. */
export function splitFragment(fragment: string): { parts: Record<string, string>; unknown: string[]; problems: Problem[] } {
  const parts: Record<string, string> = Object.create(null) as Record<string, string>;
  const unknown: string[] = [];
  const problems: Problem[] = [];
  const body = stripHash(fragment);
  if (body === "") return { parts, unknown, problems };
  const pieces = body.split("&").filter((p) => p !== "");
  if (pieces.length > SHARE_LIMITS.parts) {
    problems.push({ path: "#", message: `the link has ${pieces.length} parts; a tagflow link has at most ${SHARE_LIMITS.parts}` });
    return { parts, unknown, problems };
  }
  for (const piece of pieces) {
    const eq = piece.indexOf("=");
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const raw = eq < 0 ? "" : piece.slice(eq + 1);
    if (!KNOWN.has(name)) {
      unknown.push(name);
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      problems.push({ path: `#${name}`, message: "is not valid percent-encoding (the link may have been cut or mangled)" });
      continue;
    }
    if (name in parts) problems.push({ path: `#${name}`, message: "is given more than once" });
    else parts[name] = value;
  }
  return { parts, unknown, problems };
}

/**
 * Read a fragment ("#v=1&s=…", with or without "#"). Never throws; a link that cannot be used
 * comes back as every problem found, each naming the part it is about.
 */
export function decodeShare(fragment: string): DecodeResult {
  try {
    return decodeUnsafe(fragment);
  } catch (error) {
    // Nothing above is meant to throw; if something does, it is still only a bad link.
    return fail([{ path: "#", message: `could not be read: ${error instanceof Error ? error.message : String(error)}` }]);
  }
}

function decodeUnsafe(fragment: string): DecodeResult {
  if (typeof fragment !== "string") return fail([{ path: "#", message: "is not text" }]);
  if (fragment.length > SHARE_LIMITS.fragment) {
    return fail([{ path: "#", message: `the link is ${fragment.length} characters long; tagflow reads links of up to ${SHARE_LIMITS.fragment}` }]);
  }
  const split = splitFragment(fragment);
  if (split.problems.length > 0) return fail(split.problems);
  let parts: ShareParts = split.parts;
  const notes: Problem[] = split.unknown
    .slice(0, 8)
    .map((name) => ({ path: `#${quote(name, 24).slice(1, -1)}`, message: "is not part of a tagflow link and was ignored" }));

  // The version first: everything else is read the way that version wrote it.
  let version = 1;
  if (parts.v !== undefined) {
    if (!/^\d{1,6}$/.test(parts.v) || Number(parts.v) < 1)
      return fail([{ path: "#v", message: `${quote(parts.v)} is not a link format version (this tagflow reads 1–${SHARE_VERSION})` }]);
    version = Number(parts.v);
  }
  if (version > SHARE_VERSION) {
    return fail([
      {
        path: "#v",
        message: `this link was made by a newer tagflow (link format ${version}; this one reads up to ${SHARE_VERSION}). Open it in the current tagflow.`,
      },
    ]);
  }
  let migratedFrom: number | undefined;
  if (version < SHARE_VERSION) {
    const migrated = migrateParts(parts, version);
    if (!migrated.ok) return fail([migrated.problem]);
    parts = migrated.parts;
    migratedFrom = version;
  }

  const problems: Problem[] = [];
  const scenario = readScenario(parts, problems);
  const personality = readPersonality(parts, scenario, problems);
  const fixes = readFixes(parts, scenario, problems);
  const cursor = readCursor(parts, problems, notes);
  const view = readView(parts, problems);
  if (problems.length > 0 || !scenario) return fail(problems.length > 0 ? problems : [{ path: "#", message: "names no scenario" }]);
  const state: ShareState = { scenario, personality, fixes, cursor, view };
  return migratedFrom === undefined ? { ok: true, state, notes } : { ok: true, state, notes, migratedFrom };
}

function readScenario(parts: ShareParts, problems: Problem[]): SharedScenario | null {
  if (parts.s !== undefined && parts.z !== undefined) {
    problems.push({ path: "#z", message: "a link names a built-in scenario (s) or carries one (z), not both" });
    return null;
  }
  if (parts.z !== undefined) {
    const unpacked = decompressScenario(parts.z);
    if (!unpacked.ok) {
      problems.push(unpacked.problem);
      return null;
    }
    return { kind: "custom", json: unpacked.json };
  }
  const name = parts.s ?? DEFAULT_SCENARIO;
  if (!builtinInfo(name)) {
    problems.push({
      path: "#s",
      message: `there is no built-in scenario called ${quote(name)} (there are: ${BUILTINS.map((b) => b.name).join(", ")})`,
    });
    return null;
  }
  return { kind: "builtin", name };
}

function readPersonality(parts: ShareParts, scenario: SharedScenario | null, problems: Problem[]): PersonalityId | null {
  if (parts.p === undefined) return scenario?.kind === "builtin" ? builtinPersonality(scenario.name) : null;
  if (!isPersonalityId(parts.p)) {
    problems.push({ path: "#p", message: `${quote(parts.p)} is not a kernel personality (there are: ${PERSONALITY_IDS.join(", ")})` });
    return null;
  }
  return parts.p;
}

function readFixes(parts: ShareParts, scenario: SharedScenario | null, problems: Problem[]): FixId[] | null {
  if (parts.f === undefined) return scenario?.kind === "builtin" ? [...(builtinState(scenario.name).fixes ?? [])] : null;
  const ids = parts.f === "" ? [] : parts.f.split(",");
  const unknown = ids.filter((id) => !isFixId(id));
  if (unknown.length > 0) {
    problems.push({
      path: "#f",
      message: `${unknown
        .slice(0, 3)
        .map((u) => quote(u))
        .join(", ")} ${unknown.length === 1 ? "is not a fix" : "are not fixes"} (there are: ${FIX_IDS.join(", ")})`,
    });
    return null;
  }
  return canonical(ids as FixId[]);
}

function readCursor(parts: ShareParts, problems: Problem[], notes: Problem[]): ShareState["cursor"] {
  if (parts.c === undefined) {
    if (parts.k !== undefined) notes.push({ path: "#k", message: "a step key without a step number (c) was ignored" });
    return { seq: 0, key: null };
  }
  const step = UINT.test(parts.c) ? Number(parts.c) : NaN;
  if (!(step >= 1 && step <= SHARE_LIMITS.steps)) {
    problems.push({ path: "#c", message: `${quote(parts.c)} is not a step number (1–${SHARE_LIMITS.steps})` });
    return { seq: 0, key: null };
  }
  let key: string | null = null;
  if (parts.k !== undefined) {
    const k = parts.k.replace(/~/g, " ");
    if (KEY.test(k)) key = k;
    else notes.push({ path: "#k", message: `${quote(parts.k)} is not a step key; the step number was used instead` });
  }
  return { seq: step - 1, key: step === 1 ? null : key };
}

function readView(parts: ShareParts, problems: Problem[]): ShareView {
  const id = (name: "tag" | "pin"): number | null => {
    const raw = parts[name];
    if (raw === undefined) return null;
    if (!UINT.test(raw)) {
      problems.push({ path: `#${name}`, message: `${quote(raw)} is not a ${name === "tag" ? "tag uid" : "packet version"} (a whole number)` });
      return null;
    }
    return Number(raw);
  };
  const flag = (name: "lanes" | "dec", dflt: boolean): boolean => {
    const raw = parts[name];
    if (raw === undefined) return dflt;
    if (raw !== "0" && raw !== "1") {
      problems.push({ path: `#${name}`, message: `${quote(raw)} should be 0 or 1` });
      return dflt;
    }
    return raw === "1";
  };
  let tab = DEFAULT_VIEW.tab;
  if (parts.t !== undefined) {
    if ((SIDE_TABS as readonly string[]).includes(parts.t)) tab = parts.t as SideTab;
    else problems.push({ path: "#t", message: `${quote(parts.t)} is not a panel (there are: ${SIDE_TABS.join(", ")})` });
  }
  // In the order a link writes them, so the problems read in that order.
  const tag = id("tag");
  let field: string | null = null;
  if (parts.field !== undefined) {
    if (FIELD.test(parts.field)) field = parts.field;
    else problems.push({ path: "#field", message: `${quote(parts.field)} is not a header field (e.g. ipv4#0.ttl)` });
  }
  return { tab, tag, field, pin: id("pin"), lanes: flag("lanes", DEFAULT_VIEW.lanes), decrypted: flag("dec", DEFAULT_VIEW.decrypted) };
}

// ---------------------------------------------------------------------------------------------
// The scenario payload: base64url → bounded inflate → UTF-8 → bounded JSON

/** Unpack `z`: JSON text of a scenario object, or the one problem that stopped it. */
export function decompressScenario(z: string): { ok: true; json: string } | { ok: false; problem: Problem } {
  const bad = (message: string) => ({ ok: false as const, problem: { path: "#z", message } });
  const bytes = fromBase64Url(z);
  if (!bytes.ok) return bad(bytes.message);
  const inflated = inflateCapped(bytes.bytes, SHARE_LIMITS.scenarioBytes);
  if (!inflated.ok) return bad(inflated.message);
  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(inflated.bytes);
  } catch {
    return bad("does not unpack to UTF-8 text");
  }
  const depth = nestingDepth(json);
  if (depth > SHARE_LIMITS.depth) return bad(`unpacks to JSON nested ${depth} levels deep; the limit is ${SHARE_LIMITS.depth}`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return bad(`does not unpack to valid JSON (${error instanceof Error ? error.message : "parse error"})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return bad(`unpacks to ${Array.isArray(value) ? "a JSON array" : value === null ? "null" : `a JSON ${typeof value}`}, not a scenario object`);
  }
  return { ok: true, json };
}

export type InflateResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly inputUsed: number; readonly outputSeen: number }
  | { readonly ok: false; readonly message: string; readonly inputUsed: number; readonly outputSeen: number };

/**
 * Inflate raw DEFLATE `data`, giving up as soon as the output passes `cap` bytes. Input goes in
 * SHARE_LIMITS.inflateChunk bytes at a time, so however well it compresses, the work done is
 * bounded by the cap plus one chunk's worth (DEFLATE expands at most ~1032×).
 */
export function inflateCapped(data: Uint8Array, cap: number): InflateResult {
  const chunks: Uint8Array[] = [];
  let outputSeen = 0;
  let inputUsed = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    outputSeen += chunk.length;
    if (outputSeen <= cap) chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    for (let at = 0; at < data.length; at += SHARE_LIMITS.inflateChunk) {
      const end = Math.min(data.length, at + SHARE_LIMITS.inflateChunk);
      inflater.push(data.subarray(at, end), end === data.length);
      inputUsed = end;
      if (outputSeen > cap) {
        return {
          ok: false,
          message: `unpacks to more than ${cap} bytes; a shared scenario is at most ${Math.round(cap / 1024)} KiB`,
          inputUsed,
          outputSeen,
        };
      }
    }
    if (data.length === 0) return { ok: false, message: "is empty", inputUsed, outputSeen };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const truncated = /unexpected EOF/i.test(why);
    return {
      ok: false,
      message: truncated ? "ends too early: the link looks cut off" : `is not valid compressed data (${why})`,
      inputUsed,
      outputSeen,
    };
  }
  if (!ended) return { ok: false, message: "ends too early: the link looks cut off", inputUsed, outputSeen };
  const bytes = new Uint8Array(outputSeen);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { ok: true, bytes, inputUsed, outputSeen };
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_INDEX: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < B64URL.length; i++) t[B64URL.charCodeAt(i)] = i;
  return t;
})();

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]!;
    if (b !== undefined) out += B64URL[(n >> 6) & 63]!;
    if (c !== undefined) out += B64URL[n & 63]!;
  }
  return out;
}

/** Strict base64url: only its 64 characters (an optional "=" padding tail is allowed), and a length a real encoding can have. */
export function fromBase64Url(text: string): { ok: true; bytes: Uint8Array } | { ok: false; message: string } {
  const body = text.replace(/={1,2}$/, "");
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c >= 128 || B64_INDEX[c] === -1) {
      return {
        ok: false,
        message: `is not valid base64url: ${quote(body[i]!, 4)} at position ${i + 1} (only A–Z, a–z, 0–9, "-" and "_" may appear)`,
      };
    }
  }
  if (body.length % 4 === 1) return { ok: false, message: "is not valid base64url: its length is impossible, so the link looks cut off" };
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < body.length; i += 4) {
    const n =
      (B64_INDEX[body.charCodeAt(i)]! << 18) |
      (B64_INDEX[body.charCodeAt(i + 1)]! << 12) |
      ((i + 2 < body.length ? B64_INDEX[body.charCodeAt(i + 2)]! : 0) << 6) |
      (i + 3 < body.length ? B64_INDEX[body.charCodeAt(i + 3)]! : 0);
    out[o++] = (n >> 16) & 255;
    if (i + 2 < body.length) out[o++] = (n >> 8) & 255;
    if (i + 3 < body.length) out[o++] = n & 255;
  }
  return { ok: true, bytes: out };
}

// ---------------------------------------------------------------------------------------------
// Embed parameters (the query string, not the fragment: they describe the page, not the state)

/** `?embed&autoplay&from=60&to=70&theme=dark`: steps 1-based, as the app shows them. */
export interface EmbedOptions {
  readonly embed: boolean;
  readonly autoplay: boolean;
  /** 0-based first and last step, or null. */
  readonly from: number | null;
  readonly to: number | null;
  readonly theme: "light" | "dark" | null;
}

const EMBED_PARAMS = ["embed", "autoplay", "from", "to", "theme"] as const;

/** Read the embed options of a query string; what cannot be used is ignored, with a note. */
export function parseEmbedParams(search: string): { options: EmbedOptions; notes: Problem[] } {
  const notes: Problem[] = [];
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(search.length > 4096 ? "" : search);
  } catch {
    params = new URLSearchParams();
  }
  const flag = (name: string) => params.has(name) && !["0", "false", "no"].includes(params.get(name) ?? "");
  const step = (name: "from" | "to"): number | null => {
    const raw = params.get(name);
    if (raw === null) return null;
    if (UINT.test(raw) && Number(raw) >= 1) return Number(raw) - 1;
    notes.push({ path: `?${name}`, message: `${quote(raw)} is not a step number (1, 2, …) and was ignored` });
    return null;
  };
  const [from, to] = [step("from"), step("to")];
  const theme = params.get("theme");
  if (theme !== null && theme !== "light" && theme !== "dark")
    notes.push({ path: "?theme", message: `${quote(theme)} is not a theme (light or dark) and was ignored` });
  return {
    options: { embed: flag("embed"), autoplay: flag("autoplay"), from, to, theme: theme === "light" || theme === "dark" ? theme : null },
    notes,
  };
}

/** The query string without the embed parameters (for "Open in tagflow" and copied links). */
export function withoutEmbedParams(search: string): string {
  const params = new URLSearchParams(search);
  for (const p of EMBED_PARAMS) params.delete(p);
  const rest = params.toString();
  return rest ? `?${rest}` : "";
}
