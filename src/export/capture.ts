/**
 * A trace as Wireshark sees it: a pcapng capture with one interface per link the trace saw, one
 * packet per `link.tx` step, and the ESP SA table that decrypts it; plus the trace as JSON.
 *
 * Each packet's comment names the step that put it on the link ("step 26 · t=4µs · host
 * ip_output → lo0 · …", steps numbered from 1 as the audit's sentences and `tagflow run` number
 * them: step n is events[n - 1]), so a reader of the capture can find the same moment. Timestamps are the steps' virtual microseconds (see pcapng.ts).
 *
 * No Node APIs: this runs in the browser too.
 */
import {
  fromHex,
  isPersonalityId,
  NETLINK_XFRM,
  parsePfkey,
  parseXfrm,
  PERSONALITIES,
  pfkeyFlavourOf,
  setkeyText,
  xfrmMonitorText,
  type Finding,
  type LinkInfo,
  type Scenario,
  type SockaddrFlavour,
  type Trace,
  type TraceEvent,
  storyOf,
} from "../engine";
import { version as packageVersion } from "../../package.json";
import type { EspAuthAlg, EspEncAlg, EspSaForExport } from "./espSaTable";
export { traceToJson, traceToJsonChunks } from "./traceJson";
import { LINKTYPE, writePcapng, writePcapngChunks, type PcapngCapture, type PcapngInterface, type PcapngPacket } from "./pcapng";

/** The tagflow version written into captures ("0.1.0"). */
export const TAGFLOW_VERSION: string = packageVersion;

/** A trace whose scenario is the engine's normalised Scenario (what runScenario returns). */
export type ScenarioTraceLike = Trace<Scenario>;

/** "tagflow 0.1.0 — lo0-esp-ping (netbsd-2003, fixes: icmp-reflect-strips-tags)". */
export function captureTitle(trace: ScenarioTraceLike): string {
  const fixes = trace.fixes.length > 0 ? trace.fixes.join(", ") : "none";
  return `tagflow ${TAGFLOW_VERSION} — ${trace.scenario.name} (${trace.personality}, fixes: ${fixes})`;
}

/** Interface names: "lo0" when the scenario has one host, else "<host>:lo0"; p2p links by name. */
function interfaceFor(link: LinkInfo, hostCount: number): PcapngInterface {
  if (link.kind === "loopback") {
    const name = hostCount === 1 ? (link.ends[0] ?? link.id).replace(/^.*:/, "") : link.id;
    return { name, description: `${link.id}: BSD loopback (DLT_NULL), as bpf_mtap sees it`, linkType: LINKTYPE.NULL };
  }
  return { name: link.id, description: `${link.id}: ${link.ends.join(" ↔ ")} (raw IP)`, linkType: LINKTYPE.RAW };
}

/** Layers whose function is the one that handed a packet to the interface. */
const SENDER_LAYERS: ReadonlySet<string> = new Set(["app", "icmp", "ip", "ipsec", "crypto"]);

/** The interface as the comment names it: "lo0", "em0". */
function shortIfname(ifname: string): string {
  return ifname.replace(/^.*:/, "");
}

function packetComment(
  e: TraceEvent & { kind: "link.tx" | "link.rx" },
  sender: string | undefined,
  findings: readonly Finding[] | undefined,
  storyWho = "Stone",
): string {
  // lo0 frames are captured where BPF taps them on output, so they name the function that handed
  // the packet down; frames on a link between hosts are captured as they arrive, so they name the
  // receiving step (docs/cli.md says both).
  const arrow = e.kind === "link.tx" ? `${sender ?? e.fn} → ${shortIfname(e.ifname)}` : `${shortIfname(e.ifname)} → ${e.fn}`;
  const parts = [`step ${e.seq + 1}`, `t=${e.t}µs`, `${e.host} ${arrow}`];
  if (e.story !== undefined) parts.push(`${storyWho} step ${e.story}`);
  const fault = e.kind === "link.rx" ? e.fault : undefined;
  if (fault) parts.push(`FAULT ${fault.kind}`);
  // The arrow already names the function; a note that starts with it would read "ether_input: ether_input: …".
  const note = e.note.startsWith(`${e.fn}: `) ? e.note.slice(e.fn.length + 2) : e.note;
  let text = `${parts.join(" · ")}: ${note}`;
  if (fault) text += `\ninjected fault (${fault.kind}): ${fault.detail}`;
  for (const f of findings ?? []) text += `\n${f.severity}: ${f.sentence}`;
  return text;
}

