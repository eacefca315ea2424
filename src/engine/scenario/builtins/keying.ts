/**
 * Seed 004 built-ins: libreswan's route-on-demand tunnel, with its kernel interface switched
 * (kernel-notes §10.6). The SAs are not in `sad`: pluto negotiates (abstracted) and installs
 * them during the run, message by message.
 */
import type { ScenarioInput } from "../schema";

type Backend = "xfrm" | "pfkeyv2" | "bsdkame-2020" | "nokernel";
type KeyingConn = NonNullable<ScenarioInput["keying"]>["conn"];

/**
 * west 192.0.2.1 ↔ east 192.0.2.2, conn auto=route, ESP tunnel AES-GCM-16. The pings run
 * gateway to gateway (tunnel mode between the gateway addresses, selectors /32); the subnets
 * behind the gateways are in `libreswan-subnets`.
 */
function onDemand(
  name: string,
  title: string,
  description: string,
  backend: Backend,
  larvalDrop = true,
  lifetimes: Partial<Pick<KeyingConn, "softPackets" | "softBytes" | "hardBytes" | "softAddSec" | "hardAddSec">> = { softPackets: 10 },
): ScenarioInput {
  return {
    version: 1,
    name,
    title,
    description,
    personality: "netbsd-2003",
    hosts: [
      { name: "west", interfaces: [{ name: "eth0", addr: "192.0.2.1/24" }] },
      { name: "east", interfaces: [{ name: "eth0", addr: "192.0.2.2/24" }] },
    ],
    links: [{ name: "net0", ends: ["west:eth0", "east:eth0"], delayMicros: 100 }],
    traffic: [{ kind: "ping", from: "west", dst: "192.0.2.2", count: 14, intervalMs: 1000, startMs: 1 }],
    keying: {
      backend,
      larvalDrop,
      conn: {
        left: "west",
        right: "east",
        leftAddr: "192.0.2.1",
        rightAddr: "192.0.2.2",
        leftSubnet: "192.0.2.1/32",
        rightSubnet: "192.0.2.2/32",
        reqid: 16389,
        ...lifetimes,
      },
    },
  };
}

const GATEWAYS =
  "west and east run libreswan's pluto with a route-on-demand ESP tunnel (AES-GCM-16); the pings go gateway to gateway (tunnel mode between 192.0.2.1 and 192.0.2.2); libreswan-subnets forwards for the subnets behind them. IKE itself is abstracted (timed, labelled, no packets); every message between pluto and the kernel is real bytes.";

/**
 * Subnets behind the gateways (kernel-notes §10.6 as written): host a (10.1.0.5) → west → east →
 * host b (10.2.0.7). The gateways forward (ipforwarding = 1); pluto's policies cover
 * 10.1.0.0/16 ↔ 10.2.0.0/16 with the tunnel between 192.0.2.1 and 192.0.2.2, so a's ping is
 * forwarded by west's ip_forward into ip_output, where the OUT policy (FAST_IPSEC has no FWD
 * direction: a forwarded packet meets the outbound SPD) finds no SA and raises the ACQUIRE.
 */
export const LIBRESWAN_SUBNETS: ScenarioInput = {
  version: 1,
  name: "libreswan-subnets",
  title: "libreswan on demand between subnets: host a → west → east → host b, forwarded through the tunnel",
  description:
    "Two gateways, west (192.0.2.1, subnet 10.1.0.0/16) and east (192.0.2.2, subnet 10.2.0.0/16), forward for the hosts behind them. a (10.1.0.5) pings b (10.2.0.7): west's ip_forward hands the echo to ip_output, whose OUT policy 10.1.0.0/16 → 10.2.0.0/16 has no SA yet — ACQUIRE, the echo is dropped (xfrm_larval_drop=1), pluto negotiates and installs the SAs and the IN, FWD and OUT policies. Later echoes are forwarded into the ESP tunnel, decapsulated at east and forwarded on to b in the clear on b's own segment. IKE is abstracted (timed, labelled); the kernel messages are real bytes.",
  personality: "netbsd-2003",
  hosts: [
    { name: "a", interfaces: [{ name: "em0", addr: "10.1.0.5/16" }], routes: [{ dst: "10.2.0.0/16", gateway: "10.1.0.1", ifname: "em0" }] },
    {
      name: "west",
      ipforwarding: true,
      interfaces: [
        { name: "em0", addr: "192.0.2.1/24" },
        { name: "em1", addr: "10.1.0.1/16" },
      ],
      routes: [{ dst: "10.2.0.0/16", gateway: "192.0.2.2", ifname: "em0" }],
    },
    {
      name: "east",
      ipforwarding: true,
      interfaces: [
        { name: "em0", addr: "192.0.2.2/24" },
        { name: "em1", addr: "10.2.0.1/16" },
      ],
      routes: [{ dst: "10.1.0.0/16", gateway: "192.0.2.1", ifname: "em0" }],
    },
    { name: "b", interfaces: [{ name: "em0", addr: "10.2.0.7/16" }], routes: [{ dst: "10.1.0.0/16", gateway: "10.2.0.1", ifname: "em0" }] },
  ],
  links: [
    { name: "lan-west", ends: ["a:em0", "west:em1"], delayMicros: 50 },
    { name: "net0", ends: ["west:em0", "east:em0"], delayMicros: 100 },
    { name: "lan-east", ends: ["east:em1", "b:em0"], delayMicros: 50 },
  ],
  traffic: [{ kind: "ping", from: "a", dst: "10.2.0.7", count: 6, intervalMs: 1000, startMs: 1 }],
  keying: {
    backend: "xfrm",
    larvalDrop: true,
    conn: {
      left: "west",
      right: "east",
      leftAddr: "192.0.2.1",
      rightAddr: "192.0.2.2",
      leftSubnet: "10.1.0.0/16",
      rightSubnet: "10.2.0.0/16",
      reqid: 16393,
    },
  },
};

