/**
 * The simulated machines: hosts with interfaces, routing tables, an ipintrq each, raw sockets,
 * the IPsec databases, and the links between them — built from a validated scenario.
 */
import type { Behaviour, Personality } from "../kernels/personality";
import { tagNumbering } from "../kernels/personality";
import type { Mbuf } from "../mbuf/mbuf";
import type { SecAssoc, SecPolicy } from "../netipsec/types";
import type { KeyKernel } from "../keying/kernel";
import type { LayerId } from "../trace/events";
import { Recorder, siteIn, type Site, type SiteFamily, type TagNumbering } from "../trace/recorder";
import type { FaultSpec, HostSpec, Scenario } from "../scenario/schema";
import { addrOf, ip, parsePrefix, prefixContains, type Prefix } from "./addr";
import { Rng } from "./rng";
import { Scheduler } from "./scheduler";

/** NetBSD's LOMTU (sys/net/if_loop.c): 32768 + MHLEN + MLEN. */
export const LOMTU = 33192;
/** ifqmaxlen / IFQ_MAXLEN: the ipintrq limit. */
export const IFQ_MAXLEN = 256;
/** Virtual µs between schednetisr() and the softint running ipintr(). */
export const NETISR_LATENCY = 2;

export interface Iface {
  readonly name: string;
  readonly addr: string;
  readonly addrNum: number;
  readonly prefix: Prefix;
  readonly mtu: number;
  readonly loopback: boolean;
  /** The link this interface is attached to (not for lo0). */
  link: LinkState | undefined;
}

export interface Route {
  readonly dst: Prefix;
  readonly gateway: string | undefined;
  readonly iface: Iface;
  /**
   * How the route came to be, for narration: "lo0", "connected", "static", "local", or "dynamic"
   * (a host route icmp_mtudisc cloned to hold a learned path MTU: RTF_GATEWAY|RTF_HOST|RTF_DYNAMIC).
   */
  readonly origin: "loopback" | "local" | "connected" | "static" | "dynamic";
  /** rt_rmx.rmx_mtu: the route's MTU, 0 when unset (the interface MTU applies). */
  mtu: number;
}

/**
 * One reassembly queue (struct ipq, netinet/ip_var.h): the fragments of one datagram, keyed by
 * (ip_src, ip_dst, ip_id, ip_p), each kept with its byte range, sorted by offset.
 */
export interface Ipq {
  readonly key: string;
  readonly id: number;
  /** ipq_ttl in ip_slowtimo ticks (PR_SLOWHZ = 2 a second); the queue is freed at 0. */
  ttl: number;
  readonly frags: { readonly m: Mbuf; off: number; end: number; readonly mf: boolean }[];
}

/** A raw IP socket (ping's), receiving what rip_input() hands it. */
export interface RawSocket {
  readonly name: string;
  readonly proto: number;
  readonly receive: (m: Mbuf, site: Site) => void;
}

export interface LinkEnd {
  readonly host: Host;
  readonly iface: Iface;
}

export interface LinkState {
  readonly name: string;
  readonly ends: readonly [LinkEnd, LinkEnd];
  readonly delay: number;
  readonly faults: readonly FaultSpec[];
  /** A filter on the link drops every ICMP message (the scenario's `dropIcmp`: a PMTU black hole). */
  readonly dropIcmp: boolean;
  /** Packets carried so far, and IPsec packets carried (faults count from 1). */
  carried: number;
  carriedIpsec: number;
}

export class Host {
  readonly ifaces: Iface[] = [];
  readonly routes: Route[] = [];
  readonly ipintrq: Mbuf[] = [];
  netisrScheduled = false;
  /** ip_id, initialised at boot from the clock in NetBSD; from the seeded RNG here. */
  ipId: number;
  readonly sockets: RawSocket[] = [];
  /** UDP sockets bound to a port (udp_usrreq.ts): the sinks of `udp` traffic. */
  readonly udpSockets: { readonly name: string; readonly port: number; received: number }[] = [];
  readonly spd: SecPolicy[] = [];
  readonly sad: SecAssoc[] = [];
  defaultPolicy: "none" | "discard";
  /** sysctl net.inet.ip.forwarding (ipforwarding): forward datagrams not addressed to us. */
  readonly ipforwarding: boolean;
  /** sysctl net.inet.ipsec.dfbit (ip4_ipsec_dfbit): 0 clear, 1 set, 2 copy the inner DF to the tunnel's outer header. */
  readonly ipsecDfbit: 0 | 1 | 2;
  /** The reassembly queues (ipq), oldest first, and whether ip_slowtimo is ticking for them. */
  readonly ipq: Ipq[] = [];
  slowtimoRunning = false;
  /** The crypto "hardware": busy until this virtual time, and requests in its queue. */
  cryptoBusyUntil = 0;
  cryptoDepth = 0;
  /** Seed 004: the kernel's key manager (XFRM / PF_KEY) when the scenario runs a keying daemon. */
  keyKernel: KeyKernel | undefined;