/**
 * The capture of a run: one Interface Description Block per entry of `trace.links` (lo0 as
 * LINKTYPE_NULL, links between hosts as LINKTYPE_RAW) and one packet per frame, with the
 * event's virtual time and a comment naming the step. lo0 is captured where BPF taps it, in
 * looutput (`link.tx`); a link between hosts is captured where frames arrive (`link.rx`), so a
 * replayed copy or a bit flipped in transit shows in the capture as the receiver got it.
 */
export function traceToPcapng(trace: ScenarioTraceLike): Uint8Array {
  return writePcapng(captureOf(trace));
}

/** traceToPcapng in pieces of about 1 MiB, for writing a long capture to a file as it goes. */
export function traceToPcapngChunks(trace: ScenarioTraceLike): Generator<Uint8Array> {
  return writePcapngChunks(captureOf(trace));
}

/**
 * The capture as data, before it is written (tagflow run --pcap writes it with
 * writePcapngChunks and reports its frames, the key messages among them, and its interfaces).
 */
export function traceCapture(trace: ScenarioTraceLike): PcapngCapture {
  return captureOf(trace);
}

/** The frames of a capture that are key-management messages (nlmon0's netlink, PF_KEY on USER0). */
export function keyMessageFrames(capture: PcapngCapture): number {
  return capture.packets.filter((p) => {
    const t = capture.interfaces[p.interfaceId]?.linkType;
    return t === LINKTYPE.NETLINK || t === LINKTYPE.USER0;
  }).length;
}

function captureOf(trace: ScenarioTraceLike): PcapngCapture {
  const hostCount = trace.scenario.hosts.length;
  const interfaces: PcapngInterface[] = [];
  const index = new Map<string, number>();
  const addInterface = (link: LinkInfo): number => {
    const at = interfaces.push(interfaceFor(link, hostCount)) - 1;
    index.set(link.id, at);
    return at;
  };
  trace.links.forEach(addInterface);

  const findingsAt = new Map<number, Finding[]>();
  for (const f of trace.outcome.findings) {
    const list = findingsAt.get(f.step);
    if (list) list.push(f);
    else findingsAt.set(f.step, [f]);
  }

  const versions = new Map(trace.packets.map((p) => [p.id, p]));
  // PF_KEY sockaddrs: Linux af_key's layout on a Linux personality, BSD's elsewhere (seed 004).
  const flavour = isPersonalityId(trace.personality) ? pfkeyFlavourOf(trace.personality) : "bsd";
  /** chain → the last kernel function above the interface that touched it. */
  const lastSender = new Map<number, string>();
  const packets: PcapngPacket[] = [];
  const kindOf = new Map(trace.links.map((l) => [l.id, l.kind]));
  for (const e of trace.events) {
    if (e.kind === "deliver" && keyMessage(e, versions.get(e.packet), interfaces, index, packets, flavour)) continue;
    const captured = (e.kind === "link.tx" && kindOf.get(e.link) !== "p2p") || (e.kind === "link.rx" && kindOf.get(e.link) === "p2p");
    if (!captured) {
      if (e.chain >= 0 && SENDER_LAYERS.has(e.layer)) lastSender.set(e.chain, e.fn);
      continue;
    }
    const version = versions.get(e.packet);
    if (!version) throw new Error(`capture: step ${e.seq + 1} sends packet version ${e.packet}, which the trace does not hold`);
    const interfaceId = index.get(e.link) ?? addInterface({ id: e.link, kind: "p2p", ends: [e.ifname] });
    packets.push({
      interfaceId,
      timestampMicros: e.t,
      data: fromHex(version.hex),
      comment: packetComment(e, lastSender.get(e.chain), findingsAt.get(e.seq), storyOf(trace.scenario as { story?: string })?.who),
    });
  }

  const personality = isPersonalityId(trace.personality) ? PERSONALITIES[trace.personality] : undefined;
  const title = trace.scenario.title ? `\n${trace.scenario.title}` : "";
  return {
    interfaces,
    packets,
    comment: `${captureTitle(trace)}${title}\noutcome: ${trace.outcome.verdict}`,
    application: captureTitle(trace),
    os: personality ? `${personality.title}, simulated` : trace.personality,
  };
}

