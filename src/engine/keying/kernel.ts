/**
 * The kernel's side of key management (seed 004, kernel-notes §10.5): a SAD whose entries move
 * LARVAL/ACQ → MATURE → DYING → DEAD, soft and hard lifetimes, ACQUIREs to the key daemon, the
 * triggering packet dropped or held, and the two user interfaces that drive it — XFRM netlink
 * (Linux net/xfrm/xfrm_user.c, xfrm_state.c) and PF_KEY v2 (KAME sys/netkey/key.c; Linux
 * net/key/af_key.c). Every message crosses as real bytes (`wire/xfrm_nl.ts`, `wire/pfkey.ts`).
 *
 * How it meets the data plane: the mature and dying SAs are kept in `host.sad`, ordered as
 * the kernel prefers them (mature before dying, newest first: xfrm_state_find's
 * `xfrm_state_look_at` prefers a non-dying state with the later add time), and the policies
 * the daemon installs go into `host.spd` ordered by priority (lower first, as
 * xfrm_policy_lookup_bytype keeps them). So `key_checkrequest`/`key_allocsa` in
 * netipsec/key.ts — the lookups the data plane already makes — only ever see usable SAs; a
 * larval or ACQ state lives only here and is never used for traffic. When the output path finds
 * no SA for a `require` request it calls `acquire()` (ipsec_output.ts), the analogue of
 * xfrm_state_find → km_query (Linux) or key_checkrequest → key_acquire (KAME).
 *
 * Sources: the sequences, sysctl defaults and function names are those read for kernel-notes
 * §10.2–10.5 — torvalds/linux net/xfrm/xfrm_policy.c @0045e3d8 (XFRM_MAX_QUEUE_LEN, the hold
 * queue), include/uapi/linux/xfrm.h @00ed905a, net/xfrm/xfrm_sysctl.c __xfrm_sysctl_init
 * (larval_drop 1, acq_expires 30), text fragments of net/xfrm/xfrm_state.c (km_query,
 * __xfrm_find_acq_byseq, __find_acq_core, xfrm_state_check_expire), net/key/af_key.c
 * pfkey_send_acquire, and KAME sys/netkey/key.c (key_larval_lifetime 30, key_blockacq_count 10,
 * key_blockacq_lifetime 20, the key_acquire block test). xfrm_state.c and xfrm_user.c were not
 * re-read line by line for this model; where a detail is inferred the comment says so.
 *
 * Model boundaries, said plainly: on the BSD personalities the packet path is the engine's
 * FAST_IPSEC model for both interfaces; on linux-xfrm it is the skb path (linux/xfrm_km.ts calls
 * `raise` from xfrm_lookup and keeps the hold queue on the policy, linux/xfrm_tunnel.ts does ESP
 * tunnel mode and the FWD check against `policies`). FWD policies are stored and acknowledged
 * everywhere, but FAST_IPSEC and KAME have no forward direction — a forwarded packet meets the OUT policy in ip_output (via ip_forward) and the inbound
 * check in ipsec4_in_reject, as the `libreswan-subnets` built-in shows; lifetime
 * counting is on output only (the data plane's input path does not call back here).
 */
