/**
 * OpenBSD's IPsec, where it differs from FAST_IPSEC (seed 003; kernel-notes §9): the IPsec block
 * of ip_output (PENDING_TDB, ipsp_spd_lookup, the loop check that treats OUT_DONE and
 * OUT_CRYPTO_NEEDED alike, the IFCAP_IPSEC check), ipsp_process_packet/ipsp_process_done
 * (a *record* OUT_DONE, or a *reminder* OUT_CRYPTO_NEEDED when the TDB has TDBF_SKIPCRYPTO),
 * esp_output's skip-crypto branch, ipsp_skipcrypto_unmark, and the inbound check of ip_input that
 * finds the policy from IN_DONE (ipsec_local_check logic).
 *
 * OpenBSD's SPD and TDBs are modelled over the same SPD/SAD objects as FAST_IPSEC's (a TDB is a
 * SecAssoc; ipo->ipo_tdb is the request's cached `sav`); what is OpenBSD's is the code path and the
 * names narration gives it. TDBF_SKIPCRYPTO is the SA's `skipCrypto`: no caller of
 * ipsp_skipcrypto_mark() was found (kernel-notes §9.3), so a scenario marks a TDB itself and the
 * path is labelled hypothetical.
 */
import { isStale, m_set_cleartext, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import { m_tag_find, m_tag_get, m_tag_list, m_tag_prepend } from "../mbuf/tag";
import { fillChecksum, IP, setField } from "../netinet/headers";
import { ip_output, IP_RAWOUTPUT } from "../netinet/ip_output";
import type { Host, Iface } from "../sim/world";
import type { Consulted, TdbIdent } from "../trace/events";
import { itemFor, itemText, listOf, noTagItem, one } from "../trace/shared";
import { toHex } from "../wire/fields";
import { ipip_output, selectorsOf, type OutputVerdict } from "./ipsec_output";
import { spItem } from "./ipsec_input";
import { defaultPolicy, keyCheckRequest, requestText, spdLookup, spiText, tdbiText, type Selectors } from "./key";
import type { SecAssoc, SecPolicy } from "./types";
import { esp_output } from "./xform_esp";
import { ah_output } from "./xform_ah";
import { ipHeaderLen } from "../netinet/headers";
import { ifCapabilities } from "../net/ifq";
import { ipspAcquireSa, ipspCheckExpire } from "../keying/adapters";

/** The TDB as OpenBSD decisions name it. */
function tdbItem(sa: SecAssoc): Consulted {
  return { kind: "sa", id: sa.id, summary: `tdb ${sa.id}${sa.skipCrypto ? " (TDBF_SKIPCRYPTO)" : ""}` };
}

const tdbiOf = (sa: SecAssoc): TdbIdent => ({ dst: sa.dst, proto: sa.proto, spi: sa.spi });

/**
 * The IPsec block of OpenBSD ip_output() — ip_output.c 1.186 (2007; the 2003 revision was not
 * read, kernel-notes §9.2): a PENDING_TDB tag names the TDB, else ipsp_spd_lookup(OUT); with a
 * TDB, the loop detection walks every tag; then ipsp_process_packet. "consumed" when IPsec took
 * or dropped the packet.
 */
export function ipsp_output(host: Host, m: Mbuf): OutputVerdict {
  const site = host.site("ip", "ip_output");
  m_tag_find(
    site,
    m,
    "IPSEC_PENDING_TDB",
    "ip_output looks for a PENDING_TDB tag (a TDB chosen earlier, to be applied here); there is none, so it calls ipsp_spd_lookup.",
  );
  const sel = selectorsOf(m);
  const found = ipsp_spd_lookup_out(host, m, sel);
  if (found === "drop") return "consumed";
  if (found === null) return "continue";
  if (ipsp_loop_detected(host, m, found.tdb)) return "continue";
  ipsp_process_packet(host, m, found.sp, 0);
  return "consumed";
}

/**
 * ipsp_spd_lookup(m, af, hlen, &error, IPSP_DIRECTION_OUT, NULL, NULL) — sys/netinet/ip_spd.c
 * (OpenBSD; revision of 2003 not read, kernel-notes §9.2): the flow (SPD entry) for the packet,
 * and the TDB it uses (ipo->ipo_tdb, found with gettdb when not cached). Null: no IPsec.
 */
function ipsp_spd_lookup_out(host: Host, m: Mbuf, sel: Selectors): { sp: SecPolicy; tdb: SecAssoc } | null | "drop" {
  const site = host.site("ipsec", "ipsp_spd_lookup");
  const hit = spdLookup(host, "out", sel);
  const sp = hit ?? defaultPolicy(host, "out");
  const question = site.text`Which flow covers ${sel.src} → ${sel.dst} (${sel.proto === 1 ? "icmp" : `proto ${sel.proto}`})?`;
  const consulted = one(itemFor(sp, spItem));
  if (sp.action !== "ipsec") {
    const discard = sp.action === "discard";
    site.emit(
      m,
      { kind: "decision", check: "ipsec-out-policy", question, consulted, branch: discard ? "discard" : "no IPsec" },
      discard
        ? site.text`ipsp_spd_lookup: the flow ${sp.id} says deny.`
        : hit
          ? site.text`ipsp_spd_lookup: the flow ${sp.id} says bypass: no IPsec for this packet.`
          : "ipsp_spd_lookup finds no flow for these addresses: no IPsec for this packet.",
    );
    if (discard) drop(site, m, "ipsec-policy-discard", site.text`${sp.id}: deny`, "ip_output drops the packet (EHOSTUNREACH).");
    return discard ? "drop" : null;
  }
  site.emit(
    m,
    { kind: "decision", check: "ipsec-out-policy", question, consulted, branch: "IPsec" },
    site.text`ipsp_spd_lookup finds the flow ${sp.id}: ${sp.requests.map(requestText).join(" then ")}.`,
  );
  const isr = sp.requests[0]!;
  const tdb = keyCheckRequest(host, isr, sel);
  const want = itemText(isr, requestText);
  site.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-out-sa",
      question: site.text`Which TDB does the flow use for ${want}?`,
      consulted: tdb ? one(itemFor(tdb, tdbItem)) : [],
      branch: tdb ? site.text`use ${tdb.proto} ${tdb.spi.toString(16)}` : "no TDB: drop",
    },
    tdb
      ? site.text`ipsp_spd_lookup: the flow's TDB is ${tdb.id}${tdb.skipCrypto ? " — marked TDBF_SKIPCRYPTO (hypothetical: no caller of ipsp_skipcrypto_mark was found)" : ""}.`
      : site.text`ipsp_spd_lookup finds no TDB for ${want}: it asks the key manager for one (pfkeyv2_acquire) and the packet is dropped.`,
  );
  if (!tdb) {
    // Seed 004: with a key daemon running, ipsp_acquire_sa raises the ACQUIRE (keying/adapters.ts).
    if (ipspAcquireSa(host, m, sp, isr, sel)) return "drop";
    drop(
      site,
      m,
      "ipsec-no-sa",
      site.text`no TDB for ${want}`,
      "ip_output drops the packet while the key manager negotiates (EHOSTUNREACH… -ENOENT).",
    );
    return "drop";
  }
  return { sp, tdb };
}