/** ARPHRD_NETLINK (include/uapi/linux/if_arp.h): the hardware type nlmon devices have. */
const ARPHRD_NETLINK = 824;
/** PACKET_HOST / PACKET_OUTGOING (uapi if_packet.h): to user space, or from it. */
const PACKET_HOST = 0;
const PACKET_OUTGOING = 4;

/**
 * Seed 004: a key-management message, captured once, where it is delivered. Netlink goes on a
 * per-host "nlmon0" interface as LINKTYPE_NETLINK with the 16-byte cooked header nlmon gives
 * (pkttype, ARPHRD_NETLINK, halen 0, 8 address bytes, the netlink family), so Wireshark
 * decodes the netlink header; PF_KEY has no link type, so it goes on USER0 with its setkey
 * decode in the comment. The comment also carries `ip xfrm monitor`'s text of the message.
 * Returns false when `e` is not a key message.
 */
function keyMessage(
  e: TraceEvent & { kind: "deliver" },
  version: { readonly hex: string } | undefined,
  interfaces: PcapngInterface[],
  index: Map<string, number>,
  packets: PcapngPacket[],
  flavour: SockaddrFlavour,
): boolean {
  const netlink = e.socket.startsWith("NETLINK_XFRM");
  if ((!netlink && !e.socket.startsWith("PF_KEY")) || !version) return false;
  const id = `${e.host}:${netlink ? "nlmon0" : "pfkey"}`;
  let at = index.get(id);
  if (at === undefined) {
    at =
      interfaces.push(
        netlink
          ? { name: id, description: `${e.host}: NETLINK_XFRM messages as an nlmon device records them`, linkType: LINKTYPE.NETLINK }
          : {
              name: id,
              description: `${e.host}: PF_KEY v2 messages (no registered link type: USER0; decode in each comment)`,
              linkType: LINKTYPE.USER0,
            },
      ) - 1;
    index.set(id, at);
  }
  const msg = fromHex(version.hex);
  let data = msg;
  let decode: string;
  if (netlink) {
    data = new Uint8Array(16 + msg.length);
    const v = new DataView(data.buffer);
    // To the daemon ("(pluto)") the kernel sends; to the kernel user space sends.
    v.setUint16(0, e.socket.endsWith("(pluto)") ? PACKET_OUTGOING : PACKET_HOST);
    v.setUint16(2, ARPHRD_NETLINK);
    v.setUint16(14, NETLINK_XFRM);
    data.set(msg, 16);
    const p = parseXfrm(msg);
    decode = p.ok ? xfrmMonitorText(p.value) : p.error.message;
  } else {
    const p = parsePfkey(msg, flavour);
    decode = p.ok ? setkeyText(p.value) : p.error.message;
  }
  packets.push({
    interfaceId: at,
    timestampMicros: e.t,
    data,
    comment: `step ${e.seq + 1} · t=${e.t}µs · ${e.host} ${e.socket}: ${e.summary}
${decode.trimEnd()}`,
  });
  return true;
}

function keyBytes(hex: string): Uint8Array {
  return fromHex(hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex);
}

/**
 * Every ESP SA of every host in the scenario, with its keys, for the Wireshark key table.
 * An SA configured identically on both ends is listed once; AH SAs are left out (Wireshark's
 * esp_sa table is for ESP only).
 */
