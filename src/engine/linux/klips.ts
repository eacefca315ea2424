/**
 * FreeS/WAN KLIPS on Linux 2.2 (seed 002). Source: xelerance/Openswan @6a3b72d55 ("openswan
 * 2.0.0", linux/net/ipsec/ipsec_tunnel.c, ipsec_xmit.c, ipsec_rcv.c with RCS logs from 1998);
 * the Aug-1999 code is lost (kernel-notes §12), so the 1999 output switch follows the mail.
 *
 * - ipsec_tunnel_start_xmit: ipsec0's hard_start_xmit — sanity (physmtu = prv->dev->mtu), strip
 *   the hard header, eroute lookup, ipsec_xmit_encap_bundle, restore the hard header, output;
 * - ipsec_xmit_encap_bundle: room (headroom 16 for ESP with 3DES, tailroom ICV 12 + pad + 2),
 *   the private MTU ratchet `prv->mtu = physmtu - (headroom + ((tailroom+2)&~7) + 5)`, the
 *   DF/ICMP logic under sysctl_ipsec_icmp (sent anyway: IPSEC_obey_DF is not defined);
 * - ipsec_tunnel_send (2.2/2.4): `skb->dev = physdev`, ip_route_output(…, physdev->iflink),
 *   "suspect recursion" if the route comes back via ipsec0, `skb->dst = &route->u.dst`, ip_send;
 * - ipsec_rcv: skb->dev = ipsecN, decrypt, `dst_release(skb->dst); skb->dst = NULL`, netif_rx.
 */
import { drop } from "../mbuf/drop";
import { ip, prefixContains } from "../sim/addr";
import { IP_PROTO } from "../wire/fields";
import { parseIpv4 } from "../wire/ipv4";
import { espHeadroom, espTailroom, espTransportInput, espTransportOutput } from "./esp";
import { hhLen, icmp_send, ip_fragment, ip_output, ip_route_output, ip_send, neigh_compat_output, netif_rx } from "./ip_output";
import { kfree_skb, skb_copy_expand, skb_set_dev, skb_set_dst, type Skb } from "./skb";
import { KernelOops, type LinuxHost, type NetDevice } from "./world";

/** The mail's sentences, quoted where the model shows what they describe (seed 002, RGB 1999-08-06). */
export const RGB_1999 = {
  dstOutput: 'RGB 1999: "The output function passed to ip_fragment() was skb->dst->output()."',
  oops: 'RGB 1999: "When large packets hit a 2.2.x kernel with ipsec and were passed to ip_fragment(), the machine oopsed, sometimes hard."',
  neigh: 'RGB 1999: "Once it was changed to neigh_compat_output() … the problem went away *for me* and got worse for others."',
  dstDev:
    'RGB 1999: "even if I change the ownership of the skb, skb->dev, the skb still has a dst cache entry pointer, skb->dst, which still assumes the old device, skb->dst->dev."',
  alexey: 'RGB 1999: Alexey Kuznetsov "suggested I was passing an invalid packet to the output function skb->dst->output".',
  reroute: 'RGB 1999: "We can\'t do another routing table lookup since that is unreliable and prone to route stealing" — the lookup is what shipped.',
  alanCox:
    'RGB 1999: "Alan Cox suggested setting the MTU to the maximum allowed:0xfff0, then fragmenting after encryption to the MTU of the physical device."',
  pmtu: 'RGB 1999: it "would take its MTU information from skb->dev->mtu, rather than where it does now, from skb->dst->pmtu."',
} as const;

