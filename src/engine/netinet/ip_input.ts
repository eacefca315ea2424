/**
 * ipintr() and ip_input() — sys/netinet/ip_input.c, NetBSD 1.175 (2003-08-22) with FAST_IPSEC.
 *
 * Header checks in the source's order (version, header length, checksum, lengths), then
 * "ours?", then — only for protocols whose protosw has PR_LASTHDR — the IPsec input policy
 * check, then dispatch through inetsw[ip_protox[ip_p]].pr_input.
 *
 * PR_LASTHDR (NetBSD sys/netinet/in_proto.c, FAST_IPSEC era 1.5x–1.6x; FreeBSD 5–7 in_proto.c
 * alike): ICMP, IGMP, IPPROTO_IPV4 (encap4_input → ipip_input) and the raw wildcard entry have
 * it; UDP and TCP do not (udp_input/tcp_input make their own check), nor do the FAST_IPSEC ESP
 * and AH entries — so an ESP/AH packet is never policy-checked in ip_input, and a decapsulated
 * tunnel packet carrying IN_DONE is checked before ipip_input (kernel-notes §7, corrections).
 */
import { m_adj, m_hdr_consume, type Mbuf } from "../mbuf/mbuf";
import type { Site } from "../trace/recorder";
import { drop } from "../mbuf/drop";
import { IFQ_MAXLEN, NETISR_LATENCY, type Host } from "../sim/world";
import { ip } from "../sim/addr";
import { ipProtoName, IP_PROTO } from "../wire/fields";
import { ipv4ChecksumOk } from "../wire/ipv4";
import { ipsec4_input_policy } from "../netipsec/ipsec_input";
import { ipsec_local_check } from "../netipsec/ipsp_openbsd";
import { hasLastHdr, PR, protoswFor } from "./in_proto";
import { ip_forward } from "./ip_forward";
import { ip_reass_input } from "./ip_reass";
import { rip_input } from "./raw_ip";
import { addrText } from "./headers";
import { fieldItem, listOf, one } from "../trace/shared";
import type { Consulted } from "../trace/events";

/** IF_ENQUEUE(&ipintrq, m); schednetisr(NETISR_IP). Consumes `m`. */
export function ipintrq_enqueue(host: Host, m: Mbuf, site: Site): void {
  if (host.ipintrq.length >= IFQ_MAXLEN) {
    drop(site, m, "queue-full", `ipintrq holds ${IFQ_MAXLEN} packets`, "ipintrq is full (IF_QFULL): the packet is dropped (ifq_drops).");
    return;
  }
  host.ipintrq.push(m);
  site.emit(
    m,
    { kind: "queue.enqueue", queue: "ipintrq", depth: host.ipintrq.length },
    site.text`The packet waits on ${host.name}'s ipintrq (depth ${host.ipintrq.length}) for the IP soft interrupt.`,
  );
  schednetisr(host);
}

/** schednetisr(NETISR_IP): run ipintr() soon, once. */
function schednetisr(host: Host): void {
  if (host.netisrScheduled) return;
  host.netisrScheduled = true;
  host.world.after(NETISR_LATENCY, () => ipintr(host));
}

/** ipintr(): take one packet off ipintrq and hand it to ip_input; reschedule while any remain. */
function ipintr(host: Host): void {
  host.netisrScheduled = false;
  const m = host.ipintrq.shift();
  if (!m) return;
  host
    .site("ip", "ipintr")
    .emit(m, { kind: "queue.dequeue", queue: "ipintrq", depth: host.ipintrq.length }, `The IP soft interrupt takes the packet off ipintrq.`);
  if (host.ipintrq.length > 0) schednetisr(host);
  ip_input(host, m);
}

/** The flag as the "pr-lasthdr" decision consults it (one shared object). */
const NO_LASTHDR: Consulted = { kind: "switch", name: "PR_LASTHDR", value: "not set" };

/** Re-exported for the callers that ask about a protocol's protosw (in_proto.ts owns the table). */
export { hasLastHdr };

