/**
 * Linux IPv4 input (2.2 net/ipv4/ip_input.c, ip_fragment.c, ip_forward.c, icmp.c, udp.c;
 * mainline the same shape): ip_rcv checks the header and routes the packet in; a local one goes
 * to ip_local_deliver, which **reassembles (ip_defrag) before any protocol handler** — so KLIPS's
 * ipsec_rcv sees the whole ESP packet — and a forwarded one to ip_forward.
 */
import { drop } from "../mbuf/drop";
import { ipv4Parts } from "../mbuf/hdrs";
import { m_hdr_consume } from "../mbuf/mbuf";
import { ip } from "../sim/addr";
import { internetChecksum } from "../wire/checksum";
import { IP_PROTO, formatIpv4Addr } from "../wire/fields";
import { emitIcmp, ICMP_TYPE, parseIcmp } from "../wire/icmp";
import { emitIpv4, ipv4ChecksumOk, parseIpv4 } from "../wire/ipv4";
import { ipsec_rcv } from "./klips";
import { dst_output, icmp_send, ip_fragment, ip_route_output, ip_send_datagram } from "./ip_output";
import { alloc_skb, kfree_skb, skb_set_dst, skb_store, type Skb } from "./skb";
import { esp4_err, xfrm4_policy_check, xfrm4_rcv, xfrm_lookup } from "./xfrm";
import { xfrm4_policy_check_fwd } from "./xfrm_tunnel";
import type { LinuxHost } from "./world";

/** IP_FRAG_TIME (2.2 include/net/ip.h): 30 s for a datagram to complete. */
export const IP_FRAG_TIME_MICROS = 30_000_000;

/** ip_rcv(skb, dev): header checks, then route in: local delivery or forwarding. */
export function ip_rcv(host: LinuxHost, skb: Skb): void {
  const site = host.site("ip", "ip_rcv");
  const data = skb.bytes();
  const parsed = parseIpv4(data);
  if (!parsed.ok || !ipv4ChecksumOk(data)) {
    drop(
      site,
      skb,
      parsed.ok ? "ip-bad-checksum" : "ip-bad-hlen",
      parsed.ok ? "bad header checksum" : parsed.error.message,
      "ip_rcv drops a bad IP header.",
    );
    return;
  }
  const h = parsed.value;
  // ip_rcv has read the header: the unread datagram becomes the header and ip_p's protocol (as BSD's ip_input).
  m_hdr_consume(skb, 0, ipv4Parts(data, h.totalLength));
  const local = host.isLocal(ip(h.dst));
  site.emit(
    skb,
    {
      kind: "decision",
      check: "ours",
      question: site.text`Is ${h.dst} one of ${host.name}'s addresses?`,
      consulted: [
        { kind: "field", header: "ipv4", field: "dst", value: h.dst },
        { kind: "field", header: "skb", field: "dev", value: skb.dev?.name ?? "(none)" },
      ],
      branch: local ? "ip_local_deliver" : host.forwarding ? "ip_forward" : "drop",
    },
    local
      ? site.text`ip_rcv on ${skb.dev?.name ?? "?"}: ${h.src} → ${h.dst}, ${h.totalLength} bytes, for us: ip_route_input gives dst->input = ip_local_deliver.`
      : site.text`ip_rcv on ${skb.dev?.name ?? "?"}: ${h.src} → ${h.dst} is not ours${host.forwarding ? ": ip_forward" : " and this host does not forward"}.`,
  );
  if (local) {
    if (!skb.dst) skb_set_dst(site, skb, ip_route_output(host, ip(h.dst)) ?? null, "ip_route_input: a local route");
    ip_local_deliver(host, skb);
  } else if (host.forwarding) ip_forward(host, skb);
  else drop(site, skb, "ip-not-ours", `${h.dst} is not an address of ${host.name}`, "ip_rcv drops it.");
}