import { m_gethdr, type Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import { ip_output, IP_RAWOUTPUT } from "../netinet/ip_output";
import { saName } from "../netipsec/key";
import type { IpsecRequest, SecAssoc, SecPolicy } from "../netipsec/types";
import { parsePrefix } from "../sim/addr";
import type { Rng } from "../sim/rng";
import type { Host } from "../sim/world";
import type { Selectors } from "../netipsec/key";
import type { LayerId } from "../trace/events";
import type { Recorder, Site } from "../trace/recorder";
import {
  emitPfkey,
  IPSEC_DIR,
  IPSEC_MODE,
  IPSEC_POLICY,
  parsePfkey,
  pfkeySummary,
  SADB_SASTATE,
  SADB_SATYPE,
  type PfkeyExt,
  type PfkeyMessage,
  type SockaddrFlavour,
} from "../wire/pfkey";
import {
  AF,
  emitXfrm,
  NLM_F,
  parseXfrm,
  XFRM_INF,
  XFRM_MSG,
  XFRM_POLICY_DIR,
  xfrmLifetime,
  xfrmSelector,
  xfrmSummary,
  type CRecord,
  type XfrmAttr,
  type XfrmMessage,
} from "../wire/xfrm_nl";

/** Which user interface the kernel offers the daemon. */
export type KmApi = "xfrm" | "pfkey";

/**
 * What the key manager needs of a host: the BSD `Host` (sim/world.ts) and the Linux `LinuxHost`
 * (linux/world.ts) both have it — sites, the scheduler, the seeded RNG, and the SAD/SPD the
 * data plane reads.
 */
export interface KmHost {
  readonly name: string;
  site(layer: LayerId, fn: string): Site;
  readonly sad: SecAssoc[];
  readonly spd: SecPolicy[];
  readonly world: {
    after(delay: number, run: () => void): void;
    readonly recorder: Pick<Recorder, "now">;
    readonly rng: Rng;
    readonly hosts: readonly unknown[];
  };
}

/**
 * Where the key manager meets a data plane other than FAST_IPSEC's (keying/adapters.ts,
 * linux/xfrm_km.ts): how a held packet is sent again, and whether FWD policies are used for
 * traffic (Linux __xfrm_policy_check(XFRM_POLICY_FWD) in ip_forward) or only kept (the BSDs).
 */
export interface KmDataPlane {
  readonly resend: (m: Mbuf) => void;
  readonly fwdUsed: boolean;
  /** The stack's name for narration: "FAST_IPSEC", "Linux XFRM". */
  readonly name: string;
}

/** FAST_IPSEC (netipsec/ipsec_output.ts) on a BSD host: held packets go back to ip_output; no FWD direction. */
export function fastIpsecPlane(host: Host): KmDataPlane {
  return { resend: (m) => ip_output(host, m, IP_RAWOUTPUT), fwdUsed: false, name: "FAST_IPSEC" };
}

/** The kernel's key-management switches (sysctls). */
export interface KeyKernelConfig {
  readonly api: KmApi;
  /**
   * net.core.xfrm_larval_drop (default 1, net/xfrm/xfrm_sysctl.c __xfrm_sysctl_init): drop the
   * packet that triggered an ACQUIRE (`-EREMOTE` → make_blackhole). 0: hold it on the policy's
   * queue (xdst_queue_output, at most XFRM_MAX_QUEUE_LEN) until the SA arrives. PF_KEY/KAME always
   * drops (ip_output maps key_checkrequest's ENOENT to a silent drop).
   */
  readonly larvalDrop: boolean;
  /** net.core.xfrm_acq_expires (30 s): an ACQ state that is not replaced by then is deleted. */
  readonly acqExpiresSec: number;
  /** PF_KEY sockaddr layout: "bsd" (sin_len first) on the BSDs, "linux" on Linux af_key. */
  readonly flavour: SockaddrFlavour;
  /**
   * Whose SAD sits under the interface: "linux" — XFRM's, also under af_key's PF_KEY (an ACQ
   * state per template for acq_expires, km_query notifying every key manager) — or "bsd", KAME's
   * key.c (acq entries with blockacq). Unset: "linux" for the XFRM api, "bsd" for PF_KEY.
   */
  readonly os?: "bsd" | "linux";
}

/** XFRM_MAX_QUEUE_LEN (net/xfrm/xfrm_policy.c @0045e3d8). */
export const XFRM_MAX_QUEUE_LEN = 100;
/** KAME key.c: key_blockacq_count — send one ACQUIRE, then stay quiet for this many more tries. */
export const KEY_BLOCKACQ_COUNT = 10;
/** KAME key.c: key_blockacq_lifetime (s) — how long an acq entry blocks repeats. */
export const KEY_BLOCKACQ_LIFETIME = 20;
/** KAME key.c: key_larval_lifetime (s) — a GETSPI's larval SA dies if no UPDATE comes. */
export const KEY_LARVAL_LIFETIME = 30;

/** SAD states, named as setkey prints them (RFC 2367 §2.3.1) with XFRM's ACQ for an acquire placeholder. */
export type KmState = "acq" | "larval" | "mature" | "dying" | "dead";

/**
 * An SA's lifetime limits as the kernel keeps them: xfrm_lifetime_cfg's soft/hard byte, packet
 * and add_expires_seconds (XFRM_INF / 0 = none), or sadb_lifetime's bytes and addtime (0 =
 * none; allocations carries the packet limit, see pfkeyExpire). use_expires is not modelled.
 */
export interface KmLimits {
  readonly softPackets?: number;
  readonly hardPackets?: number;
  readonly softBytes?: number;
  readonly hardBytes?: number;
  readonly softAddSec?: number;
  readonly hardAddSec?: number;
}

/** One SAD entry as the key manager sees it. `sa` is set once keys are installed. */
export interface KmEntry {
  readonly id: string;
  spi: number;
  readonly src: string;
  readonly dst: string;
  readonly mode: "tunnel" | "transport";
  readonly reqid: number;
  state: KmState;
  /** km.seq (XFRM) / sadb_msg_seq of the ACQUIRE (KAME acq->seq): how the reply is matched. */
  seq: number;
  /** Soft and hard limits (xfrm_lifetime_cfg / sadb_lifetime); undefined = none. */
  limits: KmLimits;
  sa: SecAssoc | undefined;
  /** Packets held for this ACQ (larval_drop = 0), oldest first. */
  readonly held: Mbuf[];
  /** KAME acq->count: tries since the last ACQUIRE sent. */
  blocked: number;
  readonly addedAt: number;
}

/** A socket the daemon holds on the kernel, and what it receives. */
export interface KmSocket {
  readonly name: string;
  /** XFRM: bound to the ACQUIRE and EXPIRE groups. PF_KEY: did SADB_REGISTER. */
  registered: boolean;
  /** Called with each message the kernel sends it (the bytes, already on the daemon's host). */
  readonly receive: (bytes: Uint8Array) => void;
}

/** The policy templates the daemon installed, kept for ACQUIREs and FWD (used for traffic only where `KmDataPlane.fwdUsed`). */
export interface KmPolicy {
  readonly dir: "in" | "out" | "fwd";
  readonly src: string;
  readonly srcLen: number;
  readonly dst: string;
  readonly dstLen: number;
  readonly priority: number;
  readonly reqid: number;
  readonly tunnelSrc: string;
  readonly tunnelDst: string;
  readonly sp: SecPolicy | undefined;
}

/**
 * Who asks for the SA, when it is not the FAST_IPSEC output path (keying/adapters.ts): the
 * kernel function names narration gives the acquire and the drop, and — for a kernel that never
 * holds the trigger packet (OpenBSD ip_spd.c: "Silently drop packet") — the drop's words, which
 * then apply whatever the sysctls say.
 */
export interface AcquireCaller {
  readonly acquireFn?: string;
  readonly dropFn?: string;
  readonly dropText?: { readonly detail: string; readonly text: string };
}

/** Latency of one message crossing the user/kernel boundary, µs of virtual time. */
export const KM_MSG_LATENCY = 5;

/** The key manager of one host's kernel. */
export class KeyKernel {
  readonly entries: KmEntry[] = [];
  readonly policies: KmPolicy[] = [];
  readonly sockets: KmSocket[] = [];
  private acqSeq = 0;

  readonly plane: KmDataPlane;

  /** A BSD `Host` gets the FAST_IPSEC plane by default; any other host must say which plane it has. */
  constructor(
    readonly host: KmHost,
    readonly config: KeyKernelConfig,
    plane?: KmDataPlane,
  ) {
    this.plane = plane ?? fastIpsecPlane(host as Host);
  }

  private site(fn: string): Site {
    return this.host.site("ipsec", fn);
  }

  /** Is the SAD under this interface Linux XFRM's (af_key included), rather than KAME's? */
  private get xfrmSad(): boolean {
    return (this.config.os ?? (this.config.api === "xfrm" ? "linux" : "bsd")) === "linux";
  }

  /** Open a key socket (socket(AF_NETLINK, …, NETLINK_XFRM) or socket(PF_KEY, SOCK_RAW, PF_KEY_V2)). */
  open(name: string, receive: (bytes: Uint8Array) => void): KmSocket {
    const s: KmSocket = { name, registered: false, receive };
    this.sockets.push(s);
    return s;
  }

  /** Kernel name of a message in this interface's bytes. */
  describe(bytes: Uint8Array): string {
    if (this.config.api === "xfrm") {
      const p = parseXfrm(bytes);
      return p.ok ? xfrmSummary(p.value) : p.error.message;
    }
    const p = parsePfkey(bytes, this.config.flavour);
    return p.ok ? pfkeySummary(p.value) : p.error.message;
  }

  /**
   * Carry `bytes` from the kernel to a socket: an skb/mbuf holding the message, then its delivery
   * to the daemon after `KM_MSG_LATENCY`. `fn` names the kernel function that sends it.
   */
  private send(sock: KmSocket, bytes: Uint8Array, fn: string, why: string): void {
    const site = this.site(fn);
    const name = this.describe(bytes);
    m_gethdr(site, bytes, `${fn} builds ${name.split(" ")[0]} (${bytes.length} bytes) for ${sock.name}: ${why}`);
    this.host.world.after(KM_MSG_LATENCY, () => sock.receive(bytes));
  }

  /** A message from the daemon arrives (sendmsg on the key socket). */
  receive(sock: KmSocket, bytes: Uint8Array): void {
    const site = this.site(this.config.api === "xfrm" ? "xfrm_user_rcv_msg" : "pfkey_sendmsg");
    const m = m_gethdr(site, bytes, site.text`The kernel copies the ${bytes.length}-byte message from ${sock.name} into its own buffer.`);
    site.emit(
      m,
      { kind: "deliver", socket: this.config.api === "xfrm" ? "NETLINK_XFRM (kernel)" : "PF_KEY (kernel)", summary: this.describe(bytes) },
      `${this.config.api === "xfrm" ? "xfrm_user_rcv_msg" : "pfkey_sendmsg"} receives ${this.describe(bytes)}.`,
    );
    if (this.config.api === "xfrm") {
      const p = parseXfrm(bytes);
      if (!p.ok) return;
      this.xfrmHandle(sock, p.value);
    } else {
      const p = parsePfkey(bytes, this.config.flavour);
      if (!p.ok) return;
      this.pfkeyHandle(sock, p.value);
    }
  }

  // -----------------------------------------------------------------------------------------
  // SAD bookkeeping
  // -----------------------------------------------------------------------------------------

  private setState(e: KmEntry, state: KmState, fn: string, why: string): void {
    const from = e.state;
    e.state = state;
    this.site(fn).emit(null, { kind: "sa.update", sa: e.id, field: "state", value: state }, `${e.id}: ${from} → ${state} (${why}).`);
    this.syncSad();
  }

  /** host.sad = the usable SAs, mature before dying, newest first (xfrm_state_look_at's preference). */
  private syncSad(): void {
    const usable = this.entries.filter((e) => e.sa && (e.state === "mature" || e.state === "dying"));
    usable.sort((a, b) => (a.state === b.state ? b.addedAt - a.addedAt : a.state === "mature" ? -1 : 1));
    this.host.sad.length = 0;
    for (const e of usable) this.host.sad.push(e.sa!);
  }

  private findAcq(src: string, dst: string, reqid: number): KmEntry | undefined {
    return this.entries.find((e) => e.state === "acq" && e.src === src && e.dst === dst && (reqid === 0 || e.reqid === reqid));
  }

  /**
   * No SA for a `require` request: raise an ACQUIRE unless one is outstanding, then drop or hold
   * the packet. Returns true: the packet has been taken (held or freed).
   *
   * Linux: xfrm_state_find() → no state → `km_query(x, tmpl, pol)` makes an XFRM_STATE_ACQ with
   * `hard_add_expires_seconds = acq_expires` and sends XFRM_MSG_ACQUIRE (xfrm_user.c
   * xfrm_send_acquire); a second packet finds the ACQ state and gets -EAGAIN — one ACQUIRE per
   * template. KAME: key_checkrequest → key_acquire(): an acq entry per saidx, repeats blocked
   * for key_blockacq_count tries or key_blockacq_lifetime seconds.
   */
  acquire(m: Mbuf, sp: SecPolicy, isr: IpsecRequest, sel: Selectors, caller: AcquireCaller = {}): boolean {
    const e = this.raise(m, sp, isr, sel, caller);
    return this.takeTrigger(m, e, caller);
  }

  /**
   * The km_query half of `acquire`: find or create the ACQ state for the request and send the
   * ACQUIRE if one is due (rate limits as in `acquire`). `m` is the triggering packet where it
   * already exists (FAST_IPSEC, OpenBSD), null where the lookup runs before the packet is built
   * (Linux: xfrm_lookup from ip_route_output_flow, before ip_append_data allocates the skb).
   */
  raise(m: Mbuf | null, sp: SecPolicy, isr: IpsecRequest, sel: Selectors, caller: AcquireCaller = {}): KmEntry {
    const src = isr.tunnelSrc ?? sel.src;
    const dst = isr.tunnelDst ?? sel.dst;
    const pol = this.policies.find((p) => p.sp === sp);
    const reqid = pol?.reqid ?? 0;
    const site = this.site(caller.acquireFn ?? (this.xfrmSad ? "xfrm_state_find" : "key_acquire"));
    let e = this.findAcq(src, dst, reqid);
    let sent = false;
    if (!e) {
      const seq = ++this.acqSeq;
      e = {
        id: `acq ${src}→${dst} reqid ${reqid}`,
        spi: 0,
        src,
        dst,
        mode: isr.mode,
        reqid,
        state: "acq",
        seq,
        limits: {},
        sa: undefined,
        held: [],
        blocked: 0,
        addedAt: this.host.world.recorder.now,
      };
      this.entries.push(e);
      const entry = e;
      site.emit(
        m,
        { kind: "sa.update", sa: e.id, field: "state", value: "acq" },
        this.xfrmSad
          ? `km_query: no state for the template, so xfrm_state_find creates an XFRM_STATE_ACQ placeholder (km.seq ${seq}, expires in ${this.config.acqExpiresSec} s).`
          : `key_acquire: no SA and no acq entry for ${src}→${dst}, so it creates one (seq ${seq}, blocks repeats for ${KEY_BLOCKACQ_LIFETIME} s).`,
      );
      const life = this.xfrmSad ? this.config.acqExpiresSec : KEY_BLOCKACQ_LIFETIME;
      this.host.world.after(life * 1_000_000, () => this.acqExpire(entry));
      sent = this.sendAcquire(e, sel, pol);
    } else if (!this.xfrmSad) {
      // KAME key_acquire: "if (key_blockacq_count < newacq->count) { newacq->count = 0; } else { newacq->count++; return 0; }"
      if (KEY_BLOCKACQ_COUNT < e.blocked) {
        e.blocked = 0;
        sent = this.sendAcquire(e, sel, pol);
      } else e.blocked++;
    }
    site.emit(
      m,
      {
        kind: "decision",
        check: "km-acquire",
        question: site.text`No SA for ${src}→${dst} yet: ask the key daemon (ACQUIRE)?`,
        consulted: [{ kind: "sa", id: e.id, summary: `${e.id}, state ${e.state}, seq ${e.seq}` }],
        branch: sent ? "ACQUIRE sent" : this.sockets.some((s) => s.registered) ? "ACQUIRE already outstanding" : "no registered socket",
      },
      sent
        ? `The kernel sends an ACQUIRE (seq ${e.seq}) to the key daemon.`
        : this.xfrmSad
          ? "An ACQ state for this template already exists: no second ACQUIRE (-EAGAIN)."
          : `The acq entry blocks a repeat (try ${e.blocked} of ${KEY_BLOCKACQ_COUNT}): no ACQUIRE.`,
    );
    return e;
  }

  /** The trigger packet while its SA is acquired: dropped, or held on the ACQ (FAST_IPSEC's model of the XFRM queue). */
  private takeTrigger(m: Mbuf, e: KmEntry, caller: AcquireCaller): boolean {
    const dsite = this.site(caller.dropFn ?? (this.config.api === "xfrm" ? "xfrm_lookup" : "ipsec4_process_packet"));
    if (caller.dropText) {
      drop(dsite, m, "ipsec-larval", caller.dropText.detail, caller.dropText.text);
      return true;
    }
    if (this.config.api === "xfrm" && !this.config.larvalDrop) {
      if (e.held.length >= XFRM_MAX_QUEUE_LEN) {
        drop(
          dsite,
          m,
          "ipsec-hold-queue-full",
          `${XFRM_MAX_QUEUE_LEN} packets already held`,
          "xdst_queue_output: the policy's hold queue is full (XFRM_MAX_QUEUE_LEN); the packet is dropped.",
        );
        return true;
      }
      e.held.push(m);
      dsite.emit(
        m,
        { kind: "queue.enqueue", queue: "xfrm policy hold queue", depth: e.held.length },
        "xfrm_larval_drop is 0: xfrm_create_dummy_bundle queues the packet (xdst_queue_output) until the SA arrives.",
      );
      return true;
    }
    drop(
      dsite,
      m,
      "ipsec-larval",
      this.config.api === "xfrm" ? "xfrm_larval_drop=1: -EREMOTE, make_blackhole" : "key_checkrequest: ENOENT while acquiring",
      this.config.api === "xfrm"
        ? "xfrm_larval_drop is 1 (the default): xfrm_lookup returns -EREMOTE and the packet goes to a blackhole route — silently dropped while the ACQUIRE is answered."
        : "KAME: key_checkrequest returns ENOENT while the SA is being acquired; ip_output drops the packet silently.",
    );
    return true;
  }

  private sendAcquire(e: KmEntry, sel: Selectors, pol: KmPolicy | undefined): boolean {
    const targets = this.sockets.filter((s) => s.registered);
    if (targets.length === 0) return false;
    for (const sock of targets) {
      const bytes = this.config.api === "xfrm" ? emitXfrm(this.xfrmAcquire(e, sel, pol)) : emitPfkey(this.pfkeyAcquire(e, pol), this.config.flavour);
      this.send(
        sock,
        bytes,
        this.config.api === "xfrm" ? "xfrm_send_acquire" : this.xfrmSad ? "pfkey_send_acquire" : "key_acquire",
        this.config.api === "xfrm" ? "multicast to group XFRMNLGRP_ACQUIRE" : "to every socket that did SADB_REGISTER",
      );
    }
    return true;
  }

  private xfrmAcquire(e: KmEntry, sel: Selectors, pol: KmPolicy | undefined): XfrmMessage {
    const psel = pol ? xfrmSelector(pol.src, pol.srcLen, pol.dst, pol.dstLen) : xfrmSelector(sel.src, 32, sel.dst, 32);
    // The packet's own flow, with ICMP type/code in sport/dport (xfrm_selector_print "type 8 code 0").
    const flow: CRecord = {
      ...xfrmSelector(sel.src, 32, sel.dst, 32, sel.proto),
      ...(sel.proto === 1 ? { sport: 8, sport_mask: 0xffff, dport: 0, dport_mask: 0xffff } : {}),
    };
    return {
      type: "ACQUIRE",
      flags: 0,
      seq: 0,
      pid: 0,
      body: {
        id: { daddr: e.dst, spi: 0, proto: 50 },
        saddr: e.src,
        sel: flow,
        policy: { sel: psel, lft: xfrmLifetime(), priority: pol?.priority ?? 0, dir: XFRM_POLICY_DIR.OUT, action: 0 },
        aalgos: 0xffffffff,
        ealgos: 0xffffffff,
        calgos: 0xffffffff,
        seq: e.seq,
      },
      attrs: [
        { type: "TMPL", tmpls: [tmplRecord(e.src, e.dst, e.reqid)] },
        { type: "POLICY_TYPE", ptype: 0 },
      ],
    };
  }

  private pfkeyAcquire(e: KmEntry, pol: KmPolicy | undefined): PfkeyMessage {
    return {
      type: "ACQUIRE",
      errno: 0,
      satype: SADB_SATYPE.ESP,
      seq: e.seq,
      pid: 0,
      exts: [
        { ext: "ADDRESS_SRC", proto: 0, prefixlen: 32, sa: { addr: e.src, port: 0 } },
        { ext: "ADDRESS_DST", proto: 0, prefixlen: 32, sa: { addr: e.dst, port: 0 } },
        {
          ext: "X_POLICY",
          type: IPSEC_POLICY.IPSEC,
          dir: IPSEC_DIR.OUTBOUND,
          id: pol ? this.policies.indexOf(pol) + 1 : 0,
          priority: pol?.priority ?? 0,
          requests: [],
        },
        // AES-GCM-16 (SADB_X_EALG_AES_GCM_ICV16 = 20), 128–256 bits, as pfkey_send_acquire lists the template's algorithms.
        {
          ext: "PROPOSAL",
          replay: 32,
          combs: [{ encrypt: 20, encrypt_minbits: 128, encrypt_maxbits: 256, hard_addtime: 28800n, soft_addtime: 23040n }],
        },
      ],
    };
  }

  /** ACQ timeout: xfrm_timer_handler deletes an ACQ state after acq_expires; KAME's acq entry expires after blockacq_lifetime. */
  private acqExpire(e: KmEntry): void {
    if (e.state !== "acq") return;
    const fn = this.xfrmSad ? "xfrm_timer_handler" : "key_timehandler";
    this.setState(e, "dead", fn, "no SA replaced it before it expired: the next packet will acquire again");
    this.entries.splice(this.entries.indexOf(e), 1);
    for (const m of e.held.splice(0))
      drop(
        this.site(fn),
        m,
        "ipsec-hold-expired",
        "the ACQ expired with the packet still held",
        "The held packet is dropped with the expired ACQ state.",
      );
  }

  /** Install a mature SA (replacing the ACQ found by seq or by addresses), then release held packets. */
  private install(e: KmEntry, fn: string, replacedBySeq: number): void {
    const acq =
      this.entries.find((x) => x.state === "acq" && replacedBySeq !== 0 && x.seq === replacedBySeq) ??
      // __find_acq_core: same {mode, reqid, proto, daddr, saddr}.
      this.entries.find((x) => x.state === "acq" && x.src === e.src && x.dst === e.dst && (x.reqid === e.reqid || x.reqid === 0));
    this.setState(e, "mature", fn, "keys installed");
    this.armTimers(e);
    if (!acq) return;
    const how = acq.seq === replacedBySeq ? `its km.seq ${replacedBySeq} matches the ACQ state` : "its addresses and reqid match the ACQ state";
    this.site(fn).emit(
      null,
      {
        kind: "decision",
        check: "km-install",
        question: `Which larval state does ${e.id} replace?`,
        consulted: [{ kind: "sa", id: acq.id, summary: `${acq.id}, seq ${acq.seq}` }],
        branch: "replace ACQ",
      },
      `${fn}: ${e.id} replaces ${acq.id} — ${how} (__xfrm_find_acq_byseq / __find_acq_core).`,
    );
    this.entries.splice(this.entries.indexOf(acq), 1);
    acq.state = "dead";
    const held = acq.held.splice(0);
    held.forEach((m, i) => {
      this.host.world.after(1 + i, () => {
        this.site("xfrm_policy_queue_process").emit(
          m,
          { kind: "queue.dequeue", queue: "xfrm policy hold queue", depth: held.length - i - 1 },
          "xfrm_policy_queue_process: the SA is there now, so the held packet is sent again.",
        );
        this.plane.resend(m);
      });
    });
  }

  /**
   * xfrm_state_check_expire(), called for every packet before it is counted (xfrm_output_one):
   * `curlft.packets >= soft_packet_limit` → dying + EXPIRE(hard=0) once; `>= hard` → expired,
   * EXPIRE(hard=1), the packet is dropped. Returns false when the SA may no longer be used.
   */
  checkExpire(sa: SecAssoc, m: Mbuf): boolean {
    const e = this.entries.find((x) => x.sa === sa);
    if (!e) return true;
    const l = e.limits;
    const hard =
      l.hardPackets !== undefined && sa.packets >= l.hardPackets
        ? `packet limit ${l.hardPackets}`
        : l.hardBytes !== undefined && sa.bytes >= l.hardBytes
          ? `byte limit ${l.hardBytes}`
          : undefined;
    if (hard) {
      this.expire(e, true, hard);
      drop(
        this.site("xfrm_state_check_expire"),
        m,
        "ipsec-no-sa",
        `${e.id} reached its hard ${hard}`,
        "The SA has hit its hard limit: the packet is dropped (-EINVAL).",
      );
      return false;
    }
    const soft =
      l.softPackets !== undefined && sa.packets >= l.softPackets
        ? `packet limit ${l.softPackets}`
        : l.softBytes !== undefined && sa.bytes >= l.softBytes
          ? `byte limit ${l.softBytes}`
          : undefined;
    if (e.state === "mature" && soft) this.expire(e, false, soft);
    return true;
  }

  /**
   * The add-time limits: xfrm_timer_handler (net/xfrm/xfrm_state.c, text fragments read for
   * kernel-notes §10.2) fires at `soft_add_expires_seconds` after the add — the state becomes
   * dying and km_state_expired(x, 0) — and at `hard_add_expires_seconds` — expired, EXPIRE(hard
   * 1), deleted. KAME key_timehandler does the same with sadb_lifetime_addtime.
   */
  private armTimers(e: KmEntry): void {
    const { softAddSec, hardAddSec } = e.limits;
    const alive = (): boolean => this.entries.includes(e) && (e.state === "mature" || e.state === "dying");
    if (softAddSec !== undefined)
      this.host.world.after(softAddSec * 1_000_000, () => {
        if (alive() && e.state === "mature") this.expire(e, false, `add-time limit ${softAddSec} s`);
      });
    if (hardAddSec !== undefined)
      this.host.world.after(hardAddSec * 1_000_000, () => {
        if (alive()) this.expire(e, true, `add-time limit ${hardAddSec} s`);
      });
  }

  /** Soft: mark dying, tell the daemon (EXPIRE hard 0). Hard: dead, removed, EXPIRE hard 1. */
  private expire(e: KmEntry, hard: boolean, what: string): void {
    const fn = this.xfrmSad ? "km_state_expired" : "key_expire";
    this.site(fn).emit(
      null,
      {
        kind: "decision",
        check: "km-expire",
        question: `Has ${e.id} reached a ${hard ? "hard" : "soft"} lifetime limit?`,
        consulted: [{ kind: "sa", id: e.id, summary: `${e.sa?.packets ?? 0} packets, ${e.sa?.bytes ?? 0} bytes, ${limitsText(e.limits)}` }],
        branch: hard ? "hard expire" : "soft expire",
      },
      hard
        ? `${e.id} reached its hard ${what}: it is removed and the daemon is told.`
        : `${e.id} reached its soft ${what}: it becomes dying and the daemon is asked to rekey.`,
    );
    this.setState(e, hard ? "dead" : "dying", fn, hard ? `hard ${what}` : `soft ${what}`);
    if (hard) this.entries.splice(this.entries.indexOf(e), 1);
    for (const sock of this.sockets.filter((s) => s.registered)) {
      const bytes =
        this.config.api === "xfrm"
          ? emitXfrm({ type: "EXPIRE", flags: 0, seq: 0, pid: 0, body: { state: this.usersa(e), hard: hard ? 1 : 0 }, attrs: [] })
          : emitPfkey(this.pfkeyExpire(e, hard), this.config.flavour);
      this.send(
        sock,
        bytes,
        this.config.api === "xfrm" ? "xfrm_exp_state_notify" : this.xfrmSad ? "key_notify_sa_expire" : "key_expire",
        hard ? "hard expiry" : "soft expiry: rekey",
      );
    }
  }

  private pfkeyExpire(e: KmEntry, hard: boolean): PfkeyMessage {
    const packets = BigInt(e.sa?.packets ?? 0);
    return {
      type: "EXPIRE",
      errno: 0,
      satype: SADB_SATYPE.ESP,
      seq: 0,
      pid: 0,
      exts: [
        { ext: "SA", spi: e.spi, replay: 32, state: hard ? SADB_SASTATE.DEAD : SADB_SASTATE.DYING, auth: 0, encrypt: 20, flags: 0 },
        { ext: "X_SA2", mode: e.mode === "tunnel" ? IPSEC_MODE.TUNNEL : IPSEC_MODE.TRANSPORT, sequence: 0, reqid: e.reqid },
        // RFC 2367 has no packet counter: allocations is the nearest (KAME counts allocations per SA).
        {
          ext: "LIFETIME_CURRENT",
          allocations: Number(packets),
          bytes: BigInt(e.sa?.bytes ?? 0),
          addtime: BigInt(Math.floor(e.addedAt / 1_000_000)),
          usetime: 0n,
        },
        {
          ext: hard ? "LIFETIME_HARD" : "LIFETIME_SOFT",
          allocations: (hard ? e.limits.hardPackets : e.limits.softPackets) ?? 0,
          bytes: BigInt((hard ? e.limits.hardBytes : e.limits.softBytes) ?? 0),
          addtime: BigInt((hard ? e.limits.hardAddSec : e.limits.softAddSec) ?? 0),
          usetime: 0n,
        },
        { ext: "ADDRESS_SRC", proto: 255, prefixlen: 32, sa: { addr: e.src, port: 0 } },
        { ext: "ADDRESS_DST", proto: 255, prefixlen: 32, sa: { addr: e.dst, port: 0 } },
      ],
    };
  }

  private usersa(e: KmEntry): CRecord {
    return {
      id: { daddr: e.dst, spi: e.spi, proto: 50 },
      saddr: e.src,
      lft: xfrmLifetime(xfrmLimitsCfg(e.limits)),
      curlft: { packets: BigInt(e.sa?.packets ?? 0), bytes: BigInt(e.sa?.bytes ?? 0) },
      seq: e.seq,
      reqid: e.reqid,
      family: AF.INET,
      mode: e.mode === "tunnel" ? 1 : 0,
      replay_window: e.sa?.replayWindow ?? 0,
      flags: e.mode === "tunnel" ? 32 : 0,
    };
  }

  private newEntry(spi: number, src: string, dst: string, mode: "tunnel" | "transport", reqid: number, state: KmState, seq: number): KmEntry {
    const e: KmEntry = {
      id: saName({ proto: "esp", spi, src, dst }),
      spi,
      src,
      dst,
      mode,
      reqid,
      state,
      seq,
      limits: {},
      sa: undefined,
      held: [],
      blocked: 0,
      addedAt: this.host.world.recorder.now,
    };
    this.entries.push(e);
    return e;
  }

  /** A random SPI in [min, max] that no entry to `dst` uses (xfrm_alloc_spi / key_do_getnewspi). */
  private newSpi(dst: string, min: number, max: number): number {
    for (;;) {
      const spi = min + ((((this.host.world.rng.u16() << 16) >>> 0) + this.host.world.rng.u16()) % (max - min + 1));
      if (!this.entries.some((e) => e.dst === dst && e.spi === spi)) return spi;
    }
  }

  private installPolicy(p: Omit<KmPolicy, "sp">, fn: string): void {
    const old = this.policies.findIndex(
      (x) => x.dir === p.dir && x.src === p.src && x.dst === p.dst && x.srcLen === p.srcLen && x.dstLen === p.dstLen,
    );
    if (old >= 0) {
      const sp = this.policies[old]!.sp;
      if (sp) this.host.spd.splice(this.host.spd.indexOf(sp), 1);
      this.policies.splice(old, 1);
    }
    let sp: SecPolicy | undefined;
    if (p.dir !== "fwd") {
      const req: IpsecRequest = { proto: "esp", mode: "tunnel", tunnelSrc: p.tunnelSrc, tunnelDst: p.tunnelDst, level: "require", sav: null };
      sp = {
        id: `${p.dir} ${p.src}/${p.srcLen}→${p.dst}/${p.dstLen} prio ${p.priority}`,
        dir: p.dir,
        src: parsePrefix(`${p.src}/${p.srcLen}`),
        dst: parsePrefix(`${p.dst}/${p.dstLen}`),
        proto: "any",
        action: "ipsec",
        requests: [req],
        summary: `${p.src}/${p.srcLen}[any] → ${p.dst}/${p.dstLen}[any] ${p.dir} ipsec esp/tunnel/${p.tunnelSrc}-${p.tunnelDst}/require (priority ${p.priority})`,
      };
      // xfrm_policy_insert keeps a chain ordered by priority (lower first); ties: the newer after the older.
      const at = this.host.spd.findIndex((x) => (this.policies.find((q) => q.sp === x)?.priority ?? Infinity) > p.priority);
      if (at < 0) this.host.spd.push(sp);
      else this.host.spd.splice(at, 0, sp);
    }
    this.policies.push({ ...p, sp });
    this.site(fn).emit(
      null,
      {
        kind: "sa.update",
        sa: `policy ${p.dir} ${p.src}/${p.srcLen}→${p.dst}/${p.dstLen}`,
        field: "installed",
        value: `priority ${p.priority}, tmpl esp/tunnel ${p.tunnelSrc}→${p.tunnelDst} reqid ${p.reqid}`,
      },
      p.dir === "fwd"
        ? this.plane.fwdUsed
          ? `${fn} installs the FWD policy ${p.src}/${p.srcLen}→${p.dst}/${p.dstLen}, priority ${p.priority}: ip_forward checks forwarded packets against it (__xfrm_policy_check, XFRM_POLICY_FWD).`
          : `${fn} installs the FWD policy ${p.src}/${p.srcLen}→${p.dst}/${p.dstLen} (kept for the daemon: this BSD data plane has no forward direction — ip_forward hands a forwarded packet to ip_output's OUT policy).`
        : `${fn} ${old >= 0 ? "replaces" : "installs"} the ${p.dir.toUpperCase()} policy ${p.src}/${p.srcLen}→${p.dst}/${p.dstLen}, priority ${p.priority}.`,
    );
  }

  // -----------------------------------------------------------------------------------------
  // XFRM netlink (net/xfrm/xfrm_user.c)
  // -----------------------------------------------------------------------------------------

  private xfrmReply(sock: KmSocket, req: XfrmMessage, error: number): void {
    if (!(req.flags & NLM_F.ACK) && error === 0) return;
    // netlink_ack: NLMSG_ERROR with the request header; error 0 is the ACK.
    const reqLen = emitXfrm(req).length;
    const bytes = emitXfrm({
      type: "ERROR",
      flags: 0,
      seq: req.seq,
      pid: 0,
      body: {
        error: error >>> 0,
        msg: { nlmsg_len: reqLen, nlmsg_type: XFRM_MSG[req.type], nlmsg_flags: req.flags, nlmsg_seq: req.seq, nlmsg_pid: req.pid },
      },
      attrs: [],
    });
    this.send(sock, bytes, "netlink_ack", error === 0 ? "acknowledging the request" : `errno ${-error}`);
  }

  private xfrmHandle(sock: KmSocket, m: XfrmMessage): void {
    const b = m.body;
    switch (m.type) {
      case "UPDPOLICY":
      case "NEWPOLICY": {
        const sel = b["sel"] as CRecord;
        const t = tmplOf(m.attrs);
        const dirNum = b["dir"] as number;
        const dir = dirNum === XFRM_POLICY_DIR.IN ? "in" : dirNum === XFRM_POLICY_DIR.OUT ? "out" : "fwd";
        this.installPolicy(
          {
            dir,
            src: sel["saddr"] as string,
            srcLen: sel["prefixlen_s"] as number,
            dst: sel["daddr"] as string,
            dstLen: sel["prefixlen_d"] as number,
            priority: b["priority"] as number,
            reqid: (t?.["reqid"] as number) ?? 0,
            tunnelSrc: (t?.["saddr"] as string) ?? "0.0.0.0",
            tunnelDst: ((t?.["id"] as CRecord | undefined)?.["daddr"] as string) ?? "0.0.0.0",
          },
          "xfrm_add_policy",
        );
        this.xfrmReply(sock, m, 0);
        return;
      }
      case "ALLOCSPI": {
        // xfrm_alloc_userspi: find or create the ACQ state for {mode, reqid, proto, daddr, saddr}, then xfrm_alloc_spi.
        const info = b["info"] as CRecord;
        const id = info["id"] as CRecord;
        const dst = id["daddr"] as string;
        const src = info["saddr"] as string;
        const spi = this.newSpi(dst, b["min"] as number, b["max"] as number);
        const e = this.newEntry(spi, src, dst, (info["mode"] as number) === 1 ? "tunnel" : "transport", info["reqid"] as number, "larval", 0);
        this.site("xfrm_alloc_userspi").emit(
          null,
          { kind: "sa.update", sa: e.id, field: "state", value: "larval" },
          `xfrm_alloc_spi picks SPI 0x${spi.toString(16).padStart(8, "0")} for a larval inbound state ${src}→${dst}.`,
        );
        this.host.world.after(this.config.acqExpiresSec * 1_000_000, () => {
          if (e.state === "larval") {
            this.setState(e, "dead", "xfrm_timer_handler", "the larval SPI was never filled in: 'kernel expired our reserved IPsec SA SPI'");
            this.entries.splice(this.entries.indexOf(e), 1);
          }
        });
        const reply = emitXfrm({ type: "NEWSA", flags: 0, seq: m.seq, pid: 0, body: this.usersa(e), attrs: [] });
        this.send(sock, reply, "xfrm_alloc_userspi", "the reply to ALLOCSPI is the larval state, with its SPI");
        return;
      }
      case "NEWSA":
      case "UPDSA": {
        const id = b["id"] as CRecord;
        const spi = id["spi"] as number;
        const dst = id["daddr"] as string;
        const src = b["saddr"] as string;
        const lft = b["lft"] as CRecord;
        let e = this.entries.find((x) => x.spi === spi && x.dst === dst && x.state !== "acq");
        if (m.type === "UPDSA" && (!e || e.state !== "larval")) {
          this.xfrmReply(sock, m, -3); // -ESRCH: "kernel expired our reserved IPsec SA SPI"
          return;
        }
        if (m.type === "NEWSA" && e) {
          this.xfrmReply(sock, m, -17); // -EEXIST
          return;
        }
        e ??= this.newEntry(spi, src, dst, (b["mode"] as number) === 1 ? "tunnel" : "transport", b["reqid"] as number, "larval", 0);
        const aead = m.attrs.find((a) => a.type === "ALG_AEAD");
        if (!aead || aead.type !== "ALG_AEAD" || aead.alg.name !== "rfc4106(gcm(aes))") {
          this.xfrmReply(sock, m, -22); // -EINVAL: only AES-GCM-16 is modelled for keyed SAs
          return;
        }
        e.limits = xfrmLimits(lft);
        e.sa = secAssoc(spi, src, dst, aead.alg.key, b["replay_window"] as number);
        this.install(e, m.type === "NEWSA" ? "xfrm_add_sa" : "xfrm_state_update", b["seq"] as number);
        this.xfrmReply(sock, m, 0);
        return;
      }
      case "DELSA": {
        const e = this.entries.find((x) => x.spi === (b["spi"] as number) && x.dst === (b["daddr"] as string));
        if (e) {
          this.setState(e, "dead", "xfrm_del_sa", "deleted by the daemon");
          this.entries.splice(this.entries.indexOf(e), 1);
          this.syncSad();
        }
        this.xfrmReply(sock, m, e ? 0 : -3);
        return;
      }
      default:
        this.xfrmReply(sock, m, -95); // -EOPNOTSUPP: not modelled
    }
  }

  /** XFRM: bind the socket to groups ACQUIRE|EXPIRE (libreswan kernel_xfrm.c init_netlink). */
  bindGroups(sock: KmSocket): void {
    sock.registered = true;
  }

  // -----------------------------------------------------------------------------------------
  // PF_KEY v2 (KAME sys/netkey/key.c key_parse; RFC 2367 §3.1)
  // -----------------------------------------------------------------------------------------

  private pfkeyReply(sock: KmSocket, m: PfkeyMessage, fn: string, why: string): void {
    this.send(sock, emitPfkey(m, this.config.flavour), fn, why);
  }

  private pfkeyHandle(sock: KmSocket, m: PfkeyMessage): void {
    const ext = <K extends PfkeyExt["ext"]>(k: K): (PfkeyExt & { ext: K }) | undefined => m.exts.find((e): e is PfkeyExt & { ext: K } => e.ext === k);
    const src = ext("ADDRESS_SRC");
    const dst = ext("ADDRESS_DST");
    switch (m.type) {
      case "REGISTER":
        sock.registered = true;
        // key_register: the reply lists the supported algorithms (SUPPORTED_AUTH/ENCRYPT); sent back with the base header only here.
        this.pfkeyReply(sock, { ...m, exts: [] }, "key_register", "registered for ACQUIREs of this SA type");
        return;
      case "GETSPI": {
        const range = ext("SPIRANGE");
        const sa2 = ext("X_SA2");
        if (!src || !dst) return;
        const spi = this.newSpi(dst.sa.addr, range?.min ?? 0x100, range?.max ?? 0x0fffffff);
        const e = this.newEntry(spi, src.sa.addr, dst.sa.addr, "tunnel", sa2?.reqid ?? 0, "larval", m.seq);
        this.site("key_getspi").emit(
          null,
          { kind: "sa.update", sa: e.id, field: "state", value: "larval" },
          `key_getspi makes a LARVAL SA with SPI 0x${spi.toString(16).padStart(8, "0")} (it dies in ${KEY_LARVAL_LIFETIME} s without an UPDATE).`,
        );
        this.host.world.after(KEY_LARVAL_LIFETIME * 1_000_000, () => {
          if (e.state === "larval") {
            this.setState(e, "dead", "key_timehandler", "larval lifetime over");
            this.entries.splice(this.entries.indexOf(e), 1);
          }
        });
        this.pfkeyReply(
          sock,
          {
            ...m,
            exts: [
              { ext: "SA", spi, replay: 0, state: SADB_SASTATE.LARVAL, auth: 0, encrypt: 0, flags: 0 },
              ...m.exts.filter((x) => x.ext !== "SPIRANGE"),
            ],
          },
          "key_getspi",
          "the reply carries the new SPI",
        );
        return;
      }
      case "UPDATE":
      case "ADD": {
        const sa = ext("SA");
        const key = ext("KEY_ENCRYPT");
        const sa2 = ext("X_SA2");
        if (!sa || !src || !dst || !key) return;
        let e = this.entries.find((x) => x.spi === sa.spi && x.dst === dst.sa.addr);
        if (m.type === "UPDATE" && (!e || e.state !== "larval")) {
          this.pfkeyReply(sock, { ...m, errno: 3, exts: [] }, "key_update", "no larval SA with that SPI (ESRCH)");
          return;
        }
        e ??= this.newEntry(
          sa.spi,
          src.sa.addr,
          dst.sa.addr,
          sa2?.mode === IPSEC_MODE.TRANSPORT ? "transport" : "tunnel",
          sa2?.reqid ?? 0,
          "larval",
          0,
        );
        const softL = ext("LIFETIME_SOFT");
        const hardL = ext("LIFETIME_HARD");
        // RFC 2367 §2.3.4: a zero in sadb_lifetime means "no limit".
        const pos = (n: number | bigint | undefined): number | undefined => (n !== undefined && n > 0 ? Number(n) : undefined);
        e.limits = {
          softPackets: pos(softL?.allocations),
          hardPackets: pos(hardL?.allocations),
          softBytes: pos(softL?.bytes),
          hardBytes: pos(hardL?.bytes),
          softAddSec: pos(softL?.addtime),
          hardAddSec: pos(hardL?.addtime),
        };
        e.sa = secAssoc(sa.spi, src.sa.addr, dst.sa.addr, key.key, sa.replay);
        // KAME key_update/key_add: key_getacqbyseq(mhp->msg->sadb_msg_seq) removes the acq entry this answers.
        this.install(e, m.type === "UPDATE" ? "key_update" : "key_add", m.seq);
        this.pfkeyReply(
          sock,
          { ...m, exts: m.exts.filter((x) => x.ext !== "KEY_ENCRYPT" && x.ext !== "KEY_AUTH") },
          m.type === "UPDATE" ? "key_update" : "key_add",
          "the echo of the request, keys removed",
        );
        return;
      }
      case "X_SPDADD":
      case "X_SPDUPDATE": {
        const xpl = ext("X_POLICY");
        if (!xpl || !src || !dst) return;
        const r = xpl.requests[0];
        this.installPolicy(
          {
            dir: xpl.dir === IPSEC_DIR.INBOUND ? "in" : xpl.dir === IPSEC_DIR.OUTBOUND ? "out" : "fwd",
            src: src.sa.addr,
            srcLen: src.prefixlen,
            dst: dst.sa.addr,
            dstLen: dst.prefixlen,
            priority: xpl.priority,
            reqid: r?.reqid ?? 0,
            tunnelSrc: r?.tunnel?.src ?? "0.0.0.0",
            tunnelDst: r?.tunnel?.dst ?? "0.0.0.0",
          },
          m.type === "X_SPDADD" ? "key_spdadd" : "key_spdupdate",
        );
        this.pfkeyReply(sock, m, m.type === "X_SPDADD" ? "key_spdadd" : "key_spdupdate", "the echo of the request");
        return;
      }
      case "DELETE": {
        const sa = ext("SA");
        const e = sa && dst ? this.entries.find((x) => x.spi === sa.spi && x.dst === dst.sa.addr) : undefined;
        if (e) {
          this.setState(e, "dead", "key_delete", "deleted by the daemon");
          this.entries.splice(this.entries.indexOf(e), 1);
          this.syncSad();
        }
        this.pfkeyReply(sock, { ...m, errno: e ? 0 : 3 }, "key_delete", e ? "deleted" : "no such SA (ESRCH)");
        return;
      }
      default:
        this.pfkeyReply(sock, { ...m, errno: 45, exts: [] }, "key_parse", "not modelled (EOPNOTSUPP)");
    }
  }
}

function tmplOf(attrs: readonly XfrmAttr[]): CRecord | undefined {
  const t = attrs.find((a) => a.type === "TMPL");
  return t && t.type === "TMPL" ? t.tmpls[0] : undefined;
}

/** An xfrm_user_tmpl for an ESP tunnel (libreswan netlink_raw_eroute: all algorithms allowed, endpoints only in tunnel mode). */
export function tmplRecord(src: string, dst: string, reqid: number): CRecord {
  return {
    id: { daddr: dst, spi: 0, proto: 50 },
    family: AF.INET,
    saddr: src,
    reqid,
    mode: 1,
    aalgos: 0xffffffff,
    ealgos: 0xffffffff,
    calgos: 0xffffffff,
  };
}

/** The data plane's SA for keys installed by the daemon: ESP tunnel, AES-GCM-16 (RFC 4106: 16-byte key + 4-byte salt). */
function secAssoc(spi: number, src: string, dst: string, key: Uint8Array, replayWindow: number): SecAssoc {
  return {
    id: saName({ proto: "esp", spi, src, dst }),
    spi,
    src,
    dst,
    proto: "esp",
    mode: "tunnel",
    enc: "aes-gcm-16",
    encKey: key.slice(),
    auth: "none",
    authKey: new Uint8Array(0),
    replayWindow,
    esn: false,
    seqOut: 0,
    seqIn: 0,
    replayBitmap: 0n,
    ivCounter: 0n,
    bytes: 0,
    packets: 0,
  };
}

/** The limits of an xfrm_lifetime_cfg (XFRM_INF and 0 seconds mean none). */
function xfrmLimits(lft: CRecord): KmLimits {
  const count = (k: string): number | undefined => ((lft[k] as bigint) === XFRM_INF ? undefined : Number(lft[k] as bigint));
  const secs = (k: string): number | undefined => ((lft[k] as bigint) === 0n ? undefined : Number(lft[k] as bigint));
  return {
    softPackets: count("soft_packet_limit"),
    hardPackets: count("hard_packet_limit"),
    softBytes: count("soft_byte_limit"),
    hardBytes: count("hard_byte_limit"),
    softAddSec: secs("soft_add_expires_seconds"),
    hardAddSec: secs("hard_add_expires_seconds"),
  };
}

/** KmLimits back as xfrmLifetime's arguments. */
export function xfrmLimitsCfg(l: KmLimits): Parameters<typeof xfrmLifetime>[0] {
  const big = (n: number | undefined): bigint | undefined => (n === undefined ? undefined : BigInt(n));
  return {
    soft_packet_limit: big(l.softPackets),
    hard_packet_limit: big(l.hardPackets),
    soft_byte_limit: big(l.softBytes),
    hard_byte_limit: big(l.hardBytes),
    soft_add_expires_seconds: big(l.softAddSec),
    hard_add_expires_seconds: big(l.hardAddSec),
  };
}

/** "soft 10 packets, hard 30 s" — the limits that are set, for narration. */
function limitsText(l: KmLimits): string {
  const parts: string[] = [];
  const add = (label: string, n: number | undefined, unit: string): void => {
    if (n !== undefined) parts.push(`${label} ${n} ${unit}`);
  };
  add("soft", l.softPackets, "packets");
  add("soft", l.softBytes, "bytes");
  add("soft", l.softAddSec, "s");
  add("hard", l.hardPackets, "packets");
  add("hard", l.hardBytes, "bytes");
  add("hard", l.hardAddSec, "s");
  return parts.length ? parts.join(", ") : "no limits";
}