/**
 * ip_output's loop detection (OpenBSD ip_output.c 1.186): "if we're trying to send a packet with
 * the same SA, then we do nothing (packet already processed)" — for each OUT_DONE *or*
 * OUT_CRYPTO_NEEDED whose {spi, proto, dst} equals the TDB's, `sproto = 0; goto done_spd`. The
 * record and the reminder both mean "IPsec has run for this SA". The no-ipsec-loop-check switch
 * removes the walk.
 */
function ipsp_loop_detected(host: Host, m: Mbuf, tdb: SecAssoc): boolean {
  const site = host.site("ip", "ip_output");
  const question = "Has IPsec already run with this TDB (an OUT_DONE record or OUT_CRYPTO_NEEDED reminder naming it)?";
  if (host.world.behaviour.loopCheck === "none") {
    site.emit(
      m,
      {
        kind: "decision",
        check: "ipsec-loop",
        question,
        consulted: listOf([{ kind: "switch", name: "loop detection", value: "removed (no-ipsec-loop-check)" }]),
        branch: "apply IPsec",
      },
      "With the loop check removed (switch no-ipsec-loop-check), ip_output does not look at the packet's tags: IPsec is applied again.",
    );
    return false;
  }
  const relevant = m_tag_list(m).filter((t) => t.name === "IPSEC_OUT_DONE" || t.name === "IPSEC_OUT_CRYPTO_NEEDED");
  const consulted: Consulted[] = relevant.map((t) => ({ kind: "tag", name: t.name, tag: t, stale: isStale(m, t.uid) }));
  consulted.push(itemFor(tdb, tdbItem));
  const hit = relevant.find((t) => t.tdbi !== undefined && t.tdbi.spi === tdb.spi && t.tdbi.proto === tdb.proto && t.tdbi.dst === tdb.dst);
  if (!hit) {
    site.emit(
      m,
      { kind: "decision", check: "ipsec-loop", question, consulted: relevant.length === 0 ? listOf(consulted) : consulted, branch: "apply IPsec" },
      relevant.length === 0
        ? "ip_output's loop detection finds no OUT_DONE or OUT_CRYPTO_NEEDED tag: IPsec has not run for this packet, so apply it."
        : "No OUT_DONE or OUT_CRYPTO_NEEDED tag names this TDB: apply IPsec.",
    );
    return false;
  }
  const what =
    hit.name === "IPSEC_OUT_DONE"
      ? site.text`the OUT_DONE record ${tdbiText(hit.tdbi!)}`
      : site.text`the OUT_CRYPTO_NEEDED reminder ${tdbiText(hit.tdbi!)} — treated as done: the NIC is to do the crypto —`;
  site.emit(
    m,
    { kind: "decision", check: "ipsec-loop", question, consulted, branch: "skip IPsec" },
    site.text`ip_output's loop detection finds ${what} naming this TDB: IPsec already ran, so sproto = 0 and the packet goes on (goto done_spd).`,
  );
  return true;
}