/** ip_local_deliver(skb): ip_defrag first (2.2 ip_input.c), then the protocol handler. */
export function ip_local_deliver(host: LinuxHost, skb: Skb): void {
  const data = skb.bytes();
  const mf = (data[6]! & 0x20) !== 0;
  const off = ((data[6]! & 0x1f) << 8) | data[7]!;
  let whole: Skb | undefined = skb;
  if (mf || off !== 0) whole = ip_defrag(host, skb);
  if (!whole) return;
  const proto = whole.bytes()[9]!;
  switch (proto) {
    case IP_PROTO.ICMP:
      icmp_rcv(host, whole);
      return;
    case IP_PROTO.UDP:
      udp_rcv(host, whole);
      return;
    case IP_PROTO.ESP:
      if (host.linux.stack === "xfrm") xfrm4_rcv(host, whole);
      else if (host.devs.some((d) => d.klips)) ipsec_rcv(host, whole);
      else
        drop(
          host.site("ip", "ip_local_deliver"),
          whole,
          "ip-unknown-proto",
          "no protocol 50 handler (KLIPS not loaded)",
          "No handler for ESP on this host.",
        );
      return;
    default:
      drop(host.site("ip", "ip_local_deliver"), whole, "ip-unknown-proto", `protocol ${proto}`, "ip_local_deliver has no handler for this protocol.");
  }
}

/**
 * ip_defrag(skb) (net/ipv4/ip_fragment.c): queue the fragment by (saddr, daddr, id, protocol);
 * when the last piece is in and nothing is missing, glue the datagram into a new skb (2.2
 * ip_glue) whose "copied-from" is the first fragment. IP_FRAG_TIME is 30 s; the model keeps the
 * queue until it completes (no run here waits that long).
 */
export function ip_defrag(host: LinuxHost, skb: Skb): Skb | undefined {
  const site = host.site("ip", "ip_defrag");
  const data = skb.bytes();
  const h = parseIpv4(data);
  if (!h.ok) return undefined;
  const r = h.value;
  const hlen = 20 + r.options.length;
  const key = `${r.src}|${r.dst}|${r.id}|${r.protocol}`;
  let q = host.fragQueues.get(key);
  if (!q) host.fragQueues.set(key, (q = { frags: [], header: data.slice(0, hlen) }));
  const offset = r.fragOffset * 8;
  q.frags.push({ offset, end: offset + r.totalLength - hlen, more: r.mf, bytes: data.slice(hlen, r.totalLength), chain: skb.id });
  if (offset === 0) q.frags.sort((a, b) => a.offset - b.offset);
  const sorted = [...q.frags].sort((a, b) => a.offset - b.offset);
  let have = 0;
  let complete = false;
  for (const f of sorted) {
    if (f.offset > have) break;
    have = Math.max(have, f.end);
    if (!f.more) complete = true;
  }
  complete = complete && sorted[0]!.offset === 0 && !sorted[sorted.length - 1]!.more && have === sorted[sorted.length - 1]!.end;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "ip-defrag",
      question: "Is the datagram complete?",
      consulted: [
        { kind: "field", header: "ipv4", field: "id", value: `0x${r.id.toString(16)}` },
        { kind: "field", header: "ipv4", field: "fragOffset", value: String(r.fragOffset) },
        { kind: "field", header: "ipv4", field: "mf", value: r.mf ? "1" : "0" },
      ],
      branch: complete ? "reassembled" : "queued",
    },
    complete
      ? site.text`ip_defrag: with this piece (offset ${offset}, ${r.totalLength} bytes) the ${have + hlen}-byte datagram id 0x${r.id.toString(16)} is complete.`
      : site.text`ip_defrag queues the fragment (offset ${offset}, ${r.totalLength} bytes${r.mf ? ", MF" : ""}) and waits for the rest (IP_FRAG_TIME 30 s).`,
  );
  if (!complete) {
    kfree_skb(site, skb, "queued for reassembly", "The fragment's bytes wait in the ipq; this skb is done.");
    return undefined;
  }
  host.fragQueues.delete(key);
  const total = hlen + have;
  const out = new Uint8Array(total);
  out.set(q.header, 0);
  for (const f of sorted) out.set(f.bytes, hlen + f.offset);
  // The glued header: the first fragment's, with the whole length and no fragment bits.
  out[2] = total >> 8;
  out[3] = total & 0xff;
  out[6] = 0;
  out[7] = 0;
  out[10] = 0;
  out[11] = 0;
  const sum = internetChecksum(out, 0, hlen);
  out[10] = sum >> 8;
  out[11] = sum & 0xff;
  const whole = alloc_skb(
    site,
    total + 16,
    16,
    out,
    site.text`ip_glue: a new ${total}-byte skb holds the reassembled datagram.`,
    ipv4Parts(out, total),
  );
  whole.dev = skb.dev;
  whole.copiedFrom = sorted[0]!.chain;
  site.emit(
    whole,
    { kind: "field.set", header: "skb", field: "copied-from", from: "", to: `packet #${sorted[0]!.chain}` },
    site.text`Reassembled from ${sorted.length} fragments, the first packet #${sorted[0]!.chain}.`,
  );
  skb_set_dst(site, whole, skb.dst, "the reassembled skb keeps the route in");
  kfree_skb(site, skb, "reassembled", "The last fragment's skb is freed; its bytes are in the new one.");
  return whole;
}

