/**
 * Modern Linux XFRM, the parts seed 002 and the seed story need (torvalds/linux; revisions as
 * kernel-notes §4, §8.3, §11 read them):
 *
 * - xfrm_state_mtu(x, mtu) (net/xfrm/xfrm_state.c): for ESP,
 *   `((mtu - header_len - authsize - net_adj) & ~(blksize - 1)) + net_adj - 2`, blksize =
 *   ALIGN(blocksize, 4), net_adj = 20 in transport mode, 0 in tunnel mode;
 * - xfrm_lookup (net/xfrm/xfrm_policy.c @0045e3d8): DST_NOXFRM (the output device's
 *   disable_xfrm) → "nopol", untransformed; else the policy and a bundle whose dst_mtu is set by
 *   xfrm_init_pmtu = min(xfrm_state_mtu(x, route mtu), route mtu), re-checked by xfrm_bundle_ok;
 * - xfrm_output → esp_output (net/ipv4/esp4.c) in transport mode, skb_dst_pop, then the plain route;
 * - xfrm4_rcv → esp_input → xfrm_input: sec_path += x, then the inner packet is delivered;
 * - __xfrm_policy_check: the rx device's disable_policy accepts without a check
 *   (__xfrm_check_dev_nopolicy); else every template of the inbound policy must be matched by the sec_path;
 * - esp4_err: FRAG_NEEDED about an ESP packet → the state by (daddr, spi) →
 *   ipv4_update_pmtu: the route to the peer learns the MTU, and the bundle follows at its next check.
 */
import { drop } from "../mbuf/drop";
import { encAlg, authAlg } from "../crypto/registry";
import { spdLookup } from "../netipsec/key";
import type { SecAssoc } from "../netipsec/types";
import { ip } from "../sim/addr";
import { parseIpv4 } from "../wire/ipv4";
import { espHeadroom, espTailroom, espTransportInput, espTransportOutput } from "./esp";
import { ip_local_deliver } from "./ip_input";
import { ip_output, ip_route_output } from "./ip_output";
import { kfree_skb, pskb_expand_head, skb_set_dst, type Skb } from "./skb";
import type { DstEntry, LinuxHost } from "./world";
import { xfrm_input_tunnel, xfrm_lookup_tunnel, xfrm_output_tunnel } from "./xfrm_tunnel";

/** x->props.header_len for ESP (esp_init_state): ESP header + IV, plus the outer IP header in tunnel mode. */
function headerLen(sa: SecAssoc): number {
  return 8 + encAlg(sa.enc).ivBytes + (sa.mode === "tunnel" ? 20 : 0);
}

/** xfrm_state_mtu(x, mtu), net/xfrm/xfrm_state.c (ESP; other SAs: mtu - header_len). */
export function xfrm_state_mtu(sa: SecAssoc, mtu: number): number {
  if (sa.proto !== "esp") return mtu - 24;
  const e = encAlg(sa.enc);
  const blksize = (Math.max(e.blockBytes, 1) + 3) & ~3;
  const authsize = e.aead ? e.icvBytes : authAlg(sa.auth).icvBytes;
  const netAdj = sa.mode === "transport" ? 20 : 0;
  return ((mtu - headerLen(sa) - authsize - netAdj) & ~(blksize - 1)) + netAdj - 2;
}

/** The formula with this SA's numbers, for narration. */
function mtuFormula(sa: SecAssoc, mtu: number): string {
  const e = encAlg(sa.enc);
  const blksize = (Math.max(e.blockBytes, 1) + 3) & ~3;
  const authsize = e.aead ? e.icvBytes : authAlg(sa.auth).icvBytes;
  const netAdj = sa.mode === "transport" ? 20 : 0;
  return `((${mtu} − ${headerLen(sa)} − ${authsize} − ${netAdj}) & ~${blksize - 1}) + ${netAdj} − 2 = ${xfrm_state_mtu(sa, mtu)}`;
}

