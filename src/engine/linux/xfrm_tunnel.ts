/**
 * ESP in tunnel mode on the Linux skb (RFC 4303 §3.1.2), and the FWD policy of a gateway: what
 * the keying built-ins need of XFRM once pluto has installed a tunnel SA (seed 004).
 *
 * Sources (torvalds/linux, mainline; the per-mode files net/ipv4/xfrm4_mode_tunnel.c were folded
 * into net/xfrm/xfrm_output.c and xfrm_input.c by 5f24f41e8ea6 / b3284df1c86f, 2019):
 * - xfrm4_tunnel_encap_add() (net/xfrm/xfrm_output.c): the outer header is built in front of the
 *   inner one — ihl 5, version 4, protocol = xfrm_af2proto(inner) = IPPROTO_IPIP, tos from the
 *   inner (INET_ECN_encapsulate), frag_off = the inner DF unless XFRM_STATE_NOPMTUDISC,
 *   ttl = ip4_dst_hoplimit(child route), saddr = x->props.saddr, daddr = x->id.daddr; then
 *   esp_output (net/ipv4/esp4.c) puts ESP between them and sets the outer protocol to 50, with
 *   the inner packet as the ESP payload (next header 4);
 * - xfrm_input() (net/xfrm/xfrm_input.c) → esp_input → xfrm4_remove_tunnel_encap(): the next
 *   header must be IPPROTO_IPIP; the outer header and ESP go, the inner packet becomes the
 *   network header; sec_path += x; "decaps": skb_dst_drop and gro_cells_receive — the inner
 *   packet is received again (ip_rcv) and checked there by xfrm4_policy_check (IN for a local
 *   one, FWD in ip_forward for a forwarded one);
 * - __xfrm_policy_check (net/xfrm/xfrm_policy.c @0045e3d8): with no matching policy, a sec_path
 *   holding a non-transport state is rejected (secpath_has_nontransport) — the reason libreswan
 *   installs the FWD policy on a gateway; xfrm_state_ok compares proto, reqid, mode and, for a
 *   tunnel, the endpoints;
 * - __xfrm_route_forward: xfrm_lookup(…, XFRM_LOOKUP_QUEUE) for the forwarded flow.
 */
import { drop } from "../mbuf/drop";
import { m_set_cleartext } from "../mbuf/mbuf";
import { encAlg } from "../crypto/registry";
import { espSeal } from "../crypto/esp";
import type { KmPolicy } from "../keying/kernel";
import { keysOf } from "../netipsec/xform_esp";
import { seqHiOf, seqLoOf, takeOutboundSeq } from "../netipsec/replay";
import type { IpsecRequest, SecAssoc, SecPolicy } from "../netipsec/types";
import { ip, parsePrefix, prefixContains } from "../sim/addr";
import { IP_PROTO, toHex } from "../wire/fields";
import { emitIpv4, parseIpv4 } from "../wire/ipv4";
import { espHeadroom, espVerifyOpen } from "./esp";
import { ip_output, ip_route_output } from "./ip_output";
import { ip_rcv } from "./ip_input";
import { pskb_expand_head, skb_pull, skb_push, skb_put, skb_set_dst, skb_store, skb_trim, type Skb } from "./skb";
import { NET_RX_LATENCY, type DstEntry, type LinuxHost } from "./world";
import { xfrm_state_mtu } from "./xfrm";
import { kmOf, xfrm_larval_dst, xfrm_state_find } from "./xfrm_km";

const IPV4_HLEN = 20;

const bundles = new WeakMap<LinuxHost, Map<string, DstEntry>>();

/**
 * xfrm_lookup for a policy whose template is an ESP tunnel: xfrm_tmpl_resolve_one looks the
 * state up by the template's endpoints (xfrm_state_find); found → a bundle over the route to the
 * peer gateway (xfrm_bundle_create's xfrm_dst_lookup for x->id.daddr), its MTU from
 * xfrm_init_pmtu; not found → km_query and a larval dst (linux/xfrm_km.ts), or, with no key
 * manager, the -EAGAIN drop (undefined).
 */
