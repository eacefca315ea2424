/**
 * Seed 003 (Keromytis, "Tagging Data In The Network Stack: mbuf_tags", BSDCon 2003): records and
 * reminders on openbsd-2003 — kernel-notes §9.5. Teaching keys only, never for real traffic.
 */
import type { ScenarioInput } from "../schema";

type HostInput = ScenarioInput["hosts"][number];
type SaInput = NonNullable<HostInput["sad"]>[number];
type IfaceInput = NonNullable<HostInput["interfaces"]>[number];

const KEY_WE = "0x" + "44".repeat(16) + "c0c1c2c3";
const KEY_EW = "0x" + "55".repeat(16) + "d0d1d2d3";
const KEY_WN = "0x" + "66".repeat(16) + "e0e1e2e3";
const KEY_NW = "0x" + "77".repeat(16) + "f0f1f2f3";

/** ESP transport, AES-GCM-16 (RFC 4106), one direction. */
function espSa(spi: string, src: string, dst: string, encKey: string, extra: Partial<SaInput> = {}): SaInput {
  return { spi, src, dst, proto: "esp", mode: "transport", enc: "aes-gcm-16", encKey, ...extra };
}

/** `flow esp out|in from a to b`: require ESP transport for everything between two addresses. */
function espFlows(self: string, peer: string) {
  const req = [{ proto: "esp" as const, mode: "transport" as const, level: "require" as const }];
  return [
    { dir: "out" as const, src: `${self}/32`, dst: `${peer}/32`, action: "ipsec" as const, requests: req },
    { dir: "in" as const, src: `${peer}/32`, dst: `${self}/32`, action: "ipsec" as const, requests: req },
  ];
}

/**
 * west (10.0.0.1) and east (10.0.0.2), each on em0 with both SAs of an ESP transport pair and the
 * flows that require it; `eastEm0` adds to east's interface (an offload capability).
 */
function espTransportPeers(spiWE: string, spiEW: string, keyWE: string, keyEW: string, eastEm0: Partial<IfaceInput> = {}): HostInput[] {
  const sad = [espSa(spiWE, "10.0.0.1", "10.0.0.2", keyWE), espSa(spiEW, "10.0.0.2", "10.0.0.1", keyEW)];
  return [
    { name: "west", interfaces: [{ name: "em0", addr: "10.0.0.1/24" }], sad, spd: espFlows("10.0.0.1", "10.0.0.2") },
    { name: "east", interfaces: [{ name: "em0", addr: "10.0.0.2/24", ...eastEm0 }], sad, spd: espFlows("10.0.0.2", "10.0.0.1") },
  ];
}

const openbsdRecords: ScenarioInput = {
  version: 1,
  name: "openbsd-records",
  title: "Records: OUT_DONE and IN_DONE (OpenBSD, 2003)",
  description:
    "Seed 003, records. west pings east under ESP transport (SPI 0x1001); west's flow covers every protocol, so the ESP packet ipsp_process_done sends back to ip_output matches it again — and the loop check finds the OUT_DONE record naming the TDB and sends it once. At east, IN_DONE records which TDB decrypted the echo, and ip_input's check looks the flow up from it: accept. An attacker on net0 forges a cleartext echo request from west's address at 1.5 s: it carries no IN_DONE, so it is rejected. Switch no-ipsec-loop-check removes the loop check: the ESP packet is encrypted again and again until the step limit.",
  personality: "openbsd-2003",
  hosts: espTransportPeers("0x1001", "0x1002", KEY_WE, KEY_EW),
  links: [{ name: "net0", ends: ["west:em0", "east:em0"], delayMicros: 100, faults: [{ kind: "forge", atMicros: 1_500_000, from: "west:em0" }] }],
  traffic: [{ kind: "ping", from: "west", dst: "10.0.0.2", count: 2 }],
  // Enough for the two echoes and the forgery (~300 events); a runaway re-encryption stops here.
  maxEvents: 3000,
};