const bundles = new WeakMap<LinuxHost, Map<string, DstEntry>>();

/** xfrm_lookup(net, dst_orig, fl, sk, flags): the dst a local packet leaves by. */
export function xfrm_lookup(host: LinuxHost, dst: DstEntry, flow: { src: string; dst: string; proto: number }): DstEntry | undefined {
  const site = host.site("ipsec", "xfrm_lookup");
  const sp = spdLookup(host, "out", flow);
  if (dst.noxfrm) {
    site.emit(
      null,
      {
        kind: "decision",
        check: "xfrm-lookup",
        question: "Must this packet be transformed?",
        consulted: [
          { kind: "switch", name: `net.ipv4.conf.${dst.dev.name}.disable_xfrm`, value: "1" },
          ...(sp ? [{ kind: "sp" as const, id: sp.id, summary: sp.summary }] : []),
        ],
        branch: "bypass: DST_NOXFRM",
      },
      site.text`xfrm_lookup: the route to ${flow.dst} goes out of ${dst.dev.name}, whose disable_xfrm = 1 marks it DST_NOXFRM — "goto nopol": no policy is looked at and no SA is consulted${sp ? site.text`, although ${sp.summary} asks for IPsec` : ""}.`,
    );
    return dst;
  }
  if (!sp || sp.action !== "ipsec") {
    site.emit(
      null,
      {
        kind: "decision",
        check: "xfrm-lookup",
        question: "Must this packet be transformed?",
        consulted: sp ? [{ kind: "sp", id: sp.id, summary: sp.summary }] : [],
        branch: sp?.action === "discard" ? "discard" : "no policy",
      },
      sp?.action === "discard"
        ? site.text`xfrm_lookup: ${sp.summary} discards the packet.`
        : site.text`xfrm_lookup: no IPsec policy for ${flow.src} → ${flow.dst}: the plain route.`,
    );
    if (sp?.action === "discard") {
      site.emit(null, { kind: "drop", reason: "ipsec-policy-discard", detail: sp.summary }, "The packet is not sent (-EPERM).");
      return undefined;
    }
    return dst;
  }
  const req = sp.requests[0];
  // Seed 004: a tunnel template (pluto's connections) resolves by its endpoints, with km_query when no state (xfrm_tunnel.ts).
  if (req?.mode === "tunnel") return xfrm_lookup_tunnel(host, dst, flow, sp, req);
  const sa = host.sad.find((s) => s.src === flow.src && s.dst === flow.dst && s.proto === "esp");
  if (!sa || !req || req.proto !== "esp" || sa.mode !== "transport") {
    site.emit(
      null,
      {
        kind: "decision",
        check: "xfrm-lookup",
        question: "Must this packet be transformed?",
        consulted: [{ kind: "sp", id: sp.id, summary: sp.summary }],
        branch: sa ? "not modelled" : "no SA",
      },
      sa
        ? site.text`xfrm_lookup: ${sp.summary} needs a transform this model does not build (only ESP transport).`
        : site.text`xfrm_lookup: ${sp.summary} needs an SA from ${flow.src} to ${flow.dst} and there is none: -EAGAIN (km_query would ask the keying daemon).`,
    );
    site.emit(
      null,
      { kind: "drop", reason: sa ? "not-modelled" : "ipsec-no-sa", detail: sa ? "AH/tunnel on XFRM" : `no SA ${flow.src} → ${flow.dst}` },
      "The packet is not sent.",
    );
    return undefined;
  }
  let byKey = bundles.get(host);
  if (!byKey) bundles.set(host, (byKey = new Map()));
  const key = `${sp.id}|${sa.id}|${dst.id}`;
  let b = byKey.get(key);
  const fresh = !b;
  if (!b) {
    const pmtu = Math.min(xfrm_state_mtu(sa, dst.pmtu), dst.pmtu);
    b = { ...dst, id: host.world.nextDstId(), pmtu, xfrm: { sa, policy: sp, route: dst, routeMtuCached: dst.pmtu } };
    byKey.set(key, b);
  }
  site.emit(
    null,
    {
      kind: "decision",
      check: "xfrm-lookup",
      question: "Must this packet be transformed?",
      consulted: [
        { kind: "sp", id: sp.id, summary: sp.summary },
        { kind: "sa", id: sa.id, summary: `${sa.enc}/${sa.auth} ${sa.mode}` },
      ],
      branch: "IPsec bundle",
    },
    fresh
      ? site.text`xfrm_lookup: ${sp.summary} → bundle with ${sa.id}; xfrm_init_pmtu sets its MTU to xfrm_state_mtu(route mtu ${dst.pmtu}) = ${mtuFormula(sa, dst.pmtu)}.`
      : site.text`xfrm_lookup: ${sp.summary} → the cached bundle with ${sa.id}.`,
  );
  return b;
}

