/**
 * looutput() — sys/net/if_loop.c. The loopback "wire": set rcvif, tap BPF, queue on ipintrq
 * and schedule the IP soft interrupt. In 2003 NetBSD the packet went back up *with its tags*
 * (Stone's step 3); by if_loop.c 1.62 (2006), like FreeBSD's if_simloop(), looutput calls
 * m_tag_delete_nonpersistent() first — the `looutputStripsTags` switch.
 */
import { m_set_rcvif, m_turnaround, type Mbuf } from "../mbuf/mbuf";
import { m_tag_delete_nonpersistent } from "../mbuf/tag";
import type { Host, Iface } from "../sim/world";
import { ipintrq_enqueue } from "../netinet/ip_input";

/** Consumes `m`. */
export function looutput(host: Host, ifp: Iface, m: Mbuf): void {
  const fn = host.world.personality.id.startsWith("freebsd") ? "if_simloop" : "looutput";
  const site = host.site("if", fn);
  if (host.world.behaviour.looutputStripsTags && m.tags.length > 0) {
    m_tag_delete_nonpersistent(
      site,
      m,
      site.text`${fn} deletes the packet's non-persistent tags before looping it back: a packet coming up from an interface carries no history.`,
    );
  }
  m_set_rcvif(m, ifp.name);
  const tags =
    m.tags.length === 0 ? "no tags" : site.text`${m.tags.length} tag${m.tags.length === 1 ? "" : "s"} (${m.tags.map((t) => t.name).join(", ")})`;
  site
    .at("link", "bpf_mtap")
    .emit(
      m,
      { kind: "link.tx", ifname: ifp.name, link: site.text`${host.name}:${ifp.name}`, bytes: m.len },
      site.text`The packet crosses ${ifp.name} (captured by BPF) with rcvif = ${ifp.name}, carrying ${tags}.`,
    );
  // From here the packet travels up the stack: what it carries describes its trip down.
  m_turnaround(m);
  ipintrq_enqueue(host, m, site);
}