/**
 * ipsp_process_packet(m, tdb, af, tunalready) — OpenBSD sys/netinet/ipsec_output.c 1.26
 * (2003-02-19): tunnel if the TDB's destination differs from the packet's (ipip_output), then
 * the transform's output (esp_output / ah_output), which calls ipsp_process_done.
 */
export function ipsp_process_packet(host: Host, m: Mbuf, sp: SecPolicy, index: number): void {
  const site = host.site("ipsec", "ipsp_process_packet");
  const isr = sp.requests[index]!;
  const sel = selectorsOf(m);
  const tdb = index === 0 ? isr.sav : keyCheckRequest(host, isr, sel);
  if (!tdb) {
    // tdb->tdb_onext is set up with the bundle; a bundle member without a TDB cannot be applied.
    drop(site, m, "ipsec-no-sa", site.text`no TDB for ${itemText(isr, requestText)}`, "ipsp_process_packet has no TDB to apply (EHOSTUNREACH).");
    return;
  }
  // Seed 004: the TDB's lifetimes (keying/adapters.ts).
  if (!ipspCheckExpire(host, tdb, m)) return;
  if (tdb.mode === "tunnel" || tdb.dst !== sel.dst) {
    // "Fix IPv4 header checksum and length" before ipip_output wraps the packet.
    setField(site, m, "ipv4", 0, IP.totalLength, m.len, site.text`ipsp_process_packet fixes the inner ip_len (${m.len}) before tunnelling.`);
    fillChecksum(site, m, "ipv4", 0, ipHeaderLen(m), IP.checksum, "…and the inner header checksum (ip_sum = in_cksum(m, ip_hl << 2)).");
    if (!ipip_output(host, m, tdb.src, tdb.dst)) return;
  }
  const skip = ipHeaderLen(m);
  const next = (): void => ipsp_process_done(host, m, sp, index, tdb);
  if (tdb.proto === "esp") esp_output(host, m, tdb, skip, next);
  else ah_output(host, m, tdb, skip, next);
}

/**
 * ipsp_process_done(m, tdb) — OpenBSD ipsec_output.c 1.26: fix ip_len, then "Add a record of what
 * we've done or what needs to be done to the packet": PACKET_TAG_IPSEC_OUT_DONE when
 * TDBF_SKIPCRYPTO is clear, PACKET_TAG_IPSEC_OUT_CRYPTO_NEEDED when it is set, each holding the
 * tdb_ident; the next bundled TDB (tdb_onext), or ip_output(IP_RAWOUTPUT) — "SPD lookup will be
 * performed again there".
 */
