/**
 * Personalities: which behaviours a given kernel of a given era has, as data (design.md,
 * "Layers and personalities"). The layer code is one; a personality is a record of switches
 * plus the kernel's tag numbering. A fix toggle flips one switch and names where it comes from.
 * Each switch cites the kernel source file and revision it models.
 */
import type { TagName } from "../mbuf/tag";
import { LINUX_SOURCES, type LinuxBehaviour } from "../linux/behaviour";
import type { TagNumbering } from "../trace/recorder";
import type { TagClass } from "../trace/events";

/** The behaviour switches the seed stories turn on. */
export interface Behaviour {
  /** looutput()/if_simloop() calls m_tag_delete_nonpersistent() before queueing to ipintrq. */
  readonly looutputStripsTags: boolean;
  /** icmp_reflect() calls m_tag_delete_nonpersistent() on the mbuf it turns around. */
  readonly icmpReflectStripsTags: boolean;
  /** icmp_reflect() also clears M_DECRYPTED|M_AUTHIPHDR|M_AUTHIPDGM. */
  readonly icmpReflectClearsIpsecFlags: boolean;
  /**
   * The TTL icmp_reflect() gives the reply: NetBSD ip_icmp.c 1.68 sets ip_ttl = MAXTTL (255);
   * FreeBSD ip_icmp.c 1.111 (2006) and later set ip_ttl = V_ip_defttl (64).
   */
  readonly icmpReflectTtl: "maxttl" | "defttl";
  /**
   * rip_input() calls ipsec4_in_reject(m, inp) on the socket's policy, testing m_flags (NetBSD
   * raw_ip.c 1.101.6.1, 2008; FreeBSD 5–7 raw_ip.c). NetBSD raw_ip.c 1.66 (Jan 2003) has no
   * FAST_IPSEC check, and whether the Aug-2003 port added one is not known.
   */
  readonly ripInputChecksPolicy: boolean;
  /**
   * ip_output()'s IPsec loop check: "sa-identity" compares OUT_DONE's tdb_ident with
   * sp->req->sav (ip_output.c 1.120, 2003); "presence" skips IPsec on any OUT_DONE (later
   * NetBSD prepends a zero-length OUT_DONE in ipsec_register_done).
   */
  readonly loopCheck: "sa-identity" | "presence" | "none";
  /**
   * Itojun's producer/consumer model, which seed 000 argues against: the code that consults a
   * tag deletes it (ip_output deletes the OUT_DONE it matched, ip_input the IN_DONE it used).
   */
  readonly consumerDeletesTags: boolean;
  // Seed 003 switches. Optional so the FAST_IPSEC personalities above need no entry: undefined
  // means the FAST_IPSEC (NetBSD/FreeBSD) behaviour each comment names.
  /**
   * Whose IPsec code runs: "fast-ipsec" (sys/netipsec, undefined) or "openbsd" (sys/netinet
   * ipsp_spd_lookup/ipsp_process_packet/ipsp_process_done, ipsec_local_check logic, gettdb).
   */
  readonly ipsecStack?: "fast-ipsec" | "openbsd";
  /**
   * gif loop detection: "tag" — OpenBSD if_gif.c 1.45 gif_start drops a packet carrying a
   * PACKET_TAG_GIF that names this interface; "call-depth" (undefined) — the KAME counter
   * `static int called` / max_gif_nesting in gif_output (NetBSD if_gif.c 1.57.8.2, KAME 1.76),
   * reset before the queued packet is encapsulated by gifintr.
   */
  readonly gifLoopDetection?: "tag" | "call-depth";
  /**
   * esp_input's IN_CRYPTO_DONE lookup: "live" (undefined) — FreeBSD xform_esp.c finds the tag
   * and skips the ICV compare; "notyet" — OpenBSD ip_esp.c 1.111 has the loop under `#ifdef
   * notyet` and `mtag = NULL`, so software crypto always runs.
   */
  readonly inCryptoDone?: "live" | "notyet";
  /** Bug switch: the hypothetical IFCAP_IPSEC driver transmits an OUT_CRYPTO_NEEDED packet as it is. */
  readonly nicIgnoresReminder?: boolean;
  /**
   * Where ipip_output's outer ip_id comes from (issue 10). "randomid" (undefined): NetBSD
   * xform_ipip.c (`#if defined(__NetBSD__) ipo->ip_id = ip_newid(…)`, read at 1.31.4.1; the 2003
   * revision was not found) and OpenBSD ip_ipip.c (`htons(ip_randomid())`) draw it as ip_output
   * does; "counter": FreeBSD xform_ipip.c 1.3.2.1's `#else ipo->ip_id = htons(ip_id++)`, the
   * branch a kernel without RANDOM_IP_ID (net.inet.ip.random_id 0, the FreeBSD 7 default) takes.
   */
  readonly ipipIpId?: "randomid" | "counter";
  /**
   * The Linux personalities' own switches (seed 002, src/engine/linux/behaviour.ts). Present only
   * on a Linux personality, which runScenario then runs on the Linux stack; the BSD switches
   * above are not consulted there.
   */
  readonly linux?: LinuxBehaviour;
}

