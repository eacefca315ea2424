/**
 * Personalities: which behaviours a given kernel of a given era has, as data (design.md,
 * "Layers and personalities"). The layer code is one; a personality is a record of switches
 * plus the kernel's tag numbering. A fix toggle flips one switch and names where it comes from.
 * Each switch cites the kernel source file and revision it models.
 */
import type { TagName } from "../mbuf/tag";
import { LINUX_SOURCES, type LinuxBehaviour } from "../linux/behaviour";
import type { TagNumbering } from "../trace/recorder";

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
  readonly loopCheck: "sa-identity" | "presence";
  /**
   * Itojun's producer/consumer model, which seed 000 argues against: the code that consults a
   * tag deletes it (ip_output deletes the OUT_DONE it matched, ip_input the IN_DONE it used).
   */
  readonly consumerDeletesTags: boolean;
  /**
   * The Linux personalities' own switches (seed 002, src/engine/linux/behaviour.ts). Present only
   * on a Linux personality, which runScenario then runs on the Linux stack; the BSD switches
   * above are not consulted there.
   */
  readonly linux?: LinuxBehaviour;
}

export type PersonalityId = "netbsd-2003" | "freebsd-7" | "linux-2.2-klips-1999" | "linux-2.2-klips-2003" | "linux-xfrm";

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
    },
    sources: BSD_SOURCES,
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
  };
}

/** A fix toggle: one switch, one sentence, one source. */
export interface Fix {
  readonly id: FixId;
  readonly title: string;
  /** One line: what the fix does. */
  readonly explanation: string;
  /** The commit, mail or file it comes from. */
  readonly source: string;
  readonly sourceUrl?: string;
  readonly apply: (b: Behaviour) => Behaviour;
  /** Whether the switch is already on in this behaviour (so the toggle shows as on). */
  readonly isOn: (b: Behaviour) => boolean;
}

export type FixId =
  | "icmp-reflect-strips-tags"
  | "looutput-strips-tags"
  | "icmp-reflect-clears-ipsec-flags"
  | "consumer-deletes-tags"
  | "rip-input-checks-policy"
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
    explanation:
      "icmp_reflect() also clears M_DECRYPTED, M_AUTHIPHDR and M_AUTHIPDGM, so ipsec_in_reject() cannot be satisfied by the request's history.",
    source: "kernel-notes §7 residual inference: M_DECRYPTED stays stale because icmp_reflect does not clear it",
    apply: (b) => ({ ...b, icmpReflectClearsIpsecFlags: true }),
    isOn: (b) => b.icmpReflectClearsIpsecFlags,
  },
  "rip-input-checks-policy": {
    id: "rip-input-checks-policy",
    title: "rip_input checks the socket policy",
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
} satisfies Record<string, Fix>;

/** Change the Linux switches of a behaviour; a BSD behaviour (no `linux`) is left as it is. */
function withLinux(b: Behaviour, change: Partial<LinuxBehaviour>): Behaviour {
  return b.linux ? { ...b, linux: { ...b.linux, ...change } } : b;
}

/** The ipsec0 MTU switches: one value each, the last one applied wins (the panel shows the one in force). */
function ipsec0MtuFix(id: FixId, mtu: number, title: string, explanation: string, source: string): Fix {
  return { id, title, explanation, source, apply: (b) => withLinux(b, { ipsec0Mtu: mtu }), isOn: (b) => b.linux?.ipsec0Mtu === mtu };
}

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
  },
  "xfrm-lo-policy": {
    id: "xfrm-lo-policy",
    title: "XFRM on lo: disable_xfrm = disable_policy = 0",
    explanation:
      "Let XFRM transform and check packets on the loopback device: by default Linux sets both sysctls to 1 on lo, so policies there are never applied.",
    source: "Linux net/ipv4/devinet.c inetdev_event(NETDEV_REGISTER): IN_DEV_CONF_SET(in_dev, NOXFRM, 1) and NOPOLICY for IFF_LOOPBACK",
    apply: (b) => withLinux(b, { loDisableXfrm: false, loDisablePolicy: false }),
    isOn: (b) => b.linux !== undefined && !b.linux.loDisableXfrm && !b.linux.loDisablePolicy,
  },
} satisfies Record<Exclude<FixId, keyof typeof BSD_FIXES>, Fix>;

export const FIXES: Readonly<Record<FixId, Fix>> = { ...BSD_FIXES, ...LINUX_FIXES };

export const FIX_IDS = Object.keys(FIXES) as FixId[];

/** Whether a fix flips a Linux switch (it changes nothing on a BSD personality, and a BSD fix nothing on Linux). */
export function isLinuxFix(id: FixId): boolean {
  return Object.prototype.hasOwnProperty.call(LINUX_FIXES, id);
}

/** The fixes that can change a run of this personality, for the fixes panel and the CLI. */
export function fixesFor(p: Personality): FixId[] {
  return FIX_IDS.filter((id) => isLinuxFix(id) === isLinux(p));
}

export function isFixId(id: string): id is FixId {
  return Object.prototype.hasOwnProperty.call(FIXES, id);
}

/** The behaviour a run uses: the personality's, with the fixes switched on. */
export function effectiveBehaviour(p: Personality, fixes: readonly FixId[]): Behaviour {
  return fixes.reduce((b, id) => FIXES[id].apply(b), p.behaviour);
}