function ipsp_process_done(host: Host, m: Mbuf, sp: SecPolicy, index: number, tdb: SecAssoc): void {
  const site = host.site("ipsec", "ipsp_process_done");
  setField(site, m, "ipv4", 0, IP.totalLength, m.len, site.text`ipsp_process_done fixes ip_len to ${m.len}.`);
  const skip = tdb.skipCrypto;
  site.emit(
    m,
    {
      kind: "decision",
      check: "skip-crypto",
      question: "Is the TDB marked TDBF_SKIPCRYPTO (a NIC is to do the crypto)?",
      consulted: one(itemFor(tdb, tdbItem)),
      branch: skip ? "tag OUT_CRYPTO_NEEDED (reminder)" : "tag OUT_DONE (record)",
    },
    skip
      ? "TDBF_SKIPCRYPTO is set: ipsp_process_done tags what still needs to be done — an OUT_CRYPTO_NEEDED reminder for the NIC (hypothetical path)."
      : "TDBF_SKIPCRYPTO is clear: ipsp_process_done tags what has been done — an OUT_DONE record.",
  );
  const tdbi = tdbiOf(tdb);
  const tag = m_tag_get(
    site,
    skip ? "IPSEC_OUT_CRYPTO_NEEDED" : "IPSEC_OUT_DONE",
    tdbi,
    skip
      ? site.text`ipsp_process_done allocates an OUT_CRYPTO_NEEDED tag (a reminder): ${tdbiText(tdbi)} still has to be encrypted.`
      : site.text`ipsp_process_done allocates an OUT_DONE tag (a record): ${tdbiText(tdbi)} has been applied.`,
    m,
  );
  m_tag_prepend(site, m, tag, skip ? "…and prepends the reminder." : "…and prepends the record, so ip_output can detect and avoid a loop.");
  if (index + 1 < sp.requests.length) {
    ipsp_process_packet(host, m, sp, index + 1);
    return;
  }
  ip_output(host, m, IP_RAWOUTPUT);
}

/**
 * esp_output()'s TDBF_SKIPCRYPTO branch — OpenBSD sys/netinet/ip_esp.c 1.111 (2010; the branch
 * is in the 2003 design, kernel-notes §9.3): the ESP header, IV and padding are built as usual,
 * then `return esp_output_cb(crp)` instead of crypto_dispatch: no cipher runs, the payload stays
 * plaintext and the ICV room stays zero. Hypothetical in use (no caller of _mark was found).
 */
export function esp_output_skipcrypto(host: Host, m: Mbuf, sa: SecAssoc, payload: Uint8Array, nextHeader: number, done: () => void): void {
  const site = host.site("ipsec", "esp_output");
  site.emit(
    m,
    {
      kind: "decision",
      check: "skip-crypto",
      question: "Does esp_output run the cipher, or leave it to the NIC (TDBF_SKIPCRYPTO)?",
      consulted: one(itemFor(sa, tdbItem)),
      branch: "skip: esp_output_cb directly",
    },
    site.text`TDBF_SKIPCRYPTO is set on ${sa.id}: esp_output calls esp_output_cb(crp) itself instead of crypto_dispatch — the ESP packet is formatted but its ${payload.length} payload bytes are still plaintext (hypothetical path).`,
  );
  // The plaintext is the packet's own payload here; the inspector's decrypted view shows it too.
  m_set_cleartext(m, toHex(payload), nextHeader);
  sa.bytes += payload.length;
  sa.packets++;
  // Without crypto_dispatch nothing is queued: esp_output_cb → ipsp_process_done → ip_output all
  // run on this call stack. Only a runaway (no-ipsec-loop-check) nests deeply; the kernel would
  // overflow its stack, which the engine does not model, so it stops the packet here.
  if (skipDepth >= MAX_SKIP_DEPTH) {
    drop(
      site,
      m,
      "not-modelled",
      site.text`${MAX_SKIP_DEPTH} nested esp_output calls without crypto_dispatch`,
      "The skip-crypto path has recursed through ip_output again and again on one call stack; the kernel would run out of stack (not modelled), so the engine stops this packet.",
    );
    return;
  }
  skipDepth++;
  try {
    done();
  } finally {
    skipDepth--;
  }
}

/** Nesting of esp_output_skipcrypto → ip_output → esp_output_skipcrypto on one (simulated) call stack. */
let skipDepth = 0;
const MAX_SKIP_DEPTH = 64;