export type PersonalityId = "netbsd-2003" | "freebsd-7" | "openbsd-2003" | "linux-2.2-klips-1999" | "linux-2.2-klips-2003" | "linux-xfrm";

export interface Personality {
  readonly id: PersonalityId;
  readonly title: string;
  readonly summary: string;
  /** PACKET_TAG_* numbers in this kernel's mbuf.h. */
  readonly tagIds: Readonly<Record<TagName, number>>;
  /** Tag types with the persistent bit (FreeBSD MTAG_PERSISTENT 0x800); empty if none. */
  readonly persistent: readonly TagName[];
  readonly hasPersistentTags: boolean;
  readonly behaviour: Behaviour;
  /** Where each modelled kernel function lives in this tree, for narration. */
  readonly sources: Readonly<Record<string, string>>;
  /** Record or reminder, per tag type (seed 003); TAG_CLASS when absent. */
  readonly tagClass?: Readonly<Record<TagName, TagClass>>;
}

/** Source files of the BSD functions the engine models (NetBSD/FreeBSD share these paths). */
const BSD_SOURCES: Readonly<Record<string, string>> = {
  ping: "sbin/ping/ping.c",
  sosend: "sys/kern/uipc_socket.c",
  bpf_mtap: "sys/net/bpf.c",
  ipip_input: "sys/netipsec/xform_ipip.c",
  rip_output: "sys/netinet/raw_ip.c",
  rip_input: "sys/netinet/raw_ip.c",
  ip_output: "sys/netinet/ip_output.c",
  ip_input: "sys/netinet/ip_input.c",
  ipintr: "sys/netinet/ip_input.c",
  icmp_input: "sys/netinet/ip_icmp.c",
  icmp_reflect: "sys/netinet/ip_icmp.c",
  icmp_send: "sys/netinet/ip_icmp.c",
  looutput: "sys/net/if_loop.c",
  if_simloop: "sys/net/if_loop.c",
  ether_output: "sys/net/if_ethersubr.c",
  ether_input: "sys/net/if_ethersubr.c",
  ipsec4_checkpolicy: "sys/netipsec/ipsec.c",
  ipsec_getpolicy: "sys/netipsec/ipsec.c",
  ipsec_getpolicybyaddr: "sys/netipsec/ipsec.c",
  ipsec_in_reject: "sys/netipsec/ipsec.c",
  key_checkrequest: "sys/netipsec/key.c",
  key_allocsa: "sys/netipsec/key.c",
  ipsec4_process_packet: "sys/netipsec/ipsec_output.c",
  ipsec_process_done: "sys/netipsec/ipsec_output.c",
  ipip_output: "sys/netipsec/xform_ipip.c",
  esp_output: "sys/netipsec/xform_esp.c",
  esp_output_cb: "sys/netipsec/xform_esp.c",
  esp_input: "sys/netipsec/xform_esp.c",
  esp_input_cb: "sys/netipsec/xform_esp.c",
  ah_output: "sys/netipsec/xform_ah.c",
  ah_output_cb: "sys/netipsec/xform_ah.c",
  ah_input: "sys/netipsec/xform_ah.c",
  ah_input_cb: "sys/netipsec/xform_ah.c",
  esp4_input: "sys/netipsec/ipsec_input.c",
  ah4_input: "sys/netipsec/ipsec_input.c",
  ipsec_common_input: "sys/netipsec/ipsec_input.c",
  ipsec4_common_input_cb: "sys/netipsec/ipsec_input.c",
  crypto_dispatch: "sys/opencrypto/crypto.c",
  crypto_done: "sys/opencrypto/crypto.c",
  // Networks (issue 12).
  ip_forward: "sys/netinet/ip_input.c",
  ip_reass: "sys/netinet/ip_input.c",
  ip_slowtimo: "sys/netinet/ip_input.c",
  ip_fragment: "sys/netinet/ip_output.c",
  icmp_error: "sys/netinet/ip_icmp.c",
  icmp_mtudisc: "sys/netinet/ip_icmp.c",
  esp4_ctlinput: "sys/netipsec/ipsec_input.c",
};

/** The BSD switches on a Linux personality: none of these mechanisms exists there, and the Linux stack never reads them. */
const NO_BSD_SWITCHES = {
  looutputStripsTags: false,
  icmpReflectStripsTags: false,
  icmpReflectClearsIpsecFlags: false,
  icmpReflectTtl: "defttl",
  ripInputChecksPolicy: false,
  loopCheck: "sa-identity",
  consumerDeletesTags: false,
} as const satisfies Omit<Behaviour, "linux">;

