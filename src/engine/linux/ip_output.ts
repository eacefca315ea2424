/**
 * Linux IPv4 output, 2.2 and mainline (seed 002), with the names of the real functions:
 *
 * - ip_route_output(): a dst entry {dev, pmtu, gateway, output} — net/ipv4/route.c;
 * - ip_build_xmit() (2.2, linas/i370-linux-2.2.1 net/ipv4/ip_output.c @8089b4c) and
 *   ip_append_data() (mainline): size the datagram against dst->pmtu, refuse a DF one that is too
 *   long with EMSGSIZE (ip_local_error), build the skb with `hh_len` of headroom;
 * - dst->output = ip_output() → ip_finish_output(), which **sets skb->dev = dst->dev**
 *   (2.2 include/net/ip.h) before the neighbour output;
 * - ip_send() (2.2 ip.h): `skb->len > skb->dst->pmtu ? ip_fragment(skb, __ip_finish_output) : ip_finish_output(skb)`;
 * - ip_fragment(skb, output) (2.2 ip_output.c @8089b4c): sized from **skb->dst->pmtu**, every
 *   fragment a new skb with `skb2->dst = dst_clone(skb->dst)`, `frag_off = htons(offset>>3)` —
 *   DF is not carried — MF on all but the last, then `output(skb2)`;
 * - neigh_compat_output() (net/core/neighbour.c): transmit on **skb->dev**, the next hop from
 *   skb->dst->rt_gateway ("It is supposed that skb->dev was mangled by a virtual device");
 * - dev_queue_xmit(): to the device's hard_start_xmit — ipsec0's is ipsec_tunnel_start_xmit,
 *   lo's loopback_xmit, ethN's the driver (the link).
 *
 * Frames are captured as raw IP (as the BSD side does): the 14-byte hard header is accounted as
 * headroom (hh_len) but not written as bytes.
 */
import { drop } from "../mbuf/drop";
import { ipv4Parts } from "../mbuf/hdrs";
import { m_set_rcvif } from "../mbuf/mbuf";
import type { Site } from "../trace/recorder";
import { emitFault, type InjectedFault } from "../net/if_link";
import { IP_PROTO, formatIpv4Addr } from "../wire/fields";
import { emitIpv4, parseIpv4 } from "../wire/ipv4";
import { emitIcmp, ICMP_TYPE } from "../wire/icmp";
import { ip } from "../sim/addr";
import { ipsec_tunnel_start_xmit } from "./klips";
import { ip_rcv } from "./ip_input";
import { alloc_skb, kfree_skb, skb_set_dev, skb_set_dst, type Skb } from "./skb";
import { xfrm_bundle_ok, xfrm_lookup, xfrm_output } from "./xfrm";
import { xfrm_larval_output } from "./xfrm_km";
import { NET_RX_LATENCY, type DstEntry, type LinuxHost, type NetDevice } from "./world";

/** hh_len = (dev->hard_header_len + 15) & ~15 (ip_build_xmit). */
export function hhLen(dev: NetDevice): number {
  return (dev.hardHeaderLen + 15) & ~15;
}

/**
 * ip_route_output(&rt, daddr, saddr, tos, oif): a cached dst entry. A local destination gets the
 * loopback device; otherwise the FIB (restricted to `oif` when given, as KLIPS's re-route passes
 * physdev->iflink). pmtu is the device MTU, lowered by what PMTU discovery has learnt (mainline
 * ipv4_update_pmtu's exception; 2.2 ip_rt_frag_needed on the cache entry).
 */
