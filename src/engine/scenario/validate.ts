/**
 * Loading a scenario from untrusted input: size and depth limits, version migration,
 * structural validation (schema.ts), then the checks a schema cannot express — duplicate
 * names, addresses that must be on a connected network, routing loops, SPIs, key lengths.
 * Every problem is reported with its JSON path; nothing is run until there are none.
 */
import { ENC_ALGS, keyProblems } from "../crypto/registry";
import { formatIpv4Addr, fromHex } from "../wire/fields";
import { addrOf, ip, parsePrefix, prefixContains, type Prefix } from "../sim/addr";
import { migrate } from "./migrate";
import { keyingProblems } from "../keying/validate";
import { INPUT_LIMITS, nestingDepth, TRACE_MEMORY, traceMemoryBound } from "./limits";
import { jsonPath, LIMITS, parseStructure, type Problem, type Scenario } from "./schema";

export type LoadResult = { ok: true; scenario: Scenario; migratedFrom?: number } | { ok: false; problems: Problem[] };

/** Parse JSON text (from a file or a URL) with size and nesting limits, then `loadScenario`. */
export function loadScenarioJson(text: string): LoadResult {
  // A UTF-8 byte order mark (Notepad writes one) is not JSON; accepted and dropped, not "invalid JSON".
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length > INPUT_LIMITS.jsonBytes) {
    return { ok: false, problems: [{ path: "$", message: `scenario is ${text.length} characters long; the limit is ${INPUT_LIMITS.jsonBytes}` }] };
  }
  const depth = nestingDepth(text);
  if (depth > INPUT_LIMITS.depth) {
    return { ok: false, problems: [{ path: "$", message: `JSON nests ${depth} levels deep; the limit is ${INPUT_LIMITS.depth}` }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [{ path: "$", message: `not valid JSON: ${(e as Error).message}` }] };
  }
  return loadScenario(value);
}

/** Validate an already-parsed value: migrate, check structure, check meaning. */
export function loadScenario(value: unknown): LoadResult {
  const forbidden = prototypeKeys(value);
  if (forbidden.length > 0) return { ok: false, problems: forbidden };
  const migrated = migrate(value);
  if (!migrated.ok) return migrated;
  const parsed = parseStructure(migrated.value);
  if (!parsed.ok) return parsed;
  const problems = checkSemantics(parsed.scenario);
  if (problems.length > 0) return { ok: false, problems };
  return migrated.from === undefined ? { ok: true, scenario: parsed.scenario } : { ok: true, scenario: parsed.scenario, migratedFrom: migrated.from };
}

const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Keys that name JavaScript object machinery. No scenario field has these names, and the schema
 * library skips them silently, so they are reported here — iteratively, with the depth cap.
 */
function prototypeKeys(value: unknown): Problem[] {
  const out: Problem[] = [];
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0 && out.length < 20) {
    const { v, path } = stack.pop()!;
    if (typeof v !== "object" || v === null || path.length > INPUT_LIMITS.depth) continue;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, path: [...path, i] }));
    else
      for (const k of Object.keys(v)) {
        if (PROTOTYPE_KEYS.has(k)) out.push({ path: jsonPath([...path, k]), message: "unknown key (not part of the scenario format)" });
        else stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] });
      }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The checks a schema cannot express. */
