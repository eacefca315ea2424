/**
 * The scenario format, version 1: hosts, interfaces, routes, SAs, SPD entries, links, traffic,
 * personality and fix toggles. Structure is checked by a valibot schema (every problem with its
 * JSON path); meaning — addresses, route loops, SPIs, key lengths — by `checkSemantics`.
 * The output of parsing is the *normalised* scenario: every default filled in, so a trace
 * records exactly what ran.
 */
import * as v from "valibot";
import { AUTH_ALGS, ENC_ALGS } from "../crypto/registry";
import { FIX_IDS, PERSONALITY_IDS } from "../kernels/personality";
import { DEFAULT_MAX_EVENTS, LIMITS } from "./limits";

export { LIMITS };

/** The version this engine writes; older ones are migrated forward (migrate.ts). */
export const SCENARIO_VERSION = 1;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const NAME = /^[a-z][a-z0-9-]*$/;
const IFNAME = /^[a-z]+[0-9]+$/;
const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

/**
 * An object that rejects keys outside `entries`, reporting *every* unknown key (valibot's
 * strictObject stops at the first). At run time it is objectWithRest(entries, never); its static
 * type is strictObject's, because the rest schema's `never` would otherwise be intersected into
 * every field of the inferred output.
 */
function strictObject<const T extends v.ObjectEntries>(entries: T): v.StrictObjectSchema<T, undefined> {
  return v.objectWithRest(entries, v.never(UNKNOWN_KEY)) as unknown as v.StrictObjectSchema<T, undefined>;
}
const UNKNOWN_KEY = "unknown key (not part of the scenario format)";

const name = v.pipe(v.string(), v.regex(NAME, "use lowercase letters, digits and '-', starting with a letter"), v.maxLength(LIMITS.name));
const text = v.pipe(v.string(), v.maxLength(LIMITS.text));
const ipv4 = v.pipe(v.string(), v.regex(IPV4, "not an IPv4 address (a.b.c.d)"));
const cidr = v.pipe(v.string(), v.regex(CIDR, "not an IPv4 prefix (a.b.c.d/len)"));
const ifname = v.pipe(v.string(), v.regex(IFNAME, "interface names are letters then a unit number, e.g. lo0, em0"), v.maxLength(16));
const hexKey = v.pipe(v.string(), v.maxLength(2 + 2 * 64), v.regex(HEX, "keys are hex bytes, e.g. 0x0123abcd"));
const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** SPIs may be written as numbers or as setkey-style hex strings ("0x1000"). */
const spi = v.pipe(
  v.union([int(0, 0xffffffff), v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{1,8}$/, "SPI must be a number or 0x-prefixed hex"))]),
  v.transform((s) => (typeof s === "number" ? s : parseInt(s, 16))),
);

const InterfaceSchema = strictObject({
  name: ifname,
  /** Address with prefix length, e.g. "10.0.0.1/24". */
  addr: cidr,
  mtu: v.optional(int(68, 65535), 1500),
  /**
   * seed 003: if_capabilities; its presence also models the driver's send queue and start
   * routine. "ipsec" is IFCAP_IPSEC (the NIC does outbound crypto for an OUT_CRYPTO_NEEDED
   * reminder); "ipsec-rx" means it also decrypts received ESP and leaves an IN_CRYPTO_DONE record.
   * Both HYPOTHETICAL: no 2003 driver set them (txp had IFCAP_IPSEC under #if 0).
   */
  capabilities: v.optional(v.pipe(v.array(v.picklist(["ipsec", "ipsec-rx"])), v.maxLength(2))),
  /** seed 003: a gif interface's tunnel (ifconfig gif0 tunnel src dst). */
  tunnel: v.optional(strictObject({ src: ipv4, dst: ipv4 })),
});

const RouteSchema = strictObject({
  /** Destination prefix, or "default". */
  dst: v.union([cidr, v.literal("default")]),
  gateway: v.optional(ipv4),
  ifname,
  /** route add -mtu: rt_rmx.rmx_mtu; 0 (the default) means the interface MTU applies. */
  mtu: v.optional(v.union([v.literal(0), int(68, 65535)]), 0),
});

