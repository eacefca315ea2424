/**
 * The behaviour switches of the Linux personalities (seed 002 and the seed story on XFRM): a
 * record of its own, because none of the BSD switches (tags, icmp_reflect, loop check) exist on
 * a Linux stack. personality.ts carries it as `Behaviour.linux`; only src/engine/linux reads it.
 */

/** Which Linux IPsec stack, and which era of it. */
export type LinuxStack = "klips-2.2-1999" | "klips-2.2-2003" | "xfrm";

/** The Linux switches a personality sets and the fixes panel flips. */
export interface LinuxBehaviour {
  readonly stack: LinuxStack;
  /**
   * What KLIPS does with the encrypted packet (ipsec_tunnel.c):
   * - "dst-output": Aug 1999 as the mail tells it, `ip_fragment(skb, skb->dst->output)` when it
   *   exceeds the physical MTU, with skb->dst still the route via ipsec0;
   * - "neigh-compat-output": the mail's change, `ip_fragment(skb, neigh_compat_output)`, which
   *   honours skb->dev (eth0) — "the problem went away *for me* and got worse for others";
   * - "reroute": as shipped (ipsec_tunnel_send, Openswan 2.0.0 @6a3b72d55): `skb->dev = physdev`,
   *   `ip_route_output(…, physdev->iflink)`, `skb->dst = &route->u.dst`, `ip_send(skb)`.
   */
  readonly klipsOutput: "dst-output" | "neigh-compat-output" | "reroute";
  /** ipsec0's dev->mtu: 1500 (assumed for Aug 1999), 16260 (RCS 1.81, 1999-10-05), 0xfff0 (Alan Cox). */
  readonly ipsec0Mtu: number;
  /** sysctl net.ipsec.icmp (`int sysctl_ipsec_icmp = 0;` in 2003): send ICMP need-frag with prv->mtu. */
  readonly ipsecIcmp: boolean;
  /** net.ipv4.conf.lo.disable_xfrm: 1 for IFF_LOOPBACK (inetdev_event NETDEV_REGISTER, devinet.c). */
  readonly loDisableXfrm: boolean;
  /** net.ipv4.conf.lo.disable_policy: 1 for IFF_LOOPBACK (same place). */
  readonly loDisablePolicy: boolean;
}

/** Source files of the Linux functions the engine models, for narration. */
export const LINUX_SOURCES: Readonly<Record<string, string>> = {
  udp_sendmsg: "net/ipv4/udp.c",
  udp_rcv: "net/ipv4/udp.c",
  udp_err: "net/ipv4/udp.c",
  ping: "iputils ping.c",
  raw_rcv: "net/ipv4/raw.c",
  ip_route_output: "net/ipv4/route.c",
  ip_build_xmit: "net/ipv4/ip_output.c",
  ip_append_data: "net/ipv4/ip_output.c",
  ip_queue_xmit: "net/ipv4/ip_output.c",
  ip_output: "net/ipv4/ip_output.c",
  ip_send: "include/net/ip.h (2.2)",
  ip_finish_output: "include/net/ip.h (2.2), net/ipv4/ip_output.c",
  ip_fragment: "net/ipv4/ip_output.c",
  neigh_compat_output: "net/core/neighbour.c",
  dev_queue_xmit: "net/core/dev.c",
  netif_rx: "net/core/dev.c",
  loopback_xmit: "drivers/net/loopback.c",
  ip_rcv: "net/ipv4/ip_input.c",
  ip_defrag: "net/ipv4/ip_fragment.c",
  ip_local_deliver: "net/ipv4/ip_input.c",
  ip_forward: "net/ipv4/ip_forward.c",
  icmp_rcv: "net/ipv4/icmp.c",
  icmp_reply: "net/ipv4/icmp.c",
  icmp_send: "net/ipv4/icmp.c",
  icmp_unreach: "net/ipv4/icmp.c",
  ipsec_tunnel_start_xmit: "linux/net/ipsec/ipsec_tunnel.c",
  ipsec_xmit_encap_bundle: "linux/net/ipsec/ipsec_xmit.c",
  ipsec_tunnel_send: "linux/net/ipsec/ipsec_tunnel.c",
  ipsec_rcv: "linux/net/ipsec/ipsec_rcv.c",
  xfrm_lookup: "net/xfrm/xfrm_policy.c",
  xfrm_bundle_ok: "net/xfrm/xfrm_policy.c",
  xfrm_init_pmtu: "net/xfrm/xfrm_policy.c",
  xfrm_output: "net/xfrm/xfrm_output.c",
  esp_output: "net/ipv4/esp4.c",
  esp_input: "net/ipv4/esp4.c",
  xfrm_input: "net/xfrm/xfrm_input.c",
  __xfrm_policy_check: "net/xfrm/xfrm_policy.c",
  esp4_err: "net/ipv4/esp4.c",
};