/** ipsec_tunnel_start_xmit(skb, dev): ipsec0's hard_start_xmit. Consumes `skb`. */
export function ipsec_tunnel_start_xmit(host: LinuxHost, skb: Skb): void {
  const site = host.site("ipsec", "ipsec_tunnel_start_xmit");
  const dev = skb.dev!;
  const prv = dev.klips!;
  const physdev = prv.physdev;
  const data = skb.bytes();
  const h = parseIpv4(data);
  if (!h.ok) {
    drop(site, skb, "ip-bad-hlen", h.error.message, "KLIPS cannot read the IP header.");
    return;
  }
  const iph = h.value;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "skb-dev-dst",
      question: "Which devices does the skb name as it enters ipsec0?",
      consulted: [
        { kind: "field", header: "skb", field: "dev", value: dev.name },
        { kind: "field", header: "skb", field: "dst->dev", value: skb.dst?.dev.name ?? "(none)" },
        { kind: "field", header: dev.name, field: "mtu", value: String(dev.mtu) },
        { kind: "field", header: physdev.name, field: "mtu (physmtu)", value: String(physdev.mtu) },
      ],
      branch: "ipsec_tunnel_start_xmit",
    },
    site.text`ipsec_tunnel_start_xmit: a ${iph.totalLength}-byte packet ${iph.src} → ${iph.dst} enters ${dev.name} (dev->mtu ${dev.mtu}); physmtu = ${physdev.name}'s ${physdev.mtu}. The hard header IP built for ${dev.name} is stripped (ipsec_tunnel_strip_hard_header).`,
  );
  if (skb.klipsDepth > 0) {
    // The packet already came out of ipsec0 encrypted: it is one of ip_fragment's pieces sent back
    // here by skb->dst->output. The real kernel went on (double encapsulation, a hard header built
    // for the wrong device, deeper and deeper) until it oopsed; the model stops at this re-entry.
    site.emit(
      skb,
      {
        kind: "decision",
        check: "klips-recursion",
        question: "Has this packet already been through ipsec0?",
        consulted: [
          { kind: "field", header: "skb", field: "dev", value: dev.name },
          { kind: "field", header: "skb", field: "dst->dev", value: skb.dst?.dev.name ?? "(none)" },
          { kind: "field", header: "ipv4", field: "protocol", value: String(iph.protocol) },
          { kind: "field", header: "ipv4", field: "fragOffset", value: String(iph.fragOffset) },
        ],
        branch: "re-entry: oops",
      },
      site.text`An encrypted fragment (protocol ${iph.protocol}, offset ${iph.fragOffset * 8}) re-enters ${dev.name}: ip_finish_output reset skb->dev to skb->dst->dev = ${skb.dst?.dev.name ?? "?"}. ${RGB_1999.alexey}`,
    );
    site.emit(
      skb,
      {
        kind: "drop",
        reason: "kernel-oops",
        detail: `an encrypted fragment re-entered ${dev.name} through skb->dst->output (skb->dev reset from skb->dst->dev)`,
      },
      site.text`Kernel oops (modelled): KLIPS would encrypt its own fragment again, and again. ${RGB_1999.oops} Where exactly the real kernel faulted is not known; the model stops the run here.`,
    );
    throw new KernelOops(host.name);
  }
  const eroute = host.eroutes.find((e) => prefixContains(e.src, ip(iph.src)) && prefixContains(e.dst, ip(iph.dst)));
  site.emit(
    skb,
    {
      kind: "decision",
      check: "klips-eroute",
      question: "Which SA does the eroute name for this packet?",
      consulted: [{ kind: "route", dst: iph.dst, summary: eroute ? eroute.summary : "no eroute" }],
      branch: eroute?.sa ? eroute.sa.id : "no SA",
    },
    eroute?.sa
      ? site.text`ipsec_tunnel_SAlookup: eroute ${eroute.summary}.`
      : site.text`ipsec_tunnel_SAlookup: no eroute with an SA for ${iph.src} → ${iph.dst}: the packet is dropped.`,
  );
  const sa = eroute?.sa;
  if (!sa) {
    drop(site, skb, "ipsec-no-sa", `no eroute SA for ${iph.src} → ${iph.dst}`, "KLIPS drops the packet.");
    return;
  }
  if (sa.mode !== "transport") {
    drop(site, skb, "not-modelled", "KLIPS tunnel mode is not modelled", "Only KLIPS transport mode is modelled.");
    return;
  }
  const out = ipsec_xmit_encap_bundle(host, skb, dev, iph.totalLength, iph.df, iph.protocol, iph.fragOffset, sa);
  if (!out) return;
  out.klipsDepth++;
  switch (host.linux.klipsOutput) {
    case "reroute":
      ipsec_tunnel_send(host, out, dev);
      return;
    case "dst-output":
    case "neigh-compat-output":
      ipsec_ip_send_1999(host, out, physdev);
      return;
  }
}