/** xfrm_bundle_ok(xdst): re-derive the bundle MTU when the route's MTU changed (PMTU per SA). */
export function xfrm_bundle_ok(host: LinuxHost, b: DstEntry): void {
  const x = b.xfrm!;
  const route = ip_route_output(host, x.route.daddr) ?? x.route;
  const site = host.site("ipsec", "xfrm_bundle_ok");
  const changed = route.pmtu !== x.routeMtuCached;
  const before = b.pmtu;
  const cached = x.routeMtuCached;
  if (changed) {
    x.routeMtuCached = route.pmtu;
    b.pmtu = Math.min(xfrm_state_mtu(x.sa, route.pmtu), route.pmtu);
  }
  site.emit(
    null,
    {
      kind: "decision",
      check: "xfrm-bundle-mtu",
      question: "Is the bundle still good, and what is its MTU?",
      consulted: [
        { kind: "field", header: "route", field: "mtu", value: String(route.pmtu) },
        { kind: "field", header: "xdst", field: "route_mtu_cached", value: String(cached) },
        { kind: "sa", id: x.sa.id, summary: `${x.sa.enc}/${x.sa.auth} ${x.sa.mode}` },
      ],
      branch: changed ? `MTU ${before} → ${b.pmtu}` : `MTU ${b.pmtu}`,
    },
    changed
      ? site.text`xfrm_bundle_ok: the route to ${route.daddrText} now has MTU ${route.pmtu} (route_mtu_cached was ${cached}); the bundle's MTU becomes xfrm_state_mtu = ${mtuFormula(x.sa, route.pmtu)} — the path MTU per SA Alexey asked for in 1999 ("a per-eroute pmtu").`
      : site.text`xfrm_bundle_ok: route MTU ${route.pmtu} unchanged; bundle MTU ${b.pmtu} = ${mtuFormula(x.sa, route.pmtu)}.`,
  );
}

/** xfrm_output(skb) → esp_output (transport), then skb_dst_pop and the plain route's output. */
export function xfrm_output(host: LinuxHost, skb: Skb): void {
  const site = host.site("ipsec", "xfrm_output");
  const x = skb.dst!.xfrm!;
  if (x.sa.mode === "tunnel") {
    xfrm_output_tunnel(host, skb);
    return;
  }
  // xfrm_output first resets any sec_path (secpath_reset, kernel-notes §4).
  skb.secPath = [];
  const esp = host.site("ipsec", "esp_output");
  const head = espHeadroom(x.sa);
  const tail = espTailroom(x.sa, skb.len - 20);
  if (skb.headroom < head || skb.tailroom < tail) {
    pskb_expand_head(
      esp,
      skb,
      Math.max(0, head - skb.headroom),
      Math.max(0, tail - skb.tailroom),
      esp.text`skb_cow_data → pskb_expand_head: the skb gets ${head} bytes of headroom and ${tail} of tailroom for ESP (the same skb, a bigger buffer).`,
    );
  }
  espTransportOutput(host, esp, skb, x.sa);
  skb_set_dst(site, skb, x.route, "skb_dst_pop: the bundle's child, the plain route");
  ip_output(host, skb);
}