const SaSchema = strictObject({
  spi,
  src: ipv4,
  dst: ipv4,
  proto: v.picklist(["esp", "ah"]),
  mode: v.optional(v.picklist(["transport", "tunnel"]), "transport"),
  enc: v.optional(v.picklist(Object.keys(ENC_ALGS) as (keyof typeof ENC_ALGS)[]), "null"),
  encKey: v.optional(hexKey, ""),
  auth: v.optional(v.picklist(Object.keys(AUTH_ALGS) as (keyof typeof AUTH_ALGS)[]), "none"),
  authKey: v.optional(hexKey, ""),
  /** Anti-replay window in packets (RFC 4303 §3.4.3); 0 disables the check. */
  replayWindow: v.optional(int(0, 1024), 64),
  /**
   * Extended sequence numbers (RFC 4303 §2.2.1, RFC 4302 §2.5.1): 64-bit counters whose high 32
   * bits are kept in the SA and covered by the ICV (RFC 4106 §5: a 12-byte AAD) but never sent.
   */
  esn: v.optional(v.boolean(), false),
  /** seed 003, HYPOTHETICAL: the TDB is marked TDBF_SKIPCRYPTO (no caller of ipsp_skipcrypto_mark was found). */
  skipCrypto: v.optional(v.boolean()),
});

const RequestSchema = strictObject({
  proto: v.picklist(["esp", "ah"]),
  mode: v.optional(v.picklist(["transport", "tunnel"]), "transport"),
  /** Tunnel endpoints "src-dst" for tunnel mode. */
  tunnelSrc: v.optional(ipv4),
  tunnelDst: v.optional(ipv4),
  level: v.optional(v.picklist(["require", "use"]), "require"),
});

const PolicySchema = strictObject({
  dir: v.picklist(["out", "in"]),
  src: cidr,
  dst: cidr,
  /** Upper-layer protocol selector: "any" or "icmp". */
  proto: v.optional(v.picklist(["any", "icmp"]), "any"),
  action: v.picklist(["ipsec", "discard", "none"]),
  requests: v.optional(v.pipe(v.array(RequestSchema), v.maxLength(4)), []),
});

const HostSchema = strictObject({
  name,
  /** Interfaces besides lo0, which every host has (127.0.0.1/8). */
  interfaces: v.optional(v.pipe(v.array(InterfaceSchema), v.maxLength(LIMITS.interfaces)), []),
  routes: v.optional(v.pipe(v.array(RouteSchema), v.maxLength(LIMITS.routes)), []),
  sad: v.optional(v.pipe(v.array(SaSchema), v.maxLength(LIMITS.sas)), []),
  spd: v.optional(v.pipe(v.array(PolicySchema), v.maxLength(LIMITS.policies)), []),
  /** The policy when no SP matches (FAST_IPSEC key_allocsp_default: NONE unless DISCARD). */
  defaultPolicy: v.optional(v.picklist(["none", "discard"]), "none"),
  /** sysctl net.inet.ip.forwarding: a router forwards datagrams not addressed to it (ip_forward); hosts do not. */
  ipforwarding: v.optional(v.boolean(), false),
  /**
   * sysctl net.inet.ipsec.dfbit (ip4_ipsec_dfbit, FAST_IPSEC ipsec_output.c): the DF bit of a tunnel's
   * outer header — 0 clear (the default), 1 set, 2 copied from the inner header.
   */
  ipsecDfbit: v.optional(v.picklist([0, 1, 2]), 0),
  /** sysctl net.inet.ip.maxfragpackets (ip_maxfragpackets): reassembly queues at once; NetBSD's default 200. */
  ipMaxFragPackets: v.optional(int(0, 10_000), 200),
});

const FaultSchema = v.variant("kind", [
  strictObject({
    /** The link records the nth ESP/AH packet it carries and delivers it again later. */
    kind: v.literal("replay"),
    nth: int(1, 1_000_000),
    delayMicros: v.optional(int(1, 10_000_000), 500),
  }),
  strictObject({
    /** The link flips one bit of the nth packet it carries (an attacker or bad hardware). */
    kind: v.literal("flip-bit"),
    nth: int(1, 1_000_000),
    byte: int(0, 65535),
    bit: v.optional(int(0, 7), 0),
  }),
  strictObject({
    /**
     * seed 003: an attacker on the link injects a cleartext ICMP echo request at `atMicros`,
     * with the source address of one end (`from`, "host:ifname") towards the other end.
     */
    kind: v.literal("forge"),
    atMicros: int(0, 10_000_000),
    from: v.pipe(v.string(), v.maxLength(100)),
  }),
]);

const LinkSchema = strictObject({
  name,
  /** The two ends, as "host:ifname"; strict, so a third end is refused rather than dropped. */
  ends: v.pipe(
    v.strictTuple(
      [v.pipe(v.string(), v.maxLength(100)), v.pipe(v.string(), v.maxLength(100))],
      'a link has exactly two ends, ["host:ifname", "host:ifname"]',
    ),
  ),
  /** One-way propagation delay in µs. */
  delayMicros: v.optional(int(0, 10_000_000), 50),
  faults: v.optional(v.pipe(v.array(FaultSchema), v.maxLength(LIMITS.faults)), []),
  /** A filter on the link drops every ICMP message it sees — need-frag included: a path MTU black hole. */
  dropIcmp: v.optional(v.boolean(), false),
});