/** NetBSD mbuf.h 1.118 (2005-12-26) numbering; FAST_IPSEC reserved these names in 2003. */
const NETBSD_TAG_IDS: Record<TagName, number> = {
  IPSEC_IN_CRYPTO_DONE: 16,
  IPSEC_IN_DONE: 17,
  IPSEC_OUT_DONE: 18,
  IPSEC_OUT_CRYPTO_NEEDED: 19,
  IPSEC_IN_COULD_DO_CRYPTO: 20,
  IPSEC_PENDING_TDB: 21,
  IPSEC_SOCKET: 22,
  IPSEC_HISTORY: 23,
  PF: 15,
  MACLABEL: 0,
  // seed 003: the KAME gif of this era keeps a call counter, no tag (0: not used).
  GIF: 0,
};

/** FreeBSD sys/sys/mbuf.h: ids 1–10 as OpenBSD 2004, MACLABEL (19|MTAG_PERSISTENT), PF 21. */
export const MTAG_PERSISTENT = 0x800;
const FREEBSD_TAG_IDS: Record<TagName, number> = {
  IPSEC_IN_DONE: 1,
  IPSEC_OUT_DONE: 2,
  IPSEC_IN_CRYPTO_DONE: 3,
  IPSEC_OUT_CRYPTO_NEEDED: 4,
  IPSEC_IN_COULD_DO_CRYPTO: 5,
  IPSEC_PENDING_TDB: 6,
  IPSEC_SOCKET: 12,
  IPSEC_HISTORY: 13,
  MACLABEL: 19 | MTAG_PERSISTENT,
  PF: 21,
  // seed 003: FreeBSD's gif tag was not checked for this era (0: not modelled).
  GIF: 0,
};

/**
 * Record or reminder, for every tag type (Keromytis, BSDCon 2003, §1; kernel-notes §9.6). A record
 * says what was done (IPsec's IN_DONE/OUT_DONE "to detect loops", "which SA protected a packet";
 * gif's interface pointer); a reminder asks a lower layer to do something (OUT_CRYPTO_NEEDED "apply
 * an encryption algorithm … if the outgoing interface does not provide integrated cryptographic
 * facilities"). Classes marked [I] are this project's reading of the tag's use, not the paper's.
 */
export const TAG_CLASS: Readonly<Record<TagName, TagClass>> = {
  IPSEC_IN_DONE: "record",
  IPSEC_OUT_DONE: "record",
  // "NIC already verified/decrypted" (FreeBSD xform_esp.c): work done, by the hardware.
  IPSEC_IN_CRYPTO_DONE: "record",
  IPSEC_OUT_CRYPTO_NEEDED: "reminder",
  // [I] the NIC telling IPsec it could do this SA's crypto: advice for later, no consumer seen.
  IPSEC_IN_COULD_DO_CRYPTO: "reminder",
  // An SP chosen earlier, for ip_output to apply (kernel-notes §9.6).
  IPSEC_PENDING_TDB: "reminder",
  // [I] FreeBSD/NetBSD: the socket whose policy ip_output is to apply.
  IPSEC_SOCKET: "reminder",
  // [I] FreeBSD: the transforms a packet went through.
  IPSEC_HISTORY: "record",
  // [I] pf's state (PF_GENERATED, PF_ROUTED, PF_TAG are records of what pf did).
  PF: "record",
  // [I] a MAC label describes the packet.
  MACLABEL: "record",
  GIF: "record",
};

/**
 * OpenBSD PACKET_TAG_* values. Read in mbuf.h 1.75 (2004-04-25), the nearest revision found to
 * 2003: sequential, IN_DONE 1 … PENDING_TDB 6, BRIDGE 7, GIF 8, GRE 9, …, PF_TAG 15 (kernel-notes
 * §1). That the 2003 tree numbered them the same is an inference [I]. OpenBSD has no
 * IPSEC_SOCKET, IPSEC_HISTORY or MACLABEL tags (0: not in this kernel); PF is PF_GENERATED (11).
 */
const OPENBSD_TAG_IDS: Record<TagName, number> = {
  IPSEC_IN_DONE: 1,
  IPSEC_OUT_DONE: 2,
  IPSEC_IN_CRYPTO_DONE: 3,
  IPSEC_OUT_CRYPTO_NEEDED: 4,
  IPSEC_IN_COULD_DO_CRYPTO: 5,
  IPSEC_PENDING_TDB: 6,
  IPSEC_SOCKET: 0,
  IPSEC_HISTORY: 0,
  PF: 11,
  MACLABEL: 0,
  GIF: 8,
};

/**
 * Where OpenBSD keeps the functions the engine models (sys/netinet, not sys/netipsec). Functions
 * with the same name as FAST_IPSEC's (esp_output, ipsec_common_input) live in OpenBSD's files.
 */
