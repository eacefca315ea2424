/**
 * Interface send queues and driver start routines (seed 003): IFQ_ENQUEUE(&ifp->if_snd) then
 * `if ((ifp->if_flags & IFF_OACTIVE) == 0) (*ifp->if_start)(ifp)` — OpenBSD if_gif.c 1.45
 * gif_output and sys/net/if_ethersubr.c ether_output alike — so the driver, dequeueing, is the
 * last code to see a packet's tags. Here a driver can consume a reminder (OUT_CRYPTO_NEEDED) or
 * ignore it.
 *
 * Only interfaces a scenario declares with `capabilities` get a modelled queue and driver; the
 * others keep the direct transmit model of if_link.ts (their drivers look at no tag). The one
 * driver that honours OUT_CRYPTO_NEEDED is HYPOTHETICAL: the only driver seen with the bits, txp
 * (3Com 3CR990), had `ifp->if_capabilities |= IFCAP_IPSEC` under `#if 0 /* not ready yet *\/`
 * (OpenBSD sys/dev/pci/if_txp.c, kernel-notes §9.3).
 */
import { espOpen, espSeal } from "../crypto";
import { m_copyback, m_copydata, type Mbuf } from "../mbuf/mbuf";
import { m_tag_delete, m_tag_find, m_tag_get, m_tag_prepend } from "../mbuf/tag";
import type { Host, Iface } from "../sim/world";
import { keysOf } from "../netipsec/xform_esp";
import { espIcvLen } from "../netipsec/xform_esp";
import { encAlg } from "../crypto";
import { link_output } from "./if_link";
import { inferSeq, seqHiOf } from "../netipsec/replay";
import { formatIpv4Addr, IP_PROTO } from "../wire/fields";
import { spiText } from "../netipsec/key";

/**
 * IFCAP_IPSEC (OpenBSD net/if.h: 0x8) for outbound crypto; "ipsec-rx" for a NIC that also
 * decrypts on receive and leaves IN_CRYPTO_DONE (FreeBSD's live path). Both hypothetical.
 */
export type IfCap = "ipsec" | "ipsec-rx";

/** ifp->if_capabilities as the scenario declares them (none when it says nothing). */
export function ifCapabilities(host: Host, ifp: Iface): readonly IfCap[] {
  return host.spec.interfaces.find((i) => i.name === ifp.name)?.capabilities ?? [];
}

/** Whether the scenario declared this interface's capabilities, and so its driver is modelled. */
export function hasModelledDriver(host: Host, ifp: Iface): boolean {
  return host.spec.interfaces.find((i) => i.name === ifp.name)?.capabilities !== undefined;
}

/** ifp->if_snd and IFF_OACTIVE: the packets with the next hop each was routed to. */
interface SendQueue {
  readonly q: { m: Mbuf; nextHop: string }[];
  oactive: boolean;
}

const QUEUES = new WeakMap<Iface, SendQueue>();

/** The send queue of `ifp` (made on first use). */
export function if_snd(ifp: Iface): SendQueue {
  let q = QUEUES.get(ifp);
  if (q === undefined) QUEUES.set(ifp, (q = { q: [], oactive: false }));
  return q;
}

/** IFQ_ENQUEUE(&ifp->if_snd, m): consumes `m` (the queue is not bounded here: ifqmaxlen is never reached). */
export function ifq_enqueue(host: Host, ifp: Iface, m: Mbuf, nextHop: string, fn: string, then = "calls if_start"): void {
  const site = host.site("if", fn);
  const snd = if_snd(ifp);
  snd.q.push({ m, nextHop });
  site.emit(
    m,
    { kind: "queue.enqueue", queue: site.text`${ifp.name} if_snd`, depth: snd.q.length },
    snd.oactive
      ? site.text`${fn} queues the packet on ${ifp.name}'s if_snd (depth ${snd.q.length}); the driver is already running (IFF_OACTIVE) and will take it.`
      : site.text`${fn} queues the packet on ${ifp.name}'s if_snd (depth ${snd.q.length}) and ${then}.`,
  );
}

/**
 * ether_output with a modelled driver: IFQ_ENQUEUE, then if_start unless IFF_OACTIVE. Consumes `m`.
 */
