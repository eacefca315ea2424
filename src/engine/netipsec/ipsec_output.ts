/**
 * IPsec output — the FAST_IPSEC block of ip_output() (NetBSD ip_output.c 1.120), and
 * sys/netipsec/ipsec_output.c: ipsec4_process_packet(), ipsec_process_done(); plus
 * ipip_output() (xform_ipip.c) for tunnel mode.
 *
 * The story lives here: after ESP, ipsec_process_done prepends OUT_DONE{dst, proto, spi} and
 * re-enters ip_output with IP_RAWOUTPUT; ip_output looks the policy up again and skips IPsec
 * when an OUT_DONE names the SA the policy's request has cached — which, on an echo reply
 * reflected in the request's own mbuf, is still true (seed 001, Stone's step 8).
 */
import { isStale, m_copyback, m_prepend, type Mbuf } from "../mbuf/mbuf";
import { m_tag_delete, m_tag_find, m_tag_get, m_tag_list, m_tag_prepend } from "../mbuf/tag";
import { fillChecksum, getField, IP, ipHeader, ipHeaderLen, setField } from "../netinet/headers";
import { ip_output, IP_RAWOUTPUT } from "../netinet/ip_output";
import { ip_randomid } from "../netinet/ip_id";
import type { Host } from "../sim/world";
import type { Consulted } from "../trace/events";
import { emitIpv4 } from "../wire/ipv4";
import { IP_PROTO } from "../wire/fields";
import { drop } from "../mbuf/drop";
import { defaultPolicy, keyCheckRequest, requestText, spdLookup, tdbiText, type Selectors } from "./key";
import type { IpsecRequest, SecAssoc, SecPolicy } from "./types";
import { esp_output } from "./xform_esp";
import { IP_MAXPACKET } from "./maxpacket";
import { ah_output } from "./xform_ah";
import { itemFor, itemText, listOf, one } from "../trace/shared";
import { spItem } from "./ipsec_input";

/** ip_defttl: the TTL of headers the kernel builds itself (ipip_output's outer header). */
const IP_DEFTTL = 64;

/** What ipsec4_checkpolicy says a policy asks for. */
function asksForNote(sp: SecPolicy): string {
  return `The policy ${sp.id} asks for ${sp.requests.map(requestText).join(" then ")}.`;
}

/** sp->req->sav as the loop check consults it. */
function cachedSavItem(sav: SecAssoc): Consulted {
  return { kind: "sa", id: sav.id, summary: `sp->req->sav, cached by key_checkrequest: ${sav.id}` };
}

/** The SA key_checkrequest found, with its mode and algorithms. */
function outSaItem(sa: SecAssoc): Consulted {
  return { kind: "sa", id: sa.id, summary: `${sa.id} ${sa.mode} ${sa.enc}${sa.auth !== "none" ? `+${sa.auth}` : ""}` };
}

/** The FAST_IPSEC block's outcome for ip_output. */
export type OutputVerdict = "consumed" | "continue";

/** The selectors of the packet at the front of `m`. */
export function selectorsOf(m: Mbuf): Selectors {
  const h = ipHeader(m);
  return { src: h.src, dst: h.dst, proto: h.protocol };
}

/**
 * ipsec4_checkpolicy() plus ip_output's loop detection. Returns "consumed" when IPsec took the
 * packet (it comes back through ip_output later) or dropped it.
 */
export function ipsec4_output(host: Host, m: Mbuf, flags: number): OutputVerdict {
  // ip_output.c 1.120: every pass first looks for PACKET_TAG_IPSEC_PENDING_TDB (an SP chosen
  // earlier, ipsec_getpolicy(tdbi, OUTBOUND)); only without it is ipsec4_checkpolicy called.
  // Nothing on the modelled paths adds one (Stone's "first tag" is not in the code read), so
  // the lookup is recorded and finds nothing.
  m_tag_find(
    host.site("ip", "ip_output"),
    m,
    "IPSEC_PENDING_TDB",
    "ip_output looks for a PENDING_TDB tag (a policy chosen earlier); there is none, so it asks ipsec4_checkpolicy.",
  );
  const sel = selectorsOf(m);
  const sp = ipsec4_checkpolicy(host, m, sel);
  if (sp === "drop") return "consumed";
  if (!sp) return "continue";
  if (loopCheckSaysDone(host, m, sp)) return "continue";
  ipsec4_process_packet(host, m, sp, sp.requests, 0, flags);
  return "consumed";
}