export const KEYING_SCENARIOS: readonly ScenarioInput[] = [
  onDemand(
    "libreswan-ondemand",
    "libreswan on demand: ACQUIRE, negotiation, NEWSA/UPDSA/UPDPOLICY, rekey (XFRM)",
    `${GATEWAYS} pluto installs a trap policy; the first ping finds it with no SA, so the kernel makes an ACQ state and sends XFRM_MSG_ACQUIRE — and drops that ping (xfrm_larval_drop=1, the default). pluto negotiates, asks for an inbound SPI (ALLOCSPI), installs NEWSA out, UPDSA in, UPDPOLICY in, fwd and out. Later pings are ESP; after 10 packets the SA's soft limit sends EXPIRE and pluto rekeys with new SPIs.`,
    "xfrm",
  ),
  onDemand(
    "ondemand-queue",
    "libreswan on demand with xfrm_larval_drop=0: the first ping is held, not dropped",
    `${GATEWAYS} With net.core.xfrm_larval_drop=0 the first ping waits on the policy's hold queue (at most 100 packets) until the SA is installed, then is sent: every ping is answered.`,
    "xfrm",
    false,
  ),
  onDemand(
    "ondemand-pfkeyv2",
    "libreswan on demand over PF_KEY v2 (the 2022 kernel_pfkeyv2 backend)",
    `${GATEWAYS} The BSD kernel interface: SADB_REGISTER, X_SPDADD trap, SADB_ACQUIRE (the trigger packet is dropped: KAME has no hold queue), GETSPI, UPDATE/ADD, X_SPDADD/X_SPDUPDATE, SADB_EXPIRE and rekey.`,
    "pfkeyv2",
  ),
  onDemand(
    "ondemand-bsdkame",
    "libreswan 2020 on BSD: the ACQUIRE is discarded, the tunnel never comes up",
    `${GATEWAYS} libreswan v3.32's bsdkame backend registers and installs the trap policy, but bsdkame_pfkey_acquire only logs "received acquire --- discarded": no negotiation ever starts, and every ping is dropped while the kernel keeps acquiring.`,
    "bsdkame-2020",
  ),
  onDemand(
    "ondemand-nokernel",
    "libreswan with nokernel: SA negotiated, never installed — pings in cleartext",
    `${GATEWAYS} With the nokernel backend every kernel op returns TRUE and does nothing: no trap policy, so nothing can trigger an ACQUIRE; pluto initiates at start, "succeeds", and installs nothing. The pings leave in cleartext.`,
    "nokernel",
  ),
  LIBRESWAN_SUBNETS,
  onDemand(
    "ondemand-rekey-time",
    "libreswan on demand: the SA's add-time lifetime runs out mid-traffic — soft EXPIRE, rekey, hard delete (XFRM)",
    `${GATEWAYS} Each SA gets soft_add_expires_seconds 4 and hard_add_expires_seconds 6 (lifetimes by time, not packets). Four seconds after the first pair is installed, xfrm_timer_handler marks it dying and sends XFRM_MSG_EXPIRE (hard 0); pluto rekeys (CREATE_CHILD_SA, abstracted) and installs a new pair while the pings go on, so the SPI on the wire changes mid-traffic. Once the pings stop, the last pair carries no bytes: pluto lets it expire (a labelled model rule) and its hard limit deletes it.`,
    "xfrm",
    true,
    { softAddSec: 4, hardAddSec: 6 },
  ),
];
