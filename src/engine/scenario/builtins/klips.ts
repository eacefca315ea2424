/**
 * Seed 002 (Richard Guy Briggs, linux-ipsec, 1999-08-06: "IPSEC transport mode w/2.2.x kernels
 * and large packets") and the modern XFRM answer, as built-in scenarios. Numbers: kernel-notes
 * §8.4. Keys are published teaching keys: never use them for real traffic.
 */
import type { ScenarioInput } from "../schema";

/** 3DES-CBC K1|K2|K3 (RFC 2451) and HMAC-MD5 (RFC 2403) keys, one pair per direction. */
const TDES_WE = "0x0123456789abcdef23456789abcdef01456789abcdef0123";
const MD5_WE = "0x000102030405060708090a0b0c0d0e0f";
const TDES_EW = "0xfedcba9876543210f0e1d2c3b4a5968778695a4b3c2d1e0f";
const MD5_EW = "0x101112131415161718191a1b1c1d1e1f";

/** ESP transport SAs both ways and the policies that require them (setkey on each end). */
function espBetween(a: string, b: string) {
  const sad = [
    { spi: 0x1001, src: a, dst: b, proto: "esp" as const, enc: "3des-cbc" as const, encKey: TDES_WE, auth: "hmac-md5-96" as const, authKey: MD5_WE },
    { spi: 0x1002, src: b, dst: a, proto: "esp" as const, enc: "3des-cbc" as const, encKey: TDES_EW, auth: "hmac-md5-96" as const, authKey: MD5_EW },
  ];
  const req = [{ proto: "esp" as const, mode: "transport" as const, level: "require" as const }];
  const spdOf = (self: string, peer: string) => [
    { dir: "out" as const, src: `${self}/32`, dst: `${peer}/32`, action: "ipsec" as const, requests: req },
    { dir: "in" as const, src: `${peer}/32`, dst: `${self}/32`, action: "ipsec" as const, requests: req },
  ];
  return { sad, spdA: spdOf(a, b), spdB: spdOf(b, a) };
}

const WEST = "192.0.2.1";
const EAST = "198.51.100.2";
const ke = espBetween(WEST, EAST);

const klipsBigpackets: ScenarioInput = {
  version: 1,
  name: "klips-bigpackets",
  title: "Seed 002: KLIPS, ipsec0 and a 1500-byte DF packet (Linux 2.2, 1999)",
  description:
    "west sends two 1472-byte UDP datagrams with DF (1500-byte IP packets) to east over ESP transport (3DES-CBC + HMAC-MD5-96), through router r1 whose link to east has MTU 1400, then a 1000-byte ping that fits. Encrypted, each is 1536 bytes, more than eth0's 1500. On the 1999 KLIPS ip_fragment(skb, skb->dst->output) sends the fragments back into ipsec0 and the kernel oopses; as shipped in 2003 the packet is re-routed via eth0 and fragmented after encryption (1500 + 56, DF cleared; r1 cuts the 1500 again for its 1400 link), and KLIPS's private MTU ratchets to 1463 without telling anyone (net.ipsec.icmp = 1 sends need-frag 1463). Modern XFRM refuses it with EMSGSIZE, bundle MTU 1466; the sender tries 1466 bytes, whose 1496-byte ESP packet r1 cannot forward: its FRAG_NEEDED (1400) lowers the bundle MTU to 1370, the path MTU per SA. Try --personality linux-2.2-klips-2003 or linux-xfrm, and the KLIPS switches.",
  personality: "linux-2.2-klips-1999",
  story: "briggs-1999",
  hosts: [
    {
      name: "west",
      interfaces: [{ name: "eth0", addr: `${WEST}/24`, mtu: 1500 }],
      routes: [{ dst: "default", gateway: "192.0.2.254", ifname: "eth0" }],
      sad: ke.sad,
      spd: ke.spdA,
    },
    {
      name: "r1",
      interfaces: [
        { name: "eth0", addr: "192.0.2.254/24", mtu: 1500 },
        { name: "eth1", addr: "198.51.100.254/24", mtu: 1400 },
      ],
    },
    {
      name: "east",
      interfaces: [{ name: "eth0", addr: `${EAST}/24`, mtu: 1400 }],
      routes: [{ dst: "default", gateway: "198.51.100.254", ifname: "eth0" }],
      sad: ke.sad,
      spd: ke.spdB,
    },
  ],
  links: [
    { name: "wire", ends: ["west:eth0", "r1:eth0"], delayMicros: 50 },
    { name: "r1-east", ends: ["r1:eth1", "east:eth0"], delayMicros: 50 },
  ],
  traffic: [
    { kind: "udp", from: "west", dst: EAST, size: 1472, df: true, count: 2, intervalMs: 10 },
    { kind: "ping", from: "west", dst: EAST, size: 972, count: 1, startMs: 100 },
  ],
};

const PMTU_WEST = "192.0.2.1";
const PMTU_EAST = "198.51.100.2";
const kp = espBetween(PMTU_WEST, PMTU_EAST);

const xfrmPmtuPerSa: ScenarioInput = {
  version: 1,
  name: "xfrm-pmtu-per-sa",
  title: "Seed 002, the modern answer: path MTU per SA (Linux XFRM)",
  description:
    "The same ESP transport SA, through router r1 whose link to east has MTU 1400. A 1438-byte DF datagram fits the bundle MTU 1466, but its 1496-byte ESP packet does not fit r1's next hop: r1 sends FRAG_NEEDED (1400) about the ESP packet, esp4_err lowers the route MTU, and xfrm_bundle_ok recomputes the bundle MTU: 1370. The next 1438-byte datagram is refused with EMSGSIZE 1370, and the sender sends it again at 1342 bytes (1370 of IP), which goes through. Alexey Kuznetsov's \"per-eroute pmtu\" of 1999, realised.",
  personality: "linux-xfrm",
  story: "briggs-1999",
  hosts: [
    {
      name: "west",
      interfaces: [{ name: "eth0", addr: `${PMTU_WEST}/24`, mtu: 1500 }],
      routes: [{ dst: "default", gateway: "192.0.2.254", ifname: "eth0" }],
      sad: kp.sad,
      spd: kp.spdA,
    },
    {
      name: "r1",
      interfaces: [
        { name: "eth0", addr: "192.0.2.254/24", mtu: 1500 },
        { name: "eth1", addr: "198.51.100.254/24", mtu: 1400 },
      ],
    },
    {
      name: "east",
      interfaces: [{ name: "eth0", addr: `${PMTU_EAST}/24`, mtu: 1400 }],
      routes: [{ dst: "default", gateway: "198.51.100.254", ifname: "eth0" }],
      sad: kp.sad,
      spd: kp.spdB,
    },
  ],
  links: [
    { name: "west-r1", ends: ["west:eth0", "r1:eth0"], delayMicros: 50 },
    { name: "r1-east", ends: ["r1:eth1", "east:eth0"], delayMicros: 50 },
  ],
  traffic: [
    { kind: "udp", from: "west", dst: PMTU_EAST, size: 1438, df: true, count: 2, intervalMs: 10 },
    { kind: "ping", from: "west", dst: PMTU_EAST, size: 972, count: 1, startMs: 50 },
  ],
};

/** Seed 002's built-ins, spread into the registry (builtins.ts). */
export const KLIPS_BUILTINS: readonly ScenarioInput[] = [klipsBigpackets, xfrmPmtuPerSa];