const OPENBSD_SOURCES: Readonly<Record<string, string>> = {
  ...BSD_SOURCES,
  ipsp_spd_lookup: "sys/netinet/ip_spd.c",
  ipsp_process_packet: "sys/netinet/ipsec_output.c",
  ipsp_process_done: "sys/netinet/ipsec_output.c",
  ipsp_skipcrypto_unmark: "sys/netinet/ip_ipsp.c",
  ipsec_local_check: "sys/netinet/ip_input.c",
  gettdb: "sys/netinet/ip_ipsp.c",
  ipip_output: "sys/netinet/ip_ipip.c",
  esp_output: "sys/netinet/ip_esp.c",
  esp_output_cb: "sys/netinet/ip_esp.c",
  esp_input: "sys/netinet/ip_esp.c",
  esp_input_cb: "sys/netinet/ip_esp.c",
  ah_output: "sys/netinet/ip_ah.c",
  ah_output_cb: "sys/netinet/ip_ah.c",
  ah_input: "sys/netinet/ip_ah.c",
  ah_input_cb: "sys/netinet/ip_ah.c",
  esp4_input: "sys/netinet/ipsec_input.c",
  ah4_input: "sys/netinet/ipsec_input.c",
  ipsec_common_input: "sys/netinet/ipsec_input.c",
  ipsec_common_input_cb: "sys/netinet/ipsec_input.c",
  gif_output: "sys/net/if_gif.c",
  gif_start: "sys/net/if_gif.c",
  gifintr: "sys/net/if_gif.c",
  in_gif_output: "sys/netinet/in_gif.c",
  if_start: "sys/net/if.c",
  offload_start: "HYPOTHETICAL driver with IFCAP_IPSEC (no 2003 driver had one: txp's bits are #if 0)",
};