export function xfrm_lookup_tunnel(
  host: LinuxHost,
  dst: DstEntry,
  flow: { src: string; dst: string; proto: number },
  sp: SecPolicy,
  req: IpsecRequest,
): DstEntry | undefined {
  const site = host.site("ipsec", "xfrm_lookup");
  const sa = xfrm_state_find(host, req);
  if (!sa) {
    const l = xfrm_larval_dst(host, dst, flow, sp, req);
    if (l) return l;
    site.emit(
      null,
      {
        kind: "decision",
        check: "xfrm-lookup",
        question: "Must this packet be transformed?",
        consulted: [{ kind: "sp", id: sp.id, summary: sp.summary }],
        branch: "no SA",
      },
      site.text`xfrm_lookup: ${sp.summary} needs a tunnel state ${req.tunnelSrc ?? "?"} → ${req.tunnelDst ?? "?"} and there is none, and no key daemon listens: -EAGAIN.`,
    );
    site.emit(
      null,
      { kind: "drop", reason: "ipsec-no-sa", detail: `no SA ${req.tunnelSrc ?? "?"} → ${req.tunnelDst ?? "?"}` },
      "The packet is not sent.",
    );
    return undefined;
  }
  const route = ip_route_output(host, ip(sa.dst)) ?? dst;
  let byKey = bundles.get(host);
  if (!byKey) bundles.set(host, (byKey = new Map()));
  const key = `${sp.id}|${sa.id}|${route.id}`;
  let b = byKey.get(key);
  const fresh = !b;
  if (!b) {
    const pmtu = Math.min(xfrm_state_mtu(sa, route.pmtu), route.pmtu);
    b = { ...route, id: host.world.nextDstId(), pmtu, xfrm: { sa, policy: sp, route, routeMtuCached: route.pmtu } };
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
        { kind: "sa", id: sa.id, summary: `${sa.enc} ${sa.mode} ${sa.src} → ${sa.dst}` },
      ],
      branch: "IPsec bundle",
    },
    fresh
      ? site.text`xfrm_lookup: ${sp.summary} → a tunnel bundle with ${sa.id} over the route to ${sa.dst} (${route.dev.name}); xfrm_init_pmtu sets its MTU to xfrm_state_mtu(${route.pmtu}) = ${b.pmtu}.`
      : site.text`xfrm_lookup: ${sp.summary} → the cached tunnel bundle with ${sa.id}.`,
  );
  return b;
}

/**
 * xfrm_output_one for a tunnel-mode ESP state: xfrm_state_check_expire (the key manager's
 * lifetimes), xfrm4_tunnel_encap_add + esp_output, curlft counted, skb_dst_pop, then the plain
 * route's output. Consumes `skb` (sent or dropped).
 */
