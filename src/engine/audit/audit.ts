/**
 * Findings and the verdict, computed from the trace alone (never from engine internals), so a
 * saved trace audits the same way. Each rule names the step where its finding became true.
 *
 *   insecure — a packet left without the IPsec its policy requires, or was accepted because of
 *              stale IPsec state (a tag or m_flag from the packet's trip the other way);
 *   loop     — the run hit its step limit;
 *   dropped  — packets were dropped (replay, ICV, policy) or echoes went unanswered;
 *   secure   — none of these;
 *   crash    — (Linux stack, seed 002) the modelled kernel oopsed: a `kernel-oops` drop. Never tagflow's own failure.
 */
import { byteAt, chainAt, fnAt, kindAt, scanAt, versionAt, type EventList, type EventTable, type PacketList, type PacketTable } from "../trace/store";
import type { Consulted, EventKind, EventOf, Finding, Outcome, Severity, TagView, Verdict } from "../trace/events";
import { summarize } from "../wire/dissect";
import { fromHex } from "../wire/fields";
import { blackholeFinding, pmtuFinding } from "./networks";
import { TcpLedger } from "./tcp";

interface AuditInput {
  readonly events: EventList;
  readonly packets: PacketList;
  readonly sent: number;
  readonly delivered: number;
}

class Findings {
  private readonly byId = new Map<string, { severity: Severity; step: number; sentence: string; count: number }>();