/**
 * ipsec_xmit_encap_bundle (ipsec_xmit.c @6a3b72d55): room, the prv->mtu ratchet, DF/ICMP, then
 * ESP. Returns the skb to send (a copy when the original lacked room), or undefined when dropped.
 */
function ipsec_xmit_encap_bundle(
  host: LinuxHost,
  skb: Skb,
  dev: NetDevice,
  totLen: number,
  df: boolean,
  proto: number,
  fragOffset: number,
  sa: NonNullable<LinuxHost["sad"][number]>,
): Skb | undefined {
  const site = host.site("ipsec", "ipsec_xmit_encap_bundle");
  const prv = dev.klips!;
  const physmtu = prv.physdev.mtu;
  const pyldsz = totLen - 20;
  const headroom = espHeadroom(sa);
  const tailroom = espTailroom(sa, pyldsz);
  const mtudiff = prv.prvMtu + headroom + tailroom - physmtu;
  const before = prv.prvMtu;
  if (mtudiff > 0) prv.prvMtu = physmtu - (headroom + ((tailroom + 2) & ~7) + 5);
  const notify = host.linux.ipsecIcmp && prv.prvMtu < totLen && df;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "klips-mtu",
      question: "Does the packet still fit the physical MTU once ESP is added, and must the sender be told?",
      consulted: [
        { kind: "field", header: "ipsec0", field: "prv->mtu", value: String(before) },
        { kind: "field", header: "ipsec_xmit", field: "tot_headroom", value: String(headroom) },
        { kind: "field", header: "ipsec_xmit", field: "tot_tailroom", value: String(tailroom) },
        { kind: "field", header: "ipv4", field: "df", value: df ? "1" : "0" },
        { kind: "switch", name: "sysctl_ipsec_icmp", value: host.linux.ipsecIcmp ? "1" : "0" },
      ],
      branch: notify
        ? proto !== IP_PROTO.ICMP && fragOffset === 0
          ? `ICMP need-frag ${prv.prvMtu}, send anyway`
          : "no ICMP (ICMP or non-first fragment), send anyway"
        : "send",
    },
    site.text`ESP adds ${headroom} bytes in front and ${tailroom} behind: ${totLen} becomes ${totLen + headroom + tailroom} bytes against physmtu ${physmtu}. mtudiff = prv->mtu ${before} + ${headroom} + ${tailroom} − ${physmtu} = ${mtudiff}${mtudiff > 0 ? site.text`, so prv->mtu = ${physmtu} − (${headroom} + ((${tailroom} + 2) & ~7) + 5) = ${prv.prvMtu} (private: the skb->dst->pmtu and dev->mtu updates are #if 0)` : ""}.${host.linux.ipsecIcmp ? "" : " sysctl_ipsec_icmp = 0: no ICMP is sent, whatever DF says."}`,
  );
  if (prv.prvMtu !== before) {
    site.emit(
      skb,
      { kind: "field.set", header: "ipsec0", field: "prv->mtu", from: String(before), to: String(prv.prvMtu) },
      site.text`KLIPS's private MTU ratchets down to ${prv.prvMtu}.`,
    );
  }
  if (notify && proto !== IP_PROTO.ICMP && fragOffset === 0) {
    // ICMP_SEND(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, prv->mtu, physdev): the inner MTU, and the packet still goes.
    icmp_send(host, skb, 3, 4, prv.prvMtu);
  }
  let out = skb;
  const needHead = dev.hardHeaderLen + headroom;
  if (skb.headroom < needHead || skb.tailroom < tailroom) {
    out = skb_copy_expand(
      site,
      skb,
      hhLen(prv.physdev) + headroom,
      tailroom,
      site.text`skb_copy_expand: ${skb.headroom} bytes of headroom and ${skb.tailroom} of tailroom are too little for hard header ${dev.hardHeaderLen} + ESP ${headroom} and ${tailroom} of trailer.`,
    );
    kfree_skb(site, skb, "copied", "dev_kfree_skb(oskb): the original is freed.");
  }
  espTransportOutput(host, site, out, sa);
  return out;
}