/** ipsec4_checkpolicy(m, IPSEC_DIR_OUTBOUND): the SP if it asks for IPsec, null for none. */
function ipsec4_checkpolicy(host: Host, m: Mbuf, sel: Selectors): SecPolicy | null | "drop" {
  const site = host.site("ipsec", "ipsec4_checkpolicy");
  const found = spdLookup(host, "out", sel);
  const sp = found ?? defaultPolicy(host, "out");
  const question = site.text`Which outbound policy covers ${sel.src} → ${sel.dst} (${sel.proto === 1 ? "icmp" : `proto ${sel.proto}`})?`;
  const consulted = one(itemFor(sp, spItem));
  if (sp.action === "discard") {
    site.emit(
      m,
      { kind: "decision", check: "ipsec-out-policy", question, consulted, branch: "discard" },
      site.text`The policy ${sp.id} says discard.`,
    );
    drop(site, m, "ipsec-policy-discard", site.text`${sp.id}: discard`, "ip_output drops the packet: policy discard (EACCES... -EINVAL, silently).");
    return "drop";
  }
  if (sp.action === "none") {
    site.emit(
      m,
      { kind: "decision", check: "ipsec-out-policy", question, consulted, branch: "no IPsec" },
      found
        ? site.text`The policy ${sp.id} says none: no IPsec for this packet.`
        : "No SPD entry matches; the default policy is none: no IPsec for this packet.",
    );
    return null;
  }
  site.emit(m, { kind: "decision", check: "ipsec-out-policy", question, consulted, branch: "IPsec" }, itemText(sp, asksForNote));
  return sp;
}

/**
 * ip_output's loop detection (NetBSD ip_output.c 1.120): walk the tags; for each OUT_DONE or
 * OUT_CRYPTO_NEEDED, stop if the request has no cached SA yet, and skip IPsec if the tag's
 * tdb_ident (spi, proto, dst) equals that SA's. The `presence` personality skips on any OUT_DONE.
 */
function loopCheckSaysDone(host: Host, m: Mbuf, sp: SecPolicy): boolean {
  const site = host.site("ip", "ip_output");
  const b = host.world.behaviour;
  const sav = sp.requests[0]?.sav ?? null;
  const relevant = m_tag_list(m).filter((t) => t.name === "IPSEC_OUT_DONE" || t.name === "IPSEC_OUT_CRYPTO_NEEDED");
  const tags: Consulted[] = relevant.map((t) => ({ kind: "tag", name: t.name, tag: t, stale: isStale(m, t.uid) }));
  if (sav) tags.push(itemFor(sav, cachedSavItem));
  // Without tags the list is the same every time: share it.
  const consulted = relevant.length === 0 ? listOf(tags) : tags;
  const question = "Has IPsec output already been done for this packet (an OUT_DONE tag naming the policy's SA)?";
  if (b.loopCheck === "none") {
    // seed 003 switch no-ipsec-loop-check: the walk is gone.
    site.emit(
      m,
      {
        kind: "decision",
        check: "ipsec-loop",
        question,
        consulted: listOf([{ kind: "switch", name: "loop check", value: "removed (no-ipsec-loop-check)" }]),
        branch: "apply IPsec",
      },
      "With the loop check removed (switch no-ipsec-loop-check), ip_output does not look at the packet's tags: IPsec is applied again.",
    );
    return false;
  }
  if (relevant.length === 0) {
    site.emit(
      m,
      { kind: "decision", check: "ipsec-loop", question, consulted, branch: "apply IPsec" },
      "ip_output's loop check finds no OUT_DONE tag: IPsec processing has not been done, so apply it.",
    );
    return false;
  }
  for (const t of relevant) {
    if (b.loopCheck === "sa-identity" && sav === null) {
      site.emit(
        m,
        { kind: "decision", check: "ipsec-loop", question, consulted, branch: "apply IPsec" },
        "The policy's request has no cached SA yet (sp->req->sav == NULL): the walk stops and IPsec is applied.",
      );
      return false;
    }
    const matches =
      b.loopCheck === "presence" ||
      (t.tdbi !== undefined && sav !== null && t.tdbi.spi === sav.spi && t.tdbi.proto === sav.proto && t.tdbi.dst === sav.dst);
    if (matches) {
      const stale = isStale(m, t.uid);
      const how = b.loopCheck === "presence" ? "is present" : site.text`names ${tdbiText(t.tdbi!)}, the SA the policy uses`;
      site.emit(
        m,
        { kind: "decision", check: "ipsec-loop", question, consulted, branch: "skip IPsec" },
        stale
          ? site.text`ip_output's loop check finds an OUT_DONE tag that ${how} — but it is stale, left from the packet's earlier trip — and skips IPsec (goto spd_done): the packet will leave without ${sav?.proto.toUpperCase() ?? "IPsec"}.`
          : site.text`ip_output's loop check finds the OUT_DONE tag that ${how}: IPsec was just applied, so skip it this time (goto spd_done).`,
      );
      if (b.consumerDeletesTags) {
        m_tag_delete(site, m, t, "As the consumer of OUT_DONE (producer/consumer model), ip_output deletes the tag it matched.");
      }
      return true;
    }
  }
  site.emit(
    m,
    { kind: "decision", check: "ipsec-loop", question, consulted, branch: "apply IPsec" },
    "No OUT_DONE tag names the policy's SA: apply IPsec.",
  );
  return false;
}