export function checkSemantics(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const hostNames = new Set<string>();
  s.hosts.forEach((h, hi) => {
    const at = `$.hosts[${hi}]`;
    if (hostNames.has(h.name)) out.push({ path: `${at}.name`, message: `duplicate host name "${h.name}"` });
    hostNames.add(h.name);
    const ifnames = new Set(["lo0"]);
    const connected: Prefix[] = [parsePrefix("127.0.0.0/8")];
    h.interfaces.forEach((i, ii) => {
      if (ifnames.has(i.name))
        out.push({
          path: `${at}.interfaces[${ii}].name`,
          message: i.name === "lo0" ? "lo0 is built in (127.0.0.1/8); do not declare it" : `duplicate interface "${i.name}"`,
        });
      ifnames.add(i.name);
      const p = parsePrefix(i.addr);
      if (p.len < 32 && (ip(addrOf(i.addr)) === p.addr || ip(addrOf(i.addr)) === (p.addr | (~maskBits(p.len) >>> 0)) >>> 0)) {
        out.push({
          path: `${at}.interfaces[${ii}].addr`,
          message: `${addrOf(i.addr)} is the network or broadcast address of ${formatIpv4Addr(p.addr)}/${p.len}`,
        });
      }
      if (prefixContains(parsePrefix("127.0.0.0/8"), ip(addrOf(i.addr))))
        out.push({ path: `${at}.interfaces[${ii}].addr`, message: "127.0.0.0/8 belongs to lo0" });
      connected.push(p);
    });
    h.routes.forEach((r, ri) => {
      if (!ifnames.has(r.ifname))
        out.push({ path: `${at}.routes[${ri}].ifname`, message: `no interface "${r.ifname}" on ${h.name} (has ${[...ifnames].join(", ")})` });
      if (r.gateway && !connected.some((p) => prefixContains(p, ip(r.gateway!)))) {
        out.push({ path: `${at}.routes[${ri}].gateway`, message: `gateway ${r.gateway} is not on a network ${h.name} is connected to` });
      }
    });
    const saKeys = new Set<string>();
    h.sad.forEach((sa, si) => {
      const sp = `${at}.sad[${si}]`;
      // RFC 4303 §2.1 / RFC 4302 §2.4: SPI 0 is reserved for local use, 1–255 by IANA.
      if (sa.spi === 0) out.push({ path: `${sp}.spi`, message: "SPI 0 is reserved and never sent (RFC 4303 §2.1)" });
      else if (sa.spi < 256) out.push({ path: `${sp}.spi`, message: `SPI ${sa.spi} is in the range 1–255 reserved by IANA (RFC 4303 §2.1)` });
      const key = `${sa.dst}/${sa.proto}/${sa.spi}`;
      if (saKeys.has(key))
        out.push({ path: `${sp}.spi`, message: `another SA already has destination ${sa.dst}, ${sa.proto}, SPI 0x${sa.spi.toString(16)}` });
      saKeys.add(key);
      if (sa.proto === "ah") {
        if (sa.enc !== "null" || sa.encKey !== "") out.push({ path: `${sp}.enc`, message: "AH authenticates only: leave enc and encKey out" });
        if (sa.auth === "none") out.push({ path: `${sp}.auth`, message: "AH needs an authentication algorithm (hmac-sha1-96 or hmac-sha256-128)" });
        else
          for (const p of keyProblems("null", new Uint8Array(0), sa.auth, hex(sa.authKey)))
            out.push({ path: `${sp}.${p.field}`, message: p.message });
      } else if (sa.enc === "null" && sa.auth === "none") {
        // RFC 4303 §3.2: NULL encryption and no integrity "MUST NOT" both be chosen; such an SA
        // protects nothing while the run would call the traffic ESP-protected.
        out.push({ path: `${sp}.auth`, message: "ESP needs encryption or authentication or both (RFC 4303 §3.2): enc is null and auth is none" });
      } else {
        for (const p of keyProblems(sa.enc, hex(sa.encKey), sa.auth, hex(sa.authKey))) out.push({ path: `${sp}.${p.field}`, message: p.message });
        // RFC 4303 §2.2.1: seq-hi is never sent, only covered by the ICV; without an ICV nothing
        // carries it and the receiver could not confirm which 2^32 block a packet is from.
        if (sa.esn && !ENC_ALGS[sa.enc].aead && sa.auth === "none")
          out.push({
            path: `${sp}.esn`,
            message: "esn needs integrity (an AEAD enc or an auth algorithm): seq-hi is carried only in the ICV (RFC 4303 §2.2.1)",
          });
      }
    });
    h.spd.forEach((p, pi) => {
      const pp = `${at}.spd[${pi}]`;
      if (p.action === "ipsec" && p.requests.length === 0)
        out.push({ path: `${pp}.requests`, message: 'an "ipsec" policy needs at least one request, e.g. {"proto": "esp"}' });
      if (p.action !== "ipsec" && p.requests.length > 0) out.push({ path: `${pp}.requests`, message: `a "${p.action}" policy takes no requests` });
      p.requests.forEach((r, ri) => {
        if (r.mode === "tunnel" && (!r.tunnelSrc || !r.tunnelDst))
          out.push({ path: `${pp}.requests[${ri}]`, message: "tunnel mode needs tunnelSrc and tunnelDst" });
        if (r.mode === "transport" && (r.tunnelSrc || r.tunnelDst))
          out.push({ path: `${pp}.requests[${ri}]`, message: "tunnelSrc/tunnelDst only apply to tunnel mode" });
      });
    });
  });
  // A fix named twice is a typo or a merge gone wrong; saying so beats applying it once silently.
  const fixSeen = new Set<string>();
  s.fixes.forEach((id, fi) => {
    if (fixSeen.has(id)) out.push({ path: `$.fixes[${fi}]`, message: `fix "${id}" is already listed` });
    fixSeen.add(id);
  });
  const linkNames = new Set<string>();
  const attached = new Set<string>();
  s.links.forEach((l, li) => {
    const at = `$.links[${li}]`;
    if (linkNames.has(l.name)) out.push({ path: `${at}.name`, message: `duplicate link name "${l.name}"` });
    linkNames.add(l.name);
    l.ends.forEach((end, ei) => {
      const [hn, ifn] = end.split(":");
      const host = s.hosts.find((h) => h.name === hn);
      if (!host) out.push({ path: `${at}.ends[${ei}]`, message: `no host "${hn}" (write ends as "host:ifname")` });
      else if (ifn === "lo0") out.push({ path: `${at}.ends[${ei}]`, message: "lo0 cannot be attached to a link" });
      else if (!host.interfaces.some((i) => i.name === ifn))
        out.push({ path: `${at}.ends[${ei}]`, message: `host "${hn}" has no interface "${ifn}"` });
      if (attached.has(end)) out.push({ path: `${at}.ends[${ei}]`, message: `${end} is already attached to a link` });
      attached.add(end);
    });
    if (l.ends[0] === l.ends[1]) out.push({ path: `${at}.ends`, message: "a link needs two different ends" });
  });
  // What the trace could need, from count × size and maxEvents (limits.ts: TRACE_MEMORY, measured):
  // refused up front, so the command line never dies of V8's out-of-memory abort on a legal scenario.
  const dataBytes = s.traffic.reduce((sum, t) => sum + (t.kind === "tcp" ? t.bytes : t.count * t.size), 0);
  const memory = traceMemoryBound(dataBytes, s.maxEvents);
  if (memory > LIMITS.traceMemory) {
    const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
    const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
    const fit = Math.max(0, Math.floor((LIMITS.traceMemory - TRACE_MEMORY.perEvent * s.maxEvents) / TRACE_MEMORY.perByte));
    out.push({
      path: "$.traffic",
      message: `the traffic would carry ${mib(dataBytes)} of data (count × size, summed) in up to ${s.maxEvents} steps (maxEvents): its trace could need ${gb(memory)} of memory, and the limit is ${gb(LIMITS.traceMemory)}. With this maxEvents at most ${mib(fit)} of data fit: lower count or size (or maxEvents)`,
    });
  }
  // ping(8) uses its pid as the ICMP id and counts every echo reply with that id that reaches
  // its raw socket (every raw ICMP socket on the host gets a copy, rip_input), so two pings on
  // one host with one id would count each other's replies; real processes never share a pid.
  const idOwner = new Map<string, number>();
  s.traffic.forEach((t, ti) => {
    if (t.kind !== "ping") return; // UDP senders (seed 002) have ports, not ICMP ids.
    const key = `${t.from}\u0000${t.id}`;
    const first = idOwner.get(key);
    if (first === undefined) idOwner.set(key, ti);
    else
      out.push({
        path: `$.traffic[${ti}].id`,
        message: `ICMP id 0x${t.id.toString(16)} is already used by traffic[${first}] on ${t.from}: ping(8) uses its process id as the ICMP id, so two pings on one host never share one and each counts only its own replies — give this ping another "id"`,
      });
  });
  s.traffic.forEach((t, ti) => {
    const at = `$.traffic[${ti}]`;
    const host = s.hosts.find((h) => h.name === t.from);
    if (!host) out.push({ path: `${at}.from`, message: `no host "${t.from}" (hosts: ${s.hosts.map((h) => h.name).join(", ")})` });
    else if (t.kind === "ping" && t.src && t.src !== "127.0.0.1" && !host.interfaces.some((i) => addrOf(i.addr) === t.src))
      out.push({ path: `${at}.src`, message: `${t.src} is not an address of ${t.from}` });
    // TCP (netinet/tcp_*.ts): the listener needs a host that owns dst (on Linux personalities the run says TCP is not modelled).
    else if (t.kind === "tcp") {
      if (t.src && !host.interfaces.some((i) => addrOf(i.addr) === t.src))
        out.push({ path: `${at}.src`, message: `${t.src} is not an address of ${t.from}` });
      if (!s.hosts.some((h) => h.interfaces.some((i) => addrOf(i.addr) === t.dst)))
        out.push({
          path: `${at}.dst`,
          message: `no host has the address ${t.dst}: a TCP transfer needs a host there to listen on port ${t.dstPort}`,
        });
    }
  });
  // Seed 004: the keying connection's hosts, addresses and lifetimes (keying/validate.ts).
  out.push(...keyingProblems(s));
  if (out.length === 0) out.push(...routeLoops(s));
  return out;
}

