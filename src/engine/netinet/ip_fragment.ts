/**
 * ip_fragment() and ip_optcopy() — sys/netinet/ip_output.c, NetBSD 1.120 (2003-09-06); the same
 * loop as 4.4BSD's ip_output "fragment" block and FreeBSD 5's ip_fragment().
 *
 * The data is cut in pieces of `len = (mtu - hlen) & ~7` bytes (offsets count 8-byte units,
 * RFC 791 "Fragmentation and Reassembly"). Each fragment after the first is a *new* packet-header
 * mbuf (MGETHDR): a copy of the header — options only where their copied bit says so
 * (ip_optcopy) — `ip_off = ((off - hlen) >> 3) + (ip_off & ~IP_MF)`, MF unless it is the last
 * piece, its own ip_len and checksum, `m_copy(m0, off, len)` of the data, rcvif 0, and only
 * M_BCAST|M_MCAST inherited: it carries no m_tags. The first fragment is the original mbuf,
 * trimmed (m_adj) with MF set — it keeps its tags. All are handed to if_output in order.
 */
import { m_adj, m_copydata, m_gethdr, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Host, Iface } from "../sim/world";
import { if_output } from "../net/if";
import { internetChecksum } from "../wire/checksum";
import { fillChecksum, getField, IP, setField } from "./headers";

/** ip_output's EMSGSIZE (sys/sys/errno.h), as ip_fragment returns it when the MTU holds no data. */
const EMSGSIZE = 40;

/** IPOPT_EOL, IPOPT_NOP and the "copied" bit of an option type (RFC 791 "Options"; netinet/ip.h). */
const IPOPT_EOL = 0;
const IPOPT_NOP = 1;
const IPOPT_COPIED = (o: number): boolean => (o & 0x80) !== 0;

/** One fragment as ip_fragment lays it out: byte offset of its data in the datagram, data length, MF. */
export interface FragmentPlan {
  /** Offset of the fragment's data in the original payload, in bytes (a multiple of 8). */
  readonly offset: number;
  readonly len: number;
  readonly mf: boolean;
}

/**
 * The fragments of a datagram with `hlen` header bytes and `ipLen` total length at `mtu`, as
 * ip_fragment cuts them (the first keeps the full header; the rest carry `mhlen` header bytes).
 * `origMf` is the datagram's own MF (a fragment being fragmented again keeps MF on its last piece).
 * Returns undefined when `(mtu - hlen) & ~7` is below 8 (EMSGSIZE).
 */
export function planFragments(ipLen: number, hlen: number, mtu: number, origMf = false): FragmentPlan[] | undefined {
  const len = (mtu - hlen) & ~7;
  if (len < 8) return undefined;
  const plan: FragmentPlan[] = [{ offset: 0, len, mf: true }];
  for (let off = hlen + len; off < ipLen; off += len) {
    const last = off + len >= ipLen;
    plan.push({ offset: off - hlen, len: last ? ipLen - off : len, mf: !last || origMf });
  }
  return plan;
}

/**
 * ip_optcopy(ip, jp): copy the options whose type has the copied bit into a fragment's header,
 * skipping the others, then pad with EOL to a 4-byte boundary. Returns the copied options.
 */
export function ip_optcopy(options: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let cp = 0; cp < options.length;) {
    const opt = options[cp]!;
    if (opt === IPOPT_EOL) break;
    // "Preserve for IP mcast tunnel's LSRR alignment." (ip_optcopy): NOPs are copied.
    if (opt === IPOPT_NOP) {
      out.push(IPOPT_NOP);
      cp++;
      continue;
    }
    const optlen = options[cp + 1] ?? 0;
    // "Bogus lengths should have been caught by ip_dooptions."
    if (optlen < 2 || cp + optlen > options.length) break;
    if (IPOPT_COPIED(opt)) for (let i = 0; i < optlen; i++) out.push(options[cp + i]!);
    cp += optlen;
  }
  while (out.length % 4 !== 0) out.push(IPOPT_EOL);
  return Uint8Array.from(out);
}

/**
 * ip_fragment(m, ifp, mtu): cut `m` into fragments that fit `mtu` and send each on `ifp`.
 * Consumes `m`. Returns 0 or EMSGSIZE.
 */
