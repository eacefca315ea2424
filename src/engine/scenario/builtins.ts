/**
 * The built-in scenario library. Each is written as a person would write a scenario file
 * (defaults left out) and goes through the same validation as any other input.
 * Keys are fixed, published-in-the-open teaching keys: never use them for real traffic.
 */
import type { ScenarioInput } from "./schema";
import { authAlg, encAlg, type AuthAlgId, type EncAlgId } from "../crypto/registry";
import { replayCheckOf } from "../netipsec/replay";
import { KLIPS_BUILTINS } from "./builtins/klips";
import { NETWORK_SCENARIOS } from "./builtins/networks";
import { OPENBSD_SCENARIOS } from "./builtins/openbsd";
import { KEYING_SCENARIOS } from "./builtins/keying";

const LOOPBACK = "127.0.0.1";
const ANY_LOOPBACK = "127.0.0.1/32";

/** setkey: spdadd 127.0.0.1 127.0.0.1 any -P out|in ipsec <proto>/transport//require; */
function loopbackPolicies(proto: "esp" | "ah") {
  return [
    {
      dir: "out" as const,
      src: ANY_LOOPBACK,
      dst: ANY_LOOPBACK,
      action: "ipsec" as const,
      requests: [{ proto, mode: "transport" as const, level: "require" as const }],
    },
    {
      dir: "in" as const,
      src: ANY_LOOPBACK,
      dst: ANY_LOOPBACK,
      action: "ipsec" as const,
      requests: [{ proto, mode: "transport" as const, level: "require" as const }],
    },
  ];
}

const GCM_KEY = "0x0123456789abcdef0123456789abcdef" + "cafebabe";
const CBC_KEY = "0x00112233445566778899aabbccddeeff";
const SHA1_KEY = "0x0102030405060708090a0b0c0d0e0f1011121314";
const SHA256_KEY = "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

const lo0Ping: ScenarioInput = {
  version: 1,
  name: "lo0-ping",
  title: "ping 127.0.0.1 — no IPsec",
  description:
    "The plain path: an echo request goes down through ip_output and looutput, comes back up through ipintrq and ip_input, and icmp_reflect turns it into the reply in the same mbuf. Three echoes.",
  hosts: [{ name: "host" }],
  traffic: [{ kind: "ping", from: "host", dst: LOOPBACK, count: 3 }],
};

/** Seeds 000/001 on one host: an SA from 127.0.0.1 to itself, out and in policies requiring it. */
function lo0Story(name: string, title: string, description: string, sa: NonNullable<ScenarioInput["hosts"][number]["sad"]>[number]): ScenarioInput {
  return {
    version: 1,
    name,
    title,
    description,
    personality: "netbsd-2003",
    story: "stone-2003",
    hosts: [{ name: "host", sad: [sa], spd: loopbackPolicies(sa.proto) }],
    traffic: [{ kind: "ping", from: "host", dst: LOOPBACK, count: 3 }],
  };
}

const lo0EspPing = lo0Story(
  "lo0-esp-ping",
  "Fast-IPsec over lo0 (NetBSD, 2003)",
  "Seeds 000/001: static-keyed ESP in transport mode from 127.0.0.1 to itself, with out and in policies both esp/transport//require. The echo reply is reflected in the request's mbuf, still carrying its OUT_DONE and IN_DONE tags and M_DECRYPTED — so ip_output skips ESP and ip_input accepts the cleartext reply. Toggle a fix and watch it change.",
  { spi: "0x1000", src: LOOPBACK, dst: LOOPBACK, proto: "esp", mode: "transport", enc: "aes-gcm-16", encKey: GCM_KEY },
);

const lo0AhPing = lo0Story(
  "lo0-ah-ping",
  "AH over lo0 (NetBSD, 2003)",
  "The same story with AH (HMAC-SHA-256-128): the stale OUT_DONE skips AH on the reply, and the stale M_AUTHIPHDR stands in for M_DECRYPTED.",
  { spi: "0x1100", src: LOOPBACK, dst: LOOPBACK, proto: "ah", mode: "transport", auth: "hmac-sha256-128", authKey: SHA256_KEY },
);