/**
 * ip_forward(skb) (2.2 net/ipv4/ip_forward.c): TTL, route out, and `skb->len > mtu && DF` →
 * icmp_send(FRAG_NEEDED, htonl(rt->u.dst.pmtu)) and drop; otherwise on through ip_output
 * (which fragments a DF-clear packet too long for the next hop).
 */
export function ip_forward(host: LinuxHost, skb: Skb): void {
  const site = host.site("ip", "ip_forward");
  const data = skb.bytes();
  const h = parseIpv4(data);
  if (!h.ok) return;
  const r = h.value;
  // Mainline ip_forward: xfrm4_policy_check(NULL, XFRM_POLICY_FWD, skb) first (seed 004: pluto's FWD policies, xfrm_tunnel.ts).
  if (host.linux.stack === "xfrm" && !xfrm4_policy_check_fwd(host, skb)) return;
  if (r.ttl <= 1) {
    drop(site, skb, "ip-ttl-exceeded", "TTL 1", "ip_forward: TTL exceeded.");
    return;
  }
  let dst = ip_route_output(host, ip(r.dst));
  if (!dst || dst.dev === skb.dev) {
    drop(site, skb, "ip-no-route", `no route onward to ${r.dst}`, "ip_forward has nowhere to send it.");
    return;
  }
  // xfrm4_route_forward → __xfrm_route_forward: xfrm_lookup(…, XFRM_LOOKUP_QUEUE) for the forwarded flow.
  // "To accelerate a bit": with no OUT policy at all (policy_count[XFRM_POLICY_OUT] == 0) it is nopol without a lookup.
  if (host.linux.stack === "xfrm" && host.spd.some((p) => p.dir === "out")) {
    dst = xfrm_lookup(host, dst, { src: r.src, dst: r.dst, proto: r.protocol });
    if (!dst) return;
  }
  const big = r.totalLength > dst.pmtu;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "mtu",
      question: site.text`Does the ${r.totalLength}-byte packet fit ${dst.dev.name}'s MTU?`,
      consulted: [
        { kind: "field", header: "dst", field: "pmtu", value: String(dst.pmtu) },
        { kind: "field", header: "ipv4", field: "df", value: r.df ? "1" : "0" },
      ],
      branch: !big ? "forward" : r.df ? "FRAG_NEEDED" : "fragment",
    },
    !big
      ? site.text`ip_forward: ${r.totalLength} ≤ ${dst.pmtu} on ${dst.dev.name}: forward it.`
      : r.df
        ? site.text`ip_forward: ${r.totalLength} > ${dst.pmtu} on ${dst.dev.name} and DF is set: FRAG_NEEDED with next-hop MTU ${dst.pmtu} goes back to ${r.src}.`
        : site.text`ip_forward: ${r.totalLength} > ${dst.pmtu} on ${dst.dev.name}, DF clear: fragment it.`,
  );
  if (big && r.df) {
    icmp_send(host, skb, ICMP_TYPE.DEST_UNREACH, 4, dst.pmtu);
    drop(
      site,
      skb,
      "frag-needed",
      `${r.totalLength} bytes with DF > next-hop MTU ${dst.pmtu}`,
      site.text`The router drops the DF packet it cannot forward.`,
    );
    return;
  }
  const ttl = new Uint8Array(data.slice(0, 20 + r.options.length));
  emitIpv4({ ...r, ttl: r.ttl - 1 }, ttl);
  skb_store(skb, 0, ttl);
  site.emit(
    skb,
    { kind: "field.set", header: "ipv4", field: "ttl", from: String(r.ttl), to: String(r.ttl - 1) },
    site.text`ip_forward decrements the TTL to ${r.ttl - 1}.`,
  );
  skb_set_dst(site, skb, dst, "ip_route_input: the forwarding route");
  if (big) ip_fragment(host, skb, (f) => dst_output(host, f));
  else dst_output(host, skb);
}