const PingSchema = strictObject({
  kind: v.literal("ping"),
  from: name,
  /** ping -S: the source address; unset, ip_output takes the outgoing interface's. */
  src: v.optional(ipv4),
  dst: ipv4,
  count: v.optional(int(1, LIMITS.pingCount), 3),
  /** ICMP payload bytes (ping -s); 56 like BSD ping. */
  size: v.optional(int(8, LIMITS.payload), 56),
  /** ping -i, in ms of virtual time. */
  intervalMs: v.optional(int(1, 3_600_000), 1000),
  /** ping -f: send the next request as soon as a reply arrives (or after 10 ms). */
  flood: v.optional(v.boolean(), false),
  /** ping -D: set DF. */
  df: v.optional(v.boolean(), false),
  /** ping -m (FreeBSD; IP_TTL): the echo requests' TTL; MAXTTL (255) as ping's own header has it. */
  ttl: v.optional(int(1, 255), 255),
  /** ICMP identifier (ping uses its pid). */
  id: v.optional(int(0, 0xffff), 0x1234),
  startMs: v.optional(int(0, 3_600_000), 0),
});

/**
 * A UDP datagram sender: seed 002's 1472-byte DF datagram on the Linux stack (src/engine/linux,
 * IP_PMTUDISC_DO: over the path MTU it is refused with EMSGSIZE), and udp_output on the BSD stack
 * (netinet/udp_usrreq.ts, IP_DONTFRAG). One traffic kind for both.
 */
const UdpSchema = strictObject({
  kind: v.literal("udp"),
  from: name,
  dst: ipv4,
  /** UDP payload bytes: 1472 fills a 1500-byte IP packet. */
  size: v.optional(int(0, LIMITS.payload), 1472),
  df: v.optional(v.boolean(), false),
  count: v.optional(int(1, LIMITS.pingCount), 1),
  srcPort: v.optional(int(1, 0xffff), 1024),
  /** 9 is the discard service (RFC 863). */
  dstPort: v.optional(int(1, 0xffff), 9),
  intervalMs: v.optional(int(1, 3_600_000), 1000),
  startMs: v.optional(int(0, 3_600_000), 0),
  /** Bind a socket on the destination host at dstPort to receive them (else: ICMP port unreachable). BSD stack. */
  sink: v.optional(v.boolean(), true),
});

/**
 * A TCP transfer (issue 12, netinet/tcp_*.ts, BSD stack): `from` connects to dst:dstPort, where a
 * listening socket waits, writes `bytes` and closes. Segments carry DF (path MTU discovery).
 */
const TcpSchema = strictObject({
  kind: v.literal("tcp"),
  from: name,
  /** The source address (bind before connect); unset, the outgoing interface's. */
  src: v.optional(ipv4),
  dst: ipv4,
  /** Bytes the client writes before closing. */
  bytes: v.optional(int(0, 1_048_576), 4000),
  srcPort: v.optional(int(1, 0xffff), 1025),
  /** 9 is the discard service (RFC 863). */
  dstPort: v.optional(int(1, 0xffff), 9),
  startMs: v.optional(int(0, 3_600_000), 0),
});

/**
 * Seed 004: a keying daemon ("pluto", libreswan) on two hosts, driving each kernel's key
 * interface (keying/pluto.ts). One route-on-demand ESP tunnel (AES-GCM-16) between `left` and
 * `right`; the SAs then come from negotiation during the run instead of `sad`.
 */
const ConnSchema = strictObject({
  left: name,
  right: name,
  leftAddr: ipv4,
  rightAddr: ipv4,
  leftSubnet: cidr,
  rightSubnet: cidr,
  /** The request id tying the policies' templates to the SAs (libreswan's reqid). */
  reqid: v.optional(int(1, 0x3fff_ffff), 16389),
  /** Soft packet limit of each SA: reaching it sends EXPIRE(hard=0) and pluto rekeys. */
  softPackets: v.optional(int(1, 1_000_000)),
  /** Soft/hard byte limits of each SA (xfrm_lifetime_cfg soft/hard_byte_limit, sadb_lifetime_bytes). */
  softBytes: v.optional(int(1, 1_000_000_000)),
  hardBytes: v.optional(int(1, 1_000_000_000)),
  /** Soft/hard add-time limits of each SA, seconds (soft/hard_add_expires_seconds, sadb_lifetime_addtime). */
  softAddSec: v.optional(int(1, 86_400)),
  hardAddSec: v.optional(int(1, 86_400)),
});

