/**
 * A point-to-point link between two hosts' interfaces: transmit, propagate for the link's
 * delay, receive (ether_input → ipintrq). Real interfaces carry no tags: a packet arrives as
 * bytes in a fresh mbuf (FreeBSD commit 62d2dcaf: "Real network interfaces do not carry any
 * tags either"). The link can be told to replay or corrupt a packet (scenario faults).
 */
import { m_freem, m_gethdr, m_set_rcvif, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Host, Iface, LinkState } from "../sim/world";
import { ipintrq_enqueue } from "../netinet/ip_input";
import { IP_PROTO } from "../wire/fields";
import { emitIcmp } from "../wire/icmp";
import { emitIpv4 } from "../wire/ipv4";
import type { FaultKind, LayerId } from "../trace/events";
import type { Site } from "../trace/recorder";
import { hasModelledDriver, offload_rxeof } from "./ifq";

/** The function name of the scenario's ICMP filter on a link (not a kernel function). */
export const LINK_FILTER = "icmp filter (scenario)";

/** Consumes `m`. */
export function link_output(host: Host, ifp: Iface, m: Mbuf, nextHop: string): void {
  const site = host.site("if", "ether_output");
  const link = ifp.link;
  if (!link) {
    drop(site, m, "ip-no-route", site.text`${ifp.name} is not attached to a link`, site.text`${ifp.name} has no carrier: the packet is dropped.`);
    return;
  }
  if (link.dropIcmp && m.bytes()[9] === IP_PROTO.ICMP) {
    // Not kernel code: the scenario's filter on the wire (a firewall that drops all ICMP).
    const filter = site.at("link", LINK_FILTER);
    drop(
      filter,
      m,
      "icmp-filtered",
      filter.text`ICMP filtered on ${link.name}`,
      filter.text`A filter on ${link.name} drops every ICMP message (the scenario's dropIcmp): this one never reaches the other end.`,
    );
    return;
  }
  const peer = link.ends[0].iface === ifp && link.ends[0].host === host ? link.ends[1] : link.ends[0];
  let bytes = m.bytes().slice();
  link.carried++;
  const proto = bytes[9];
  const isIpsec = proto === IP_PROTO.ESP || proto === IP_PROTO.AH;
  if (isIpsec) link.carriedIpsec++;
  const flipped: string[] = [];
  for (const f of link.faults) {
    if (f.kind === "flip-bit" && f.nth === link.carried && f.byte < bytes.length) {
      bytes = bytes.slice();
      bytes[f.byte] = bytes[f.byte]! ^ (1 << f.bit);
      flipped.push(`bit ${f.bit} of byte ${f.byte} flipped in transit on ${link.name} (fault flip-bit, packet ${f.nth})`);
    }
  }
  site
    .at("link", "ether_output")
    .emit(
      m,
      { kind: "link.tx", ifname: ifp.name, link: link.name, bytes: bytes.length },
      site.text`${host.name} transmits the packet on ${ifp.name} towards ${nextHop} over ${link.name}.`,
    );
  m_freem(site, m, "transmitted", `The driver frees the mbuf chain after transmission; its tags go with it.`);
  deliver(link, peer.host, peer.iface, bytes, link.delay, flipped.length > 0 ? { kind: "flip-bit", detail: flipped.join("; ") } : undefined);
  for (const f of link.faults) {
    if (f.kind === "replay" && isIpsec && f.nth === link.carriedIpsec) {
      // An attacker on the wire recorded this packet and sends it again later.
      const copy = bytes.slice();
      deliver(link, peer.host, peer.iface, copy, link.delay + f.delayMicros, {
        kind: "replay",
        detail: `a copy of ESP/AH packet ${f.nth} on ${link.name}, replayed ${f.delayMicros}µs later (fault replay)`,
      });
    }
  }
}

/** A fault the link injected into a frame, recorded on its link.rx event (scenario faults). */
export type InjectedFault = { readonly kind: FaultKind; readonly detail: string };

/** Not a kernel function: who injects a scenario fault (the `fn` of the fault step). */
export const FAULT_FN = "attacker (scenario fault)";