  constructor(
    readonly world: World,
    readonly spec: HostSpec,
  ) {
    this.ipId = world.rng.u16();
    this.defaultPolicy = spec.defaultPolicy;
    this.ipforwarding = spec.ipforwarding;
    this.ipsecDfbit = spec.ipsecDfbit;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Where a step of this host happens. */
  site(layer: LayerId, fn: string): Site {
    return siteIn(this.sites, this.world.recorder, this.name, layer, fn, this.world.tags);
  }

  private readonly sites: SiteFamily = new Map();

  /** Is `addr` one of this host's own addresses ("ours" in ip_input)? */
  isLocal(addr: number): boolean {
    return this.ifaces.some((i) => i.addrNum === addr);
  }

  ifaceByName(name: string): Iface | undefined {
    return this.ifaces.find((i) => i.name === name);
  }

  /** rtalloc(): the longest-prefix match, or undefined. */
  lookupRoute(dst: number): Route | undefined {
    let best: Route | undefined;
    for (const r of this.routes) {
      if (prefixContains(r.dst, dst) && (!best || r.dst.len > best.dst.len)) best = r;
    }
    return best;
  }
}

export class World {
  readonly recorder: Recorder;
  readonly sched = new Scheduler();
  readonly rng: Rng;
  readonly tags: TagNumbering;
  readonly hosts: Host[] = [];
  readonly links: LinkState[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly personality: Personality,
    readonly behaviour: Behaviour,
    maxEvents: number = scenario.maxEvents,
  ) {
    this.recorder = new Recorder(maxEvents);
    this.rng = new Rng(scenario.seed);
    this.tags = tagNumbering(personality);
    for (const spec of scenario.hosts) this.hosts.push(buildHost(this, spec));
    for (const link of scenario.links) this.links.push(buildLink(this, link));
  }

  host(name: string): Host {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Schedule work `delay` µs from now. */
  after(delay: number, run: () => void): void {
    this.sched.after(delay, run);
  }

  /** Run callouts until none remain; the recorder's clock follows the scheduler's. */
  run(): void {
    for (let c = this.sched.next(); c; c = this.sched.next()) {
      this.recorder.now = this.sched.now;
      c.run();
    }
  }
}

function buildHost(world: World, spec: HostSpec): Host {
  const host = new Host(world, spec);
  const lo0: Iface = {
    name: "lo0",
    addr: "127.0.0.1",
    addrNum: ip("127.0.0.1"),
    prefix: parsePrefix("127.0.0.0/8"),
    mtu: LOMTU,
    loopback: true,
    link: undefined,
  };
  host.ifaces.push(lo0);
  host.routes.push({ dst: parsePrefix("127.0.0.0/8"), gateway: undefined, iface: lo0, origin: "loopback", mtu: 0 });
  for (const i of spec.interfaces) {
    const iface: Iface = {
      name: i.name,
      addr: addrOf(i.addr),
      addrNum: ip(addrOf(i.addr)),
      prefix: parsePrefix(i.addr),
      mtu: i.mtu,
      loopback: false,
      link: undefined,
    };
    host.ifaces.push(iface);
    // BSD installs a loopback host route for each local address, so traffic to oneself uses lo0.
    host.routes.push({ dst: parsePrefix(`${iface.addr}/32`), gateway: undefined, iface: lo0, origin: "local", mtu: 0 });
    host.routes.push({ dst: iface.prefix, gateway: undefined, iface, origin: "connected", mtu: 0 });
  }
  for (const r of spec.routes) {
    const iface = host.ifaceByName(r.ifname);
    if (!iface) throw new Error(`route via unknown interface ${r.ifname}`);
    host.routes.push({ dst: parsePrefix(r.dst), gateway: r.gateway, iface, origin: "static", mtu: r.mtu });
  }
  return host;
}

function buildLink(world: World, spec: Scenario["links"][number]): LinkState {
  const ends = spec.ends.map((e) => {
    const [hostName, ifname] = e.split(":");
    const host = world.host(hostName ?? "");
    const iface = host.ifaceByName(ifname ?? "");
    if (!iface) throw new Error(`link ${spec.name}: no interface ${e}`);
    return { host, iface };
  }) as unknown as [LinkEnd, LinkEnd];
  const link: LinkState = {
    name: spec.name,
    ends,
    delay: spec.delayMicros,
    faults: spec.faults,
    dropIcmp: spec.dropIcmp,
    carried: 0,
    carriedIpsec: 0,
  };
  for (const e of ends) e.iface.link = link;
  return link;
}
