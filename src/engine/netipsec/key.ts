/**
 * The SAD and SPD of a host and their lookups — FAST_IPSEC sys/netipsec/key.c and ipsec.c:
 * key_allocsa (inbound SA by dst/proto/spi), key_checkrequest (outbound SA for a request,
 * cached in isr->sav), ipsec_getpolicybyaddr (SPD by selectors), ipsec_getpolicy (SP by the
 * tdb_ident of an IN_DONE tag, via key_allocsp2), and key_allocsp_default.
 */
import { fromHex } from "../wire/fields";
import type { HostSpec, PolicySpec, SaSpec } from "../scenario/schema";
import { ip, parsePrefix, prefixContains } from "../sim/addr";
import type { Host } from "../sim/world";
import type { TdbIdent } from "../trace/events";
import type { IpsecRequest, SecAssoc, SecPolicy } from "./types";

/** "0x00001000" — SPIs are shown as setkey shows them. */
export function spiText(spi: number): string {
  let text = SPI_TEXT.get(spi);
  if (text === undefined) {
    if (SPI_TEXT.size >= 4096) SPI_TEXT.clear();
    SPI_TEXT.set(spi, (text = `0x${spi.toString(16).padStart(8, "0")}`));
  }
  return text;
}

/** spiText per SPI: narration names the same few SAs over and over. */
const SPI_TEXT = new Map<number, string>();

/** A human name for an SA, used as its id in the trace. */
export function saName(sa: Pick<SecAssoc, "proto" | "spi" | "src" | "dst">): string {
  return `${sa.proto} ${spiText(sa.spi)} ${sa.src}→${sa.dst}`;
}

/** A tdb_ident as text: "{127.0.0.1, esp, 0x00001000}". */
export function tdbiText(t: TdbIdent): string {
  const key = `${t.dst}|${t.proto}|${t.spi}`;
  let text = TDBI_TEXT.get(key);
  if (text === undefined) {
    if (TDBI_TEXT.size >= 4096) TDBI_TEXT.clear();
    TDBI_TEXT.set(key, (text = `{${t.dst}, ${t.proto}, ${spiText(t.spi)}}`));
  }
  return text;
}

const TDBI_TEXT = new Map<string, string>();

function hexKey(k: string): Uint8Array {
  return fromHex(k.startsWith("0x") ? k.slice(2) : k);
}

/** Install the scenario's SAs and policies on a host (setkey add / spdadd). */
export function installKeys(host: Host, spec: HostSpec): void {
  for (const sa of spec.sad) host.sad.push(makeSa(sa));
  spec.spd.forEach((sp, i) => host.spd.push(makeSp(sp, i)));
}

/** setkey add: a scenario SA as the SAD holds it (also the Linux stack's xfrm_state, src/engine/linux). */
export function makeSa(s: SaSpec): SecAssoc {
  return {
    id: saName(s),
    spi: s.spi,
    src: s.src,
    dst: s.dst,
    proto: s.proto,
    mode: s.mode,
    enc: s.enc,
    encKey: hexKey(s.encKey),
    auth: s.auth,
    authKey: hexKey(s.authKey),
    replayWindow: s.replayWindow,
    esn: s.esn,
    seqOut: 0,
    seqIn: 0,
    replayBitmap: 0n,
    ivCounter: 0n,
    bytes: 0,
    packets: 0,
    skipCrypto: s.skipCrypto ?? false,
  };
}

/** setkey's policy text: "esp/transport//require" or "esp/tunnel/10.0.0.1-10.0.0.2/require". */
export function requestText(r: Pick<IpsecRequest, "proto" | "mode" | "tunnelSrc" | "tunnelDst" | "level">): string {
  const ends = r.mode === "tunnel" ? `${r.tunnelSrc ?? ""}-${r.tunnelDst ?? ""}` : "";
  return `${r.proto}/${r.mode}/${ends}/${r.level}`;
}

/** spdadd: a scenario policy as the SPD holds it (also the Linux stack's xfrm_policy). */
export function makeSp(s: PolicySpec, index: number): SecPolicy {
  const requests: IpsecRequest[] = s.requests.map((r) => ({
    proto: r.proto,
    mode: r.mode,
    tunnelSrc: r.tunnelSrc,
    tunnelDst: r.tunnelDst,
    level: r.level,
    sav: null,
  }));
  const action = s.action === "ipsec" ? requests.map(requestText).join(" ") : s.action;
  const summary = `${s.src}[${s.proto}] → ${s.dst}[${s.proto}] ${s.dir} ${s.action === "ipsec" ? `ipsec ${action}` : action}`;
  return {
    id: `sp${index + 1} (${s.dir})`,
    dir: s.dir,
    src: parsePrefix(s.src),
    dst: parsePrefix(s.dst),
    proto: s.proto,
    action: s.action,
    requests,
    summary,
  };
}

