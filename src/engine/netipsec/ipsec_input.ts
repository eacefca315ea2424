/**
 * IPsec input — sys/netipsec/ipsec_input.c (FAST_IPSEC import): esp4_input()/ah4_input() →
 * ipsec_common_input() (SA by dst/proto/spi) → the transform → ipsec4_common_input_cb()
 * (fix ip_len/ip_sum, prepend IN_DONE, re-queue on ipintrq); and the policy check ip_input
 * does for last-header protocols (ip_input.c 1.175): IN_DONE → ipsec_getpolicy(), else
 * ipsec_getpolicybyaddr(), then ipsec_in_reject() on the m_flags (ipsec.c).
 */
import { isStale, m_adj, type Mbuf } from "../mbuf/mbuf";
import { m_tag_delete, m_tag_find, m_tag_get, m_tag_prepend, m_tag_retype, type MTag } from "../mbuf/tag";
import { fillChecksum, IP, setField } from "../netinet/headers";
import { ipintrq_enqueue } from "../netinet/ip_input";
import type { Host } from "../sim/world";
import type { Consulted, MFlag } from "../trace/events";
import { drop } from "../mbuf/drop";
import { defaultPolicy, keyAllocSa, requestText, spdLookup, spdLookupByTdbi, spiText, tdbiText } from "./key";
import { selectorsOf } from "./ipsec_output";
import type { SecAssoc, SecPolicy } from "./types";
import { esp_input } from "./xform_esp";
import { ah_input } from "./xform_ah";
import { flagItem, itemFor, itemText, listOf, noTagItem, one } from "../trace/shared";
import { addrText } from "../netinet/headers";

/**
 * The counter a FAST_IPSEC policy rejection bumps, as the source names it: ipsec4_in_reject()
 * (sys/netipsec/ipsec.c) counts `newipsecstat.ips_in_polvio` (renamed V_ipsec4stat.ips_in_polvio in
 * later FreeBSD); `ipsecstat.in_polvio` is KAME's counter, bumped by its callers only under
 * `#ifdef IPSEC` (tcp_input/udp_input/icmp_input), never on the FAST_IPSEC path.
 */
const IN_POLVIO = "newipsecstat.ips_in_polvio";

/** esp4_input(m, off): ESP has no PR_LASTHDR, so no policy check happened before this. */
export function esp4_input(host: Host, m: Mbuf, skip: number): void {
  ipsec_common_input(host, m, skip, "esp");
}

/** ah4_input(m, off). */
export function ah4_input(host: Host, m: Mbuf, skip: number): void {
  ipsec_common_input(host, m, skip, "ah");
}

/** ipsec_common_input(m, skip, protoff, af, sproto): find the SA, run the transform. */
function ipsec_common_input(host: Host, m: Mbuf, skip: number, proto: "esp" | "ah"): void {
  const site = host.site("ipsec", "ipsec_common_input");
  const b = m.bytes();
  const spiAt = proto === "esp" ? skip : skip + 4;
  if (b.length < spiAt + 8) {
    drop(
      site,
      m,
      "ipsec-bad-length",
      "packet too short for its header",
      `ipsec_common_input: too short for an ${proto.toUpperCase()} header (esps_hdrops).`,
    );
    return;
  }
  const spi = new DataView(b.buffer, b.byteOffset + spiAt, 4).getUint32(0);
  const dst = addrText(b[16]! * 0x1000000 + ((b[17]! << 16) | (b[18]! << 8) | b[19]!));
  const sa = keyAllocSa(host, dst, proto, spi);
  site.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-in-sa",
      question: site.text`Which SA has destination ${dst}, protocol ${proto}, SPI ${spiText(spi)}?`,
      consulted: sa ? one(itemFor(sa, saModeItem)) : [],
      branch: sa ? site.text`found ${sa.proto} ${spiText(sa.spi)}` : "no SA",
    },
    // seed 003: OpenBSD looks the TDB up with gettdb().
    host.world.behaviour.ipsecStack === "openbsd"
      ? sa
        ? site.text`gettdb finds ${sa.id}.`
        : site.text`gettdb finds no TDB for ${dst}/${proto}/${spiText(spi)} (esps_notdb).`
      : sa
        ? site.text`KEY_ALLOCSA finds ${sa.id}.`
        : site.text`KEY_ALLOCSA finds no SA for ${dst}/${proto}/${spiText(spi)} (esps_notdb).`,
  );
  if (!sa) {
    drop(site, m, "ipsec-no-sa", site.text`no SA ${dst}/${proto}/${spiText(spi)}`, "The packet is dropped.");
    return;
  }
  if (proto === "esp") esp_input(host, m, sa, skip);
  else ah_input(host, m, sa, skip);
}