export function ip_route_output(host: LinuxHost, daddr: number, oif?: NetDevice): DstEntry | undefined {
  const key = `${daddr}|${oif?.name ?? ""}`;
  const local = host.isLocal(daddr);
  const route = local ? undefined : host.fibLookup(daddr, oif);
  if (!local && !route) return undefined;
  const dev = local ? host.lo : route!.dev;
  const learnt = host.pmtuLearnt.get(daddr);
  const pmtu = learnt !== undefined && learnt < dev.mtu ? learnt : dev.mtu;
  const cached = host.dstCache.get(key);
  if (cached && cached.dev === dev) {
    cached.pmtu = pmtu;
    return cached;
  }
  const dst: DstEntry = {
    id: host.world.nextDstId(),
    daddr,
    daddrText: formatIpv4Addr(daddr),
    dev,
    pmtu,
    gateway: route?.gateway ?? daddr,
    local,
    noxfrm: dev.disableXfrm,
  };
  host.dstCache.set(key, dst);
  return dst;
}

/** The address a packet from this host to `dst` gets as its source (rt_src): the output device's. */
function sourceFor(host: LinuxHost, dst: DstEntry, daddr: number): string {
  if (dst.local) return formatIpv4Addr(host.isLocal(daddr) && daddr >>> 24 !== 127 ? daddr : ip("127.0.0.1"));
  return dst.dev.addr;
}

/** What a local sender hands IP. */
export interface Datagram {
  readonly proto: number;
  readonly dst: string;
  /** Source address; unset: the output device's. */
  readonly src?: string;
  /** Builds the transport header + payload once the source address is known (checksums need it). */
  readonly payload: (src: string) => Uint8Array;
  readonly payloadLen: number;
  /** IP_PMTUDISC_DO: never fragment locally; EMSGSIZE instead. */
  readonly df: boolean;
  readonly ttl?: number;
  /** Who is sending, for narration ("udp_sendmsg", "icmp_reply"). */
  readonly what: string;
  /** The packet this one is built from (icmp_reply, icmp_send): recorded as its "copied-from". */
  readonly copiedFrom?: Skb;
  /** The sending socket's name: an EMSGSIZE drop records whom the error is returned to. */
  readonly socket?: string;
  /** Told of EMSGSIZE with the MTU (ip_local_error). */
  readonly onMsgSize?: (mtu: number) => void;
}

/**
 * A local datagram out: route, (mainline) xfrm_lookup, size against the MTU IP will use, build
 * the skb and hand it to dst->output. 2.2 ip_build_xmit and mainline ip_append_data differ in
 * where the MTU comes from (the route's pmtu vs the bundle's dst_mtu) but not in this shape.
 */
