/**
 * Built-ins beyond loopback (issue 12): a router that forwards and decrements the TTL, ESP
 * before fragmentation and reassembly before ESP input, and path MTU discovery through an ESP
 * tunnel — learned when the router's need-frag gets through, a black hole when a filter drops it.
 * Keys are fixed, published teaching keys: never use them for real traffic.
 */
import type { ScenarioInput } from "../schema";

type HostInput = ScenarioInput["hosts"][number];

const KEY_AB = "0x" + "44".repeat(32) + "c0c1c2c3";
const KEY_BA = "0x" + "55".repeat(32) + "d0d1d2d3";

/** a — r — b: two /24s joined by a router (ipforwarding = 1). */
function threeHosts(): HostInput[] {
  return [
    { name: "a", interfaces: [{ name: "em0", addr: "10.0.1.1/24" }], routes: [{ dst: "10.0.2.0/24", gateway: "10.0.1.2", ifname: "em0" }] },
    {
      name: "r",
      ipforwarding: true,
      interfaces: [
        { name: "em0", addr: "10.0.1.2/24" },
        { name: "em1", addr: "10.0.2.1/24" },
      ],
    },
    { name: "b", interfaces: [{ name: "em0", addr: "10.0.2.2/24" }], routes: [{ dst: "10.0.1.0/24", gateway: "10.0.2.1", ifname: "em0" }] },
  ];
}

const routedPing: ScenarioInput = {
  version: 1,
  name: "routed-ping",
  title: "ping through a router",
  description:
    "a pings b through router r (ipforwarding = 1): r's ip_forward decrements the TTL (255 → 254) and ip_output sends the datagram on. Then a ping with TTL 1: r may not forward it (ip_ttl ≤ IPTTLDEC) and answers with ICMP time exceeded, built by icmp_error and sent from the address the datagram came in on.",
  personality: "netbsd-2003",
  hosts: threeHosts(),
  links: [
    { name: "net-a", ends: ["a:em0", "r:em0"] },
    { name: "net-b", ends: ["r:em1", "b:em0"] },
  ],
  traffic: [
    { kind: "ping", from: "a", dst: "10.0.2.2", count: 2 },
    { kind: "ping", from: "a", dst: "10.0.2.2", count: 1, ttl: 1, id: 0x4321, startMs: 500 },
  ],
};

/** Teaching keys for AES-CBC + HMAC-SHA1-96, the 2003 transforms (tcp-esp). */
const CBC_KEYS = { encKey: "0x" + "66".repeat(16), authKey: "0x" + "77".repeat(20) };

/** setkey: ESP transport between a and b, required both ways (AES-GCM-16, or AES-CBC + HMAC-SHA1-96). */
function espTransport(self: string, peer: string, cbc = false): Pick<HostInput, "sad" | "spd"> {
  const sa = (spi: string, src: string, dst: string, key: string) =>
    cbc
      ? {
          spi,
          src,
          dst,
          proto: "esp" as const,
          enc: "aes-cbc" as const,
          encKey: CBC_KEYS.encKey,
          auth: "hmac-sha1-96" as const,
          authKey: CBC_KEYS.authKey,
        }
      : { spi, src, dst, proto: "esp" as const, enc: "aes-gcm-16" as const, encKey: key };
  const req = [{ proto: "esp" as const, mode: "transport" as const, level: "require" as const }];
  return {
    sad: [sa("0x3001", "10.0.1.1", "10.0.1.2", KEY_AB), sa("0x3002", "10.0.1.2", "10.0.1.1", KEY_BA)],
    spd: [
      { dir: "out", src: `${self}/32`, dst: `${peer}/32`, action: "ipsec", requests: req },
      { dir: "in", src: `${peer}/32`, dst: `${self}/32`, action: "ipsec", requests: req },
    ],
  };
}