export const PERSONALITIES: Readonly<Record<PersonalityId, Personality>> = {
  "netbsd-2003": {
    id: "netbsd-2003",
    title: "NetBSD 2003 (FAST_IPSEC)",
    summary:
      "Jonathan Stone's 2003 port of FAST_IPSEC: looutput() keeps tags, icmp_reflect() reuses the mbuf and keeps its tags and m_flags, and ip_output() skips IPsec when an OUT_DONE names the SA.",
    tagIds: NETBSD_TAG_IDS,
    persistent: [],
    hasPersistentTags: false,
    behaviour: {
      // if_loop.c before 1.62 (2006): no tag stripping (Stone's step 3).
      looutputStripsTags: false,
      // ip_icmp.c 1.68 (2002): clears only M_BCAST|M_MCAST.
      icmpReflectStripsTags: false,
      icmpReflectClearsIpsecFlags: false,
      // ip_icmp.c 1.68: ip->ip_ttl = MAXTTL.
      icmpReflectTtl: "maxttl",
      // raw_ip.c 1.66: only the KAME #ifdef IPSEC check.
      ripInputChecksPolicy: false,
      // ip_output.c 1.120 (2003-09-06): compares tdb_ident with sp->req->sav.
      loopCheck: "sa-identity",
      consumerDeletesTags: false,
    },
    sources: BSD_SOURCES,
  },
  "freebsd-7": {
    id: "freebsd-7",
    title: "FreeBSD 7 (FAST_IPSEC, persistent tags)",
    summary:
      "FreeBSD 7: MTAG_PERSISTENT marks the tags that survive; if_simloop() and icmp_reflect() call m_tag_delete_nonpersistent() — both strips were already in FreeBSD 6-era sources (if_loop.c 1.107, 2005; ip_icmp.c 1.111, 2006), and either alone makes the lo0 story secure. icmp_reflect gives the reply TTL ip_defttl (64), not MAXTTL.",
    tagIds: FREEBSD_TAG_IDS,
    persistent: ["MACLABEL"],
    hasPersistentTags: true,
    behaviour: {
      // if_loop.c 1.107 (2005) if_simloop(): m_tag_delete_nonpersistent() before netisr_queue().
      looutputStripsTags: true,
      // ip_icmp.c 1.111 (2006) and 1.118 (2007): m_tag_delete_nonpersistent() in icmp_reflect().
      icmpReflectStripsTags: true,
      icmpReflectClearsIpsecFlags: false,
      // ip_icmp.c 1.111: ip->ip_ttl = ip_defttl.
      icmpReflectTtl: "defttl",
      // FreeBSD raw_ip.c (5–7): ipsec4_in_reject(m, inp) in rip_input.
      ripInputChecksPolicy: true,
      loopCheck: "sa-identity",
      consumerDeletesTags: false,
      // xform_ipip.c 1.3.2.1 without RANDOM_IP_ID: htons(ip_id++).
      ipipIpId: "counter",
    },
    sources: BSD_SOURCES,
  },
  // Seed 003 (Keromytis, BSDCon 2003): records vs reminders, crypto offload, gif loop detection.
  "openbsd-2003": {
    id: "openbsd-2003",
    title: "OpenBSD 2003 (records and reminders)",
    summary:
      "OpenBSD 3.3-era IPsec (ipsec_output.c 1.26, 2003-02-19): ipsp_process_done prepends OUT_DONE — or OUT_CRYPTO_NEEDED, a reminder for a crypto NIC, when the TDB has TDBF_SKIPCRYPTO; ip_output's loop check treats both as done; the inbound check looks the policy up from IN_DONE; gif_start drops a packet that already carries its own PACKET_TAG_GIF.",
    tagIds: OPENBSD_TAG_IDS,
    persistent: [],
    hasPersistentTags: false,
    behaviour: {
      // [U] OpenBSD 2003 looutput/icmp_reflect were not read; m_resethdr (which strips) is 2010s
      // OpenBSD (kernel-notes §1). Neither matters on the seed-003 paths, which cross real links.
      looutputStripsTags: false,
      icmpReflectStripsTags: false,
      icmpReflectClearsIpsecFlags: false,
      icmpReflectTtl: "maxttl",
      ripInputChecksPolicy: false,
      // ip_output.c 1.186 (2007; kernel-notes §9.2): OUT_DONE or OUT_CRYPTO_NEEDED whose {spi,
      // proto, dst} equals the TDB → send without IPsec.
      loopCheck: "sa-identity",
      consumerDeletesTags: false,
      ipsecStack: "openbsd",
      gifLoopDetection: "tag",
      inCryptoDone: "notyet",
    },
    sources: OPENBSD_SOURCES,
    tagClass: TAG_CLASS,
  },
  // Seed 002 and the Linux contrast (kernel-notes §8, §11): a different stack, so the BSD
  // switches are set to "absent" and never read; the Linux switches are in `linux`.
  "linux-2.2-klips-1999": {
    id: "linux-2.2-klips-1999",
    title: "Linux 2.2 + FreeS/WAN KLIPS, Aug 1999 (2.0 patch, dst->output)",
    summary:
      "Marc Boucher's quick port of the 2.0 KLIPS to 2.2, as Richard Guy Briggs's mail of 1999-08-06 tells it: ipsec0 sets skb->dev to eth0 but skb->dst still routes via ipsec0, and a packet too big for eth0 after encryption goes to ip_fragment(skb, skb->dst->output). The Aug-1999 source is lost; the model follows the mail and is labelled hypothetical where it must be.",
    tagIds: NETBSD_TAG_IDS,
    persistent: [],
    hasPersistentTags: false,
    behaviour: {
      ...NO_BSD_SWITCHES,
      // ipsec0 MTU in Aug 1999 is not known (rev 1.42 "Preload size of virtual mtu"): 1500 assumed, kernel-notes §8.4.
      linux: { stack: "klips-2.2-1999", klipsOutput: "dst-output", ipsec0Mtu: 1500, ipsecIcmp: false, loDisableXfrm: true, loDisablePolicy: true },
    },
    sources: LINUX_SOURCES,
  },
  "linux-2.2-klips-2003": {
    id: "linux-2.2-klips-2003",
    title: "Linux 2.2 + KLIPS as shipped (Openswan 2.0.0, 2003)",
    summary:
      "KLIPS as shipped (Openswan 2.0.0, ipsec_tunnel.c with RCS history from 1998): ipsec0 MTU 16260, and ipsec_tunnel_send re-routes the encrypted packet via the physical device and hands it to ip_send, which fragments it after encryption at eth0's MTU, DF cleared. sysctl net.ipsec.icmp is 0.",
    tagIds: NETBSD_TAG_IDS,
    persistent: [],
    hasPersistentTags: false,
    behaviour: {
      ...NO_BSD_SWITCHES,
      // ipsec_tunnel.c RCS 1.81 (1999-10-05): dev->mtu = 16260; ipsec_xmit.c: int sysctl_ipsec_icmp = 0;
      linux: { stack: "klips-2.2-2003", klipsOutput: "reroute", ipsec0Mtu: 16260, ipsecIcmp: false, loDisableXfrm: true, loDisablePolicy: true },
    },
    sources: LINUX_SOURCES,
  },
  "linux-xfrm": {
    id: "linux-xfrm",
    title: "Linux XFRM (modern mainline)",
    summary:
      "Modern Linux: the xfrm bundle's MTU is xfrm_state_mtu() of the route's (local senders fragment or refuse before ESP), esp4_err() lowers the path MTU per SA, every reply is a new skb, and lo has disable_xfrm/disable_policy set by default.",
    tagIds: NETBSD_TAG_IDS,
    persistent: [],
    hasPersistentTags: false,
    behaviour: {
      ...NO_BSD_SWITCHES,
      // devinet.c inetdev_event(NETDEV_REGISTER): IFF_LOOPBACK gets NOXFRM and NOPOLICY.
      linux: { stack: "xfrm", klipsOutput: "reroute", ipsec0Mtu: 16260, ipsecIcmp: false, loDisableXfrm: true, loDisablePolicy: true },
    },
    sources: LINUX_SOURCES,
  },
};