/**
 * ipsec4_common_input_cb(m, sav, skip, protoff): fix the IP header, prepend IN_DONE naming
 * the SA, count the bytes, and re-queue the packet for another pass through ip_input.
 * With `cryptoDone` (a NIC's IN_CRYPTO_DONE record, found by esp_input) FreeBSD allocates nothing:
 * "just change the type" (`mt->m_tag_id = PACKET_TAG_IPSEC_IN_DONE`, FreeBSD
 * sys/netipsec/ipsec_input.c RELENG_7 ipsec4_common_input_cb; kernel-notes §9.3).
 */
export function ipsec4_common_input_cb(host: Host, m: Mbuf, sa: SecAssoc, skip: number, cryptoDone: MTag | null = null): void {
  // seed 003: OpenBSD's name for it (sys/netinet/ipsec_input.c); it also prepends IN_DONE.
  const site = host.site("ipsec", host.world.behaviour.ipsecStack === "openbsd" ? "ipsec_common_input_cb" : "ipsec4_common_input_cb");
  setField(site, m, "ipv4", 0, IP.totalLength, m.len, site.text`${site.fn} fixes ip_len to ${m.len}…`);
  fillChecksum(site, m, "ipv4", 0, skip, IP.checksum, "…and recomputes the header checksum.");
  const tdbi = { dst: sa.dst, proto: sa.proto, spi: sa.spi } as const;
  if (cryptoDone) {
    m_tag_retype(
      site,
      m,
      cryptoDone,
      "IPSEC_IN_DONE",
      site.text`${site.fn} finds the NIC's IN_CRYPTO_DONE already naming ${tdbiText(tdbi)} and just changes its type to IN_DONE: the NIC's record becomes IPsec's.`,
    );
  } else {
    const tag = m_tag_get(site, "IPSEC_IN_DONE", tdbi, site.text`${site.fn} allocates an IN_DONE tag naming the SA: ${tdbiText(tdbi)}.`, m);
    m_tag_prepend(site, m, tag, "…and prepends it: IPsec input processing has been done with this SA.");
  }
  sa.bytes += m.len;
  sa.packets++;
  ipintrq_enqueue(host, m, site);
}

/** ipip_input (xform_ipip.c via encap4_input): strip the outer header and re-queue the inner packet. */
export function ipip_input(host: Host, m: Mbuf, hlen: number): void {
  const site = host.site("ip", "ipip_input");
  m_adj(site, m, hlen, "ipv4 (outer)", "ipip_input strips the outer IP header of the tunnel; the inner datagram goes back to ipintrq.");
  ipintrq_enqueue(host, m, site);
}

const FLAG_FOR: Record<"esp" | "ah", MFlag> = { esp: "DECRYPTED", ah: "AUTHIPHDR" };

/** ipsec_in_reject's question about a policy. */
function rejectQuestion(sp: SecPolicy): string {
  return `Does the packet satisfy ${sp.id} (${sp.action === "ipsec" ? sp.requests.map(requestText).join(" ") : sp.action})?`;
}