/** ip_input(m). Consumes `m`. */
export function ip_input(host: Host, m: Mbuf): void {
  const site = host.site("ip", "ip_input");
  const b = m.bytes();
  if (b.length < 20) return drop(site, m, "ip-too-short", `${b.length} bytes`, "The packet is shorter than an IP header (ips_toosmall).");
  const version = b[0]! >> 4;
  if (version !== 4) return drop(site, m, "ip-bad-version", `version ${version}`, `IP version ${version} is not 4 (ips_badvers).`);
  const hlen = (b[0]! & 0x0f) * 4;
  if (hlen < 20 || hlen > b.length)
    return drop(site, m, "ip-bad-hlen", `header length ${hlen}`, `Header length ${hlen} is impossible (ips_badhlen).`);
  const sumOk = ipv4ChecksumOk(b, 0);
  site.emit(
    m,
    {
      kind: "decision",
      check: "ip-checksum",
      question: "Is the IP header checksum correct?",
      consulted: [{ kind: "field", header: "ipv4", field: "checksum", value: `0x${((b[10]! << 8) | b[11]!).toString(16).padStart(4, "0")}` }],
      branch: sumOk ? "valid" : "bad checksum",
    },
    sumOk ? "ip_input verifies the header checksum (in_cksum over the header is 0)." : "The header checksum does not verify (ips_badsum).",
  );
  if (!sumOk) return drop(site, m, "ip-bad-checksum", "in_cksum != 0", "The packet is dropped for its bad checksum.");
  const len = (b[2]! << 8) | b[3]!;
  if (len < hlen) return drop(site, m, "ip-bad-len", `ip_len ${len} < header ${hlen}`, `ip_len ${len} is shorter than the header (ips_badlen).`);
  if (b.length < len)
    return drop(
      site,
      m,
      "ip-too-short",
      `${b.length} bytes < ip_len ${len}`,
      `The packet holds ${b.length} bytes, less than ip_len ${len} (ips_tooshort).`,
    );
  if (b.length > len) m_adj(site, m, len - b.length, "padding", `ip_input trims ${b.length - len} bytes of link padding beyond ip_len.`);
  // The header is checked: in a datagram a link delivered, the first hlen bytes are the IP header
  // and what follows is ip_p's protocol (an ICMP message is handed to icmp_input whole).
  // A non-first fragment does not start with that protocol's header: its data stays of unknown protocol.
  const proto9 = b[9]!;
  const laterFragment = (((b[6]! & 0x1f) << 8) | b[7]!) !== 0;
  m_hdr_consume(m, 0, [
    { kind: "ipv4", len: hlen, state: "plain" },
    laterFragment
      ? { kind: "data", len: len - hlen, state: "plain" }
      : proto9 === IP_PROTO.ICMP
        ? { kind: "icmp", len: len - hlen, state: "plain" }
        : { kind: "data", len: len - hlen, state: "plain", proto: proto9 },
  ]);

  const dstText = addrText(b[16]! * 0x1000000 + ((b[17]! << 16) | (b[18]! << 8) | b[19]!));
  const ours = host.isLocal(ip(dstText));
  const forward = !ours && host.ipforwarding;
  site.emit(
    m,
    {
      kind: "decision",
      check: "ours",
      question: site.text`Is ${dstText} one of ${host.name}'s addresses?`,
      consulted: one(fieldItem("ipv4", "dst", dstText)),
      branch: ours ? "ours" : forward ? "forward" : "not ours",
    },
    ours
      ? site.text`${dstText} is a local address: the packet is for this host ("ours").`
      : forward
        ? site.text`${dstText} is not local and ${host.name} is a router (ipforwarding = 1): the datagram is to be forwarded.`
        : site.text`${dstText} is not local and ${host.name} does not forward (ipforwarding = 0).`,
  );
  if (forward) {
    // FAST_IPSEC, before ip_forward: the inbound policy for forwarded traffic (IN_DONE →
    // ipsec_getpolicy, else ipsec_getpolicybyaddr(m, INBOUND, IP_FORWARDING)), then
    // ipsec_in_reject; a reject is ips_cantforward (ip_input.c 1.175; FreeBSD 5–7 alike).
    if (!ipsec4_input_policy(host, m)) return;
    ip_forward(host, m);
    return;
  }
  if (!ours) return drop(site, m, "ip-not-ours", `${dstText} is not local`, "The packet is dropped (ips_cantforward).");
  const proto = b[9]!;
  // ours: "If offset or IP_MF are set, must reassemble."
  if ((((b[6]! << 8) | b[7]!) & 0x3fff) !== 0) {
    const whole = ip_reass_input(host, m, hlen);
    if (whole) deliver(host, whole, (whole.bytes()[0]! & 0x0f) * 4, proto);
    return;
  }
  deliver(host, m, hlen, proto);
}

/** The tail of ip_input for a datagram that is ours and whole: the PR_LASTHDR policy check, then pr_input. */
function deliver(host: Host, m: Mbuf, hlen: number, proto: number): void {
  const site = host.site("ip", "ip_input");

  const pr = protoswFor(proto);
  if (host.world.behaviour.ipsecStack === "openbsd") {
    // seed 003: OpenBSD ip_input.c 1.134's IPsec block (ipsec_local_check logic) instead of PR_LASTHDR.
    if (!ipsec_local_check(host, m, proto)) return;
  } else if (pr.flags & PR.LASTHDR) {
    // FAST_IPSEC: "enforce IPsec policy checking if we are seeing last header".
    if (!ipsec4_input_policy(host, m)) return;
  } else if (proto === IP_PROTO.ESP || proto === IP_PROTO.AH) {
    // No check here: the check happens when the decrypted inner packet comes back through
    // ip_input as a last-header protocol. Stone's step 4 ("it matches a policy") paraphrases that.
    const name = proto === IP_PROTO.ESP ? "ESP" : "AH";
    site.emit(
      m,
      {
        kind: "decision",
        check: "pr-lasthdr",
        question: site.text`Does the ${name} protosw have PR_LASTHDR (is the IPsec input policy checked here)?`,
        consulted: listOf([fieldItem("ipv4", "protocol", ipProtoName(proto)), NO_LASTHDR]),
        branch: "no policy check",
      },
      site.text`ip_input makes no IPsec policy check here: the ${name} protosw lacks PR_LASTHDR (in_proto.c), so the packet goes straight to ${pr.inputName}; the policy is checked when the inner packet comes back up.`,
    );
  }
  // (*inetsw[ip_protox[ip->ip_p]].pr_input)(m, hlen, ip->ip_p)
  if (pr.input) {
    pr.input(host, m, hlen, proto);
    return;
  }
  if (rip_input(host, m, proto)) return;
  drop(site, m, "ip-unknown-proto", ipProtoName(proto), `No protocol handles ${ipProtoName(proto)} and no raw socket wants it.`);
}