const openbsdOffload: ScenarioInput = {
  version: 1,
  name: "openbsd-offload-whatif",
  title: "Reminders: crypto offload — a what-if (hypothetical NIC)",
  description:
    "Seed 003, reminders — HYPOTHETICAL: no 2003 driver did IPsec offload (txp had IFCAP_IPSEC under #if 0) and no caller marks a TDB TDBF_SKIPCRYPTO; here west's two TDBs are marked. Towards east, esp_output skips the cipher and ipsp_process_done leaves an OUT_CRYPTO_NEEDED reminder; the loop check treats it as done; em0, a hypothetical NIC with IFCAP_IPSEC, honours it and the wire carries ciphertext. Towards north the route is fxp0, which has no IFCAP_IPSEC: ip_output unmarks the TDB and drops the first echo; the next one takes the software path and gets an OUT_DONE record. Switch driver-ignores-reminder: em0 sends the ESP-formatted packet unencrypted — plaintext on the wire.",
  personality: "openbsd-2003",
  hosts: [
    {
      name: "west",
      interfaces: [
        { name: "em0", addr: "10.0.0.1/24", capabilities: ["ipsec"] },
        { name: "fxp0", addr: "10.0.1.1/24", capabilities: [] },
      ],
      sad: [
        espSa("0x2001", "10.0.0.1", "10.0.0.2", KEY_WE, { skipCrypto: true }),
        espSa("0x2002", "10.0.0.2", "10.0.0.1", KEY_EW),
        espSa("0x2101", "10.0.1.1", "10.0.1.2", KEY_WN, { skipCrypto: true }),
        espSa("0x2102", "10.0.1.2", "10.0.1.1", KEY_NW),
      ],
      spd: [...espFlows("10.0.0.1", "10.0.0.2"), ...espFlows("10.0.1.1", "10.0.1.2")],
    },
    {
      name: "east",
      interfaces: [{ name: "em0", addr: "10.0.0.2/24" }],
      sad: [espSa("0x2001", "10.0.0.1", "10.0.0.2", KEY_WE), espSa("0x2002", "10.0.0.2", "10.0.0.1", KEY_EW)],
      spd: espFlows("10.0.0.2", "10.0.0.1"),
    },
    {
      name: "north",
      interfaces: [{ name: "fxp0", addr: "10.0.1.2/24" }],
      sad: [espSa("0x2101", "10.0.1.1", "10.0.1.2", KEY_WN), espSa("0x2102", "10.0.1.2", "10.0.1.1", KEY_NW)],
      spd: espFlows("10.0.1.2", "10.0.1.1"),
    },
  ],
  links: [
    { name: "net0", ends: ["west:em0", "east:em0"], delayMicros: 100 },
    { name: "net1", ends: ["west:fxp0", "north:fxp0"], delayMicros: 100 },
  ],
  traffic: [
    { kind: "ping", from: "west", dst: "10.0.0.2", count: 2 },
    { kind: "ping", from: "west", dst: "10.0.1.2", count: 2, id: 0x4321, startMs: 3000 },
  ],
  // ~440 events; without the loop check (no-ipsec-loop-check) a runaway stops here.
  maxEvents: 3000,
};

const openbsdGifLoop: ScenarioInput = {
  version: 1,
  name: "openbsd-gif-loop",
  title: "gif loop: a record per interface vs a call counter",
  description:
    'Seed 003, gif. gif0 tunnels 10.0.0.1 → 10.9.9.9, and a misconfigured host route sends 10.9.9.9 itself through gif0: the encapsulated packet is routed back into the tunnel. On openbsd-2003 gif_start finds its own GIF record on the packet and drops it (the paper: "In all cases, the packet is dropped"). Run it on netbsd-2003: KAME\'s gif_output counts nested calls, but it queues the packet and resets the counter before gifintr encapsulates it, so the counter never passes 1 — the packet goes round, 20 bytes bigger each time, until the step limit (the kernel would go on until fragmentation and mbuf exhaustion).',
  personality: "openbsd-2003",
  hosts: [
    {
      name: "west",
      interfaces: [
        { name: "em0", addr: "10.0.0.1/24" },
        { name: "gif0", addr: "10.1.1.1/30", mtu: 1280, tunnel: { src: "10.0.0.1", dst: "10.9.9.9" } },
      ],
      routes: [{ dst: "10.9.9.9/32", ifname: "gif0" }],
    },
    { name: "east", interfaces: [{ name: "em0", addr: "10.0.0.2/24" }] },
  ],
  links: [{ name: "net0", ends: ["west:em0", "east:em0"], delayMicros: 100 }],
  traffic: [{ kind: "ping", from: "west", dst: "10.1.1.2", count: 1 }],
  // ~12 events per trip round the loop on netbsd-2003: the limit stops it long before the
  // packet reaches gif0's 1280-byte MTU (where ip_fragment, not modelled, would start).
  maxEvents: 500,
};

const KEY_RX_WE = "0x" + "88".repeat(16) + "a0a1a2a3";
const KEY_RX_EW = "0x" + "99".repeat(16) + "b0b1b2b3";

/**
 * IN_CRYPTO_DONE, the receive-side record (kernel-notes §9.3): FreeBSD RELENG_7's live path
 * (sys/netipsec/xform_esp.c esp_input, ipsec_input.c ipsec4_common_input_cb) against OpenBSD
 * ip_esp.c 1.111's `#ifdef notyet`.
 */
const offloadRx: ScenarioInput = {
  version: 1,
  name: "offload-rx-whatif",
  title: "A NIC's record: IN_CRYPTO_DONE — a what-if (hypothetical NIC)",
  description:
    "Seed 003, the receive-side record — HYPOTHETICAL: no 2003 driver decrypted ESP on receive. east's em0 is a NIC that holds east's SAs: it checks the ICV, decrypts in place and leaves an IN_CRYPTO_DONE record naming the SA. On freebsd-7, esp_input finds that record after the replay check, sends no crypto request, trims the ICV unchecked and ipsec4_common_input_cb just changes the tag's type to IN_DONE: the NIC's record becomes IPsec's and the policy check accepts it. Run it on openbsd-2003: esp_input's lookup is under #ifdef notyet, so the record is never read, the software crypto runs again on the plaintext and the ICV fails — every echo is dropped (inferred: what that code would do with such a NIC).",
  personality: "freebsd-7",
  hosts: espTransportPeers("0x3001", "0x3002", KEY_RX_WE, KEY_RX_EW, { capabilities: ["ipsec-rx"] }),
  links: [{ name: "net0", ends: ["west:em0", "east:em0"], delayMicros: 100 }],
  traffic: [{ kind: "ping", from: "west", dst: "10.0.0.2", count: 2 }],
};

/** Seed 003's built-ins, in picker order. */
export const OPENBSD_SCENARIOS: readonly ScenarioInput[] = [openbsdRecords, openbsdOffload, offloadRx, openbsdGifLoop];