/** icmp_rcv(skb): policy check (mainline xfrm4_policy_check), then by type. */
export function icmp_rcv(host: LinuxHost, skb: Skb): void {
  const site = host.site("icmp", "icmp_rcv");
  const data = skb.bytes();
  const hlen = (data[0]! & 0x0f) * 4;
  const parsed = parseIcmp(data, hlen);
  if (!parsed.ok) {
    drop(site, skb, "icmp-too-short", parsed.error.message, "icmp_rcv drops a bad ICMP message.");
    return;
  }
  const m = parsed.value;
  if (host.linux.stack === "xfrm" && !xfrm4_policy_check(host, skb)) return;
  site.emit(
    skb,
    {
      kind: "decision",
      check: "icmp-type",
      question: "What kind of ICMP message is it?",
      consulted: [{ kind: "field", header: "icmp", field: "type", value: String(m.type) }],
      branch: `type ${m.type}`,
    },
    site.text`icmp_rcv: type ${m.type} code ${m.code}.`,
  );
  if (m.kind === "echo" && m.type === ICMP_TYPE.ECHO_REQUEST) {
    icmp_reply(host, skb, m.id, m.seq, m.data);
    return;
  }
  if (m.kind === "error" && m.type === ICMP_TYPE.DEST_UNREACH && m.code === 4) {
    icmp_unreach(host, skb, m.nextHopMtu, m.original);
    return;
  }
  // Echo replies and the rest go to the raw sockets (ping's): raw_v4_input.
  const sock = host.sockets.find((s) => s.proto === IP_PROTO.ICMP);
  if (sock) sock.receive(skb, host.site("app", "raw_rcv"));
  else kfree_skb(site, skb, "no listener", "No raw socket wants it.");
}

/**
 * icmp_echo → icmp_reply (net/ipv4/icmp.c): the reply is a NEW skb — ip_append_data copies the
 * request's data into it (icmp_glue_bits) — with its own route, lookup and no sec_path; the
 * request skb is freed with its sec_path. Nothing of the request's history can ride on the reply.
 */
