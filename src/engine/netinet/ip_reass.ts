/**
 * IP reassembly — the "ours:" fragment block of ip_input(), ip_reass(), ip_freef() and
 * ip_slowtimo() in sys/netinet/ip_input.c (NetBSD 1.175, 2003-08-22; the 4.4BSD algorithm).
 *
 * A datagram with MF or a non-zero offset goes to the reassembly queue (struct ipq) keyed by
 * (ip_src, ip_dst, ip_id, ip_p). ip_reass keeps the queue sorted by offset; data a preceding
 * fragment already provides is trimmed from the new one (m_adj), and a fragment wholly covered
 * is dropped ("dropfrag", ips_fragdropped); the new one trims or dequeues the fragments it
 * overlaps after it. When the offsets run contiguously from 0 to a fragment without MF, the
 * fragments are m_cat()ed onto the first one, whose header becomes the datagram's: ip_len the
 * total, ip_off 0 (ip_input wrote the byte offset, 0, into it), ip_sum left as it was. A new
 * queue is refused past ip_maxfragpackets queues ("drop"). ip_slowtimo counts each queue's
 * ipq_ttl down from IPFRAGTTL (60 ticks of PR_SLOWHZ = 2 Hz: 30 s) and frees it at 0
 * (ips_fragtimeout) — no ICMP is sent for a reassembly timeout here.
 */
import { m_adj, m_append, m_copydata, m_freem, m_striphdr, MCLBYTES, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Host, Ipq } from "../sim/world";
import { getField, IP, setField } from "./headers";
import { fieldItem, one } from "../trace/shared";

/** IPFRAGTTL (netinet/ip_var.h): a reassembly queue lives this many slowtimo ticks. */
export const IPFRAGTTL = 60;
/** PR_SLOWHZ (sys/protosw.h): ip_slowtimo runs twice a second. */
export const PR_SLOWHZ = 2;
/** µs between ip_slowtimo ticks. */
export const SLOWTIMO_MICROS = 1_000_000 / PR_SLOWHZ;

/** The reassembly key of the datagram at the front of `m`. */
function reassKey(b: Uint8Array): string {
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}>${b[16]}.${b[17]}.${b[18]}.${b[19]}#${(b[4]! << 8) | b[5]!}/${b[9]}`;
}

/**
 * ip_input's fragment block: queue `m` (a fragment that is ours) and return the reassembled
 * datagram when it completes, or null when the fragment was queued or dropped. Consumes `m`.
 */
export function ip_reass_input(host: Host, m: Mbuf, hlen: number): Mbuf | null {
  const site = host.site("ip", "ip_reass");
  const b = m.bytes();
  const dataLen = getField(m, 0, IP.totalLength) - hlen;
  const mff = getField(m, 0, IP.mf) === 1;
  const off = getField(m, 0, IP.fragOffset) * 8;
  // "Make sure that fragments have a data length that's a non-zero multiple of 8 bytes."
  if (mff && (dataLen === 0 || (dataLen & 7) !== 0)) {
    drop(
      site,
      m,
      "ip-bad-len",
      site.text`fragment with MF and ${dataLen} data bytes`,
      "A fragment with MF must carry a non-zero multiple of 8 data bytes (ips_badfrags).",
    );
    return null;
  }
  const key = reassKey(b);
  let fp = host.ipq.find((q) => q.key === key);
  if (!fp) {
    if (host.ipq.length >= host.spec.ipMaxFragPackets) {
      site.emit(
        m,
        {
          kind: "decision",
          check: "reass",
          question: site.text`May ${host.name} open another reassembly queue (ip_nfragpackets ${host.ipq.length}, ip_maxfragpackets ${host.spec.ipMaxFragPackets})?`,
          consulted: one({ kind: "switch", name: "ip_maxfragpackets", value: String(host.spec.ipMaxFragPackets) }),
          branch: "too many",
        },
        site.text`${host.name} already reassembles ${host.ipq.length} datagrams, its limit: the new fragment is dropped.`,
      );
      drop(
        site,
        m,
        "ip-frag-toomany",
        site.text`ip_nfragpackets ${host.ipq.length} >= ip_maxfragpackets ${host.spec.ipMaxFragPackets}`,
        "ip_reass drops the fragment (ips_fragdropped).",
      );
      return null;
    }
    fp = { key, id: (b[4]! << 8) | b[5]!, ttl: IPFRAGTTL, frags: [] };
    host.ipq.push(fp);
    startSlowtimo(host);
  }
  // Find the first queued fragment that begins after this one.
  let at = fp.frags.findIndex((q) => q.off > off);
  if (at < 0) at = fp.frags.length;
  let start = off;
  const end = off + dataLen;
  const prev = fp.frags[at - 1];
  const i = prev ? prev.end - start : 0;
  if (prev && i >= dataLen) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "reass",
        question: site.text`Does fragment ${off}–${end} add data the queue does not hold?`,
        consulted: one(fieldItem("ipv4", "fragOffset", String(off / 8))),
        branch: "overlap: drop",
      },
      site.text`The queued fragment ${prev.off}–${prev.end} already provides all of bytes ${off}–${end}.`,
    );
    drop(
      site,
      m,
      "ip-frag-overlap",
      site.text`bytes ${off}–${end} already queued`,
      "ip_reass drops the fragment: the queue already holds all its data (dropfrag, ips_fragdropped).",
    );
    return null;
  }
  if (i > 0) {
    // "If there is a preceding segment, it may provide some of our data already."
    m_striphdr(
      site,
      m,
      hlen,
      i,
      "overlap",
      site.text`The preceding fragment already holds ${i} of these bytes: ip_reass trims them from this one (m_adj).`,
    );
    start += i;
  }
  fp.frags.splice(at, 0, { m, off: start, end, mf: mff });
  // "While we overlap succeeding segments trim them or, if they are completely covered, dequeue them."
  while (at + 1 < fp.frags.length && end > fp.frags[at + 1]!.off) {
    const q = fp.frags[at + 1]!;
    const over = end - q.off;
    if (over < q.end - q.off) {
      m_striphdr(
        site,
        q.m,
        ipHeaderBytes(q.m),
        over,
        "overlap",
        site.text`The new fragment overlaps ${over} bytes of the next queued one, which ip_reass trims (m_adj).`,
      );
      q.off += over;
      break;
    }
    fp.frags.splice(at + 1, 1);
    m_freem(site, q.m, "covered by a later fragment", "The new fragment covers this queued one entirely: ip_reass frees it.");
  }
  return complete(host, fp, m);
}