const fragEsp: ScenarioInput = {
  version: 1,
  name: "frag-esp",
  title: "A large ESP ping: encrypt, then fragment",
  description:
    "a sends b a 2928-byte echo request (ping -s 2900) under ESP transport (AES-GCM-16, so Wireshark 4.0 decrypts the capture) across a 1500-byte link. ESP comes first (RFC 4303 §3.3.4: fragmentation after outbound IPsec): the 2964-byte ESP datagram is then cut by ip_fragment into 1500 + 1484 bytes (offsets 0 and 185). b reassembles the fragments (ip_reass) before ESP input sees the packet (§3.4.1), decrypts, and answers the same way. (A 3000-byte datagram would make three fragments: with ESP's 36 bytes it needs more than 2 × 1480 of data.)",
  personality: "netbsd-2003",
  hosts: [
    { name: "a", interfaces: [{ name: "em0", addr: "10.0.1.1/24" }], ...espTransport("10.0.1.1", "10.0.1.2") },
    { name: "b", interfaces: [{ name: "em0", addr: "10.0.1.2/24" }], ...espTransport("10.0.1.2", "10.0.1.1") },
  ],
  links: [{ name: "net0", ends: ["a:em0", "b:em0"] }],
  traffic: [{ kind: "ping", from: "a", dst: "10.0.1.2", count: 1, size: 2900 }],
};

/**
 * gw-a — r — gw-b, an ESP tunnel between the gateways across r, whose link to gw-b has MTU 1400;
 * gw-a copies DF into the outer header (ip4_ipsec_dfbit 2) and pings with DF.
 */
function pmtu(name: string, title: string, description: string, dropIcmp: boolean): ScenarioInput {
  const sa = (spi: string, src: string, dst: string, key: string) => ({
    spi,
    src,
    dst,
    proto: "esp" as const,
    mode: "tunnel" as const,
    enc: "chacha20-poly1305" as const,
    encKey: key,
  });
  const req = (src: string, dst: string) => [
    { proto: "esp" as const, mode: "tunnel" as const, tunnelSrc: src, tunnelDst: dst, level: "require" as const },
  ];
  const sad = [sa("0x4001", "10.0.1.1", "10.0.2.2", KEY_AB), sa("0x4002", "10.0.2.2", "10.0.1.1", KEY_BA)];
  return {
    version: 1,
    name,
    title,
    description,
    personality: "netbsd-2003",
    hosts: [
      {
        name: "gw-a",
        ipsecDfbit: 2,
        interfaces: [
          { name: "em0", addr: "10.0.1.1/24" },
          { name: "em1", addr: "192.168.1.1/24" },
        ],
        routes: [
          { dst: "10.0.2.0/24", gateway: "10.0.1.2", ifname: "em0" },
          { dst: "192.168.2.0/24", gateway: "10.0.1.2", ifname: "em0" },
        ],
        sad,
        spd: [
          { dir: "out", src: "192.168.1.0/24", dst: "192.168.2.0/24", action: "ipsec", requests: req("10.0.1.1", "10.0.2.2") },
          { dir: "in", src: "192.168.2.0/24", dst: "192.168.1.0/24", action: "ipsec", requests: req("10.0.2.2", "10.0.1.1") },
        ],
      },
      {
        name: "r",
        ipforwarding: true,
        interfaces: [
          { name: "em0", addr: "10.0.1.2/24" },
          { name: "em1", addr: "10.0.2.1/24", mtu: 1400 },
        ],
      },
      {
        name: "gw-b",
        interfaces: [
          { name: "em0", addr: "10.0.2.2/24", mtu: 1400 },
          { name: "em1", addr: "192.168.2.1/24" },
        ],
        routes: [
          { dst: "10.0.1.0/24", gateway: "10.0.2.1", ifname: "em0" },
          { dst: "192.168.1.0/24", gateway: "10.0.2.1", ifname: "em0" },
        ],
        sad,
        spd: [
          { dir: "out", src: "192.168.2.0/24", dst: "192.168.1.0/24", action: "ipsec", requests: req("10.0.2.2", "10.0.1.1") },
          { dir: "in", src: "192.168.1.0/24", dst: "192.168.2.0/24", action: "ipsec", requests: req("10.0.1.1", "10.0.2.2") },
        ],
      },
    ],
    links: [
      { name: "net-a", ends: ["gw-a:em0", "r:em0"], dropIcmp },
      { name: "net-b", ends: ["r:em1", "gw-b:em0"] },
    ],
    traffic: [{ kind: "ping", from: "gw-a", src: "192.168.1.1", dst: "192.168.2.1", count: 3, size: 1392, df: true }],
  };
}