/**
 * ip_output's IFCAP_IPSEC check (OpenBSD ip_output.c 1.186, kernel-notes §9.2): a packet carrying
 * an OUT_CRYPTO_NEEDED reminder may only leave through an interface whose driver does IPsec
 * crypto; otherwise "Notify IPsec to do its own crypto": ipsp_skipcrypto_unmark(tdbi), free the
 * packet, EHOSTUNREACH. False when the packet was dropped.
 */
export function ipsp_capability_check(host: Host, m: Mbuf, ifp: Iface): boolean {
  const site = host.site("ip", "ip_output");
  const tag = m_tag_find(
    site,
    m,
    "IPSEC_OUT_CRYPTO_NEEDED",
    "ip_output looks for an OUT_CRYPTO_NEEDED reminder before handing the packet to the interface.",
  );
  if (!tag) return true;
  const capable = ifCapabilities(host, ifp).includes("ipsec");
  site.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-capability",
      question: site.text`Can ${ifp.name} do the crypto the reminder asks for (IFCAP_IPSEC)?`,
      consulted: [
        { kind: "tag", name: tag.name, tag, stale: isStale(m, tag.uid) },
        { kind: "switch", name: site.text`${ifp.name} if_capabilities`, value: capable ? "IFCAP_IPSEC (hypothetical)" : "no IFCAP_IPSEC" },
      ],
      branch: capable ? "to the NIC" : "unmark TDB, drop",
    },
    capable
      ? site.text`${ifp.name} has IFCAP_IPSEC (a hypothetical NIC: the only driver with the bit, txp, had it under #if 0): the reminder goes down with the packet.`
      : site.text`${ifp.name} has no IFCAP_IPSEC: nobody below can honour the reminder. "Notify IPsec to do its own crypto" — the packet is dropped.`,
  );
  if (capable) return true;
  ipsp_skipcrypto_unmark(host, m, tag.tdbi!);
  drop(
    site,
    m,
    "ipsec-crypto-needed",
    site.text`${ifp.name} lacks IFCAP_IPSEC`,
    "ip_output frees the packet: EHOSTUNREACH. The next packet for this TDB takes the software path.",
  );
  return false;
}

/**
 * ipsp_skipcrypto_unmark(tdbi) — OpenBSD sys/netinet/ip_ipsp.c (kernel-notes §9.3): gettdb()
 * and clear TDBF_SKIPCRYPTO, so IPsec does its own crypto from now on.
 */
function ipsp_skipcrypto_unmark(host: Host, m: Mbuf, tdbi: TdbIdent): void {
  const site = host.site("ipsec", "ipsp_skipcrypto_unmark");
  const tdb = host.sad.find((s) => s.dst === tdbi.dst && s.proto === tdbi.proto && s.spi === tdbi.spi);
  if (!tdb) return;
  tdb.skipCrypto = false;
  site.emit(
    m,
    { kind: "sa.update", sa: tdb.id, field: "tdb_flags", value: "TDBF_SKIPCRYPTO cleared" },
    site.text`ipsp_skipcrypto_unmark: gettdb finds ${tdb.id} and clears TDBF_SKIPCRYPTO — IPsec will run the cipher itself.`,
  );
}

/** Protocols whose inbound check OpenBSD skips, and why (ip_input.c 1.134 / ipsec_local_check). */
const SKIP_CHECK: Readonly<Record<number, string>> = {
  50: 'it is a protected packet for us: "we really only care about the properties of the protected packet"',
  51: 'it is a protected packet for us: "we really only care about the properties of the protected packet"',
  108: 'it is a protected packet for us: "we really only care about the properties of the protected packet"',
  4: "the inner packet of the tunnel is checked when it comes back up",
  6: "TCP is checked in tcp_input (for bypass sockets)",
  17: "UDP is checked in udp_input (for bypass sockets)",
};

/**
 * The inbound IPsec check of OpenBSD ip_input — ip_input.c 1.134 (2005; ipsec_local_check() in
 * later revisions, same logic): skip ESP/AH/IPComp, IPIP/IPv6 and TCP/UDP; otherwise the
 * inner-most IN_DONE names the TDB (gettdb), and ipsp_spd_lookup(IPSP_DIRECTION_IN, tdb) decides;
 * an error drops the packet. False when dropped.
 */