const KeyingSchema = strictObject({
  /** libreswan kernel_ops: xfrm (netlink), pfkeyv2 (the 2022 rewrite), bsdkame-2020 (ACQUIRE discarded), nokernel (ops do nothing). */
  backend: v.optional(v.picklist(["xfrm", "pfkeyv2", "bsdkame-2020", "nokernel"]), "xfrm"),
  /** net.core.xfrm_larval_drop: 1 drops the packet that triggered the ACQUIRE, 0 holds it (XFRM only). */
  larvalDrop: v.optional(v.boolean(), true),
  /** net.core.xfrm_acq_expires, seconds. */
  acqExpiresSec: v.optional(int(1, 3600), 30),
  conn: ConnSchema,
});

export const ScenarioSchema = strictObject({
  version: v.literal(SCENARIO_VERSION),
  name,
  title: v.optional(text, ""),
  description: v.optional(text, ""),
  personality: v.optional(v.picklist(PERSONALITY_IDS), "netbsd-2003"),
  fixes: v.optional(v.pipe(v.array(v.picklist(FIX_IDS)), v.maxLength(FIX_IDS.length)), []),
  /** Seeds the RNG (IP ids, CBC IVs): the same seed gives the same trace. */
  seed: v.optional(int(0, 0xffffffff), 1),
  hosts: v.pipe(v.array(HostSchema), v.minLength(1, "a scenario needs at least one host"), v.maxLength(LIMITS.hosts)),
  links: v.optional(v.pipe(v.array(LinkSchema), v.maxLength(LIMITS.links)), []),
  // A variant by kind since the UDP sender was appended (seed 002); pings are PingSpec.
  traffic: v.pipe(v.array(v.variant("kind", [PingSchema, UdpSchema, TcpSchema])), v.maxLength(LIMITS.traffic)),
  /** Stop a runaway after this many events, with a "loop" finding. */
  maxEvents: v.optional(int(100, LIMITS.maxEvents), DEFAULT_MAX_EVENTS),
  /** Which seed story's steps the narration cites. */
  story: v.optional(v.picklist(["stone-2003", "briggs-1999"])),
  /** Seed 004: keying daemons and the kernels' key interfaces (see KeyingSchema). */
  keying: v.optional(KeyingSchema),
});

/** A scenario as written (defaults may be missing). */
export type ScenarioInput = v.InferInput<typeof ScenarioSchema>;
/** A validated, normalised scenario: what the engine runs. */
export type Scenario = v.InferOutput<typeof ScenarioSchema>;
export type HostSpec = Scenario["hosts"][number];
export type InterfaceSpec = HostSpec["interfaces"][number];
export type RouteSpec = HostSpec["routes"][number];
export type SaSpec = HostSpec["sad"][number];
export type PolicySpec = HostSpec["spd"][number];
export type RequestSpec = PolicySpec["requests"][number];
export type LinkSpec = Scenario["links"][number];
export type FaultSpec = LinkSpec["faults"][number];
export type TrafficSpec = Scenario["traffic"][number];
export type PingSpec = Extract<TrafficSpec, { kind: "ping" }>;
export type UdpSpec = Extract<TrafficSpec, { kind: "udp" }>;
export type TcpSpec = Extract<TrafficSpec, { kind: "tcp" }>;
export type KeyingSpec = NonNullable<Scenario["keying"]>;

/** One problem, located by a JSON path such as `$.hosts[0].sad[1].encKey`. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** `$.a[0].b` from valibot's path items. */
export function jsonPath(keys: readonly (string | number)[]): string {
  return keys.reduce<string>(
    (acc, k) => (typeof k === "number" ? `${acc}[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${acc}.${k}` : `${acc}[${JSON.stringify(k)}]`),
    "$",
  );
}

/** Structural validation: every problem, each with its path. */
export function parseStructure(input: unknown): { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] } {
  const result = v.safeParse(ScenarioSchema, input, { abortEarly: false });
  if (result.success) return { ok: true, scenario: result.output };
  const problems = result.issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key as string | number);
    return { path: jsonPath(keys), message: describeIssue(issue) };
  });
  return { ok: false, problems: dedupe(problems) };
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.message === UNKNOWN_KEY) return UNKNOWN_KEY;
  if (issue.kind === "schema" && issue.input === undefined && issue.path?.length) {
    return `required, but missing (expected ${issue.expected ?? "a value"})`;
  }
  if (issue.type === "picklist" || issue.type === "literal" || issue.type === "variant") {
    return `${issue.message.replace(/^Invalid type: /, "")}`;
  }
  return issue.message;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