/**
 * ipsec_tunnel_send (2.2/2.4, @6a3b72d55): hand the packet to the physical device by re-routing
 * it — "new route/dst cache code from James Morris" — and let ip_send fragment it after encryption.
 */
function ipsec_tunnel_send(host: LinuxHost, skb: Skb, dev: NetDevice): void {
  const site = host.site("ipsec", "ipsec_tunnel_send");
  const physdev = dev.klips!.physdev;
  skb_set_dev(site, skb, physdev, "ipsec_tunnel_send");
  const data = skb.bytes();
  const daddr = ((data[16]! << 24) | (data[17]! << 16) | (data[18]! << 8) | data[19]!) >>> 0;
  const route = ip_route_output(host, daddr, physdev);
  const recursion = !route || route.dev === dev;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "klips-recursion",
      question: "ip_route_output(…, physdev->iflink): does the new route avoid ipsec0?",
      consulted: [{ kind: "route", dst: route?.daddrText ?? "?", summary: route ? `dev ${route.dev.name}, pmtu ${route.pmtu}` : "no route" }],
      branch: recursion ? "suspect recursion" : `via ${route.dev.name}`,
    },
    recursion
      ? site.text`The re-route comes back via ${dev.name}: "suspect recursion", IPSEC_XMIT_RECURSDETECT.`
      : site.text`ip_route_output with oif ${physdev.name}: a route via ${route.dev.name}, pmtu ${route.pmtu}. dst_release(skb->dst); skb->dst = &route->u.dst. ${RGB_1999.reroute}`,
  );
  if (recursion) {
    drop(site, skb, "klips-recursion", "the re-route points back at ipsec0", "KLIPS drops the packet.");
    return;
  }
  skb_set_dst(site, skb, route, "ipsec_tunnel_send");
  ip_send(host, skb);
}

/**
 * The 2.0 IP_SEND as Marc Boucher's 2.2 port kept it (Aug 1999, as the mail tells it):
 * `skb->dev = physdev` (the assignment rev 1.60 later removed), then
 * `tot_len > physmtu ? ip_fragment(skb, <output>) : DEV_QUEUE_XMIT` where DEV_QUEUE_XMIT is
 * `neigh_compat_output` and <output> is skb->dst->output (the bug) or neigh_compat_output (the
 * mail's change). skb->dst is still the route via ipsec0.
 */