const PMTU_STORY =
  "gw-a pings gw-b's inside address with DF (ping -D -s 1392: a 1420-byte datagram) through an ESP tunnel; gw-a copies DF into the tunnel's outer header (ip4_ipsec_dfbit 2), so the 1476-byte ESP packet may not be fragmented. r's link to gw-b has MTU 1400: r's ip_forward gets EMSGSIZE and sends gw-a ICMP need-frag with next-hop MTU 1400 (RFC 1191 §4).";

const pmtuDiscovery = pmtu(
  "pmtu-discovery",
  "Path MTU learned through an ESP tunnel",
  `${PMTU_STORY} The ICMP reaches gw-a: esp4_ctlinput finds the quoted SA and icmp_mtudisc gives gw-a a host route to 10.0.2.2 with rmx_mtu 1400. The first echo is lost; the next ones fail at once on gw-a with EMSGSIZE — the sender is told. ping does not shrink its packets (a TCP sender would lower its MSS: not modelled), so no echo gets through, but nothing is silent.`,
  false,
);

const pmtuBlackhole = pmtu(
  "pmtu-blackhole",
  "PMTU black hole: need-frag filtered",
  `${PMTU_STORY} A filter on net-a drops all ICMP: the need-frag never reaches gw-a, which never learns the path MTU and keeps sending 1476-byte DF packets that die at r — every echo vanishes without a word (a UDP or TCP sender would stall the same way; this one is a DF ping).`,
  true,
);

/**
 * a — r1 — r2 — b: four hosts, the middle link (r1–r2) with MTU 1400, the ends at 1500 — so both
 * ends offer MSS 1460 and only path MTU discovery finds the bottleneck (RFC 1191 §1). With
 * `dropIcmp`, a filter on net-a drops the need-frag r1 sends back.
 */
function tcpPmtu(name: string, title: string, description: string, dropIcmp: boolean): ScenarioInput {
  return {
    version: 1,
    name,
    title,
    description,
    personality: "netbsd-2003",
    hosts: [
      { name: "a", interfaces: [{ name: "em0", addr: "10.0.1.1/24" }], routes: [{ dst: "default", gateway: "10.0.1.2", ifname: "em0" }] },
      {
        name: "r1",
        ipforwarding: true,
        interfaces: [
          { name: "em0", addr: "10.0.1.2/24" },
          { name: "em1", addr: "10.0.2.1/24", mtu: 1400 },
        ],
        routes: [{ dst: "10.0.3.0/24", gateway: "10.0.2.2", ifname: "em1" }],
      },
      {
        name: "r2",
        ipforwarding: true,
        interfaces: [
          { name: "em0", addr: "10.0.2.2/24", mtu: 1400 },
          { name: "em1", addr: "10.0.3.1/24" },
        ],
        routes: [{ dst: "10.0.1.0/24", gateway: "10.0.2.1", ifname: "em0" }],
      },
      { name: "b", interfaces: [{ name: "em0", addr: "10.0.3.2/24" }], routes: [{ dst: "default", gateway: "10.0.3.1", ifname: "em0" }] },
    ],
    links: [
      { name: "net-a", ends: ["a:em0", "r1:em0"], dropIcmp },
      { name: "net-m", ends: ["r1:em1", "r2:em0"] },
      { name: "net-b", ends: ["r2:em1", "b:em0"] },
    ],
    traffic: [{ kind: "tcp", from: "a", dst: "10.0.3.2", bytes: 4000, dstPort: 9 }],
  };
}