/**
 * The fault as its own step, on the frame it produced, before the receiving driver sees it: the
 * attacker is not kernel code, so the step says who did it and the audit can tell it from traffic.
 */
export function emitFault(host: { site(layer: LayerId, fn: string): Site }, m: Mbuf, link: string, fault: InjectedFault): void {
  const site = host.site("link", FAULT_FN);
  site.emit(m, { kind: "fault", fault: fault.kind, link, detail: fault.detail }, site.text`Injected fault on ${link}: ${fault.detail}.`);
}

/**
 * seed 003, fault "forge": an attacker on the link injects, at `atMicros`, a cleartext ICMP echo
 * request (id 0x6666, 56 zero bytes) with the address of the end `from` as its source, towards
 * the other end — the packet that has no IN_DONE record for the receiver's check to find.
 */
export function scheduleForgeries(link: LinkState): void {
  for (const f of link.faults) {
    if (f.kind !== "forge") continue;
    const fromEnd = link.ends.find((e) => `${e.host.name}:${e.iface.name}` === f.from) ?? link.ends[0];
    const to = fromEnd === link.ends[0] ? link.ends[1] : link.ends[0];
    const icmp = new Uint8Array(64);
    emitIcmp({ kind: "echo", type: 8, code: 0, checksum: 0, id: 0x6666, seq: 0, data: new Uint8Array(56) }, icmp, 0);
    const bytes = new Uint8Array(84);
    emitIpv4(
      {
        tos: 0,
        totalLength: 84,
        id: 0x6666,
        df: false,
        mf: false,
        fragOffset: 0,
        ttl: 64,
        protocol: IP_PROTO.ICMP,
        checksum: 0,
        src: fromEnd.iface.addr,
        dst: to.iface.addr,
        options: new Uint8Array(0),
      },
      bytes,
      0,
    );
    bytes.set(icmp, 20);
    deliver(link, to.host, to.iface, bytes, f.atMicros, {
      kind: "forge",
      detail: `a cleartext ICMP echo request forged by an attacker on ${link.name}, claiming to come from ${fromEnd.iface.addr} (fault forge)`,
    });
  }
}

function deliver(link: LinkState, host: Host, ifp: Iface, bytes: Uint8Array, delay: number, fault?: InjectedFault): void {
  const replayed = fault?.kind === "replay";
  host.world.after(delay, () => {
    const site = host.site("link", "ether_input");
    const m = m_gethdr(
      site,
      bytes,
      replayed
        ? site.text`A copy of an earlier packet, replayed by an attacker on ${link.name}, arrives at ${host.name}:${ifp.name}; the driver puts it in a fresh mbuf.`
        : fault?.kind === "forge"
          ? site.text`A packet forged by an attacker on ${link.name} arrives at ${host.name}:${ifp.name}; the driver puts it in a fresh mbuf (no tags: the wire carries none).`
          : site.text`The frame arrives at ${host.name}:${ifp.name}; the driver puts it in a fresh mbuf (no tags: the wire carries none).`,
    );
    m_set_rcvif(m, ifp.name);
    if (fault) emitFault(host, m, link.name, fault);
    // The frame an attacker produced carries its fault, so the trace and the capture can mark it.
    site.emit(
      m,
      fault
        ? { kind: "link.rx", ifname: ifp.name, link: link.name, bytes: bytes.length, fault }
        : { kind: "link.rx", ifname: ifp.name, link: link.name, bytes: bytes.length },
      fault
        ? site.text`ether_input: rcvif = ${ifp.name}, the IPv4 payload goes to ipintrq. Injected fault: ${fault.detail}.`
        : site.text`ether_input: rcvif = ${ifp.name}, the IPv4 payload goes to ipintrq.`,
    );
    // seed 003: a NIC whose driver is modelled may have done the crypto already (hypothetical).
    if (hasModelledDriver(host, ifp)) offload_rxeof(host, ifp, m);
    ipintrq_enqueue(host, m, host.site("if", "ether_input"));
  });
}

export type { Mbuf };