/**
 * ipsec4_process_packet(m, isr, flags, tunalready): find the SA for the request
 * (key_checkrequest via ipsec_nextisr), add the outer header for tunnel mode, then run the
 * transform's output. `index` walks the policy's request list (isr->next).
 */
export function ipsec4_process_packet(host: Host, m: Mbuf, sp: SecPolicy, requests: IpsecRequest[], index: number, flags: number): void {
  const site = host.site("ipsec", "ipsec4_process_packet");
  const isr = requests[index]!;
  const sel = selectorsOf(m);
  const sa = keyCheckRequest(host, isr, sel);
  const want = itemText(isr, requestText);
  if (!sa) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "ipsec-out-sa",
        question: site.text`Is there an SA for ${want} (${sel.src} → ${sel.dst})?`,
        consulted: [],
        branch: isr.level === "use" ? (index + 1 < requests.length ? "no SA: next request" : "no SA: EINVAL") : "no SA: drop",
      },
      isr.level === "use"
        ? index + 1 < requests.length
          ? site.text`key_checkrequest finds no SA; the level is "use", so ipsec_nextisr moves on to the next request.`
          : site.text`key_checkrequest finds no SA; the level is "use" and no request follows, so ipsec_nextisr fails with EINVAL ("XXX valid return") — the packet is not sent in clear.`
        : site.text`key_checkrequest finds no SA for ${want}; the level is "require", so the packet is dropped (an ACQUIRE would go to the key daemon).`,
    );
    if (isr.level === "use") {
      // ipsec_output.c ipsec_nextisr (FreeBSD 1.11 / NetBSD 1.17.2.1): sav == NULL at level use →
      // isr = isr->next; if none is left, *error = EINVAL and ipsec4_process_packet frees m.
      if (index + 1 < requests.length) {
        ipsec4_process_packet(host, m, sp, requests, index + 1, flags);
        return;
      }
      drop(
        site,
        m,
        "ipsec-no-sa",
        site.text`no SA for ${want} (use): EINVAL`,
        "ipsec4_process_packet fails with EINVAL and frees the packet (ip_output returns the error).",
      );
      return;
    }
    // Seed 004: with a key manager the kernel asks the daemon for the SA (km_query / key_acquire)
    // and drops or holds the packet itself (keying/kernel.ts).
    if (host.keyKernel?.acquire(m, sp, isr, sel)) return;
    drop(
      site,
      m,
      "ipsec-no-sa",
      site.text`no SA for ${want}`,
      "ipsec4_process_packet fails with ENOENT; the packet is dropped (newipsecstat.ips_out_nosa).",
    );
    return;
  }
  // Seed 004: lifetimes are checked before the packet is counted (xfrm_state_check_expire).
  if (host.keyKernel && !host.keyKernel.checkExpire(sa, m)) return;
  site.emit(
    m,
    {
      kind: "decision",
      check: "ipsec-out-sa",
      question: site.text`Is there an SA for ${want} (${sel.src} → ${sel.dst})?`,
      consulted: one(itemFor(sa, outSaItem)),
      branch: site.text`use ${sa.proto} ${sa.spi.toString(16)}`,
    },
    site.text`key_checkrequest finds ${sa.id} and caches it in the request (isr->sav).`,
  );
  if (sa.mode === "tunnel" || sa.dst !== sel.dst) {
    // "Fix IPv4 header checksum and length": the inner header is final before it is wrapped.
    const hlen = ipHeaderLen(m);
    setField(site, m, "ipv4", 0, IP.totalLength, m.len, site.text`ipsec4_process_packet fixes the inner header's ip_len (${m.len})…`);
    fillChecksum(site, m, "ipv4", 0, hlen, IP.checksum, "…and its checksum, before tunnel mode wraps it.");
    // "Collect IP_DF state from the outer header": switch (ip4_ipsec_dfbit) 0 clear, 1 set,
    // default propagate (ipsec4_process_packet, NetBSD/FreeBSD FAST_IPSEC ipsec_output.c).
    const setdf = host.ipsecDfbit === 2 ? getField(m, 0, IP.df) === 1 : host.ipsecDfbit === 1;
    if (!ipip_output(host, m, sa.src, sa.dst, setdf)) return;
  }
  const skip = ipHeaderLen(m);
  const next = (): void => ipsec_process_done(host, m, sp, requests, index, flags);
  if (sa.proto === "esp") esp_output(host, m, sa, skip, next);
  else ah_output(host, m, sa, skip, next);
}