const lo0EspCbcPing = lo0Story(
  "lo0-esp-cbc-ping",
  "ESP AES-CBC + HMAC-SHA1-96 over lo0",
  "The seed story with the ciphers of its era: AES-CBC (RFC 3602) with HMAC-SHA1-96 (RFC 2404), a random IV per packet from the seeded RNG.",
  {
    spi: "0x1200",
    src: LOOPBACK,
    dst: LOOPBACK,
    proto: "esp",
    mode: "transport",
    enc: "aes-cbc",
    encKey: CBC_KEY,
    auth: "hmac-sha1-96",
    authKey: SHA1_KEY,
  },
);

const TUNNEL_KEY_AB = "0x" + "11".repeat(32) + "a0a1a2a3";
const TUNNEL_KEY_BA = "0x" + "22".repeat(32) + "b0b1b2b3";

/** Two gateways, each with an inside network, joined by net0; ESP tunnel between them. */
function gatewayTunnel(
  name: string,
  title: string,
  description: string,
  extra: { wrongKeyOnB?: boolean; faults?: NonNullable<ScenarioInput["links"]>[number]["faults"]; count?: number } = {},
): ScenarioInput {
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
  return {
    version: 1,
    name,
    title,
    description,
    personality: "netbsd-2003",
    hosts: [
      {
        name: "gw-a",
        interfaces: [
          { name: "em0", addr: "10.0.0.1/24" },
          { name: "em1", addr: "192.168.1.1/24" },
        ],
        routes: [{ dst: "192.168.2.0/24", gateway: "10.0.0.2", ifname: "em0" }],
        sad: [sa("0x2001", "10.0.0.1", "10.0.0.2", TUNNEL_KEY_AB), sa("0x2002", "10.0.0.2", "10.0.0.1", TUNNEL_KEY_BA)],
        spd: [
          { dir: "out", src: "192.168.1.0/24", dst: "192.168.2.0/24", action: "ipsec", requests: req("10.0.0.1", "10.0.0.2") },
          { dir: "in", src: "192.168.2.0/24", dst: "192.168.1.0/24", action: "ipsec", requests: req("10.0.0.2", "10.0.0.1") },
        ],
      },
      {
        name: "gw-b",
        interfaces: [
          { name: "em0", addr: "10.0.0.2/24" },
          { name: "em1", addr: "192.168.2.1/24" },
        ],
        routes: [{ dst: "192.168.1.0/24", gateway: "10.0.0.1", ifname: "em0" }],
        sad: [
          sa("0x2001", "10.0.0.1", "10.0.0.2", extra.wrongKeyOnB ? "0x" + "33".repeat(32) + "a0a1a2a3" : TUNNEL_KEY_AB),
          sa("0x2002", "10.0.0.2", "10.0.0.1", TUNNEL_KEY_BA),
        ],
        spd: [
          { dir: "out", src: "192.168.2.0/24", dst: "192.168.1.0/24", action: "ipsec", requests: req("10.0.0.2", "10.0.0.1") },
          { dir: "in", src: "192.168.1.0/24", dst: "192.168.2.0/24", action: "ipsec", requests: req("10.0.0.1", "10.0.0.2") },
        ],
      },
    ],
    links: [{ name: "net0", ends: ["gw-a:em0", "gw-b:em0"], delayMicros: 100, ...(extra.faults ? { faults: extra.faults } : {}) }],
    traffic: [{ kind: "ping", from: "gw-a", src: "192.168.1.1", dst: "192.168.2.1", count: extra.count ?? 3 }],
  };
}

const tunnel = gatewayTunnel(
  "gw-esp-tunnel",
  "Gateway-to-gateway ESP tunnel",
  "Two gateways protect their inside networks with an ESP tunnel (ChaCha20-Poly1305, RFC 7634). The echo reply is reflected with a stale IN_DONE, but nothing on output consults IN_DONE, so the reply is encrypted correctly.",
);