export function xfrm_output_tunnel(host: LinuxHost, skb: Skb): void {
  const site = host.site("ipsec", "xfrm_output");
  const x = skb.dst!.xfrm!;
  const sa = x.sa;
  skb.secPath = [];
  const km = kmOf(host);
  if (km && !km.checkExpire(sa, skb)) return;
  const esp = host.site("ipsec", "esp_output");
  const inner = skb.bytes();
  const innerHdr = parseIpv4(inner);
  if (!innerHdr.ok) {
    drop(site, skb, "ip-bad-hlen", innerHdr.error.message, "xfrm_output cannot read the inner header.");
    return;
  }
  const e = encAlg(sa.enc);
  const iv = e.ivBytes === 0 ? new Uint8Array(0) : host.world.rng.bytes(e.ivBytes);
  const full = takeOutboundSeq(esp, skb, sa, "esp_output");
  const sealed = espSeal(keysOf(sa), {
    spi: sa.spi,
    seq: seqLoOf(full),
    seqHi: sa.esn ? seqHiOf(full) : undefined,
    iv,
    payload: inner,
    nextHeader: IP_PROTO.IPIP,
  });
  const head = espHeadroom(sa);
  const tail = sealed.bytes.length - head - inner.length;
  if (skb.headroom < head + IPV4_HLEN || skb.tailroom < tail) {
    pskb_expand_head(
      esp,
      skb,
      Math.max(0, head + IPV4_HLEN - skb.headroom),
      Math.max(0, tail - skb.tailroom),
      esp.text`skb_cow_data → pskb_expand_head: room for the outer header, ESP header and IV (${IPV4_HLEN + head} bytes) and the ${tail}-byte trailer.`,
    );
  }
  skb_push(
    esp,
    skb,
    head,
    "ESP",
    esp.text`skb_push(${head}): ESP header and ${e.ivBytes}-byte IV in front of the whole inner packet (${inner.length} bytes), which becomes the ESP payload.`,
  );
  skb_push(
    site.at("ipsec", "xfrm4_tunnel_encap_add"),
    skb,
    IPV4_HLEN,
    "IPv4",
    site.text`xfrm4_tunnel_encap_add: skb_set_network_header(-x->props.header_len) — a new 20-byte outer IPv4 header ${sa.src} → ${sa.dst} (x->props.saddr → x->id.daddr) in front.`,
  );
  skb_put(
    esp,
    skb,
    new Uint8Array(tail),
    "ESP trailer",
    esp.text`skb_put(${tail}): ${sealed.padLength} bytes of padding, pad length, next header 4 (IPIP) and the ICV.`,
  );
  esp
    .at("crypto", esp.fn)
    .emit(
      skb,
      { kind: "crypto.submit", sa: sa.id, op: "encrypt", bytes: sealed.plaintext.length },
      esp.text`${sa.enc} encrypts ${sealed.plaintext.length} bytes: the inner IP packet, padding and trailer.`,
    );
  const total = IPV4_HLEN + sealed.bytes.length;
  const outer = new Uint8Array(IPV4_HLEN);
  emitIpv4(
    {
      // tos: INET_ECN_encapsulate(inner tos); frag_off: the inner DF (libreswan does not set XFRM_STATE_NOPMTUDISC).
      tos: innerHdr.value.tos,
      totalLength: total,
      id: host.ipId++ & 0xffff,
      df: innerHdr.value.df,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      protocol: IP_PROTO.ESP,
      checksum: 0,
      src: sa.src,
      dst: sa.dst,
      options: new Uint8Array(0),
    },
    outer,
  );
  skb_store(skb, 0, outer);
  skb_store(skb, IPV4_HLEN, sealed.bytes);
  m_set_cleartext(skb, toHex(inner), IP_PROTO.IPIP);
  sa.bytes += inner.length;
  sa.packets++;
  esp
    .at("crypto", esp.fn)
    .emit(
      skb,
      { kind: "crypto.done", sa: sa.id, op: "encrypt", ok: true, detail: `ESP tunnel ${total} bytes` },
      esp.text`The tunnel packet is ${total} bytes: outer IPv4 ${IPV4_HLEN} (${sa.src} → ${sa.dst}, protocol 50, ttl 64${innerHdr.value.df ? ", DF copied from the inner header" : ""}) + ESP header and IV ${head} + ciphertext ${sealed.plaintext.length} + ICV ${sealed.bytes.length - sealed.icvOffset}; the inner ${innerHdr.value.src} → ${innerHdr.value.dst} is encrypted.`,
    );
  skb_set_dst(site, skb, x.route, "skb_dst_pop: the bundle's child, the route to the peer gateway");
  ip_output(host, skb);
}

/**
 * xfrm_input for a tunnel-mode ESP state: esp_input (verify, decrypt), then
 * xfrm4_remove_tunnel_encap — the outer header and ESP are pulled, the trailer trimmed —
 * sec_path += x, skb_dst_drop, and the inner packet is received again (gro_cells_receive → ip_rcv).
 */
export function xfrm_input_tunnel(host: LinuxHost, skb: Skb, sa: SecAssoc): void {
  const site = host.site("ipsec", "xfrm_input");
  const hlen = (skb.bytes()[0]! & 0x0f) * 4;
  const opened = espVerifyOpen(host.site("ipsec", "esp_input"), skb, sa, hlen);
  if ("reason" in opened) {
    drop(site, skb, opened.reason, opened.detail, "xfrm_input drops the packet.");
    return;
  }
  const dsite = host.site("ipsec", "xfrm4_remove_tunnel_encap");
  if (opened.nextHeader !== IP_PROTO.IPIP) {
    drop(
      dsite,
      skb,
      "ipsec-bad-length",
      `next header ${opened.nextHeader}, not IPPROTO_IPIP`,
      "xfrm4_remove_tunnel_encap: a tunnel state's payload must be an IPv4 packet: -EINVAL.",
    );
    return;
  }
  const head = hlen + espHeadroom(sa);
  skb_store(skb, head, opened.payload);
  skb_pull(
    dsite,
    skb,
    head,
    "IPv4+ESP",
    dsite.text`The outer IPv4 header (${hlen} bytes), the ESP header and IV go: skb_reset_network_header makes the inner packet the network header.`,
  );
  skb_trim(
    dsite,
    skb,
    opened.payload.length,
    "ESP trailer",
    dsite.text`The padding, trailer and ICV are trimmed: ${opened.payload.length} bytes of inner IPv4 remain.`,
  );
  m_set_cleartext(skb, undefined);
  skb.secPath.push(sa);
  site.emit(
    skb,
    { kind: "sa.update", sa: sa.id, field: "sec_path", value: skb.secPath.map((s) => s.id).join(", ") },
    site.text`sec_path = [${skb.secPath.map((s) => s.id).join(", ")}]: decapsulated by a tunnel state, so the inner packet is received again and its policy checked there.`,
  );
  skb_set_dst(site, skb, null, "xfrm_input (decaps): skb_dst_drop");
  site.emit(
    skb,
    { kind: "queue.enqueue", queue: "gro_cells", depth: 1 },
    site.text`gro_cells_receive: the inner packet re-enters ip_rcv on ${skb.dev?.name ?? "?"}.`,
  );
  host.world.after(NET_RX_LATENCY, () => ip_rcv(host, skb));
}