/**
 * The outer header's ip_id, as ipip_output() takes it: NetBSD xform_ipip.c (1.31.4.1:
 * `ipo->ip_id = ip_newid(…)` under `#if defined(__NetBSD__)`) and OpenBSD ip_ipip.c
 * (`htons(ip_randomid())`) use the generator ip_output uses; FreeBSD xform_ipip.c 1.3.2.1 without
 * RANDOM_IP_ID uses the global counter, `htons(ip_id++)` (Behaviour.ipipIpId).
 */
function ipip_ip_id(host: Host): number {
  if (host.world.behaviour.ipipIpId === "counter") {
    const id = host.ipId;
    host.ipId = (host.ipId + 1) & 0xffff;
    return id;
  }
  return ip_randomid(host);
}

/** ipip_output(): wrap the packet in an outer IPv4 header for tunnel mode (xform_ipip.c). */
export function ipip_output(host: Host, m: Mbuf, src: string, dst: string, setdf = false): boolean {
  const site = host.site("ipsec", "ipip_output");
  if (m.len + 20 > IP_MAXPACKET) {
    // xform_ipip.c sets the outer ip_len from m_pkthdr.len without a bound we could cite; a
    // 16-bit field cannot hold it, so the engine stops here rather than invent what happens.
    drop(
      site,
      m,
      "not-modelled",
      site.text`${m.len + 20} bytes with the outer header > IP_MAXPACKET ${IP_MAXPACKET}`,
      "The outer header's ip_len cannot hold this datagram; what ipip_output does then is not modelled, so the engine drops it here.",
    );
    return false;
  }
  const inner = ipHeader(m);
  m_prepend(site, m, 20, "ipv4 (outer)", `ipip_output makes room for the outer IP header of tunnel mode (M_PREPEND).`, { kind: "ipv4", outer: true });
  const id = ipip_ip_id(host);
  const outer = new Uint8Array(20);
  // ipip_output clears DF; ipsec4_process_packet sets it again when ip4_ipsec_dfbit says so
  // (RFC 4301 §8.1 leaves the choice open). Written here in one go.
  emitIpv4(
    {
      tos: inner.tos,
      totalLength: m.len,
      id,
      df: setdf,
      mf: false,
      fragOffset: 0,
      ttl: IP_DEFTTL,
      protocol: IP_PROTO.IPIP,
      checksum: 0,
      src,
      dst,
      options: new Uint8Array(0),
    },
    outer,
    0,
  );
  m_copyback(
    site,
    m,
    0,
    outer,
    "ipv4 header (outer)",
    site.text`ipip_output writes the outer header ${src} → ${dst}, protocol IPIP (4), TTL ${IP_DEFTTL}, ip_id ${id} from ${host.world.behaviour.ipipIpId === "counter" ? "ip_id++" : "ip_randomid()"}${setdf ? `, DF set (ip4_ipsec_dfbit ${host.ipsecDfbit})` : ""}.`,
  );
  return true;
}

/**
 * ipsec_process_done(m, isr): fix ip_len, prepend OUT_DONE{dst, proto, spi} "so that we can
 * detect and avoid loops", then either the next request or ip_output(m, IP_RAWOUTPUT) — "SPD
 * lookup will be performed again there".
 */
function ipsec_process_done(host: Host, m: Mbuf, sp: SecPolicy, requests: IpsecRequest[], index: number, flags: number): void {
  const site = host.site("ipsec", "ipsec_process_done");
  const sa = requests[index]!.sav!;
  setField(site, m, "ipv4", 0, IP.totalLength, m.len, site.text`ipsec_process_done sets ip_len to the protected packet's length, ${m.len}.`);
  const tag = m_tag_get(
    site,
    "IPSEC_OUT_DONE",
    { dst: sa.dst, proto: sa.proto, spi: sa.spi },
    site.text`ipsec_process_done allocates an OUT_DONE tag naming the SA: ${tdbiText({ dst: sa.dst, proto: sa.proto, spi: sa.spi })}.`,
    m,
  );
  m_tag_prepend(site, m, tag, "…and prepends it to the packet, recording that IPsec output is done (to detect and avoid loops).");
  if (index + 1 < requests.length) {
    ipsec4_process_packet(host, m, sp, requests, index + 1, flags);
    return;
  }
  ip_output(host, m, IP_RAWOUTPUT);
}
