/**
 * The Linux machines of a run (seed 002 and the XFRM seed story): hosts with `struct device`s
 * (lo, ethN, and KLIPS's ipsec0), a FIB, a route cache of dst entries, the SAD/SPD as
 * xfrm_state/xfrm_policy (or KLIPS's eroutes), and the links between hosts. Built from the same
 * validated scenario as the BSD World (sim/world.ts), but with Linux's objects and names:
 * a local address is reached through `lo` (ip_route_output gives it a local dst), there is no
 * BSD lo0 host route per address, and every route lookup returns a dst entry with its own dev,
 * pmtu, gateway and output function.
 */
import { makeSa, makeSp } from "../netipsec/key";
import type { SecAssoc, SecPolicy } from "../netipsec/types";
import type { Behaviour, Personality } from "../kernels/personality";
import type { LinuxBehaviour } from "./behaviour";
import type { Skb } from "./skb";
import type { FaultSpec, HostSpec, Scenario } from "../scenario/schema";
import { addrOf, ip, parsePrefix, prefixContains, type Prefix } from "../sim/addr";
import { Rng } from "../sim/rng";
import { Scheduler } from "../sim/scheduler";
import type { LayerId } from "../trace/events";
import { Recorder, siteIn, type Site, type SiteFamily, type TagNumbering } from "../trace/recorder";

/** Mainline drivers/net/loopback.c: dev->mtu = 64 * 1024. (2.2's value is not modelled: nothing here crosses lo near it.) */
export const LO_MTU = 65536;
/** ETH_HLEN: the Ethernet hard header every ethN (and ipsec0, copying it) declares. */
export const ETH_HLEN = 14;
/** Virtual µs between netif_rx() and net_bh/NET_RX softirq running ip_rcv(). */
export const NET_RX_LATENCY = 1;

/** struct device (2.2) / struct net_device: what the model needs of one. */
export interface NetDevice {
  readonly name: string;
  mtu: number;
  readonly addr: string;
  readonly addrNum: number;
  readonly prefix: Prefix;
  readonly loopback: boolean;
  readonly hardHeaderLen: number;
  link: LinuxLink | undefined;
  /** KLIPS ipsecN (ipsec_tunnel_attach): the physical device and the private prv->mtu. */
  readonly klips?: { readonly physdev: NetDevice; prvMtu: number };
  /** in_dev conf: net.ipv4.conf.<dev>.disable_xfrm / disable_policy (mainline). */
  readonly disableXfrm: boolean;
  readonly disablePolicy: boolean;
}

/** A FIB entry. */
export interface FibRoute {
  readonly dst: Prefix;
  readonly gateway: number | undefined;
  readonly dev: NetDevice;
  /** "connected", "static", or "klips" (the route `ipsec manual --up` adds via ipsec0). */
  readonly origin: "connected" | "static" | "klips";
}

/** The xfrm bundle a dst stands for (mainline struct xfrm_dst over the plain route). */
export interface XfrmBundle {
  readonly sa: SecAssoc;
  readonly policy: SecPolicy;
  /** xdst->route: the plain route the ESP packet takes after the transform. */
  readonly route: DstEntry;
  /** route_mtu_cached (xfrm_init_pmtu), compared again by xfrm_bundle_ok. */
  routeMtuCached: number;
}

/** struct dst_entry / rtable: one route cache entry. */
export interface DstEntry {
  readonly id: number;
  readonly daddr: number;
  readonly daddrText: string;
  readonly dev: NetDevice;
  /** dst->pmtu (2.2) / dst_mtu() (mainline; for a bundle, RTAX_MTU from xfrm_init_pmtu). */
  pmtu: number;
  /** rt_gateway: the next hop, the destination itself on a connected route. */
  readonly gateway: number;
  /** Local delivery (dst->input = ip_local_deliver), reached through lo. */
  readonly local: boolean;
  /** DST_NOXFRM: the output device has disable_xfrm set (mainline __mkroute_output). */
  readonly noxfrm: boolean;
  /** Present on an xfrm bundle: its state and the route under it. */
  readonly xfrm?: XfrmBundle;
}

/** A KLIPS eroute: traffic src→dst goes to this SA (ipsec_tunnel_SAlookup). */
export interface Eroute {
  readonly src: Prefix;
  readonly dst: Prefix;
  readonly sa: SecAssoc | undefined;
  readonly summary: string;
}

