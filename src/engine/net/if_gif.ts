/**
 * The gif(4) IP-in-IP tunnel interface on output, in its two loop-detection designs (seed 003;
 * kernel-notes §9.4):
 *
 * - OpenBSD, a *record per interface*: gif_output only validates and queues (IFQ_ENQUEUE, then
 *   if_start unless IFF_OACTIVE); gif_start dequeues each packet and walks its PACKET_TAG_GIF
 *   tags — one naming this interface means the packet has been through it already: IF_DROP, log
 *   "gif_output: recursively called too many times", free. Otherwise it prepends GIF{ifp} and
 *   calls in_gif_output. (OpenBSD sys/net/if_gif.c 1.45, 2007; the tag was in OpenBSD by the
 *   2003 paper, node7: "In all cases, the packet is dropped".)
 * - KAME (NetBSD/FreeBSD of the time), a *call-depth counter*: gif_output does
 *   `if (++called > max_gif_nesting)` on a `static int called`, queues the packet and schedules
 *   the gifintr soft interrupt, then `called = 0`. The encapsulation happens later in gifintr, so
 *   when the tunnel's own output is routed back into gif0 the counter has already been reset: it
 *   never exceeds 1 and the loop goes on (NetBSD sys/net/if_gif.c 1.57.8.2, 2006, KAME 1.76 —
 *   the 2003 revision was not read; KAME 1.76 of 2001 already had gifintr).
 *
 * in_gif_output (sys/netinet/in_gif.c) prepends the outer IPv4 header and calls ip_output.
 */