const TCP_PMTU_STORY =
  "a sends b 4000 bytes over TCP (NetBSD 1.6's tcp_output, path MTU discovery on: every segment has DF). Both ends sit on 1500-byte Ethernets, so each SYN offers MSS 1460 (tcp_mss_to_advertise: 1500 − 40); the link between r1 and r2 has MTU 1400. The first full segment (1460 + 40 = 1500 bytes, DF) cannot cross it: r1's ip_forward gets EMSGSIZE and sends a ICMP need-frag with next-hop MTU 1400 (RFC 1191 §4).";

const tcpPmtuScenario = tcpPmtu(
  "tcp-pmtu",
  "TCP path MTU discovery across four hosts",
  `${TCP_PMTU_STORY} The ICMP reaches a: tcp_ctlinput → icmp_mtudisc sets rmx_mtu 1400 on a host route to b, and tcp_mtudisc resends from snd_una; tcp_segsize now gives 1400 − 40 = 1360 data bytes a segment, which fit, and the transfer completes (1360 + 1360 + 1280) with a FIN close. The verdict is "dropped" because the first 1500-byte segment was: that loss is what teaches a the path MTU.`,
  false,
);

const tcpPmtuBlackhole = tcpPmtu(
  "tcp-pmtu-blackhole",
  "TCP PMTU black hole: need-frag filtered",
  `${TCP_PMTU_STORY} A filter on net-a drops all ICMP: the need-frag never arrives, a never learns the path MTU and retransmits the same 1500-byte DF segment on its retransmit timer, backing off (1.5 s, 3 s, 6 s, … up to 64 s: tcp_backoff[]), until after 12 retransmissions tcp_timer_rexmt gives up and tcp_drop closes the connection with ETIMEDOUT, about nine minutes in. The handshake worked (its segments are small): the classic black hole — a connection that opens and then hangs on the first full-sized segment.`,
  true,
);

const tcpEsp: ScenarioInput = {
  version: 1,
  name: "tcp-esp",
  title: "TCP under ESP: IPsec overhead taken off each segment",
  description:
    "a sends b 4000 bytes over TCP with ESP transport required both ways (AES-CBC + HMAC-SHA1-96, the 2003 transforms) across a 1500-byte link, DF on every segment. Both SYNs offer MSS 1460 — NetBSD does not take IPsec off the MSS it advertises — but tcp_segsize subtracts ipsec4_hdrsiz_tcp from what it sends: esp_hdrsiz = 8 + 16 (AES block) + 9 + ah_hdrsiz (12-byte ICV + 12) = 57 once the SA is known, so a segment carries 1460 − 57 = 1403 data bytes and its ESP packet is 1496 bytes, which fits. (Until a first packet has found the SA, isr->sav is NULL and esp_hdrsiz guesses 49: b sizes its SYN|ACK's connection at 1460 − 49 = 1411.) Without the subtraction a 1460-byte segment would make a 1544-byte ESP packet with DF, refused with EMSGSIZE.",
  personality: "netbsd-2003",
  hosts: [
    { name: "a", interfaces: [{ name: "em0", addr: "10.0.1.1/24" }], ...espTransport("10.0.1.1", "10.0.1.2", true) },
    { name: "b", interfaces: [{ name: "em0", addr: "10.0.1.2/24" }], ...espTransport("10.0.1.2", "10.0.1.1", true) },
  ],
  links: [{ name: "net0", ends: ["a:em0", "b:em0"] }],
  traffic: [{ kind: "tcp", from: "a", dst: "10.0.1.2", bytes: 4000, dstPort: 9 }],
};

/** The networks built-ins, in the order the picker lists them. */
export const NETWORK_SCENARIOS: readonly ScenarioInput[] = [
  routedPing,
  fragEsp,
  pmtuDiscovery,
  pmtuBlackhole,
  tcpPmtuScenario,
  tcpPmtuBlackhole,
  tcpEsp,
];