/** The FWD policy (installed by pluto through the key manager) whose selector matches, or undefined. */
function fwdPolicy(host: LinuxHost, src: string, dst: string): KmPolicy | undefined {
  const km = kmOf(host);
  if (!km) return undefined;
  const s = ip(src);
  const d = ip(dst);
  return km.policies
    .filter(
      (p) => p.dir === "fwd" && prefixContains(parsePrefix(`${p.src}/${p.srcLen}`), s) && prefixContains(parsePrefix(`${p.dst}/${p.dstLen}`), d),
    )
    .sort((a, b) => a.priority - b.priority)[0];
}

/**
 * ip_forward's `xfrm4_policy_check(NULL, XFRM_POLICY_FWD, skb)` → __xfrm_policy_check: a FWD
 * policy's tunnel template must be matched by a sec_path state (xfrm_state_ok: ESP, reqid,
 * tunnel mode, the endpoints); with no FWD policy, a sec_path holding a tunnel state is
 * rejected (secpath_has_nontransport). True: forward it.
 */
export function xfrm4_policy_check_fwd(host: LinuxHost, skb: Skb): boolean {
  const h = parseIpv4(skb.bytes());
  if (!h.ok) return false;
  // __xfrm_check_nopolicy: no FWD policy at all and no sec_path → accepted without a check.
  if (!kmOf(host)?.policies.some((p) => p.dir === "fwd") && skb.secPath.length === 0) return true;
  const site = host.site("ipsec", "__xfrm_policy_check");
  const pol = fwdPolicy(host, h.value.src, h.value.dst);
  const tunnels = skb.secPath.filter((x) => x.mode !== "transport");
  const matches = (x: SecAssoc): boolean => x.proto === "esp" && x.mode === "tunnel" && x.src === pol?.tunnelSrc && x.dst === pol.tunnelDst;
  const ok = pol ? skb.secPath.some(matches) : tunnels.length === 0;
  const polText = pol
    ? `FWD ${pol.src}/${pol.srcLen} → ${pol.dst}/${pol.dstLen} tmpl esp/tunnel ${pol.tunnelSrc} → ${pol.tunnelDst} reqid ${pol.reqid}`
    : "";
  site.emit(
    skb,
    {
      kind: "decision",
      check: "xfrm-policy-check",
      question: "Does the FWD policy accept this forwarded packet?",
      consulted: [
        ...(pol ? [{ kind: "sp" as const, id: `fwd ${pol.src}/${pol.srcLen}→${pol.dst}/${pol.dstLen}`, summary: polText }] : []),
        { kind: "field", header: "skb", field: "sec_path", value: skb.secPath.map((x) => x.id).join(", ") || "(empty)" },
      ],
      branch: ok ? "accept" : "reject",
    },
    pol
      ? ok
        ? site.text`__xfrm_policy_check (FWD): the template of ${polText} is matched by the sec_path: forward.`
        : site.text`__xfrm_policy_check (FWD): ${polText} needs the tunnel state, and the sec_path has none: reject (LINUX_MIB_XFRMINTMPLMISMATCH).`
      : ok
        ? site.text`__xfrm_policy_check (FWD): no FWD policy for ${h.value.src} → ${h.value.dst} and no tunnel state in the sec_path: forward.`
        : site.text`__xfrm_policy_check (FWD): no FWD policy for ${h.value.src} → ${h.value.dst}, but the packet came out of a tunnel (secpath_has_nontransport): reject (LINUX_MIB_XFRMINNOPOLS).`,
  );
  if (!ok)
    drop(
      site,
      skb,
      "ipsec-policy-reject",
      pol ? `${polText} not satisfied by the sec_path` : "tunnel-mode sec_path with no FWD policy",
      "ip_forward drops the packet.",
    );
  return ok;
}