/** A socket that takes what ip_local_deliver hands it. */
export interface LinuxSocket {
  readonly name: string;
  readonly proto: number;
  readonly port?: number;
  readonly receive: (skb: Skb, site: Site) => void;
  /** An ICMP error for a datagram this socket sent (udp_err / ip_icmp_error). */
  readonly error?: (mtu: number, site: Site) => void;
}

/** One end of a link. */
export interface LinuxLinkEnd {
  readonly host: LinuxHost;
  readonly dev: NetDevice;
}

export interface LinuxLink {
  readonly name: string;
  readonly ends: readonly [LinuxLinkEnd, LinuxLinkEnd];
  readonly delay: number;
  readonly faults: readonly FaultSpec[];
  carried: number;
  carriedIpsec: number;
}

/** A fragment queue (struct ipq) awaiting its pieces. */
export interface FragQueue {
  readonly frags: { offset: number; end: number; more: boolean; bytes: Uint8Array; chain: number }[];
  readonly header: Uint8Array;
}

/**
 * Thrown after the `kernel-oops` drop is recorded: the modelled kernel has died, so nothing more
 * runs on any host (runLinux ends the run there). Not an error of tagflow.
 */
export class KernelOops extends Error {
  constructor(readonly host: string) {
    super(`modelled kernel oops on ${host}`);
  }
}

/** Linux has no tags: the recorder's numbering is empty. */
const NO_TAGS: TagNumbering = { idOf: () => 0, isPersistent: () => false, hasPersistentTags: false, classOf: () => "record" };

export class LinuxHost {
  readonly devs: NetDevice[] = [];
  readonly fib: FibRoute[] = [];
  readonly sad: SecAssoc[] = [];
  readonly spd: SecPolicy[] = [];
  readonly eroutes: Eroute[] = [];
  readonly sockets: LinuxSocket[] = [];
  /** Route cache, by destination and output interface. */
  readonly dstCache = new Map<string, DstEntry>();
  /** PMTU learnt per destination (ipv4_update_pmtu / ip_rt_frag_needed). */
  readonly pmtuLearnt = new Map<number, number>();
  readonly fragQueues = new Map<string, FragQueue>();
  /** ip_id_count (2.2 global counter, seeded). */
  ipId: number;
  private readonly sites: SiteFamily = new Map();

  constructor(
    readonly world: LinuxWorld,
    readonly spec: HostSpec,
  ) {
    this.ipId = world.rng.u16();
  }

  get name(): string {
    return this.spec.name;
  }

  get linux(): LinuxBehaviour {
    return this.world.linux;
  }

  site(layer: LayerId, fn: string): Site {
    return siteIn(this.sites, this.world.recorder, this.name, layer, fn, NO_TAGS);
  }

  get lo(): NetDevice {
    return this.devs[0]!;
  }

  /** inet_addr_type() == RTN_LOCAL: one of ours, or 127/8. */
  isLocal(addr: number): boolean {
    return addr >>> 24 === 127 || this.devs.some((d) => d.addrNum === addr);
  }

  devByName(name: string): NetDevice | undefined {
    return this.devs.find((d) => d.name === name);
  }

  /** A host with two or more real interfaces forwards (ip_forward = 1 on the router). */
  get forwarding(): boolean {
    return this.devs.filter((d) => !d.loopback && !d.klips).length >= 2;
  }

  /** The FIB's longest-prefix match, restricted to `oif` when given (ip_route_output's oif). */
  fibLookup(dst: number, oif?: NetDevice): FibRoute | undefined {
    let best: FibRoute | undefined;
    for (const r of this.fib) {
      if (oif && r.dev !== oif) continue;
      if (prefixContains(r.dst, dst) && (!best || r.dst.len > best.dst.len)) best = r;
    }
    return best;
  }
}

export class LinuxWorld {
  readonly recorder: Recorder;
  readonly sched = new Scheduler();
  readonly rng: Rng;
  readonly hosts: LinuxHost[] = [];
  readonly links: LinuxLink[] = [];
  readonly linux: LinuxBehaviour;
  private dstIds = 1;

  constructor(
    readonly scenario: Scenario,
    readonly personality: Personality,
    readonly behaviour: Behaviour,
    maxEvents: number = scenario.maxEvents,
  ) {
    if (!behaviour.linux) throw new Error(`${personality.id} is not a Linux personality`);
    this.linux = behaviour.linux;
    this.recorder = new Recorder(maxEvents);
    this.rng = new Rng(scenario.seed);
    for (const spec of scenario.hosts) this.hosts.push(buildHost(this, spec));
    for (const l of scenario.links) this.links.push(buildLink(this, l));
  }

  nextDstId(): number {
    return this.dstIds++;
  }