/** The policy as decisions consult it. */
export function spItem(sp: SecPolicy): Consulted {
  return { kind: "sp", id: sp.id, summary: sp.summary };
}

/** The SA as ipsec_common_input's lookup names it. */
function saModeItem(sa: SecAssoc): Consulted {
  return { kind: "sa", id: sa.id, summary: `${sa.id} ${sa.mode}` };
}

/**
 * The FAST_IPSEC input policy check of ip_input for PR_LASTHDR protocols. Returns false if the
 * packet was dropped. The SP comes from the IN_DONE tag when there is one (ipsec_getpolicy,
 * falling back to the default policy), otherwise from the SPD by address.
 */
export function ipsec4_input_policy(host: Host, m: Mbuf): boolean {
  const site = host.site("ipsec", "ipsec_getpolicy");
  const sel = selectorsOf(m);
  const tag = m_tag_find(
    site.at("ip", "ip_input"),
    m,
    "IPSEC_IN_DONE",
    "ip_input looks for an IN_DONE tag: has IPsec input processing been done for this packet?",
  );
  let sp: SecPolicy;
  const consulted: Consulted[] = [tag ? { kind: "tag", name: "IPSEC_IN_DONE", tag, stale: isStale(m, tag.uid) } : noTagItem("IPSEC_IN_DONE")];
  let note: string;
  if (tag && tag.tdbi) {
    const r = spdLookupByTdbi(host, tag.tdbi, "in");
    sp = r.sp ?? defaultPolicy(host, "in");
    consulted.push(itemFor(sp, spItem));
    const stale = isStale(m, tag.uid) ? " — a stale tag, left from the packet's trip the other way" : "";
    note = r.sp
      ? site.text`The IN_DONE tag ${tdbiText(tag.tdbi)}${stale} selects the policy through ipsec_getpolicy: ${sp.id}.`
      : site.text`The IN_DONE tag ${tdbiText(tag.tdbi)}${stale} selects the policy through ipsec_getpolicy: ${r.why}, so the default policy (${sp.action}) applies instead of the SPD entry for these addresses.`;
    site.emit(
      m,
      {
        kind: "decision",
        check: "ipsec-in-policy",
        question: "Which inbound policy applies to this packet?",
        consulted: tag ? consulted : listOf(consulted),
        branch: site.text`${sp.id}: ${sp.action}`,
      },
      note,
    );
  } else {
    const found = spdLookup(host, "in", sel);
    sp = found ?? defaultPolicy(host, "in");
    consulted.push(itemFor(sp, spItem));
    site.at("ipsec", "ipsec_getpolicybyaddr").emit(
      m,
      {
        kind: "decision",
        check: "ipsec-in-policy",
        question: "Which inbound policy applies to this packet?",
        consulted: tag ? consulted : listOf(consulted),
        branch: site.text`${sp.id}: ${sp.action}`,
      },
      found
        ? site.text`No IN_DONE tag: ipsec_getpolicybyaddr looks the addresses up in the SPD and finds ${sp.id}.`
        : site.text`No IN_DONE tag and no SPD entry: the default policy (${sp.action}) applies.`,
    );
  }
  if (tag && host.world.behaviour.consumerDeletesTags) {
    m_tag_delete(site.at("ip", "ip_input"), m, tag, "As the consumer of IN_DONE (producer/consumer model), ip_input deletes the tag it used.");
  }
  return ipsec_in_reject(host, m, sp);
}

