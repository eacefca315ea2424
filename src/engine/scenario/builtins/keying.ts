/**
 * Seed 004 built-ins: libreswan's route-on-demand tunnel, with its kernel interface switched
 * (kernel-notes §10.6). The SAs are not in `sad`: pluto negotiates (abstracted) and installs
 * them during the run, message by message.
 */
import type { ScenarioInput } from "../schema";

type Backend = "xfrm" | "pfkeyv2" | "bsdkame-2020" | "nokernel";

/**
 * west 192.0.2.1 ↔ east 192.0.2.2, conn auto=route, ESP tunnel AES-GCM-16. The pings run
 * gateway to gateway (tunnel mode between the gateway addresses, selectors /32): forwarding for
 * the subnets behind the gateways is not in the engine yet.
 */
function onDemand(name: string, title: string, description: string, backend: Backend, larvalDrop = true): ScenarioInput {
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
        softPackets: 10,
      },
    },
  };
}

const GATEWAYS =
  "west and east run libreswan's pluto with a route-on-demand ESP tunnel (AES-GCM-16); the pings go gateway to gateway (tunnel mode between 192.0.2.1 and 192.0.2.2), because forwarding for subnets behind the gateways is not modelled yet. IKE itself is abstracted (timed, labelled, no packets); every message between pluto and the kernel is real bytes.";

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
];