/** xfrm4_rcv → esp_input → xfrm_input (transport): decrypt, sec_path += x, deliver the inner packet. */
export function xfrm4_rcv(host: LinuxHost, skb: Skb): void {
  const site = host.site("ipsec", "xfrm_input");
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
      question: "xfrm_state_lookup(daddr, spi, ESP): which state?",
      consulted: [{ kind: "field", header: "esp", field: "spi", value: `0x${spi.toString(16).padStart(8, "0")}` }],
      branch: sa ? sa.id : "none",
    },
    sa ? site.text`xfrm_input: state ${sa.id}.` : site.text`xfrm_input: no state for SPI 0x${spi.toString(16).padStart(8, "0")}.`,
  );
  if (sa?.mode === "tunnel") {
    xfrm_input_tunnel(host, skb, sa);
    return;
  }
  if (!sa || sa.mode !== "transport") {
    drop(site, skb, sa ? "not-modelled" : "ipsec-no-sa", sa ? "tunnel mode on XFRM" : `SPI 0x${spi.toString(16)}`, "xfrm_input drops it.");
    return;
  }
  const fail = espTransportInput(host.site("ipsec", "esp_input"), skb, sa);
  if (fail) {
    drop(site, skb, fail.reason, fail.detail, "xfrm_input drops the packet.");
    return;
  }
  skb.secPath.push(sa);
  site.emit(
    skb,
    { kind: "sa.update", sa: sa.id, field: "sec_path", value: skb.secPath.map((s) => s.id).join(", ") },
    site.text`sec_path = [${skb.secPath.map((s) => s.id).join(", ")}]: the skb now records that ${sa.id} decrypted it.`,
  );
  ip_local_deliver(host, skb);
}

/**
 * xfrm4_policy_check(NULL, XFRM_POLICY_IN, skb) → __xfrm_policy_check: true to accept. On a
 * disable_policy device, accept unchecked; else the inbound policy's templates against the sec_path.
 */
export function xfrm4_policy_check(host: LinuxHost, skb: Skb): boolean {
  const site = host.site("ipsec", "__xfrm_policy_check");
  const data = skb.bytes();
  const h = parseIpv4(data);
  if (!h.ok) return false;
  const sp = spdLookup(host, "in", { src: h.value.src, dst: h.value.dst, proto: h.value.protocol });
  const dev = skb.dev;
  if (dev?.disablePolicy) {
    site.emit(
      skb,
      {
        kind: "decision",
        check: "xfrm-policy-check",
        question: "Does the inbound policy accept this packet?",
        consulted: [
          { kind: "switch", name: `net.ipv4.conf.${dev.name}.disable_policy`, value: "1" },
          ...(sp ? [{ kind: "sp" as const, id: sp.id, summary: sp.summary }] : []),
        ],
        branch: "bypass: disable_policy",
      },
      site.text`__xfrm_policy_check: the packet came in on ${dev.name}, whose disable_policy = 1 (IPSKB_NOPOLICY): accepted without looking at any policy${sp ? site.text` — ${sp.summary} is never checked` : ""}.`,
    );
    return true;
  }
  const need = sp && sp.action === "ipsec";
  // xfrm_state_ok: proto and mode, and a tunnel's endpoints; with no policy, a tunnel state in the sec_path rejects (secpath_has_nontransport).
  const tmplOk = (x: SecAssoc): boolean =>
    sp!.requests.every((r) => r.proto === x.proto && r.mode === x.mode && (r.mode !== "tunnel" || (r.tunnelSrc === x.src && r.tunnelDst === x.dst)));
  const nontransport = !sp && skb.secPath.some((x) => x.mode !== "transport");
  const ok = need ? skb.secPath.some(tmplOk) : !nontransport;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "xfrm-policy-check",
      question: "Does the inbound policy accept this packet?",
      consulted: [
        ...(sp ? [{ kind: "sp" as const, id: sp.id, summary: sp.summary }] : []),
        { kind: "field", header: "skb", field: "sec_path", value: skb.secPath.map((x) => x.id).join(", ") || "(empty)" },
      ],
      branch: ok ? "accept" : "reject",
    },
    nontransport
      ? site.text`__xfrm_policy_check: no inbound policy for ${h.value.src} → ${h.value.dst}, but a tunnel state decapsulated it (secpath_has_nontransport): reject (LINUX_MIB_XFRMINNOPOLS).`
      : !need
        ? site.text`__xfrm_policy_check: no IPsec policy for ${h.value.src} → ${h.value.dst}: accept.`
        : ok
          ? site.text`__xfrm_policy_check: the template of ${sp.summary} is matched by the sec_path: accept.`
          : site.text`__xfrm_policy_check: ${sp.summary} needs ESP but the sec_path is empty: reject (LINUX_MIB_XFRMINNOSTATES).`,
  );
  if (!ok)
    drop(
      site,
      skb,
      "ipsec-policy-reject",
      sp ? `${sp.summary} not satisfied by the sec_path` : "tunnel-mode sec_path with no inbound policy",
      "The packet is dropped.",
    );
  return ok;
}