/** Whether a personality runs on the Linux stack (src/engine/linux) rather than the BSD one. */
export function isLinux(p: Personality): boolean {
  return p.behaviour.linux !== undefined;
}

export const PERSONALITY_IDS = Object.keys(PERSONALITIES) as PersonalityId[];

export function isPersonalityId(id: string): id is PersonalityId {
  return Object.prototype.hasOwnProperty.call(PERSONALITIES, id);
}

/** The tag numbering facts of a personality, as the mbuf verbs need them. */
export function tagNumbering(p: Personality): TagNumbering {
  return {
    idOf: (name) => p.tagIds[name as TagName] ?? 0,
    isPersistent: (name) => p.persistent.includes(name as TagName),
    hasPersistentTags: p.hasPersistentTags,
    classOf: (name) => (p.tagClass ?? TAG_CLASS)[name as TagName] ?? "record",
  };
}

/** A fix toggle: one switch, one sentence, one source. */
export interface Fix {
  readonly id: FixId;
  readonly title: string;
  /** A few words for the quick switches under the banner, where all of a story's fixes share one row. */
  readonly short?: string;
  /** One line: what the fix does. */
  readonly explanation: string;
  /** The commit, mail or file it comes from. */
  readonly source: string;
  readonly sourceUrl?: string;
  readonly apply: (b: Behaviour) => Behaviour;
  /** Whether the switch is already on in this behaviour (so the toggle shows as on). */
  readonly isOn: (b: Behaviour) => boolean;
  /**
   * The kernels whose code has what this switch changes (fixesFor); every personality of the
   * fix's family (BSD or Linux) when absent. A switch is offered only where it means something.
   */
  readonly offeredOn?: (p: Personality) => boolean;
}

export type FixId =
  | "icmp-reflect-strips-tags"
  | "looutput-strips-tags"
  | "icmp-reflect-clears-ipsec-flags"
  | "consumer-deletes-tags"
  | "rip-input-checks-policy"
  // seed 003: switches that break what the OpenBSD code gets right, to show what the tags are for.
  | "no-ipsec-loop-check"
  | "driver-ignores-reminder"
  // Linux switches (seed 002 and the XFRM seed story); they change only `Behaviour.linux`.
  | "klips-neigh-compat-output"
  | "klips-ipsec0-mtu-1500"
  | "klips-ipsec0-mtu-16260"
  | "klips-ipsec0-mtu-0xfff0"
  | "klips-ipsec-icmp"
  | "xfrm-lo-policy";