export function ether_output_queued(host: Host, ifp: Iface, m: Mbuf, nextHop: string): void {
  ifq_enqueue(host, ifp, m, nextHop, "ether_output");
  if (!if_snd(ifp).oactive) offload_start(host, ifp);
}

/**
 * The start routine of a HYPOTHETICAL IFCAP_IPSEC NIC (or of a plain NIC with no capabilities):
 * IFF_OACTIVE, dequeue each packet, and — when it carries an OUT_CRYPTO_NEEDED reminder and the
 * NIC has IFCAP_IPSEC — encrypt the ESP payload "in hardware" with the TDB's keys and consume the
 * reminder; a driver that ignores the reminder (switch driver-ignores-reminder) transmits the
 * ESP-formatted plaintext as it is. Then hand the frame to the link.
 */
export function offload_start(host: Host, ifp: Iface): void {
  const snd = if_snd(ifp);
  snd.oactive = true;
  const capable = ifCapabilities(host, ifp).includes("ipsec");
  for (let next = snd.q.shift(); next; next = snd.q.shift()) {
    const { m, nextHop } = next;
    const site = host.site("if", "offload_start");
    site.emit(
      m,
      { kind: "queue.dequeue", queue: site.text`${ifp.name} if_snd`, depth: snd.q.length },
      site.text`The ${ifp.name} driver's start routine takes the packet off if_snd.`,
    );
    if (capable) {
      const reminder = m_tag_find(
        site,
        m,
        "IPSEC_OUT_CRYPTO_NEEDED",
        site.text`The hypothetical IFCAP_IPSEC driver of ${ifp.name} looks for an OUT_CRYPTO_NEEDED reminder.`,
      );
      if (reminder) {
        const ignore = host.world.behaviour.nicIgnoresReminder === true;
        const tdbi = reminder.tdbi!;
        const sa = host.sad.find((s) => s.dst === tdbi.dst && s.proto === tdbi.proto && s.spi === tdbi.spi);
        site.emit(
          m,
          {
            kind: "decision",
            check: "reminder",
            question: site.text`Does the ${ifp.name} driver do the crypto the reminder asks for?`,
            consulted: [
              { kind: "tag", name: reminder.name, tag: reminder },
              { kind: "switch", name: "driver (hypothetical)", value: ignore ? "ignores OUT_CRYPTO_NEEDED" : "honours OUT_CRYPTO_NEEDED" },
            ],
            branch: ignore || !sa ? "ignore: send as is" : "honour: encrypt in the NIC",
          },
          ignore || !sa
            ? site.text`The hypothetical driver ignores the reminder: the ESP-formatted packet goes out as it is — its payload never encrypted.`
            : site.text`The hypothetical driver honours the reminder: the NIC encrypts the ESP payload with ${sa.id}'s key and fills in the ICV.`,
        );
        if (!ignore && sa) {
          nic_encrypt(host, ifp, m, sa);
          m_tag_delete(site, m, reminder, "The reminder has been honoured: the driver deletes it.");
        }
      }
    }
    link_output(host, ifp, m, nextHop);
  }
  snd.oactive = false;
}

/** The hypothetical NIC's ESP encryption: the same RFC 4303 transform esp_output_cb would have run. */
function nic_encrypt(host: Host, ifp: Iface, m: Mbuf, sa: Parameters<typeof keysOf>[0]): void {
  const site = host.site("if", "offload_start");
  const b = m.bytes();
  const skip = (b[0]! & 0x0f) * 4;
  if (b[9] !== IP_PROTO.ESP) return;
  const e = encAlg(sa.enc);
  const icvLen = espIcvLen(sa);
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const spi = view.getUint32(skip);
  const seq = view.getUint32(skip + 4);
  const iv = m_copydata(m, skip + 8, e.ivBytes);
  const trailerEnd = m.len - icvLen;
  const padLen = b[trailerEnd - 2]!;
  const nextHeader = b[trailerEnd - 1]!;
  const payload = m_copydata(m, skip + 8 + e.ivBytes, trailerEnd - 2 - padLen - (skip + 8 + e.ivBytes));
  const sealed = espSeal(keysOf(sa), { spi, seq, seqHi: sa.esn ? seqHiOf(sa.seqOut) : undefined, iv, payload, nextHeader });
  m_copyback(
    site,
    m,
    skip,
    sealed.bytes,
    "ciphertext + ICV",
    site.text`The ${ifp.name} NIC (hypothetical) writes the ciphertext and ICV into the frame: on the wire it is now ciphertext.`,
  );
}