/**
 * esp4_err (net/ipv4/esp4.c): an ICMP FRAG_NEEDED quoting our ESP packet → the state by
 * (daddr, spi) → ipv4_update_pmtu(skb, net, info, 0, IPPROTO_ESP): the route to the peer learns
 * the MTU. The bundle picks it up at its next xfrm_bundle_ok.
 */
export function esp4_err(host: LinuxHost, skb: Skb, mtu: number, original: Uint8Array): void {
  const site = host.site("ipsec", "esp4_err");
  const hlen = (original[0]! & 0x0f) * 4;
  const daddr = `${original[16]}.${original[17]}.${original[18]}.${original[19]}`;
  const spi =
    original.length >= hlen + 4
      ? ((original[hlen]! << 24) | (original[hlen + 1]! << 16) | (original[hlen + 2]! << 8) | original[hlen + 3]!) >>> 0
      : 0;
  const sa = host.sad.find((s) => s.proto === "esp" && s.spi === spi && s.dst === daddr);
  site.emit(
    skb,
    {
      kind: "decision",
      check: "ipsec-in-sa",
      question: "Which of our SAs does the quoted ESP packet belong to?",
      consulted: [
        { kind: "field", header: "esp", field: "spi", value: `0x${spi.toString(16).padStart(8, "0")}` },
        { kind: "field", header: "icmp", field: "nextHopMtu", value: String(mtu) },
      ],
      branch: sa ? sa.id : "none",
    },
    sa
      ? site.text`esp4_err: FRAG_NEEDED with next-hop MTU ${mtu} about our ESP packet for SA ${sa.id}: ipv4_update_pmtu for ${daddr}. The bundle will be recomputed on its next use: xfrm_state_mtu(${mtu}) = ${mtuFormula(sa, mtu)}.`
      : site.text`esp4_err: no state for the quoted SPI: ignored.`,
  );
  if (sa) {
    const before = host.pmtuLearnt.get(ip(daddr));
    host.pmtuLearnt.set(ip(daddr), mtu);
    site.emit(
      skb,
      { kind: "field.set", header: "route", field: "mtu", from: String(before ?? "device"), to: String(mtu) },
      site.text`The route to ${daddr} now has an MTU exception of ${mtu} (per destination — and so per SA).`,
    );
  }
  kfree_skb(site, skb, "consumed", "The ICMP error skb is freed.");
}