/** ipsec_in_reject(sp, m): "XXX should compare policy against ipsec header history" — it checks m_flags. */
function ipsec_in_reject(host: Host, m: Mbuf, sp: SecPolicy, who = "ip_input"): boolean {
  const site = host.site("ipsec", "ipsec_in_reject");
  const question = itemText(sp, rejectQuestion);
  if (sp.action !== "ipsec") {
    const accept = sp.action === "none";
    site.emit(
      m,
      { kind: "decision", check: "ipsec-in-reject", question, consulted: one(itemFor(sp, spItem)), branch: accept ? "accept" : "reject" },
      accept
        ? site.text`The policy is ${sp.action}: ipsec_in_reject accepts the packet without looking at how it arrived.`
        : "The policy is discard: the packet is rejected.",
    );
    if (!accept) drop(site, m, "ipsec-policy-discard", site.text`${sp.id}: discard`, site.text`${who} drops the packet (${IN_POLVIO}).`);
    return accept;
  }
  const consulted: Consulted[] = [itemFor(sp, spItem)];
  let needAuth = false;
  let missing: string | undefined;
  for (const isr of sp.requests) {
    if (isr.level !== "require" || isr.proto === "ipcomp") continue;
    const flag = FLAG_FOR[isr.proto];
    const set = m.flags.has(flag);
    consulted.push(flagItem(flag, set, set && isStale(m, flag)));
    if (!set) missing ??= `M_${flag}`;
    if (isr.proto === "ah") needAuth = true;
    if (
      isr.proto === "esp" &&
      !needAuth &&
      isr.sav &&
      (isr.sav.auth !== "none" || isr.sav.enc === "aes-gcm-16" || isr.sav.enc === "chacha20-poly1305")
    ) {
      const dg = m.flags.has("AUTHIPDGM");
      consulted.push(flagItem("AUTHIPDGM", dg, dg && isStale(m, "AUTHIPDGM")));
      if (!dg) missing ??= "M_AUTHIPDGM";
    }
  }
  const staleUsed = consulted.some((c) => c.kind === "flag" && c.set && c.stale);
  site.emit(
    m,
    { kind: "decision", check: "ipsec-in-reject", question, consulted: listOf(consulted), branch: missing ? "reject" : "accept" },
    missing
      ? site.text`${missing} is not set: the packet did not come through the IPsec the policy requires, so it is rejected.`
      : staleUsed
        ? "The required m_flags are set — but they were set on the packet's earlier trip, not for this one — and ipsec_in_reject accepts it."
        : "The required m_flags are set: ipsec_in_reject accepts the packet.",
  );
  if (missing) {
    drop(site, m, "ipsec-policy-reject", site.text`${missing} missing for ${sp.id}`, site.text`${who} drops the packet (${IN_POLVIO}).`);
    return false;
  }
  return true;
}

/**
 * The raw-socket check of later FAST_IPSEC rip_input (NetBSD raw_ip.c 1.101.6.1, 2008; FreeBSD
 * 5/6/7 raw_ip.c): `ipsec4_in_reject(m, inp)` — the SP is chosen by the socket and the packet's
 * addresses (no tag involved), then ipsec_in_reject tests m_flags, so a stale M_DECRYPTED lets a
 * cleartext reply through. raw_ip.c 1.66 (Jan 2003) has only the KAME check; whether the
 * Aug-2003 port had this one is not known (kernel-notes §7, corrections). False if dropped.
 */
export function ipsec4_in_reject_so(host: Host, m: Mbuf): boolean {
  const site = host.site("ipsec", "ipsec_getpolicybyaddr");
  const sel = selectorsOf(m);
  const found = spdLookup(host, "in", sel);
  const sp = found ?? defaultPolicy(host, "in");
  site.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-in-policy",
      question: "Which inbound policy applies to this datagram at the raw socket (ipsec4_in_reject)?",
      consulted: one(itemFor(sp, spItem)),
      branch: site.text`${sp.id}: ${sp.action}`,
    },
    found
      ? site.text`rip_input's ipsec4_in_reject chooses the policy by the socket and the addresses, not by tags: ${sp.id}.`
      : site.text`rip_input's ipsec4_in_reject finds no SPD entry: the default policy (${sp.action}) applies.`,
  );
  return ipsec_in_reject(host, m, sp, "rip_input");
}