export function ip_send_datagram(host: LinuxHost, d: Datagram): void {
  const xfrm = host.linux.stack === "xfrm";
  const site = host.site("ip", xfrm ? "ip_append_data" : "ip_build_xmit");
  const daddr = ip(d.dst);
  let dst = ip_route_output(host, daddr);
  if (!dst) {
    site.emit(
      null,
      { kind: "drop", reason: "ip-no-route", detail: `no route to ${d.dst}` },
      site.text`ip_route_output finds no route to ${d.dst}: ${d.what} fails with ENETUNREACH.`,
    );
    return;
  }
  const src = d.src ?? sourceFor(host, dst, daddr);
  if (xfrm) dst = xfrm_lookup(host, dst, { src, dst: d.dst, proto: d.proto });
  else klipsPolicyNote(host, dst, { src, dst: d.dst, proto: d.proto });
  if (!dst) return;
  if (dst.xfrm) xfrm_bundle_ok(host, dst);
  const length = 20 + d.payloadLen;
  const mtu = dst.pmtu;
  site.emit(
    null,
    {
      kind: "decision",
      check: "mtu",
      question: site.text`Does a ${length}-byte datagram fit the MTU IP sizes it by?`,
      consulted: [
        { kind: "field", header: "dst", field: dst.xfrm ? "dst_mtu (bundle)" : "pmtu", value: String(mtu) },
        { kind: "field", header: "dst", field: "dev", value: dst.dev.name },
        { kind: "switch", name: "IP_MTU_DISCOVER", value: d.df ? "IP_PMTUDISC_DO (DF)" : "IP_PMTUDISC_DONT" },
      ],
      branch: length <= mtu ? "fits" : d.df ? "EMSGSIZE" : "fragment",
    },
    length <= mtu
      ? site.text`${length} bytes ≤ ${dst.xfrm ? "the bundle's dst_mtu" : "skb->dst->pmtu"} ${mtu} (dst via ${dst.dev.name}): one skb.`
      : d.df
        ? site.text`${length} bytes > ${dst.xfrm ? "the bundle's dst_mtu" : "dst->pmtu"} ${mtu} with DF: ip_local_error(EMSGSIZE, mtu ${mtu}) — nothing is sent.`
        : site.text`${length} bytes > ${mtu}: the datagram is fragmented before it leaves IP.`,
  );
  if (length > mtu && d.df) {
    site.emit(
      null,
      {
        kind: "drop",
        reason: "ip-msgsize",
        detail: `EMSGSIZE: ${length} bytes > MTU ${mtu}`,
        ...(d.socket === undefined ? {} : { socket: d.socket }),
      },
      site.text`${d.what} returns -EMSGSIZE; the socket's error queue says the MTU is ${mtu}.`,
    );
    d.onMsgSize?.(mtu);
    return;
  }
  const hh = hhLen(dst.dev);
  const bytes = new Uint8Array(length);
  emitIpv4(
    {
      tos: 0,
      totalLength: length,
      id: host.ipId++ & 0xffff,
      df: d.df,
      mf: false,
      fragOffset: 0,
      ttl: d.ttl ?? 64,
      protocol: d.proto,
      checksum: 0,
      src,
      dst: d.dst,
      options: new Uint8Array(0),
    },
    bytes,
  );
  bytes.set(d.payload(src), 20);
  const id = (bytes[4]! << 8) | bytes[5]!;
  // The IP id is per packet: a plain template, not site.text.
  const skb = alloc_skb(
    site,
    length + hh + 15,
    hh,
    bytes,
    `${d.what}: alloc_skb(${length} + hh_len ${hh} + 15), skb_reserve(${hh}), and the ${length}-byte datagram (IP id 0x${id.toString(16)}) is built in it.`,
    ipv4Parts(bytes, length),
  );
  if (d.copiedFrom) {
    skb.copiedFrom = d.copiedFrom.id;
    site.emit(
      skb,
      { kind: "field.set", header: "skb", field: "copied-from", from: "", to: `packet #${d.copiedFrom.id}` },
      site.text`A new skb, not the request's: its bytes are copied from packet #${d.copiedFrom.id}, its sec_path and dst are its own (none, and a fresh route).`,
    );
  }
  skb_set_dst(site, skb, dst, "skb->dst = dst_clone(&rt->u.dst)");
  if (length > mtu) {
    // Mainline's ip_append_data builds the fragments itself; the shape (pieces of (mtu-20)&~7) is the same.
    ip_fragment(host, skb, (f) => dst_output(host, f));
    return;
  }
  dst_output(host, skb);
}

/**
 * KLIPS has no policy lookup on output: a packet is protected only if its route goes via ipsec0
 * (an eroute). Say so when a policy asks for IPsec and the route does not go there (lo, or no
 * ipsec0 on this host).
 */
function klipsPolicyNote(host: LinuxHost, dst: DstEntry, flow: { src: string; dst: string; proto: number }): void {
  if (dst.dev.klips) return;
  const sp = host.spd.find(
    (p) =>
      p.dir === "out" &&
      p.action === "ipsec" &&
      (p.src.len === 0 || (ip(flow.src) & maskOfLen(p.src.len)) === p.src.addr) &&
      (ip(flow.dst) & maskOfLen(p.dst.len)) === p.dst.addr,
  );
  if (!sp) return;
  const site = host.site("ipsec", "ip_route_output");
  site.emit(
    null,
    {
      kind: "decision",
      check: "klips-eroute",
      question: "Does the route take this packet through ipsec0, where KLIPS would encrypt it?",
      consulted: [
        { kind: "sp", id: sp.id, summary: sp.summary },
        { kind: "route", dst: flow.dst, summary: `dev ${dst.dev.name}` },
      ],
      branch: "bypass: not via ipsec0",
    },
    site.text`The policy ${sp.summary} asks for IPsec, but KLIPS only sees what is routed via ipsec0, and ${flow.dst} is routed via ${dst.dev.name}: the packet goes out in cleartext.`,
  );
}