function ipsec_ip_send_1999(host: LinuxHost, skb: Skb, physdev: NetDevice): void {
  const site = host.site("ipsec", "ipsec_tunnel_start_xmit");
  skb_set_dev(site, skb, physdev, "KLIPS 1999 hands the packet to the physical device");
  site.emit(
    skb,
    { kind: "field.set", header: "skb", field: "dst->dev", from: skb.dst?.dev.name ?? "(none)", to: skb.dst?.dev.name ?? "(none)" },
    site.text`skb->dst is left as it was: the route via ${skb.dst?.dev.name ?? "?"}, pmtu ${skb.dst?.pmtu ?? 0}. ${RGB_1999.dstDev}`,
  );
  const big = skb.len > physdev.mtu;
  const viaDst = host.linux.klipsOutput === "dst-output";
  site.emit(
    skb,
    {
      kind: "decision",
      check: "skb-dev-dst",
      question: site.text`The ${skb.len}-byte ESP packet against physmtu ${physdev.mtu}: how does it go out?`,
      consulted: [
        { kind: "field", header: "skb", field: "dev", value: skb.dev?.name ?? "(none)" },
        { kind: "field", header: "skb", field: "dst->dev", value: skb.dst?.dev.name ?? "(none)" },
        { kind: "field", header: "dst", field: "pmtu", value: String(skb.dst?.pmtu ?? 0) },
        { kind: "switch", name: "output function", value: viaDst ? "skb->dst->output" : "neigh_compat_output" },
      ],
      branch: big ? (viaDst ? "ip_fragment(skb, skb->dst->output)" : "ip_fragment(skb, neigh_compat_output)") : "neigh_compat_output",
    },
    big
      ? viaDst
        ? site.text`${skb.len} > physmtu ${physdev.mtu}: ip_fragment(skb, skb->dst->output). ${RGB_1999.dstOutput}`
        : site.text`${skb.len} > physmtu ${physdev.mtu}: ip_fragment(skb, neigh_compat_output). ${RGB_1999.neigh}`
      : site.text`${skb.len} ≤ physmtu ${physdev.mtu}: DEV_QUEUE_XMIT, i.e. neigh_compat_output on skb->dev.`,
  );
  if (!big) neigh_compat_output(host, skb);
  else if (viaDst) ip_fragment(host, skb, (f) => ip_output(host, f));
  else ip_fragment(host, skb, (f) => neigh_compat_output(host, f));
}

/**
 * ipsec_rcv (ipsec_rcv.c @6a3b72d55), protocol 50 handler: the physical rx device's ipsecN takes
 * ownership, the SA by SPI decrypts, the route is dropped, and the inner packet re-enters IP from ipsec0.
 */
export function ipsec_rcv(host: LinuxHost, skb: Skb): void {
  const site = host.site("ipsec", "ipsec_rcv");
  const ipsecdev = host.devs.find((d) => d.klips && d.klips.physdev === skb.dev);
  if (!ipsecdev) {
    drop(
      site,
      skb,
      "not-modelled",
      `no ipsecN attached to ${skb.dev?.name ?? "?"}`,
      "ipsec_rcv finds no virtual device for the receiving interface.",
    );
    return;
  }
  skb_set_dev(site, skb, ipsecdev, "ipsec_rcv: assigning packet ownership to virtual device");
  const data = skb.bytes();
  const hlen = (data[0]! & 0x0f) * 4;
  const spi = ((data[hlen]! << 24) | (data[hlen + 1]! << 16) | (data[hlen + 2]! << 8) | data[hlen + 3]!) >>> 0;
  const dst = `${data[16]}.${data[17]}.${data[18]}.${data[19]}`;
  const sa = host.sad.find((s) => s.proto === "esp" && s.spi === spi && s.dst === dst);
  site.emit(
    skb,
    {
      kind: "decision",
      check: "ipsec-in-sa",
      question: "Which SA has this SPI?",
      consulted: [{ kind: "field", header: "esp", field: "spi", value: `0x${spi.toString(16).padStart(8, "0")}` }],
      branch: sa ? sa.id : "none",
    },
    sa
      ? site.text`ipsec_rcv: SPI 0x${spi.toString(16).padStart(8, "0")} is ${sa.id}.`
      : site.text`ipsec_rcv: no SA for SPI 0x${spi.toString(16).padStart(8, "0")}.`,
  );
  if (!sa) {
    drop(site, skb, "ipsec-no-sa", `SPI 0x${spi.toString(16)}`, "ipsec_rcv drops it.");
    return;
  }
  const fail = espTransportInput(site, skb, sa);
  if (fail) {
    drop(site, skb, fail.reason, fail.detail, "ipsec_rcv drops the packet.");
    return;
  }
  skb_set_dst(site, skb, null, "ipsec_rcv: dst_release(skb->dst); skb->dst = NULL");
  netif_rx(host, skb, site);
}