function maskBits(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function hex(k: string): Uint8Array {
  return fromHex(k.startsWith("0x") ? k.slice(2) : k);
}

/**
 * Follow each host's static routes hop by hop; a destination that comes back to a host already
 * visited is a forwarding loop. (The engine would stop it with its step limit; a scenario
 * author wants to hear about it before running.)
 */
function routeLoops(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const owner = (addr: number) => s.hosts.find((h) => h.interfaces.some((i) => ip(addrOf(i.addr)) === addr));
  s.hosts.forEach((h, hi) => {
    h.routes.forEach((r, ri) => {
      if (!r.gateway) return;
      const dst = r.dst === "default" ? 0 : parsePrefix(r.dst).addr;
      const path = [h.name];
      let gw: string | undefined = r.gateway;
      for (let hops = 0; gw && hops < 32; hops++) {
        const next = owner(ip(gw));
        if (!next) return;
        if (next.interfaces.some((i) => ip(addrOf(i.addr)) === dst)) return;
        if (path.includes(next.name)) {
          out.push({ path: `$.hosts[${hi}].routes[${ri}]`, message: `routing loop: ${[...path, next.name].join(" → ")} for ${r.dst}` });
          return;
        }
        path.push(next.name);
        const nr = bestRoute(next, dst);
        gw = nr?.gateway;
      }
    });
  });
  return out;
}

function bestRoute(h: Scenario["hosts"][number], dst: number): Scenario["hosts"][number]["routes"][number] | undefined {
  let best: { r: Scenario["hosts"][number]["routes"][number]; len: number } | undefined;
  for (const i of h.interfaces) if (prefixContains(parsePrefix(i.addr), dst)) return undefined;
  for (const r of h.routes) {
    const p = parsePrefix(r.dst);
    if (prefixContains(p, dst) && (!best || p.len > best.len)) best = { r, len: p.len };
  }
  return best?.r;
}

export { LIMITS, INPUT_LIMITS, nestingDepth };