function maskOfLen(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** dst_output(skb): skb->dst->output — xfrm_output on a bundle, else ip_output. */
export function dst_output(host: LinuxHost, skb: Skb): void {
  // Seed 004: make_blackhole's dst_discard_out, or the dummy bundle's xdst_queue_output (xfrm_km.ts).
  if (xfrm_larval_output(host, skb)) return;
  if (skb.dst?.xfrm) xfrm_output(host, skb);
  else ip_output(host, skb);
}

/** ip_output(skb) → ip_finish_output(skb) (2.2 ip_output.c; mainline adds the fragment check there). */
export function ip_output(host: LinuxHost, skb: Skb): void {
  const dst = skb.dst;
  if (!dst) {
    drop(host.site("ip", "ip_output"), skb, "ip-no-route", "skb->dst is NULL", "ip_output has no dst to send by.");
    return;
  }
  if (host.linux.stack === "xfrm" && skb.len > dst.pmtu) {
    // Mainline ip_finish_output → ip_fragment: DF and too long → ICMP to self, EMSGSIZE; else fragment.
    const df = (skb.bytes()[6]! & 0x40) !== 0;
    if (df) {
      const site = host.site("ip", "ip_fragment");
      icmp_send(host, skb, ICMP_TYPE.DEST_UNREACH, 4, dst.pmtu);
      drop(
        site,
        skb,
        "ip-msgsize",
        `DF and ${skb.len} > mtu ${dst.pmtu}`,
        site.text`ip_fragment: DF is set and ${skb.len} > ${dst.pmtu}: FRAG_NEEDED to the sender, -EMSGSIZE.`,
      );
      return;
    }
    ip_fragment(host, skb, (f) => ip_finish_output(host, f));
    return;
  }
  ip_finish_output(host, skb);
}

/** ip_send(skb) (2.2 include/net/ip.h): fragment by skb->dst->pmtu, else ip_finish_output. */
export function ip_send(host: LinuxHost, skb: Skb): void {
  const site = host.site("ip", "ip_send");
  const pmtu = skb.dst?.pmtu ?? 0;
  const big = skb.len > pmtu;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "mtu",
      question: site.text`Is the ${skb.len}-byte packet longer than skb->dst->pmtu?`,
      consulted: [
        { kind: "field", header: "dst", field: "pmtu", value: String(pmtu) },
        { kind: "field", header: "dst", field: "dev", value: skb.dst?.dev.name ?? "(none)" },
      ],
      branch: big ? "ip_fragment" : "ip_finish_output",
    },
    big
      ? site.text`ip_send: ${skb.len} > skb->dst->pmtu ${pmtu} (dst via ${skb.dst?.dev.name ?? "?"}): ip_fragment(skb, __ip_finish_output) — fragmenting after encryption.`
      : site.text`ip_send: ${skb.len} ≤ skb->dst->pmtu ${pmtu}: ip_finish_output.`,
  );
  if (big) ip_fragment(host, skb, (f) => ip_finish_output(host, f));
  else ip_finish_output(host, skb);
}

/** ip_finish_output(skb) (2.2 ip.h): skb->dev = dst->dev, then the neighbour's output → dev_queue_xmit. */
export function ip_finish_output(host: LinuxHost, skb: Skb): void {
  const site = host.site("ip", "ip_finish_output");
  const dst = skb.dst!;
  if (skb.dev !== dst.dev) skb_set_dev(site, skb, dst.dev, "ip_finish_output resets skb->dev from skb->dst->dev");
  else skb_set_dev(site, skb, dst.dev, "ip_finish_output: skb->dev = dst->dev");
  dev_queue_xmit(host, skb);
}

/**
 * neigh_compat_output(skb) (net/core/neighbour.c): hard_header on **skb->dev**, the next hop
 * resolved from skb->dst->rt_gateway on that device, then dev_queue_xmit — whatever skb->dst->dev says.
 */
