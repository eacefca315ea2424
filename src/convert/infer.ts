/**
 * From a configuration file to a scenario. A setkey or ip xfrm file holds SAs and policies, not
 * hosts or traffic, so those are inferred — and said to be inferred (hypothetical) in the
 * scenario's description:
 * - every address on loopback (127/8), as in the lo0 setup of seeds 000/001 → one host;
 * - two endpoints → a host per endpoint on one link, the file's host first; the peer holds the
 *   same SAs and the mirrored policies (same selectors and requests, the other direction), and
 *   each side gets an interface on its inside network (a tunnel policy's selector) with a route
 *   to the other side's through the peer;
 * - personality from the syntax (setkey → netbsd-2003; ip xfrm → linux-xfrm when that personality
 *   exists, else freebsd-7 with a warning), unless the caller names one;
 * - one ping across the first outbound IPsec policy, unless the caller gives one or none.
 * The result goes through loadScenario; its problems come back located at the SA or policy they name.
 */
import { LIMITS, isPersonalityId, loadScenario, type Scenario, type ScenarioInput } from "../engine";
import { formatIpv4Addr } from "../engine/wire/fields";
import { ip, maskOf, parsePrefix, prefixContains } from "../engine/sim/addr";
import { mirrorPolicy, type Diag, type KeyConfig, type PolicyInput, type Pos, type SaInput } from "./model";

export interface InferOptions {
  /** Scenario name (sanitised to the format's lowercase-and-dashes). */
  name?: string;
  /** Where the file came from, for the description. */
  source?: string;
  /** A personality id, overriding the one the syntax suggests (checked by loadScenario). */
  personality?: string;
  /** ping -S SRC DST instead of the inferred ping. */
  ping?: { src: string; dst: string };
  /** No traffic at all. */
  noTraffic?: boolean;
}

export type InferResult = { ok: true; scenario: Scenario; warnings: Diag[] } | { ok: false; errors: Diag[]; warnings: Diag[] };

type HostInput = ScenarioInput["hosts"][number];
type PingInput = ScenarioInput["traffic"][number];

const FILE_START: Pos = { line: 1, col: 1 };
const isLoopback = (a: string) => a.startsWith("127.");

/** The first usable address of a prefix: the address itself for a /32, else network + 1. */
function firstHost(cidr: string): string {
  const p = parsePrefix(cidr);
  return p.len >= 31 ? formatIpv4Addr(p.addr) : formatIpv4Addr(p.addr + 1);
}

/** How many leading bits two addresses share. */
function commonBits(a: string, b: string): number {
  const x = (ip(a) ^ ip(b)) >>> 0;
  return x === 0 ? 32 : Math.clz32(x);
}

/** A name the scenario format accepts: lowercase letters, digits and '-', starting with a letter. */
export function scenarioName(raw: string | undefined): string {
  const s = (raw ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, LIMITS.name);
  return s === "" ? "converted" : s;
}

/** The endpoints (non-loopback SA and tunnel addresses), in the order the file names them, each with where. */
function endpoints(config: KeyConfig): { addr: string; at: Pos }[] {
  const out: { addr: string; at: Pos }[] = [];
  const add = (addr: string | undefined, at: Pos) => {
    if (addr !== undefined && !isLoopback(addr) && !out.some((e) => e.addr === addr)) out.push({ addr, at });
  };
  for (const { sa, at } of config.sas) {
    add(sa.src, at);
    add(sa.dst, at);
  }
  for (const { policy, at } of config.policies)
    for (const r of policy.requests ?? []) {
      add(r.tunnelSrc, at);
      add(r.tunnelDst, at);
    }
  return out;
}

const firstOutbound = (ps: readonly PolicyInput[]) => ps.find((p) => p.dir === "out" && p.action === "ipsec") ?? ps.find((p) => p.dir === "out");