function ipHeaderBytes(m: Mbuf): number {
  return (m.bytes()[0]! & 0x0f) * 4;
}

/** The check for complete reassembly; the datagram, or null while fragments are missing. */
function complete(host: Host, fp: Ipq, arrived: Mbuf): Mbuf | null {
  const site = host.site("ip", "ip_reass");
  let next = 0;
  let gap: number | undefined;
  for (const q of fp.frags) {
    if (q.off !== next) {
      gap = next;
      break;
    }
    next = q.end;
  }
  const last = fp.frags[fp.frags.length - 1]!;
  const done = gap === undefined && !last.mf;
  site.emit(
    arrived,
    {
      kind: "decision",
      check: "reass",
      question: site.text`Is datagram id 0x${fp.id.toString(16).padStart(4, "0")} complete (${fp.frags.length} fragment${fp.frags.length === 1 ? "" : "s"} queued)?`,
      consulted: one({ kind: "switch", name: "ipq", value: fp.frags.map((q) => `${q.off}–${q.end}${q.mf ? "+" : ""}`).join(" ") }),
      branch: done ? "complete" : "wait",
    },
    done
      ? site.text`The fragments cover bytes 0–${next} without a gap and the last has no MF: the datagram is complete.`
      : gap !== undefined
        ? site.text`Bytes from ${gap} are still missing: the fragment waits on the reassembly queue (ipq_ttl ${fp.ttl} ticks).`
        : "The last fragment so far has MF: more are to come; the fragment waits on the reassembly queue.",
  );
  if (!done) {
    site.emit(
      arrived,
      { kind: "queue.enqueue", queue: "ipq", depth: fp.frags.length },
      site.text`The fragment waits on ${host.name}'s reassembly queue (${fp.frags.length} queued for this datagram).`,
    );
    return null;
  }
  host.ipq.splice(host.ipq.indexOf(fp), 1);
  const first = fp.frags[0]!;
  const m = first.m;
  const hlen = ipHeaderBytes(m);
  for (const q of fp.frags.slice(1)) {
    m_adj(site, q.m, ipHeaderBytes(q.m), "ipv4", "ip_reass strips the fragment's IP header (m_data += hlen).");
    const data = m_copydata(q.m, 0, q.m.len);
    // m_cat links the fragment's mbufs behind the first's: one cluster (MCLBYTES) at a time here.
    for (let at = 0; at < data.length; at += MCLBYTES) {
      const piece = data.subarray(at, Math.min(data.length, at + MCLBYTES));
      m_append(
        site,
        m,
        piece,
        site.text`fragment data ${q.off}–${q.end}`,
        at === 0
          ? site.text`ip_reass m_cat()s the ${data.length} data bytes of the fragment at offset ${q.off} onto the first fragment.`
          : site.text`…the next ${piece.length} bytes of that fragment (its next cluster).`,
        undefined,
        q.m.id,
      );
    }
  }
  // "Create header for new ip packet by modifying header of first packet."
  setField(
    site,
    m,
    "ipv4",
    0,
    IP.totalLength,
    hlen + next,
    site.text`The first fragment's header becomes the datagram's: ip_len ${hlen + next} (ip_input adds the header length back)…`,
  );
  // ip_input wrote the byte offset (0) over ip_off, flags included; ip_sum is left as it was.
  if (getField(m, 0, IP.mf) !== 0)
    setField(site, m, "ipv4", 0, IP.mf, 0, "…and ip_off 0: ip_input had written the fragment's byte offset (0) over the flags (ips_reassembled).");
  if (getField(m, 0, IP.df) !== 0) setField(site, m, "ipv4", 0, IP.df, 0, "DF is cleared with the rest of ip_off.");
  return m;
}

/** Start ip_slowtimo's half-second ticks while a reassembly queue exists. */
function startSlowtimo(host: Host): void {
  if (host.slowtimoRunning) return;
  host.slowtimoRunning = true;
  host.world.after(SLOWTIMO_MICROS, () => ip_slowtimo(host));
}

/** ip_slowtimo(): age every reassembly queue by one tick; free those that reach 0 (ip_freef). */
function ip_slowtimo(host: Host): void {
  host.slowtimoRunning = false;
  for (const fp of [...host.ipq]) {
    fp.ttl--;
    if (fp.ttl > 0) continue;
    host.ipq.splice(host.ipq.indexOf(fp), 1);
    const site = host.site("ip", "ip_slowtimo");
    for (const q of fp.frags) {
      drop(
        site,
        q.m,
        "ip-frag-timeout",
        site.text`datagram id 0x${fp.id.toString(16).padStart(4, "0")} incomplete after ${IPFRAGTTL / PR_SLOWHZ} s`,
        site.text`The datagram was not complete within IPFRAGTTL (${IPFRAGTTL / PR_SLOWHZ} s): ip_freef frees its fragments (ips_fragtimeout).`,
      );
    }
  }
  if (host.ipq.length > 0) startSlowtimo(host);
}