export function neigh_compat_output(host: LinuxHost, skb: Skb): void {
  const site = host.site("if", "neigh_compat_output");
  const dev = skb.dev;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "skb-dev-dst",
      question: "Which device does the frame go out of?",
      consulted: [
        { kind: "field", header: "skb", field: "dev", value: dev?.name ?? "(none)" },
        { kind: "field", header: "skb", field: "dst->dev", value: skb.dst?.dev.name ?? "(none)" },
      ],
      branch: `skb->dev (${dev?.name ?? "none"})`,
    },
    site.text`neigh_compat_output builds the hard header on skb->dev = ${dev?.name ?? "(none)"} and resolves the next hop ${formatIpv4Addr(skb.dst?.gateway ?? 0)} (skb->dst->rt_gateway) there; skb->dst->dev (${skb.dst?.dev.name ?? "none"}) is not consulted.`,
  );
  dev_queue_xmit(host, skb);
}

/**
 * ip_fragment(skb, output): 2.2 net/ipv4/ip_output.c @8089b4c (mainline ip_do_fragment has the
 * same pieces and copies dev and the sec_path with ip_copy_metadata). Frees the original.
 */
export function ip_fragment(host: LinuxHost, skb: Skb, output: (f: Skb) => void): void {
  const site = host.site("ip", "ip_fragment");
  const data = skb.bytes();
  const parsed = parseIpv4(data);
  const dst = skb.dst!;
  if (!parsed.ok) {
    drop(site, skb, "ip-bad-hlen", parsed.error.message, "ip_fragment cannot read the IP header.");
    return;
  }
  const h = parsed.value;
  const hlen = 20 + h.options.length;
  const mtu = dst.pmtu - hlen;
  let left = h.totalLength - hlen;
  let offset = h.fragOffset * 8;
  const notLast = h.mf;
  const hh = hhLen(dst.dev);
  const pieces: number[] = [];
  for (let l = left; l > 0;) {
    let len = Math.min(l, mtu);
    if (len < l) len &= ~7;
    pieces.push(len + hlen);
    l -= len;
  }
  site.emit(
    skb,
    {
      kind: "decision",
      check: "mtu",
      question: "How big may each fragment be?",
      consulted: [
        { kind: "field", header: "dst", field: "pmtu", value: String(dst.pmtu) },
        { kind: "field", header: "dst", field: "dev", value: dst.dev.name },
        { kind: "field", header: "skb", field: "dev", value: skb.dev?.name ?? "(none)" },
        { kind: "field", header: "ipv4", field: "df", value: h.df ? "1" : "0" },
      ],
      branch: pieces.join(" + "),
    },
    site.text`ip_fragment sizes the pieces from skb->dst->pmtu ${dst.pmtu} (dst via ${dst.dev.name}), not from skb->dev (${skb.dev?.name ?? "none"}): ${h.totalLength} bytes become ${pieces.join(" + ")}. It never looks at DF, and DF is not copied into the fragments.`,
  );
  let ptr = hlen;
  while (left > 0) {
    let len = Math.min(left, mtu);
    if (len < left) len &= ~7;
    const more = left - len > 0 || notLast;
    const frag = new Uint8Array(hlen + len);
    emitIpv4({ ...h, totalLength: hlen + len, df: false, mf: more, fragOffset: offset >> 3 }, frag);
    frag.set(data.subarray(ptr, ptr + len), hlen);
    const f = alloc_skb(
      site,
      len + hlen + dst.dev.hardHeaderLen + 15,
      hh,
      frag,
      site.text`Fragment at offset ${offset} (frag_off ${offset >> 3}${more ? ", MF" : ""}, DF clear): a new skb of ${hlen + len} bytes.`,
      ipv4Parts(frag, hlen + len),
    );
    f.copiedFrom = skb.id;
    f.klipsDepth = skb.klipsDepth;
    f.secPath = skb.secPath.slice();
    if (skb.dev) {
      skb_set_dev(
        site,
        f,
        skb.dev,
        // 2.2.1's ip_fragment never assigns skb2->dev; mainline's ip_copy_metadata copies it.
        "skb2->dev as the original's (mainline ip_copy_metadata; 2.2.1's ip_fragment leaves it unset, so this step is hypothetical for 2.2)",
      );
    }
    skb_set_dst(site, f, dst, "skb2->dst = dst_clone(skb->dst)");
    left -= len;
    ptr += len;
    offset += len;
    output(f);
  }
  kfree_skb(site, skb, "fragmented", "ip_fragment frees the original skb.");
}