/** Turn a parsed file into a validated scenario, or every reason it cannot be one. */
export function inferScenario(config: KeyConfig, opts: InferOptions = {}): InferResult {
  const warnings: Diag[] = [...config.warnings];
  const errors: Diag[] = [];
  const sad: SaInput[] = config.sas.map((x) => x.sa);
  const spd: PolicyInput[] = config.policies.map((x) => x.policy);
  const ends = endpoints(config);
  if (ends.length > 2) {
    const third = ends[2]!;
    return {
      ok: false,
      errors: [
        {
          ...third.at,
          message: `${ends.length} endpoints (${ends.map((e) => e.addr).join(", ")}): convert infers one host or two; write a scenario with more hosts by hand`,
        },
      ],
      warnings,
    };
  }
  if (sad.length === 0 && spd.length === 0) warnings.push({ ...FILE_START, message: "the file adds no SA and no policy the engine can model" });

  let personality = opts.personality;
  if (personality === undefined) {
    if (config.syntax === "setkey") personality = "netbsd-2003";
    else if (isPersonalityId("linux-xfrm")) personality = "linux-xfrm";
    else {
      personality = "freebsd-7";
      warnings.push({
        ...FILE_START,
        message: "the linux-xfrm personality does not exist in this build: running as freebsd-7 (use --personality to choose)",
      });
    }
  }

  // Which addresses each host has, and where each SA / policy of each host came from.
  const hosts: HostInput[] = [];
  const origins: { sad: Pos[]; spd: Pos[] }[] = [];
  const sadAt = config.sas.map((x) => x.at);
  const spdAt = config.policies.map((x) => x.at);
  const tunnel = spd.some((p) => (p.requests ?? []).some((r) => r.mode === "tunnel"));
  let local: string | undefined;
  let peer: string | undefined;
  if (ends.length <= 1) {
    const only = ends[0];
    hosts.push({ name: "host", ...(only ? { interfaces: [{ name: "em0", addr: `${only.addr}/24` }] } : {}), sad, spd });
    origins.push({ sad: sadAt, spd: spdAt });
  } else {
    const out = firstOutbound(spd);
    const tunnelReq = out?.requests?.find((r) => r.mode === "tunnel");
    const outSrc = out ? parsePrefix(out.src) : undefined;
    local =
      tunnelReq?.tunnelSrc ??
      ends.find((e) => outSrc !== undefined && outSrc.len > 0 && prefixContains(outSrc, ip(e.addr)))?.addr ??
      sad[0]?.src ??
      ends[0]!.addr;
    peer = ends.find((e) => e.addr !== local)!.addr;
    const bits = commonBits(local, peer);
    const len = Math.max(1, Math.min(24, bits));
    if (bits < 8)
      warnings.push({
        ...FILE_START,
        message: `endpoints ${local} and ${peer} share only ${bits} leading bits: convert puts them on one /${len} link (hypothetical)`,
      });
    const names = tunnel ? ["gw-a", "gw-b"] : ["host-a", "host-b"];
    const mirrored = spd.map((p, i) => ({ p: mirrorPolicy(p), at: spdAt[i]! }));
    const peerSpd = [...mirrored.filter((x) => x.p.dir === "out"), ...mirrored.filter((x) => x.p.dir === "in")];
    const a: HostInput & { interfaces: NonNullable<HostInput["interfaces"]>; routes: NonNullable<HostInput["routes"]> } = {
      name: names[0]!,
      interfaces: [{ name: "em0", addr: `${local}/${len}` }],
      routes: [],
      sad,
      spd,
    };
    const b: typeof a = {
      name: names[1]!,
      interfaces: [{ name: "em0", addr: `${peer}/${len}` }],
      routes: [],
      sad: sad.map((s) => ({ ...s })),
      spd: peerSpd.map((x) => x.p),
    };
    origins.push({ sad: sadAt, spd: spdAt }, { sad: sadAt, spd: peerSpd.map((x) => x.at) });
    // Inside networks: a tunnel policy's selectors, on the side whose endpoint does not already hold them.
    const inside = (side: typeof a, other: typeof a, sideAddr: string, cidr: string) => {
      const p = parsePrefix(cidr);
      if (prefixContains(p, ip(sideAddr)) || isLoopback(formatIpv4Addr(p.addr))) return;
      const gateway = side === a ? local! : peer!;
      if (p.len === 0) {
        if (!other.routes.some((r) => r.dst === "default")) other.routes.push({ dst: "default", gateway, ifname: "em0" });
        return;
      }
      const net = `${formatIpv4Addr((p.addr & maskOf(p.len)) >>> 0)}/${p.len}`;
      if (side.interfaces.some((i) => prefixContains(p, ip(i.addr.split("/")[0]!)))) return;
      side.interfaces.push({ name: `em${side.interfaces.length}`, addr: `${firstHost(net)}/${p.len}` });
      other.routes.push({ dst: net, gateway, ifname: "em0" });
    };
    for (const p of spd) {
      if (p.action !== "ipsec" || !(p.requests ?? []).some((r) => r.mode === "tunnel")) continue;
      const [mine, theirs] = p.dir === "out" ? [p.src, p.dst] : [p.dst, p.src];
      inside(a, b, local, mine);
      inside(b, a, peer, theirs);
    }
    hosts.push(a, b);
  }

  // The ping: the caller's, or across the first outbound policy.
  const traffic: PingInput[] = [];
  if (opts.ping && !opts.noTraffic) {
    const { src, dst } = opts.ping;
    const owner = hosts.find((h) => (h.interfaces ?? []).some((i) => i.addr.split("/")[0] === src)) ?? (isLoopback(src) ? hosts[0] : undefined);
    if (!owner)
      errors.push({ ...FILE_START, message: `--ping ${src} ${dst}: no inferred host has the address ${src} (hosts: ${describeHosts(hosts)})` });
    else traffic.push({ kind: "ping", from: owner.name, src, dst, count: 1 });
  } else if (!opts.noTraffic) {
    const out = firstOutbound(spd);
    if (!out) warnings.push({ ...FILE_START, message: "no outbound policy: the scenario sends no traffic (give --ping SRC DST)" });
    else {
      const addrOn = (h: HostInput | undefined, cidr: string): string | undefined => {
        const p = parsePrefix(cidr);
        return (h?.interfaces ?? []).map((i) => i.addr.split("/")[0]!).find((x) => prefixContains(p, ip(x)));
      };
      const from = hosts[0]!;
      const dst = hosts.length === 2 ? (addrOn(hosts[1], out.dst) ?? peer!) : firstHost(out.dst);
      const src = hosts.length === 2 ? addrOn(hosts[0], out.src) : undefined;
      traffic.push({ kind: "ping", from: from.name, ...(src && src !== local ? { src } : {}), dst, count: 1 });
    }
  }
  if (errors.length > 0) return { ok: false, errors, warnings: byPlace(warnings) };

  const input: ScenarioInput = {
    version: 1,
    name: scenarioName(opts.name),
    title: `Converted from ${opts.source ?? `a ${config.syntax} file`}`.slice(0, LIMITS.text),
    description:
      `The SAs and policies are read from ${opts.source ?? `a ${config.syntax} file`} (${config.syntax}). ` +
      `Hypothetical: the hosts, their addresses, ${hosts.length > 1 ? "the link, the routes, the peer's mirrored policies " : ""}and the ping are inferred by tagflow convert; the file does not say them.`,
    personality: personality as ScenarioInput["personality"],
    hosts,
    ...(hosts.length === 2 ? { links: [{ name: "net0", ends: [`${hosts[0]!.name}:em0`, `${hosts[1]!.name}:em0`] as [string, string] }] } : {}),
    traffic,
  };
  const loaded = loadScenario(input);
  if (loaded.ok) return { ok: true, scenario: loaded.scenario, warnings: byPlace(warnings) };
  for (const p of loaded.problems) {
    const m = /^\$\.hosts\[(\d+)\]\.(sad|spd)\[(\d+)\]/.exec(p.path);
    const pos = m ? origins[Number(m[1])]?.[m[2] as "sad" | "spd"][Number(m[3])] : undefined;
    const what = m
      ? `${m[2] === "sad" ? "SA" : "policy"}${p.path.slice(m[0].length) ? ` ${p.path.slice(m[0].length).replace(/^\./, "")}` : ""}`
      : p.path;
    if (p.path === "$.personality") errors.push({ ...FILE_START, message: `personality '${String(personality)}': ${p.message}` });
    // The peer holds the same SAs: its copy of a bad SA is the same line, said once.
    else if (!errors.some((d) => d.line === (pos ?? FILE_START).line && d.col === (pos ?? FILE_START).col && d.message === `${what}: ${p.message}`))
      errors.push({ ...(pos ?? FILE_START), message: `${what}: ${p.message}` });
  }
  return { ok: false, errors: byPlace(errors), warnings: byPlace(warnings) };
}

/** Diagnostics in file order (stable: the order found, within one place). */
function byPlace(ds: readonly Diag[]): Diag[] {
  return [...ds].sort((a, b) => a.line - b.line || a.col - b.col);
}

function describeHosts(hosts: readonly HostInput[]): string {
  return hosts.map((h) => `${h.name} ${["127.0.0.1", ...(h.interfaces ?? []).map((i) => i.addr.split("/")[0]!)].join(" ")}`).join("; ");
}