  host(name: string): LinuxHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  after(delay: number, run: () => void): void {
    this.sched.after(delay, run);
  }

  run(): void {
    for (let c = this.sched.next(); c; c = this.sched.next()) {
      this.recorder.now = this.sched.now;
      c.run();
    }
  }
}

function device(name: string, cidr: string, mtu: number, loopback: boolean, conf: { disableXfrm: boolean; disablePolicy: boolean }): NetDevice {
  const addr = addrOf(cidr);
  return {
    name,
    mtu,
    addr,
    addrNum: ip(addr),
    prefix: parsePrefix(cidr),
    loopback,
    hardHeaderLen: loopback ? 0 : ETH_HLEN,
    link: undefined,
    ...conf,
  };
}

function buildHost(world: LinuxWorld, spec: HostSpec): LinuxHost {
  const host = new LinuxHost(world, spec);
  const b = world.linux;
  // devinet.c inetdev_event(NETDEV_REGISTER): IFF_LOOPBACK gets NOXFRM and NOPOLICY (§11).
  host.devs.push(device("lo", "127.0.0.1/8", LO_MTU, true, { disableXfrm: b.loDisableXfrm, disablePolicy: b.loDisablePolicy }));
  for (const i of spec.interfaces) {
    const dev = device(i.name, i.addr, i.mtu, false, { disableXfrm: false, disablePolicy: false });
    host.devs.push(dev);
    host.fib.push({ dst: dev.prefix, gateway: undefined, dev, origin: "connected" });
  }
  for (const r of spec.routes) {
    const dev = host.devByName(r.ifname);
    if (!dev) throw new Error(`route via unknown interface ${r.ifname}`);
    host.fib.push({
      dst: parsePrefix(r.dst === "default" ? "0.0.0.0/0" : r.dst),
      gateway: r.gateway ? ip(r.gateway) : undefined,
      dev,
      origin: "static",
    });
  }
  for (const sa of spec.sad) host.sad.push(makeSa(sa));
  spec.spd.forEach((sp, i) => host.spd.push(makeSp(sp, i)));
  if (b.stack !== "xfrm") attachKlips(host);
  return host;
}

/**
 * KLIPS: ipsec_tunnel_attach(ipsec0, eth0) — dev->mtu from the personality (16260 as shipped),
 * prv->mtu = physdev->mtu, hard_header_len copied — and, for every outbound IPsec policy, the
 * eroute and the route via ipsec0 that `ipsec manual --up` installs ("route stealing").
 * Only the first physical interface gets an ipsec0 (one interface per scenario host here).
 */
function attachKlips(host: LinuxHost): void {
  const physdev = host.devs.find((d) => !d.loopback);
  const out = host.spd.filter((sp) => sp.dir === "out" && sp.action === "ipsec");
  if (!physdev || out.length === 0) return;
  const ipsec0: NetDevice = {
    name: "ipsec0",
    mtu: host.linux.ipsec0Mtu,
    addr: physdev.addr,
    addrNum: physdev.addrNum,
    prefix: physdev.prefix,
    loopback: false,
    hardHeaderLen: physdev.hardHeaderLen,
    link: undefined,
    klips: { physdev, prvMtu: physdev.mtu },
    disableXfrm: false,
    disablePolicy: false,
  };
  host.devs.push(ipsec0);
  for (const sp of out) {
    const sa = host.sad.find((s) => s.proto === "esp" && prefixContains(sp.src, ip(s.src)) && prefixContains(sp.dst, ip(s.dst)));
    const via = host.fibLookup(sp.dst.addr, physdev);
    host.eroutes.push({ src: sp.src, dst: sp.dst, sa, summary: `${sp.src.text} -> ${sp.dst.text} => ${sa ? sa.id : "%trap (no SA)"}` });
    host.fib.push({ dst: sp.dst, gateway: via?.gateway, dev: ipsec0, origin: "klips" });
  }
}

function buildLink(world: LinuxWorld, spec: Scenario["links"][number]): LinuxLink {
  const ends = spec.ends.map((e) => {
    const [hostName, ifname] = e.split(":");
    const host = world.host(hostName ?? "");
    const dev = host.devByName(ifname ?? "");
    if (!dev) throw new Error(`link ${spec.name}: no interface ${e}`);
    return { host, dev };
  }) as unknown as [LinuxLinkEnd, LinuxLinkEnd];
  const link: LinuxLink = { name: spec.name, ends, delay: spec.delayMicros, faults: spec.faults, carried: 0, carriedIpsec: 0 };
  for (const e of ends) e.dev.link = link;
  return link;
}