const replay = gatewayTunnel(
  "esp-replay",
  "A replayed ESP packet",
  "An attacker on net0 records the first ESP packet and sends it again 500 µs later. The ICV verifies — it is a genuine packet — but the anti-replay window (RFC 4303 §3.4.3) has already seen its sequence number, so gw-b drops it.",
  { faults: [{ kind: "replay", nth: 1, delayMicros: 500 }] },
);

const wrongKey = gatewayTunnel(
  "esp-wrong-key",
  "Mismatched keys",
  "gw-b was configured with the wrong key for the SA from gw-a. Every packet fails the Poly1305 ICV check and is dropped: the pings get no answer.",
  { wrongKeyOnB: true, count: 2 },
);

const tamper = gatewayTunnel(
  "esp-tamper",
  "A flipped bit on the wire",
  "One bit of the second packet on net0 is flipped in transit. The receiver's ICV check catches it and drops the packet; the other echoes go through.",
  { faults: [{ kind: "flip-bit", nth: 2, byte: 60, bit: 3 }] },
);

/** The schema's default window (schema.ts SaSchema replayWindow). */
const DEFAULT_REPLAY_WINDOW = 64;

/**
 * "Anti-replay: …" — which of a built-in's static SAs have a replay window, derived from the SA
 * fields by the engine's own rule (netipsec/replay.ts replayCheckOf, FAST_IPSEC's
 * `if (esph && sav->replay)`), so the text cannot drift from what the run does (issue 10, item 5).
 * Only BSD personalities: the Linux stacks (KLIPS, XFRM) keep their own replay state. Empty for a
 * scenario without static SAs (keying: SAs negotiated during the run).
 */
export function replayWindowText(s: ScenarioInput): string {
  if (s.personality?.startsWith("linux")) return "";
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const h of s.hosts) {
    for (const sa of h.sad ?? []) {
      const spi = typeof sa.spi === "number" ? `0x${sa.spi.toString(16)}` : sa.spi;
      if (seen.has(`${spi}|${sa.dst}|${sa.proto}`)) continue;
      seen.add(`${spi}|${sa.dst}|${sa.proto}`);
      const enc = encAlg((sa.enc ?? "null") as EncAlgId);
      const icvLen = enc.aead ? enc.icvBytes : authAlg((sa.auth ?? "none") as AuthAlgId).icvBytes;
      const window = sa.replayWindow ?? DEFAULT_REPLAY_WINDOW;
      const check = replayCheckOf({ proto: sa.proto, icvLen, replayWindow: window });
      const key =
        check === "window"
          ? `a ${window}-packet window (RFC 4303 §3.4.3)`
          : check === "no-window"
            ? "no window (replayWindow 0: sequence numbers are neither counted nor checked)"
            : "no replay check (ESP without authentication is never replay-checked)";
      groups.set(key, [...(groups.get(key) ?? []), `${sa.proto.toUpperCase()} SA ${spi}`]);
    }
  }
  if (groups.size === 0) return "";
  const parts = [...groups].map(
    ([what, sas]) => `${sas.length === 1 ? sas[0] : `${sas.slice(0, -1).join(", ")} and ${sas.at(-1)}`} ${sas.length === 1 ? "has" : "have"} ${what}`,
  );
  return `Anti-replay: ${parts.join("; ")}.`;
}

/** A built-in with its derived anti-replay sentence appended to the description. */
function withReplayText(s: ScenarioInput): ScenarioInput {
  const text = replayWindowText(s);
  return text ? { ...s, description: s.description ? `${s.description} ${text}` : text } : s;
}

/** All built-ins, in the order the picker lists them. */
export const BUILTIN_SCENARIOS: readonly ScenarioInput[] = [
  lo0EspPing,
  lo0Ping,
  lo0AhPing,
  lo0EspCbcPing,
  tunnel,
  replay,
  wrongKey,
  tamper,
  ...NETWORK_SCENARIOS,
  ...OPENBSD_SCENARIOS,
  ...KLIPS_BUILTINS,
  ...KEYING_SCENARIOS,
].map(withReplayText);

/** The scenario the app opens with. */
export const DEFAULT_SCENARIO = "lo0-esp-ping";

export function builtinByName(name: string): ScenarioInput | undefined {
  return BUILTIN_SCENARIOS.find((s) => s.name === name);
}