  /** Count a finding; its sentence is built only the first time (floods repeat findings). */
  add(id: string, severity: Severity, step: number, sentence: () => string): void {
    const f = this.byId.get(id);
    if (f) f.count++;
    else this.byId.set(id, { severity, step, sentence: sentence(), count: 1 });
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  list(): Finding[] {
    const order: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
    return [...this.byId.entries()]
      .map(([id, f]) => ({
        id,
        severity: f.severity,
        step: f.step,
        sentence: f.count > 1 ? `${f.sentence} (${f.count} times in this run)` : f.sentence,
      }))
      .sort((a, b) => order[a.severity] - order[b.severity] || a.step - b.step);
  }
}

function packetSummary(packets: PacketList, id: number): string {
  const p = versionAt(packets, id);
  if (!p) return "the packet";
  return summarize(fromHex(p.hex));
}

/** What kind of packet this is, in words: "echo reply", "echo request", "ESP packet". */
function packetKind(packets: PacketList, id: number): string {
  const s = packetSummary(packets, id);
  if (/echo reply/.test(s)) return "echo reply";
  if (/echo request/.test(s)) return "echo request";
  if (/^ESP|ESP /.test(s)) return "ESP packet";
  return "packet";
}

function ipProto(packets: PacketList, id: number): number {
  return byteAt(packets, id, 9);
}

/** The event kinds the audit reads (the switch below). */
const AUDITED: ReadonlySet<EventKind> = new Set([
  "tag.prepend",
  "decision",
  "link.tx",
  "fault",
  "flag.clear",
  "drop",
  "app.send",
  "deliver",
  "field.set",
]);

function tagText(t: TagView): string {
  return t.tdbi ? `${t.name}{${t.tdbi.dst}, ${t.tdbi.proto}, 0x${t.tdbi.spi.toString(16).padStart(8, "0")}}` : t.name;
}

export function audit(input: AuditInput): Outcome {
  const { events, packets } = input;
  const f = new Findings();
  const tagPrependedAt = new Map<number, number>();
  const lastOutPolicy = new Map<number, EventOf<"decision">>();
  /** The last ESP/AH frame sent on each link, to set a cleartext crossing beside it. */
  const lastProtectedTx = new Map<string, EventOf<"link.tx">>();
  const lastTurn = new Map<number, number>();
  const lastInDone = new Map<number, number>();
  /** seed 003: chains an attacker injected (fault "forge"). */
  const forged = new Set<number>();
  let loop = false;
  let crash = false;
  /** The run hit a size limit (not a loop): echoes still in flight at the cut are not "lost". */
  let truncated = false;
  let drops = 0;
  /** Seed 004: trigger packets dropped while an ACQUIRE was answered, and whether a tunnel came up. */
  let larvalDrops = 0;
  let tunnelUp = false;
  let firstLarval: EventOf<"drop"> | undefined;
  /** Issue 12: TCP transfers are judged by bytes delivered (audit/tcp.ts). */
  const tcp = new TcpLedger();
  /** Issue 12: UDP datagrams are tallied, not judged — UDP neither resends nor acknowledges. */
  const udpSenders = new Set<string>();
  const udp = { sent: 0, refused: 0, delivered: 0 };
  /** Chains of ICMP errors icmp_input handed to the quoted protocol's pr_ctlinput. */
  const advised = new Set<number>();

  for (let i = 0; i < events.length; i++) {
    // A packet changes direction when it crosses a link (lo0 brings it back up) or is reflected.
    const kind = kindAt(events, i);
    if (kind === "link.tx" || fnAt(events, i) === "icmp_reflect") lastTurn.set(chainAt(events, i), i);
    // Only the kinds below are looked at: read their columns, build no object for the rest.
    if (!AUDITED.has(kind)) continue;
    // field.set is frequent (every checksum); only tcp_input's snd_una facts are read.
    if (kind === "field.set" && fnAt(events, i) !== "tcp_input") continue;
    const e = scanAt(events, i);
    switch (e.kind) {
      case "tag.prepend":
        tagPrependedAt.set(e.tag.uid, e.seq);
        if (e.tag.name === "IPSEC_IN_DONE") lastInDone.set(e.chain, e.seq);
        break;
      case "app.send":
        if (e.transport === "udp") {
          udp.sent++;
          udpSenders.add(e.socket);
        } else tcp.appSend(e);
        break;
      case "deliver":
        if (e.transport === "udp") udp.delivered++;
        else tcp.deliver(e);
        break;
      case "field.set":
        tcp.fieldSet(e);
        break;
      case "decision": {
        if (e.check === "ipsec-out-policy") lastOutPolicy.set(e.chain, e);
        if (e.check === "icmp-type" && e.branch.startsWith("pr_ctlinput")) advised.add(e.chain);
        if (e.check === "pmtu") pmtuFinding(e, f);
        // Loops rather than find() with closures: this runs for every decision of a flood.
        let staleTagView: TagView | null = null;
        let staleFlag: Extract<Consulted, { kind: "flag" }> | undefined;
        for (const c of e.consulted) {
          if (staleTagView === null && c.kind === "tag" && c.stale && c.tag) staleTagView = c.tag;
          else if (staleFlag === undefined && c.kind === "flag" && c.set && c.stale) staleFlag = c;
        }
        if (e.check === "ipsec-loop" && e.branch === "skip IPsec" && staleTagView) {
          const at = tagPrependedAt.get(staleTagView.uid);
          f.add(
            "stale-out-done-skipped-ipsec",
            "critical",
            e.seq,
            () =>
              `ip_output skipped IPsec for the ${packetKind(packets, e.packet)} because a stale ${tagText(staleTagView)}${at === undefined ? "" : ` (prepended at step ${at + 1}, on the packet's earlier trip)`} matched the policy's SA.`,
          );
        }
        if (e.check === "ipsec-in-policy" && staleTagView) {
          f.add(
            "stale-in-done-chose-policy",
            "critical",
            e.seq,
            () =>
              `ip_input chose the inbound policy for the ${packetKind(packets, e.packet)} through a stale ${tagText(staleTagView)} — ${e.branch} — instead of the SPD entry for its addresses.`,
          );
        }
        if (e.check === "ipsec-in-reject" && e.branch === "accept" && forged.has(e.chain)) {
          f.add("forged-packet-accepted", "critical", e.seq, () => `A packet forged on the wire was accepted by ${e.host}'s inbound policy check.`);
        }
        if (e.check === "ipsec-in-reject" && e.branch === "accept") {
          let policy: EventOf<"decision"> | undefined;
          for (let i = e.seq - 1; i >= Math.max(0, e.seq - 12); i--) {
            const x = events.at(i)!;
            if (x.kind === "decision" && x.check === "ipsec-in-policy" && x.chain === e.chain) {
              policy = x;
              break;
            }
          }
          const viaStaleTag = policy?.consulted.some((c) => c.kind === "tag" && c.stale) ?? false;
          const proto = ipProto(packets, e.packet);
          const cameViaIpsec = (lastInDone.get(e.chain) ?? -1) > (lastTurn.get(e.chain) ?? -1);
          if ((viaStaleTag || staleFlag) && !cameViaIpsec && proto !== 50 && proto !== 51) {
            f.add(
              "cleartext-accepted",
              "critical",
              e.seq,
              () =>
                `The ${packetKind(packets, e.packet)} arrived in cleartext and was accepted: ${viaStaleTag ? "a stale IN_DONE tag selected the default policy" : "stale m_flags satisfied ipsec_in_reject"} instead of the require policy for its addresses.`,
            );
          } else if (staleFlag) {
            f.add(
              "stale-flag-satisfied-policy",
              "warning",
              e.seq,
              () => `ipsec_in_reject was satisfied by a stale M_${staleFlag.flag} from the packet's earlier trip.`,
            );
          }
        }
        // Linux (seed 002, §11): a policy that asks for IPsec, bypassed by the device's sysctls or by KLIPS's routing.
        if (e.branch.startsWith("bypass") && (e.check === "xfrm-lookup" || e.check === "klips-eroute" || e.check === "xfrm-policy-check")) {
          const sp = e.consulted.find((c) => c.kind === "sp");
          const sw = e.consulted.find((c) => c.kind === "switch");
          if (sp && sp.kind === "sp") {
            const inbound = e.check === "xfrm-policy-check";
            f.add(inbound ? "policy-bypassed-in" : "policy-bypassed-out", "critical", e.seq, () =>
              sw && sw.kind === "switch"
                ? inbound
                  ? `The ${packetKind(packets, e.packet)} was accepted without any IPsec check: it arrived on a device with ${sw.name} = 1, so Linux never compared it with ${sp.id} (${sp.summary}).`
                  : `The packet left in cleartext and no SA was consulted: it is routed out of a device with ${sw.name} = 1, so Linux skips IPsec there, although ${sp.id} (${sp.summary}) asks for it.`
                : `The packet left in cleartext although ${sp.id} (${sp.summary}) asks for IPsec: KLIPS protects only what is routed via ipsec0.`,
            );
          }
        }
        // Seed 004: what the key daemon did with a negotiated SA, and with an ACQUIRE.
        if (e.check === "km-install" && e.branch === "installed") tunnelUp = true;
        if (e.check === "km-install" && e.branch === "no-op (nokernel)" && e.fn === "install_ipsec_sa") {
          f.add(
            "sa-never-installed",
            "critical",
            e.seq,
            () =>
              "SA negotiated, never installed: the nokernel backend's add_sa returned TRUE without telling any kernel, so packets leave in cleartext.",
          );
        }
        if (e.check === "km-acquire" && e.branch === "discarded") {
          f.add(
            "acquire-discarded",
            "warning",
            e.seq,
            () => `${e.host}'s pluto discarded the kernel's ACQUIRE (libreswan 2020 bsdkame backend): the tunnel never came up.`,
          );
        }
        if (e.check === "rx-offload" && e.branch === "not looked for (#ifdef notyet)") {
          f.add(
            "record-unread",
            "warning",
            e.seq,
            () =>
              `${e.host}'s NIC (hypothetical) left an IN_CRYPTO_DONE record that esp_input never reads (OpenBSD's lookup is #ifdef notyet): the packet is decrypted twice, and the second ICV check, over plaintext, fails (inferred).`,
          );
        }
        if (e.check === "ipsec-evidence") {
          const cameViaIpsec = (lastInDone.get(e.chain) ?? -1) > (lastTurn.get(e.chain) ?? -1);
          if (e.branch === "not via IPsec" && cameViaIpsec) {
            f.add(
              "ipsec-evidence-lost",
              "warning",
              e.seq,
              () =>
                `An in-kernel reader concluded the ${packetKind(packets, e.packet)} did not come in through IPsec — but it did: the IN_DONE tag it looks for had already been consumed (seed 000, reason 1).`,
            );
          }
          if (e.branch === "via IPsec" && !cameViaIpsec) {
            f.add(
              "ipsec-evidence-false",
              "critical",
              e.seq,
              () =>
                `An in-kernel reader believed the ${packetKind(packets, e.packet)} came in through IPsec because of a stale IN_DONE tag; it arrived in cleartext.`,
            );
          }
        }
        break;
      }
      case "fault":
        // Issue 10: the attacker's step is its own kind, so a fault is never mistaken for traffic.
        if (e.fault === "forge") forged.add(e.chain);
        break;
      case "link.tx": {
        // seed 003: a reminder is work still to do; on the wire nobody below can do it any more.
        const reminder = versionAt(packets, e.packet)?.tags.find((t) => t.class === "reminder");
        if (reminder) {
          f.add(
            "reminder-unhonoured",
            "critical",
            e.seq,
            () =>
              `The ${packetKind(packets, e.packet)} left ${e.host}:${e.ifname} still carrying the reminder ${tagText(reminder)}: nobody did the work it asks for${reminder.name === "IPSEC_OUT_CRYPTO_NEEDED" ? " — the ESP payload crossed the wire unencrypted" : ""}.`,
          );
        }
        const proto = ipProto(packets, e.packet);
        const pol = lastOutPolicy.get(e.chain);
        if (proto === 50 || proto === 51) lastProtectedTx.set(e.link, e);
        if (proto !== 50 && proto !== 51 && pol && pol.branch === "IPsec") {
          const sp = pol.consulted.find((c) => c.kind === "sp");
          // Side by side (issue 17): the protected crossing of the same link just before, if any.
          const before = lastProtectedTx.get(e.link);
          const how = before && ipProto(packets, before.packet) === 50 ? "ESP" : "AH";
          const beside = !before
            ? ""
            : before.chain === e.chain
              ? ` The same mbuf chain crossed ${before.ifname} protected by ${how} at step ${before.seq + 1}.`
              : ` ${before.ifname} carried ${how} last at step ${before.seq + 1}.`;
          f.add(
            "cleartext-on-wire",
            "critical",
            e.seq,
            () =>
              `The ${packetKind(packets, e.packet)} crossed ${e.ifname} in cleartext although ${sp && sp.kind === "sp" ? sp.id : "its policy"} requires IPsec.${beside}`,
          );
        }
        break;
      }
      case "flag.clear":
        if (e.fn === "icmp_reflect") {
          const p = versionAt(packets, e.packet);
          const left = p?.flags.filter((x) => x === "DECRYPTED" || x === "AUTHIPHDR" || x === "AUTHIPDGM") ?? [];
          if (left.length > 0)
            f.add(
              "stale-ipsec-flags",
              "info",
              e.seq,
              () =>
                `The reflected reply still carries ${left.map((x) => `M_${x}`).join(", ")} from the request: icmp_reflect clears only M_BCAST|M_MCAST.`,
            );
        }
        break;
      case "drop":
        if (e.reason === "icmp-filtered") blackholeFinding(e, packets, f);
        // sendto() refused with EMSGSIZE: still a drop below, and tallied as the sender saw it.
        if (e.reason === "ip-msgsize" && e.socket !== undefined && udpSenders.has(e.socket)) udp.refused++;
        if (e.reason === "kernel-oops") {
          crash = true;
          f.add("kernel-oops", "critical", e.seq, () => `The modelled kernel oopsed on ${e.host}: ${e.detail}.`);
        } else if (e.reason === "step-limit") {
          loop = true;
          f.add("step-limit", "critical", e.seq, () => `The run stopped after ${e.seq} steps without finishing: packets were going round in a loop.`);
        } else if (e.reason === "trace-limit") {
          truncated = true;
          f.add(
            "trace-limit",
            "warning",
            e.seq,
            () =>
              `The trace stops at step ${e.seq} before the traffic finished (${e.detail}): what is shown is the start of the run. Use fewer echoes, or the command line, for all of it.`,
          );
        } else if (forged.has(e.chain)) {
          // The defence working, not a lost echo: the forgery is not one of the run's echoes.
          f.add("forged-packet-rejected", "info", e.seq, () => `${e.host} rejected a packet forged on the wire: ${e.detail}.`);
        } else if (e.socket !== undefined && (e.reason === "tcp-timeout" || e.reason === "tcp-reset")) {
          // A connection closed by tcp_drop, not a packet: judged with its bytes (audit/tcp.ts).
          tcp.connectionDropped(e);
        } else if (e.reason === "no-socket" && advised.has(e.chain) && ipProto(packets, e.packet) === 1) {
          // An ICMP error that did its work through pr_ctlinput (tcp_ctlinput, esp4_ctlinput) and that no
          // raw socket wants: rip_input just m_freem()s it — no counter, no loss (rip_input, NetBSD raw_ip.c 1.66:
          // ips_noproto only when the protocol's pr_input is rip_input itself; ICMP's is icmp_input).
        } else if (ipProto(packets, e.packet) === 6) {
          tcp.segmentDropped(e);
        } else if (e.reason === "ipsec-larval") {
          // Seed 004: expected while an on-demand tunnel comes up; counted below once we know it did.
          larvalDrops++;
          firstLarval ??= e;
        } else {
          drops++;
          f.add(
            `drop-${e.reason}`,
            "warning",
            e.seq,
            () =>
              `${e.host} dropped ${packetKind(packets, e.packet) === "packet" ? "a packet" : `an ${packetKind(packets, e.packet)}`}: ${e.detail}.`,
          );
        }
        break;
      default:
        break;
    }
  }
  // A trigger packet dropped while the tunnel came up is expected (info); if it never came up, it is a loss.
  if (firstLarval) {
    const d = firstLarval;
    if (tunnelUp)
      f.add(
        "acquire-trigger-dropped",
        "info",
        d.seq,
        () =>
          `${d.host} dropped the packet that triggered the ACQUIRE (${d.detail}): the kernel's default while the key daemon negotiates. Expected for route-on-demand; later packets use the new SA.${larvalDrops > 1 ? ` (${larvalDrops} packets in this run)` : ""}`,
      );
    else
      f.add(
        "acquire-never-answered",
        "warning",
        d.seq,
        () =>
          `${d.host} kept dropping packets while waiting for SAs that never came (${d.detail}): ${larvalDrops} packet${larvalDrops === 1 ? "" : "s"} in this run.`,
      );
  }
  if (!tunnelUp) drops += larvalDrops;
  const transfers = tcp.finish(f);
  drops += transfers.losses;
  const expectedLoss = tunnelUp ? larvalDrops : 0;
  if (input.delivered < input.sent - expectedLoss && !truncated) {
    const missing = input.sent - input.delivered;
    f.add("unanswered", "warning", events.length - 1, () => `${missing} of ${input.sent} echo request${input.sent === 1 ? "" : "s"} got no reply.`);
  }
  const findings = f.list();
  const verdict: Verdict = crash
    ? "crash"
    : findings.some((x) => x.severity === "critical" && x.id !== "step-limit")
      ? "insecure"
      : loop
        ? "loop"
        : drops > 0 || (input.delivered < input.sent - expectedLoss && !truncated)
          ? "dropped"
          : "secure";
  return {
    verdict,
    findings,
    sent: input.sent,
    delivered: input.delivered,
    ...(transfers.tcp.length > 0 ? { tcp: transfers.tcp } : {}),
    ...(udp.sent > 0 ? { udp } : {}),
  };
}

/**
 * The run's verdict, then the rows its audit materialised let go: up to two generations of
 * CACHE_ROWS events and packet versions (each version with its hex), which at 2,000 echoes were
 * 21 of a 37 MB trace's heap. Whoever reads the trace next (the CLI's narration, the worker's
 * transfer of the columns) builds the rows it needs again.
 */
export function auditAndForget(events: EventTable, packets: PacketTable, sent: number, delivered: number): Outcome {
  const outcome = audit({ events, packets, sent, delivered });
  events.forgetRows();
  packets.forgetRows();
  return outcome;
}