export function traceEspSas(trace: ScenarioTraceLike): EspSaForExport[] {
  const seen = new Set<string>();
  const sas: EspSaForExport[] = [];
  for (const host of trace.scenario.hosts) {
    for (const sa of host.sad) {
      if (sa.proto !== "esp") continue;
      const key = [sa.src, sa.dst, sa.spi, sa.enc, sa.encKey.toLowerCase(), sa.auth, sa.authKey.toLowerCase(), sa.esn].join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      sas.push({
        srcAddr: sa.src,
        dstAddr: sa.dst,
        spi: sa.spi,
        enc: sa.enc satisfies EspEncAlg,
        encKey: keyBytes(sa.encKey),
        auth: sa.auth satisfies EspAuthAlg,
        authKey: keyBytes(sa.authKey),
        ...(sa.esn ? { esn: true } : {}),
      });
    }
  }
  // Seed 004: SAs negotiated during the run are not in the scenario; the trace's key messages hold them.
  if (trace.scenario.keying) {
    for (const sa of negotiatedEspSas(trace)) {
      // Each SA reaches both kernels (one's outbound is the other's inbound): list it once.
      const key = `${sa.srcAddr}|${sa.dstAddr}|${sa.spi}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sas.push(sa);
    }
  }
  return sas;
}

/**
 * Seed 004: the ESP SAs a keying daemon installed during the run, from the XFRM_MSG_NEWSA /
 * UPDSA messages the kernels received (their XFRMA_ALG_AEAD carries the KEYMAT), so the
 * negotiated tunnel decrypts in Wireshark too. PF_KEY runs are read the same way (SADB_ADD /
 * SADB_UPDATE with KEY_ENCRYPT, AES-GCM-16 = SADB_X_EALG_AES_GCM_ICV16).
 */
function negotiatedEspSas(trace: ScenarioTraceLike): EspSaForExport[] {
  const out: EspSaForExport[] = [];
  const versions = new Map(trace.packets.map((p) => [p.id, p]));
  for (const e of trace.events) {
    if (e.kind !== "deliver" || !e.socket.endsWith("(kernel)")) continue;
    const hex = versions.get(e.packet)?.hex;
    if (!hex) continue;
    const bytes = fromHex(hex);
    if (e.socket.startsWith("NETLINK_XFRM")) {
      const p = parseXfrm(bytes);
      if (!p.ok || (p.value.type !== "NEWSA" && p.value.type !== "UPDSA")) continue;
      const aead = p.value.attrs.find((a) => a.type === "ALG_AEAD");
      if (!aead || aead.type !== "ALG_AEAD" || aead.alg.name !== "rfc4106(gcm(aes))") continue;
      const id = p.value.body["id"] as Record<string, unknown>;
      out.push({
        srcAddr: p.value.body["saddr"] as string,
        dstAddr: id["daddr"] as string,
        spi: id["spi"] as number,
        enc: "aes-gcm-16",
        encKey: aead.alg.key,
        auth: "none",
        authKey: new Uint8Array(0),
      });
    } else {
      const p = parsePfkey(bytes, "bsd");
      if (!p.ok || (p.value.type !== "ADD" && p.value.type !== "UPDATE")) continue;
      const sa = p.value.exts.find((x) => x.ext === "SA");
      const key = p.value.exts.find((x) => x.ext === "KEY_ENCRYPT");
      const src = p.value.exts.find((x) => x.ext === "ADDRESS_SRC");
      const dst = p.value.exts.find((x) => x.ext === "ADDRESS_DST");
      if (sa?.ext !== "SA" || sa.encrypt !== 20 || key?.ext !== "KEY_ENCRYPT" || src?.ext !== "ADDRESS_SRC" || dst?.ext !== "ADDRESS_DST") continue;
      out.push({
        srcAddr: src.sa.addr,
        dstAddr: dst.sa.addr,
        spi: sa.spi,
        enc: "aes-gcm-16",
        encKey: key.key,
        auth: "none",
        authKey: new Uint8Array(0),
      });
    }
  }
  return out;
}