export function ip_fragment(host: Host, m: Mbuf, ifp: Iface, mtu: number, nextHop: string): number {
  const site = host.site("ip", "ip_fragment");
  const b = m.bytes();
  const hlen = (b[0]! & 0x0f) * 4;
  const ipLen = getField(m, 0, IP.totalLength);
  const origOff = getField(m, 0, IP.fragOffset);
  const origMf = getField(m, 0, IP.mf) === 1;
  const plan = planFragments(ipLen, hlen, mtu, origMf);
  if (!plan) {
    drop(
      site,
      m,
      "ip-msgsize",
      site.text`(${mtu} - ${hlen}) & ~7 < 8`,
      site.text`An MTU of ${mtu} leaves no room for 8 bytes of data: ip_fragment fails with EMSGSIZE.`,
    );
    return EMSGSIZE;
  }
  const firstlen = plan[0]!.len;
  site.emit(
    m,
    {
      kind: "decision",
      check: "mtu",
      question: site.text`How does ip_fragment cut a ${ipLen}-byte datagram for a ${mtu}-byte MTU?`,
      consulted: [{ kind: "field", header: "ipv4", field: "totalLength", value: String(ipLen) }],
      branch: site.text`${plan.length} fragments`,
    },
    site.text`(${mtu} − ${hlen}) & ~7 = ${firstlen} data bytes per fragment: ${plan.length} fragments (ips_fragmented, ips_ofragments += ${plan.length}).`,
  );
  const options = hlen > 20 ? ip_optcopy(b.slice(20, hlen)) : new Uint8Array(0);
  const mhlen = 20 + options.length;
  const header = b.slice(0, 20);
  const frags: Mbuf[] = [m];
  for (let i = 1; i < plan.length; i++) {
    const p = plan[i]!;
    const data = new Uint8Array(mhlen + p.len);
    data.set(header, 0);
    data.set(options, 20);
    data[0] = 0x40 | (mhlen >> 2);
    data.set(m_copydata(m, hlen + p.offset, p.len), mhlen);
    // ip_off = ((off - hlen) >> 3) + (ip->ip_off & ~IP_MF), then MF unless last (or the original had MF).
    const ipOff = ((origOff + (p.offset >> 3)) & 0x1fff) | (b[6]! & 0x40 ? 0x4000 : 0) | (p.mf ? 0x2000 : 0);
    data[6] = ipOff >> 8;
    data[7] = ipOff & 0xff;
    data[2] = (mhlen + p.len) >> 8;
    data[3] = (mhlen + p.len) & 0xff;
    data[10] = 0;
    data[11] = 0;
    const sum = internetChecksum(data.subarray(0, mhlen));
    data[10] = sum >> 8;
    data[11] = sum & 0xff;
    const frag = m_gethdr(
      site,
      data,
      site.text`ip_fragment builds fragment ${i + 1} of ${plan.length} in a new mbuf (MGETHDR): a copy of the header${options.length ? " with the copied options" : ""}, fragment offset ${(origOff * 8 + p.offset) / 8} (${origOff * 8 + p.offset} bytes)${p.mf ? ", MF" : ""}, ip_len ${mhlen + p.len}, and ${p.len} data bytes copied from the datagram (m_copy). It carries no tags: only M_BCAST|M_MCAST are inherited.`,
      undefined,
      m.id,
    );
    frags.push(frag);
  }
  // "Update first fragment by trimming what's been copied out and updating header".
  m_adj(
    site,
    m,
    hlen + firstlen - ipLen,
    "payload",
    site.text`ip_fragment trims the original mbuf to the first fragment: ${hlen} header bytes and ${firstlen} data bytes.`,
  );
  setField(site, m, "ipv4", 0, IP.totalLength, hlen + firstlen, site.text`The first fragment's ip_len becomes ${hlen + firstlen}…`);
  setField(site, m, "ipv4", 0, IP.mf, 1, "…and it gets MF (more fragments); it is still the original mbuf, with its tags.");
  fillChecksum(site, m, "ipv4", 0, hlen, IP.checksum, "ip_fragment recomputes the first fragment's header checksum.");
  for (const f of frags) if_output(host, ifp, f, nextHop);
  return 0;
}