const BSD_FIXES = {
  "icmp-reflect-strips-tags": {
    id: "icmp-reflect-strips-tags",
    title: "icmp_reflect strips all tags",
    short: "reflect strips tags",
    explanation:
      "icmp_reflect() deletes the packet's tags before sending the reply, so a reflected packet carries no IPsec history (the fix Stone proposed).",
    // The 2003 commit was not found; NetBSD ip_icmp.c has the strip by 1.142 (2015) — kernel-notes §7.
    source:
      'Proposed by Jonathan Stone, tech-net 2003-08-18, "Re: Patch for Fast-IPsec over loopback" (its commit was not found); NetBSD ip_icmp.c has m_tag_delete_nonpersistent() in icmp_reflect by 1.142 (2015)',
    sourceUrl: "https://mail-index.netbsd.org/tech-net/2003/08/18/0002.html",
    apply: (b) => ({ ...b, icmpReflectStripsTags: true }),
    isOn: (b) => b.icmpReflectStripsTags,
  },
  "looutput-strips-tags": {
    id: "looutput-strips-tags",
    title: "looutput strips tags",
    explanation:
      "looutput() deletes non-persistent tags before looping the packet back, as a real wire would (NetBSD if_loop.c 1.62, FreeBSD if_simloop).",
    source: "NetBSD sys/net/if_loop.c 1.62 (2006); FreeBSD sys/net/if_loop.c if_simloop()",
    apply: (b) => ({ ...b, looutputStripsTags: true }),
    isOn: (b) => b.looutputStripsTags,
  },
  "icmp-reflect-clears-ipsec-flags": {
    id: "icmp-reflect-clears-ipsec-flags",
    title: "icmp_reflect clears IPsec m_flags",
    short: "reflect clears m_flags",
    explanation:
      "icmp_reflect() also clears M_DECRYPTED, M_AUTHIPHDR and M_AUTHIPDGM, so ipsec_in_reject() cannot be satisfied by the request's history.",
    source: "kernel-notes §7 residual inference: M_DECRYPTED stays stale because icmp_reflect does not clear it",
    apply: (b) => ({ ...b, icmpReflectClearsIpsecFlags: true }),
    isOn: (b) => b.icmpReflectClearsIpsecFlags,
  },
  "rip-input-checks-policy": {
    id: "rip-input-checks-policy",
    title: "rip_input checks the socket policy",
    short: "rip_input checks policy",
    explanation:
      "rip_input() calls ipsec4_in_reject() on the socket's policy, which tests m_flags: a stale M_DECRYPTED satisfies it, a cleared one does not (later FAST_IPSEC).",
    source: "NetBSD sys/netinet/raw_ip.c 1.101.6.1 (2008); FreeBSD sys/netinet/raw_ip.c (5–7) rip_input: ipsec4_in_reject(m, last)",
    apply: (b) => ({ ...b, ripInputChecksPolicy: true }),
    isOn: (b) => b.ripInputChecksPolicy,
  },
  "consumer-deletes-tags": {
    id: "consumer-deletes-tags",
    title: "consumers delete tags",
    explanation:
      "The code that consults a tag deletes it (Itojun's producer/consumer model), which Stone argues against in seed 000: later readers lose the history.",
    source: 'Jonathan Stone, tech-net 2003-08-24 (seed 000): "That doesn\'t work, for at least three reasons"',
    apply: (b) => ({ ...b, consumerDeletesTags: true }),
    isOn: (b) => b.consumerDeletesTags,
  },
  "no-ipsec-loop-check": {
    id: "no-ipsec-loop-check",
    title: "no IPsec loop check (breaks it)",
    explanation:
      "ip_output ignores OUT_DONE: when the SPD matches the packet IPsec has just produced, it is encrypted again, and again — the loop the OUT_DONE record exists to stop.",
    source: 'OpenBSD sys/netinet/ipsec_output.c 1.26 ipsp_process_done: the tag is added "so that we can detect and avoid loops" (mbuf_tags(9) 1.5)',
    apply: (b) => ({ ...b, loopCheck: "none" }),
    isOn: (b) => b.loopCheck === "none",
    // Seed 003's switches break what OpenBSD's code gets right: elsewhere this one turns the seed story into a minute-long runaway, not a lesson.
    offeredOn: (p) => p.id === "openbsd-2003",
  },
  "driver-ignores-reminder": {
    id: "driver-ignores-reminder",
    title: "NIC driver ignores the reminder (hypothetical, breaks it)",
    explanation:
      "The hypothetical IFCAP_IPSEC driver sends an OUT_CRYPTO_NEEDED packet as it is: ESP-formatted, never encrypted — plaintext on the wire. No shipped driver consumed the tag (txp had IFCAP_IPSEC under #if 0).",
    source: "OpenBSD sys/dev/pci/if_txp.c: `#if 0 /* not ready yet */ … IFCAP_IPSEC` (kernel-notes §9.3); the driver is hypothetical",
    apply: (b) => ({ ...b, nicIgnoresReminder: true }),
    isOn: (b) => b.nicIgnoresReminder === true,
    offeredOn: (p) => p.id === "openbsd-2003",
  },
} satisfies Record<string, Fix>;

/** Change the Linux switches of a behaviour; a BSD behaviour (no `linux`) is left as it is. */
function withLinux(b: Behaviour, change: Partial<LinuxBehaviour>): Behaviour {
  return b.linux ? { ...b, linux: { ...b.linux, ...change } } : b;
}

/** The ipsec0 MTU switches: one value each, the last one applied wins (the panel shows the one in force). */
function ipsec0MtuFix(id: FixId, mtu: number, title: string, explanation: string, source: string): Fix {
  return {
    id,
    title,
    explanation,
    source,
    apply: (b) => withLinux(b, { ipsec0Mtu: mtu }),
    isOn: (b) => b.linux?.ipsec0Mtu === mtu,
    offeredOn: isKlips,
  };
}

/** KLIPS's switches (ipsec0, prv->mtu, net.ipsec.icmp) exist only where KLIPS is the IPsec stack. */
const isKlips = (p: Personality): boolean => p.behaviour.linux !== undefined && p.behaviour.linux.stack !== "xfrm";