/** dev_queue_xmit(skb): skb->dev's hard_start_xmit. */
export function dev_queue_xmit(host: LinuxHost, skb: Skb): void {
  const dev = skb.dev;
  const site = host.site("if", "dev_queue_xmit");
  if (!dev) {
    drop(site, skb, "not-modelled", "skb->dev is NULL", "dev_queue_xmit with no device.");
    return;
  }
  if (dev.klips) {
    ipsec_tunnel_start_xmit(host, skb);
    return;
  }
  if (dev.loopback) {
    loopback_xmit(host, skb);
    return;
  }
  physical_xmit(host, dev, skb);
}

/** loopback_xmit (drivers/net/loopback.c): the same skb goes back up through netif_rx; nothing is reset (§4). */
function loopback_xmit(host: LinuxHost, skb: Skb): void {
  const site = host.site("link", "loopback_xmit");
  site.emit(
    skb,
    { kind: "link.tx", ifname: "lo", link: `${host.name}:lo`, bytes: skb.len },
    site.text`loopback_xmit: the skb goes straight back up to netif_rx on lo — the same skb, its sec_path untouched.`,
  );
  m_set_rcvif(skb, "lo");
  host.world.after(NET_RX_LATENCY, () => ip_rcv(host, skb));
}

/** An Ethernet driver's hard_start_xmit and the wire: a frame longer than the device MTU is not sent. */
function physical_xmit(host: LinuxHost, dev: NetDevice, skb: Skb): void {
  const site = host.site("link", "dev_queue_xmit");
  if (skb.len > dev.mtu) {
    drop(
      site,
      skb,
      "oversize-frame",
      `a ${skb.len}-byte frame on ${dev.name}, whose MTU is ${dev.mtu}`,
      site.text`${dev.name}'s driver is handed a ${skb.len}-byte IP packet, larger than its ${dev.mtu}-byte MTU: it cannot go on the wire.`,
    );
    return;
  }
  const link = dev.link;
  if (!link) {
    drop(site, skb, "ip-no-route", `${dev.name} is not attached to a link`, site.text`${dev.name} has no carrier.`);
    return;
  }
  const peer = link.ends[0].dev === dev && link.ends[0].host === host ? link.ends[1] : link.ends[0];
  const bytes = skb.bytes().slice();
  link.carried++;
  const isIpsec = bytes[9] === IP_PROTO.ESP || bytes[9] === IP_PROTO.AH;
  if (isIpsec) link.carriedIpsec++;
  const faults: { kind: "replay" | "flip-bit"; detail: string }[] = [];
  for (const f of link.faults) {
    if (f.kind === "flip-bit" && f.nth === link.carried && f.byte < bytes.length) {
      bytes[f.byte] = bytes[f.byte]! ^ (1 << f.bit);
      faults.push({
        kind: "flip-bit",
        detail: `bit ${f.bit} of byte ${f.byte} flipped in transit on ${link.name} (fault flip-bit, packet ${f.nth})`,
      });
    }
  }
  site.emit(
    skb,
    { kind: "link.tx", ifname: dev.name, link: link.name, bytes: bytes.length },
    site.text`${host.name} transmits ${bytes.length} bytes on ${dev.name} over ${link.name}.`,
  );
  kfree_skb(site, skb, "transmitted", "The driver frees the skb after transmission.");
  deliver(host, peer.host, peer.dev, link.name, bytes, link.delay, faults[0]);
  for (const f of link.faults) {
    if (f.kind === "replay" && isIpsec && f.nth === link.carriedIpsec) {
      deliver(host, peer.host, peer.dev, link.name, bytes.slice(), link.delay + f.delayMicros, {
        kind: "replay",
        detail: `a copy of ESP/AH packet ${f.nth} on ${link.name}, replayed ${f.delayMicros}µs later (fault replay)`,
      });
    }
  }
}