function icmp_reply(host: LinuxHost, req: Skb, id: number, seq: number, echoData: Uint8Array): void {
  const site = host.site("icmp", "icmp_reply");
  const data = req.bytes();
  const src = formatIpv4Addr(((data[12]! << 24) | (data[13]! << 16) | (data[14]! << 8) | data[15]!) >>> 0);
  const dst = formatIpv4Addr(((data[16]! << 24) | (data[17]! << 16) | (data[18]! << 8) | data[19]!) >>> 0);
  site.emit(
    req,
    {
      kind: "decision",
      check: "icmp-type",
      question: "Echo request: answer it?",
      consulted: [{ kind: "field", header: "icmp", field: "type", value: "8" }],
      branch: "icmp_reply (new skb)",
    },
    site.text`icmp_echo → icmp_reply: the reply to ${src} is built in a new skb; the request's skb and its sec_path (${req.secPath.length ? req.secPath.map((s) => s.id).join(", ") : "empty"}) are not reused.`,
  );
  ip_send_datagram(host, {
    proto: IP_PROTO.ICMP,
    dst: src,
    src: dst,
    payloadLen: 8 + echoData.length,
    payload: () => {
      const out = new Uint8Array(8 + echoData.length);
      emitIcmp({ kind: "echo", type: 0, code: 0, checksum: 0, id, seq, data: echoData }, out);
      return out;
    },
    df: false,
    what: "icmp_reply",
    copiedFrom: req,
  });
  kfree_skb(site, req, "consumed", "The request skb is freed — and its sec_path with it.");
}

/**
 * icmp_unreach (FRAG_NEEDED): the quoted datagram's protocol's err_handler — esp4_err for ESP on
 * XFRM, udp_err for UDP. KLIPS (Openswan 2.0.0 ipsec_init.c) registers ESP with inet_add_protocol;
 * that it gives no error handler is assumed here (hypothetical: not re-read), so nothing learns.
 */
function icmp_unreach(host: LinuxHost, skb: Skb, mtu: number, original: Uint8Array): void {
  const site = host.site("icmp", "icmp_unreach");
  const proto = original[9];
  if (proto === IP_PROTO.ESP) {
    if (host.linux.stack === "xfrm") {
      esp4_err(host, skb, mtu, original);
      return;
    }
    drop(
      site,
      skb,
      "icmp-error-ignored",
      `FRAG_NEEDED (mtu ${mtu}) about an ESP packet`,
      site.text`FRAG_NEEDED with next-hop MTU ${mtu} about an ESP packet: KLIPS has no ESP error handler (hypothetical), so the sender of the inner packet never hears of it.`,
    );
    return;
  }
  const sock = host.sockets.find((s) => s.proto === proto && s.error);
  site.emit(
    skb,
    { kind: "deliver", socket: sock?.name ?? "udp", summary: `FRAG_NEEDED, next-hop MTU ${mtu}` },
    site.text`udp_err: the sending socket gets EMSGSIZE with the next-hop MTU ${mtu} from the ICMP message.`,
  );
  sock?.error?.(mtu, site);
  kfree_skb(site, skb, "consumed", "The ICMP error skb is freed.");
}

/** udp_rcv (net/ipv4/udp.c): mainline checks the policy first; the datagram goes to the socket. */
function udp_rcv(host: LinuxHost, skb: Skb): void {
  const site = host.site("app", "udp_rcv");
  if (host.linux.stack === "xfrm" && !xfrm4_policy_check(host, skb)) return;
  const data = skb.bytes();
  const hlen = (data[0]! & 0x0f) * 4;
  const port = (data[hlen + 2]! << 8) | data[hlen + 3]!;
  const len = ((data[hlen + 4]! << 8) | data[hlen + 5]!) - 8;
  site.emit(
    skb,
    { kind: "deliver", socket: `udp:${port}`, summary: `${len}-byte UDP datagram`, bytes: len, transport: "udp" },
    site.text`udp_rcv delivers the ${len}-byte datagram to port ${port}${skb.secPath.length ? site.text` (sec_path: ${skb.secPath.map((s) => s.id).join(", ")})` : ""}.`,
  );
  kfree_skb(site, skb, "delivered", "The datagram is read; the skb is freed.");
}