/** The Linux fixes, appended to FIXES (seed 002, kernel-notes §8.1–8.2 and §11). */
const LINUX_FIXES = {
  "klips-neigh-compat-output": {
    id: "klips-neigh-compat-output",
    title: "KLIPS fragments through neigh_compat_output",
    explanation:
      "Hand ip_fragment() neigh_compat_output instead of skb->dst->output, so the fragments go out on skb->dev (eth0) instead of re-entering ipsec0 (Linux 2.2, 1999 KLIPS only).",
    source:
      'Richard Guy Briggs, linux-ipsec 1999-08-06 (seed 002): "Once it was changed to neigh_compat_output() … the problem went away *for me* and got worse for others"',
    apply: (b) => (b.linux?.klipsOutput === "dst-output" ? withLinux(b, { klipsOutput: "neigh-compat-output" }) : b),
    isOn: (b) => b.linux?.klipsOutput === "neigh-compat-output",
    // The 1999 output path only: as shipped, KLIPS re-routes via the physical device and never calls ip_fragment with either.
    offeredOn: (p) => p.behaviour.linux?.klipsOutput === "dst-output",
  },
  "klips-ipsec0-mtu-1500": ipsec0MtuFix(
    "klips-ipsec0-mtu-1500",
    1500,
    "ipsec0 MTU 1500",
    "ipsec0's dev->mtu equals eth0's: IP sizes packets for ipsec0 as if there were no ESP overhead.",
    'kernel-notes §8.4: the Aug-1999 value is not known (ipsec_tunnel.c rev 1.42 only says "Preload size of virtual mtu")',
  ),
  "klips-ipsec0-mtu-16260": ipsec0MtuFix(
    "klips-ipsec0-mtu-16260",
    16260,
    "ipsec0 MTU 16260",
    "ipsec0's dev->mtu is 16260, so IP does not fragment before encryption and eth0 fragments the ESP packet after it.",
    'FreeS/WAN ipsec_tunnel.c RCS 1.81 (1999-10-05): "Lower the default mtu of virtual devices to 16260"',
  ),
  "klips-ipsec0-mtu-0xfff0": ipsec0MtuFix(
    "klips-ipsec0-mtu-0xfff0",
    0xfff0,
    "ipsec0 MTU 0xfff0 (Alan Cox)",
    "ipsec0's dev->mtu is 65520, the maximum, as Alan Cox suggested: fragment after encryption to the physical MTU.",
    'Seed 002: "Alan Cox suggested setting the MTU to the maximum allowed:0xfff0, then fragmenting after encryption to the MTU of the physical device"; ipsec_tunnel.c keeps it as a comment: dev->mtu = 16260; /* 0xfff0; */',
  ),
  "klips-ipsec-icmp": {
    id: "klips-ipsec-icmp",
    title: "sysctl net.ipsec.icmp = 1",
    explanation:
      "KLIPS sends the sender ICMP need-frag with its private prv->mtu when a DF packet (not ICMP, offset 0) no longer fits after encryption — and sends the packet anyway.",
    source:
      'Openswan 2.0.0 ipsec_xmit.c: int sysctl_ipsec_icmp = 0; ipsec_tunnel.c RCS 1.165 (2001) "Send back ICMP iff DF set, !ICMP, offset==0, sysctl_icmp"',
    apply: (b) => (b.linux && b.linux.stack !== "xfrm" ? withLinux(b, { ipsecIcmp: true }) : b),
    isOn: (b) => b.linux?.ipsecIcmp === true,
    offeredOn: isKlips,
  },
  "xfrm-lo-policy": {
    id: "xfrm-lo-policy",
    title: "XFRM on lo: disable_xfrm = disable_policy = 0",
    explanation:
      "Let XFRM transform and check packets on the loopback device: by default Linux sets both sysctls to 1 on lo, so policies there are never applied.",
    source: "Linux net/ipv4/devinet.c inetdev_event(NETDEV_REGISTER): IN_DEV_CONF_SET(in_dev, NOXFRM, 1) and NOPOLICY for IFF_LOOPBACK",
    apply: (b) => withLinux(b, { loDisableXfrm: false, loDisablePolicy: false }),
    isOn: (b) => b.linux !== undefined && !b.linux.loDisableXfrm && !b.linux.loDisablePolicy,
    // disable_xfrm and disable_policy came with XFRM (Linux 2.6): Linux 2.2 under KLIPS has no such sysctls.
    offeredOn: (p) => p.behaviour.linux?.stack === "xfrm",
  },
} satisfies Record<Exclude<FixId, keyof typeof BSD_FIXES>, Fix>;

export const FIXES: Readonly<Record<FixId, Fix>> = { ...BSD_FIXES, ...LINUX_FIXES };

export const FIX_IDS = Object.keys(FIXES) as FixId[];

/** Whether a fix flips a Linux switch (it changes nothing on a BSD personality, and a BSD fix nothing on Linux). */
export function isLinuxFix(id: FixId): boolean {
  return Object.prototype.hasOwnProperty.call(LINUX_FIXES, id);
}

/**
 * The fixes offered for a run of this personality (fixes panel, strip, menu, sweeps): its own
 * family's switches (BSD or Linux), each where its `offeredOn` says the kernel has what it changes.
 */
export function fixesFor(p: Personality): FixId[] {
  return FIX_IDS.filter((id) => isLinuxFix(id) === isLinux(p) && (FIXES[id].offeredOn?.(p) ?? true));
}

export function isFixId(id: string): id is FixId {
  return Object.prototype.hasOwnProperty.call(FIXES, id);
}

/** The behaviour a run uses: the personality's, with the fixes switched on. */
export function effectiveBehaviour(p: Personality, fixes: readonly FixId[]): Behaviour {
  return fixes.reduce((b, id) => FIXES[id].apply(b), p.behaviour);
}