export function ipsec_local_check(host: Host, m: Mbuf, proto: number): boolean {
  const site = host.site("ip", "ipsec_local_check");
  const skip = SKIP_CHECK[proto];
  if (skip !== undefined) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "pr-lasthdr",
        question: "Does ip_input check the inbound IPsec policy for this protocol here?",
        consulted: [{ kind: "field", header: "ipv4", field: "protocol", value: String(proto) }],
        branch: "no policy check",
      },
      site.text`ip_input skips the IPsec policy check: ${skip}.`,
    );
    return true;
  }
  const tag = m_tag_find(site, m, "IPSEC_IN_DONE", "ip_input looks for the inner-most IN_DONE record: which TDB protected this packet?");
  const tdb = tag?.tdbi ? host.sad.find((s) => s.dst === tag.tdbi!.dst && s.proto === tag.tdbi!.proto && s.spi === tag.tdbi!.spi) : undefined;
  const sel = selectorsOf(m);
  const hit = spdLookup(host, "in", sel);
  const sp = hit ?? defaultPolicy(host, "in");
  const tagItem: Consulted = tag ? { kind: "tag", name: tag.name, tag, stale: isStale(m, tag.uid) } : noTagItem("IPSEC_IN_DONE");
  const lookup = host.site("ipsec", "ipsp_spd_lookup");
  lookup.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-in-policy",
      question: "Which inbound flow applies to this packet?",
      consulted: tag ? [tagItem, itemFor(sp, spItem)] : listOf([tagItem, itemFor(sp, spItem)]),
      branch: lookup.text`${sp.id}: ${sp.action}`,
    },
    tag
      ? lookup.text`ipsp_spd_lookup(IN) is given the TDB from the IN_DONE record ${tdbiText(tag.tdbi!)} and finds the flow ${sp.id} for the addresses.`
      : hit
        ? lookup.text`No IN_DONE record: ipsp_spd_lookup(IN) is given no TDB (tdb = NULL) and finds the flow ${sp.id} for the addresses.`
        : lookup.text`No IN_DONE record and no flow: ${sp.id} applies.`,
  );
  const accept = spAcceptsTdb(sp, tdb);
  const need = sp.requests[0];
  lookup.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-in-reject",
      question: itemText(sp, acceptQuestion),
      consulted: tag ? [tagItem, itemFor(sp, spItem)] : listOf([tagItem, itemFor(sp, spItem)]),
      branch: accept ? "accept" : "reject",
    },
    sp.action !== "ipsec"
      ? sp.action === "none"
        ? "The flow asks for no IPsec: ipsp_spd_lookup accepts the packet."
        : "The flow says deny: the packet is rejected."
      : accept
        ? lookup.text`The IN_DONE record's TDB ${tdb!.id} is the ${need!.proto.toUpperCase()} the flow requires: accept.`
        : tag
          ? lookup.text`The IN_DONE record names ${tdbiText(tag.tdbi!)}, which is not what the flow requires: reject.`
          : lookup.text`The flow requires ${need!.proto.toUpperCase()} but the packet carries no IN_DONE record — it did not come through IPsec: reject.`,
  );
  if (!accept) {
    drop(
      lookup,
      m,
      sp.action === "discard" ? "ipsec-policy-discard" : "ipsec-policy-reject",
      tag ? lookup.text`IN_DONE ${tdbiText(tag.tdbi!)} does not satisfy ${sp.id}` : lookup.text`no IN_DONE record for ${sp.id}`,
      "ip_input drops the packet (ipsecstat.ipsec_in_polvio… EHOSTUNREACH from ipsp_spd_lookup).",
    );
    return false;
  }
  return true;
}

function acceptQuestion(sp: SecPolicy): string {
  return `Does the packet's IPsec history satisfy ${sp.id} (${sp.action === "ipsec" ? sp.requests.map(requestText).join(" ") : sp.action})?`;
}

/** Whether an inbound flow accepts a packet protected by `tdb` (undefined: none). */
function spAcceptsTdb(sp: SecPolicy, tdb: SecAssoc | undefined): boolean {
  if (sp.action === "none") return true;
  if (sp.action === "discard") return false;
  const need = sp.requests.find((r) => r.level === "require");
  if (!need) return true;
  return tdb !== undefined && tdb.proto === need.proto && (need.mode !== "tunnel" || tdb.mode === "tunnel");
}

/** The SPI text of a TDB, for the driver's narration. */
export function tdbText(sa: SecAssoc): string {
  return `${sa.proto} ${spiText(sa.spi)}`;
}