function deliver(_from: LinuxHost, host: LinuxHost, dev: NetDevice, link: string, bytes: Uint8Array, delay: number, fault?: InjectedFault): void {
  host.world.after(delay, () => {
    const site = host.site("link", "netif_rx");
    const hh = hhLen(dev);
    const skb = alloc_skb(
      site,
      bytes.length + hh + 16,
      hh,
      bytes,
      site.text`The frame arrives at ${host.name}:${dev.name}; the driver copies it into a fresh skb.`,
    );
    skb.dev = dev;
    m_set_rcvif(skb, dev.name);
    if (fault) emitFault(host, skb, link, fault);
    site.emit(
      skb,
      fault
        ? { kind: "link.rx", ifname: dev.name, link, bytes: bytes.length, fault }
        : { kind: "link.rx", ifname: dev.name, link, bytes: bytes.length },
      fault
        ? site.text`netif_rx on ${dev.name} (skb->dev = ${dev.name}). Injected fault: ${fault.detail}.`
        : site.text`netif_rx on ${dev.name}: skb->dev = ${dev.name}, no dst yet.`,
    );
    host.world.after(NET_RX_LATENCY, () => ip_rcv(host, skb));
  });
}

/** netif_rx(skb) on a virtual device (KLIPS's ipsec0 after decryption): back into ip_rcv. */
export function netif_rx(host: LinuxHost, skb: Skb, site: Site): void {
  m_set_rcvif(skb, skb.dev?.name ?? null);
  site.emit(
    skb,
    { kind: "queue.enqueue", queue: "backlog", depth: 1 },
    site.text`netif_rx: the packet re-enters IP from ${skb.dev?.name ?? "?"}, to be routed afresh.`,
  );
  host.world.after(NET_RX_LATENCY, () => ip_rcv(host, skb));
}

/**
 * icmp_send(skb_in, type, code, info) (net/ipv4/icmp.c): an ICMP error to the packet's source,
 * quoting its IP header and as much of the rest as fits 576 bytes (RFC 1812 §4.3.2.3), with the
 * next-hop MTU in the second word for FRAG_NEEDED (RFC 1191). Never about an ICMP error.
 */
export function icmp_send(host: LinuxHost, skbIn: Skb, type: number, code: number, info: number): void {
  const site = host.site("icmp", "icmp_send");
  const data = skbIn.bytes();
  const parsed = parseIpv4(data);
  if (!parsed.ok) return;
  const orig = parsed.value;
  const quote = data.slice(0, Math.min(data.length, 576 - 28));
  const dev = skbIn.dev && !skbIn.dev.loopback ? skbIn.dev : undefined;
  site.emit(
    skbIn,
    {
      kind: "decision",
      check: "icmp-type",
      question: "Which ICMP error goes back to the sender?",
      consulted: [{ kind: "field", header: "icmp", field: "nextHopMtu", value: String(info) }],
      branch: `type ${type} code ${code}`,
    },
    site.text`icmp_send: destination unreachable, fragmentation needed (3/4) with next-hop MTU ${info}, to ${orig.src}.`,
  );
  ip_send_datagram(host, {
    proto: IP_PROTO.ICMP,
    dst: orig.src,
    src: dev && !host.isLocal(ip(orig.src)) ? dev.addr : undefined,
    payloadLen: 8 + quote.length,
    payload: () => {
      const out = new Uint8Array(8 + quote.length);
      emitIcmp({ kind: "error", type: 3, code, checksum: 0, nextHopMtu: info, original: quote }, out);
      return out;
    },
    df: false,
    what: "icmp_send",
    copiedFrom: skbIn,
  });
}