/**
 * The receive side of the HYPOTHETICAL IFCAP_IPSEC NIC (seed 003, kernel-notes §9.3), called by
 * ether_input for an interface the scenario declares with `capabilities: ["ipsec-rx"]`: for an
 * unfragmented ESP packet to this interface whose SA the NIC holds (here: any SA in the host's
 * SAD naming this destination and SPI), the NIC checks the ICV and decrypts the payload in place,
 * leaving the ESP format (header, plaintext, trailer, ICV) as it was, and prepends an
 * IN_CRYPTO_DONE record {dst, proto, spi} — "the NIC already verified/decrypted". What the stack
 * does with it is the personality's: FreeBSD's esp_input skips the crypto and retypes the tag to
 * IN_DONE; OpenBSD's lookup is `#ifdef notyet`, so its software crypto runs again, on plaintext.
 * No shipped 2003 driver did any of this (txp's IFCAP_IPSEC was under `#if 0`).
 */
export function offload_rxeof(host: Host, ifp: Iface, m: Mbuf): void {
  if (!ifCapabilities(host, ifp).includes("ipsec-rx")) return;
  const b = m.bytes();
  const skip = (b[0]! & 0x0f) * 4;
  const fragmented = (((b[6]! << 8) | b[7]!) & 0x3fff) !== 0;
  if (b[9] !== IP_PROTO.ESP || fragmented || m.len < skip + 8) return;
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const spi = view.getUint32(skip);
  const dst = formatIpv4Addr(view.getUint32(16));
  const sa = host.sad.find((s) => s.proto === "esp" && s.spi === spi && s.dst === dst);
  const site = host.site("if", "offload_rxeof");
  const question = site.text`Does the ${ifp.name} NIC (hypothetical) hold the SA for SPI ${spiText(spi)} and verify the packet?`;
  if (!sa) {
    site.emit(
      m,
      {
        kind: "decision",
        check: "rx-offload",
        question,
        consulted: [{ kind: "switch", name: "NIC SA table (hypothetical)", value: "no SA for this SPI" }],
        branch: "no SA: pass up as is",
      },
      site.text`The hypothetical offload NIC of ${ifp.name} has no SA for SPI ${spiText(spi)}: it passes the packet up untouched.`,
    );
    return;
  }
  const e = encAlg(sa.enc);
  const hlen = 8 + e.ivBytes;
  const lo = view.getUint32(skip + 4);
  const r = espOpen(keysOf(sa), m_copydata(m, skip, m.len - skip), sa.esn ? seqHiOf(inferSeq(sa, lo)) : undefined);
  site.emit(
    m,
    {
      kind: "decision",
      check: "rx-offload",
      question,
      consulted: [{ kind: "sa", id: sa.id, summary: site.text`${sa.id} loaded into the NIC (hypothetical)` }],
      branch: r.ok ? "ICV ok: decrypt in the NIC" : "ICV bad: pass up as is",
    },
    r.ok
      ? site.text`The hypothetical offload NIC of ${ifp.name} (ipsec-rx) verifies the ICV with ${sa.id}'s key and decrypts the payload in place; the ESP header, trailer and ICV stay where they are.`
      : site.text`The hypothetical NIC of ${ifp.name} cannot verify the packet (${r.detail}): it passes it up untouched, with no record, for the software crypto to judge.`,
  );
  if (!r.ok) return;
  // A driver does not take the packet apart: the frame stays one received `data` run until
  // ip_input and esp_input read it, and esp_input_cb records the plaintext layout the NIC left.
  m_copyback(site, m, skip + hlen, r.plaintext, "decrypted payload", site.text`The NIC writes the plaintext over the ciphertext in the frame.`);
  const tdbi = { dst: sa.dst, proto: sa.proto, spi: sa.spi } as const;
  const tag = m_tag_get(site, "IPSEC_IN_CRYPTO_DONE", tdbi, site.text`The driver allocates an IN_CRYPTO_DONE tag naming ${sa.id}…`, m);
  m_tag_prepend(site, m, tag, "…and prepends it: a record that the NIC has already checked and decrypted this packet.");
}