/** The selectors of a packet, as ipsec_setspidx() extracts them. */
export interface Selectors {
  readonly src: string;
  readonly dst: string;
  /** Upper-layer protocol number. */
  readonly proto: number;
}

/** ipsec_getpolicybyaddr(): the first SP of this direction whose selectors match. */
export function spdLookup(host: Pick<Host, "spd">, dir: "out" | "in", sel: Selectors): SecPolicy | undefined {
  const src = ip(sel.src);
  const dst = ip(sel.dst);
  return host.spd.find(
    (sp) =>
      sp.dir === dir &&
      prefixContains(sp.src, src) &&
      prefixContains(sp.dst, dst) &&
      (sp.proto === "any" || (sp.proto === "icmp" && sel.proto === 1)),
  );
}

/** The default policy as key_allocsp_default() returns it: NONE unless DISCARD. */
export function defaultPolicy(host: Host, dir: "out" | "in"): SecPolicy {
  const action = host.defaultPolicy === "discard" ? "discard" : "none";
  // One object per host, direction and action: decisions that consult it share its item.
  let byKey = DEFAULT_POLICIES.get(host);
  if (byKey === undefined) DEFAULT_POLICIES.set(host, (byKey = new Map()));
  const key = `${dir} ${action}`;
  let sp = byKey.get(key);
  if (sp === undefined) {
    sp = {
      id: `default (${dir})`,
      dir,
      src: parsePrefix("0.0.0.0/0"),
      dst: parsePrefix("0.0.0.0/0"),
      proto: "any",
      action,
      requests: [],
      summary: `default policy: ${action} (net.inet.ipsec.def_policy)`,
    };
    byKey.set(key, sp);
  }
  return sp;
}

const DEFAULT_POLICIES = new WeakMap<Host, Map<string, SecPolicy>>();

/**
 * key_allocsp2(spi, dst, proto, dir) for ipsec_getpolicy(tdbi): an SP matches only if its
 * upper-layer selector equals the tag's IPsec protocol, its first request has a cached SA
 * with that SPI, and the destination matches. An "any" policy (ul_proto 255) never equals 50.
 */
export function spdLookupByTdbi(host: Host, tdbi: TdbIdent, dir: "out" | "in"): { sp: SecPolicy | undefined; why: string } {
  for (const sp of host.spd) {
    if (sp.dir !== dir) continue;
    // spidx.ul_proto is "any" (255) or icmp (1) in our SPD; tdbi.proto is 50 or 51.
    const ulProto: number = sp.proto === "any" ? 255 : 1;
    const tagProto: number = tdbi.proto === "esp" ? 50 : tdbi.proto === "ah" ? 51 : 108;
    if (ulProto !== tagProto) continue;
    const sav = sp.requests[0]?.sav;
    if (!sav || sav.spi !== tdbi.spi) continue;
    if (prefixContains(sp.dst, ip(tdbi.dst))) return { sp, why: `${sp.id} matches the tag's SA` };
  }
  return {
    sp: undefined,
    why: `no SP has ul_proto ${tdbi.proto === "esp" ? 50 : 51} and a cached SA with SPI ${spiText(tdbi.spi)}, so key_allocsp2 finds nothing`,
  };
}

/** KEY_ALLOCSA(dst, proto, spi): the inbound SA. */
export function keyAllocSa(host: Host, dst: string, proto: "esp" | "ah", spi: number): SecAssoc | undefined {
  return host.sad.find((sa) => sa.dst === dst && sa.proto === proto && sa.spi === spi);
}

/**
 * key_checkrequest(isr, saidx): find a usable SA for a request and cache it in isr->sav
 * (it stays cached: this is the `sp->req->sav` the loop check in ip_output compares with).
 */
export function keyCheckRequest(host: Host, isr: IpsecRequest, sel: Selectors): SecAssoc | undefined {
  const src = isr.mode === "tunnel" ? isr.tunnelSrc : sel.src;
  const dst = isr.mode === "tunnel" ? isr.tunnelDst : sel.dst;
  const sa = host.sad.find((s) => s.proto === isr.proto && s.mode === isr.mode && s.src === src && s.dst === dst);
  isr.sav = sa ?? isr.sav;
  return sa;
}