import { m_adj, m_poke, m_prepend, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import { m_tag_find, m_tag_get_ifp, m_tag_prepend, type MTag } from "../mbuf/tag";
import { ip_output } from "../netinet/ip_output";
import { NETISR_LATENCY, type Host, type Iface } from "../sim/world";
import { emitIpv4 } from "../wire/ipv4";
import { IP_PROTO } from "../wire/fields";
import { ipHeader } from "../netinet/headers";
import { if_snd, ifq_enqueue } from "./ifq";

/** KAME's MAX_GIF_NEST: "we don't allow any nestings by default". */
export const MAX_GIF_NEST = 1;
/** GIF_TTL, in_gif.c's ip_gif_ttl: the outer header's TTL. */
export const GIF_TTL = 30;

/** The tunnel's outer addresses (ifconfig gif0 tunnel src dst), from the scenario. */
export function gifTunnel(host: Host, ifp: Iface): { src: string; dst: string } | undefined {
  return host.spec.interfaces.find((i) => i.name === ifp.name)?.tunnel;
}

/** `static int called` of KAME's gif_output: one per kernel (host). */
const CALLED = new WeakMap<Host, { called: number; scheduled: boolean }>();

function kameState(host: Host): { called: number; scheduled: boolean } {
  let s = CALLED.get(host);
  if (s === undefined) CALLED.set(host, (s = { called: 0, scheduled: false }));
  return s;
}

/** gif_output(ifp, m, dst, rt): consumes `m`. */
export function gif_output(host: Host, ifp: Iface, m: Mbuf): void {
  if (host.world.behaviour.gifLoopDetection === "tag") {
    // OpenBSD if_gif.c 1.45: validate, IFQ_ENQUEUE, if_start unless the driver is running.
    ifq_enqueue(host, ifp, m, "", "gif_output");
    if (!if_snd(ifp).oactive) gif_start(host, ifp);
    return;
  }
  kame_gif_output(host, ifp, m);
}

/** OpenBSD gif_start(ifp): the per-interface PACKET_TAG_GIF loop detection, then in_gif_output. */
function gif_start(host: Host, ifp: Iface): void {
  const snd = if_snd(ifp);
  snd.oactive = true;
  for (let next = snd.q.shift(); next; next = snd.q.shift()) {
    const m = next.m;
    const site = host.site("if", "gif_start");
    site.emit(
      m,
      { kind: "queue.dequeue", queue: site.text`${ifp.name} if_snd`, depth: snd.q.length },
      site.text`gif_start takes the packet off ${ifp.name}'s if_snd.`,
    );
    // for (mtag = m_tag_find(m, PACKET_TAG_GIF, NULL); mtag; mtag = m_tag_find(m, PACKET_TAG_GIF, mtag))
    const seen: MTag[] = [];
    let mine: MTag | null = null;
    for (let t = m_tag_find(site, m, "GIF", site.text`gif_start walks the packet's GIF records: has it been through ${ifp.name} before?`); t;) {
      seen.push(t);
      if (t.ifname === ifp.name) {
        mine = t;
        break;
      }
      t = m_tag_find(site, m, "GIF", "…and the next GIF record.", t);
    }
    site.emit(
      m,
      {
        kind: "decision",
        check: "gif-loop",
        question: site.text`Does a GIF record on the packet name ${ifp.name}?`,
        consulted: seen.length ? seen.map((t) => ({ kind: "tag" as const, name: t.name, tag: t })) : [{ kind: "tag", name: "GIF", tag: null }],
        branch: mine ? "loop: drop" : "no: encapsulate",
      },
      mine
        ? site.text`A GIF record names ${ifp.name}: this packet already went through ${ifp.name} — a loop. gif_start drops it (IF_DROP) and logs "gif_output: recursively called too many times".`
        : seen.length
          ? site.text`The packet has been through other gif interfaces but not ${ifp.name}: nesting is allowed once per interface.`
          : site.text`No GIF record: the packet has not been through ${ifp.name}.`,
    );
    if (mine) {
      drop(site, m, "gif-loop", site.text`${ifp.name} already on the packet's GIF records`, "The packet is freed; the loop ends here.");
      continue;
    }
    const tag = m_tag_get_ifp(site, "GIF", ifp.name, site.text`gif_start allocates a GIF record holding ${ifp.name}'s ifnet pointer…`, m);
    m_tag_prepend(site, m, tag, site.text`…and prepends it: the packet has now been through ${ifp.name}.`);
    in_gif_output(host, ifp, m);
  }
  snd.oactive = false;
}

/** KAME gif_output: the call-depth counter, then queue for gifintr. */
function kame_gif_output(host: Host, ifp: Iface, m: Mbuf): void {
  const site = host.site("if", "gif_output");
  const st = kameState(host);
  st.called++;
  const over = st.called > MAX_GIF_NEST;
  site.emit(
    m,
    {
      kind: "decision",
      check: "gif-loop",
      question: site.text`Has gif_output been entered more than max_gif_nesting (${MAX_GIF_NEST}) times in this call chain?`,
      consulted: [{ kind: "switch", name: "called (static int)", value: String(st.called) }],
      branch: over ? "too deep: drop" : "no: queue",
    },
    over
      ? `++called is ${st.called} > max_gif_nesting: gif_output logs "recursively called too many times(${st.called})" and drops the packet (EIO).`
      : `++called is ${st.called}, not above max_gif_nesting ${MAX_GIF_NEST}: the counter sees no recursion — the encapsulation will happen later, in gifintr.`,
  );
  if (over) {
    drop(site, m, "gif-loop", `called ${st.called} > max_gif_nesting ${MAX_GIF_NEST}`, "The packet is freed (EIO).");
    st.called = 0;
    return;
  }
  // "use DLT_NULL encapsulation here to pass inner af type": M_PREPEND an int, AF_INET.
  m_prepend(site, m, 4, "af", "gif_output prepends the inner address family (AF_INET) for gifintr (DLT_NULL encapsulation).");
  ifq_enqueue(host, ifp, m, "", "gif_output", "schedules the gifintr soft interrupt (softintr_schedule)");
  if (!st.scheduled) {
    st.scheduled = true;
    host.world.after(NETISR_LATENCY, () => gifintr(host, ifp));
  }
  // end: called = 0; /* reset recursion counter */ — before anything is encapsulated.
  st.called = 0;
}

/** KAME gifintr(arg): the soft interrupt that dequeues, chops the af word and encapsulates. */
function gifintr(host: Host, ifp: Iface): void {
  const st = kameState(host);
  st.scheduled = false;
  const snd = if_snd(ifp);
  for (let next = snd.q.shift(); next; next = snd.q.shift()) {
    const m = next.m;
    const site = host.site("if", "gifintr");
    site.emit(
      m,
      { kind: "queue.dequeue", queue: site.text`${ifp.name} if_snd`, depth: snd.q.length },
      site.text`The gif soft interrupt takes the packet off ${ifp.name}'s if_snd (called is 0 again).`,
    );
    m_adj(site, m, 4, "af", "gifintr chops off the inner address family.");
    in_gif_output(host, ifp, m);
  }
}

/**
 * in_gif_output(ifp, family, m) — sys/netinet/in_gif.c: prepend the outer IPv4 header (tunnel
 * source and destination, protocol IPPROTO_IPV4, TTL ip_gif_ttl) and ip_output it. Consumes `m`.
 */
export function in_gif_output(host: Host, ifp: Iface, m: Mbuf): void {
  const site = host.site("if", "in_gif_output");
  const tun = gifTunnel(host, ifp);
  if (!tun) {
    drop(site, m, "ip-no-route", site.text`${ifp.name} has no tunnel addresses`, "in_gif_output: no tunnel source/destination (ENETDOWN).");
    return;
  }
  const inner = ipHeader(m);
  m_prepend(site, m, 20, "ipv4 (outer)", site.text`in_gif_output makes room for the outer IP header of ${ifp.name}'s tunnel (M_PREPEND).`);
  const outer = new Uint8Array(20);
  emitIpv4(
    {
      tos: inner.tos,
      totalLength: m.len,
      id: 0,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: GIF_TTL,
      protocol: IP_PROTO.IPIP,
      checksum: 0,
      src: tun.src,
      dst: tun.dst,
      options: new Uint8Array(0),
    },
    outer,
    0,
  );
  m_poke(m, 0, outer);
  site.emit(
    m,
    { kind: "mbuf.rewrite", what: "ipv4 header (outer)", offset: 0, len: 20 },
    site.text`in_gif_output writes the outer header ${tun.src} → ${tun.dst}, protocol IPIP (4), TTL ${GIF_TTL}, and calls ip_output.`,
  );
  ip_output(host, m, 0);
}
