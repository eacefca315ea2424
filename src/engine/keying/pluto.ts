/**
 * "pluto", libreswan's IKE daemon, as an actor on the scheduler: it drives its kernel through
 * one of four kernel_ops backends and installs what it negotiates (kernel-notes §5, §10.1–10.3):
 *
 * - `xfrm`          libreswan v3.32 programs/pluto/kernel_xfrm.c: bind NETLINK_XFRM to the
 *                   ACQUIRE|EXPIRE groups; policies always UPDPOLICY; netlink_get_spi = ALLOCSPI;
 *                   install_ipsec_sa: outbound NEWSA first, inbound UPDSA (replace = inbound &&
 *                   get_spi), then IN and FWD, then OUT (replacing the trap); netlink_acquire,
 *                   netlink_expire.
 * - `pfkeyv2`       libreswan HEAD kernel_pfkeyv2.c (3de34b294c, 2022): SADB_REGISTER; GETSPI,
 *                   UPDATE/ADD, X_SPDADD/X_SPDUPDATE; SADB_ACQUIRE handled.
 * - `bsdkame-2020`  libreswan v3.32 kernel_bsdkame.c: REGISTER, pfkey_send_spdadd, and
 *                   `bsdkame_pfkey_acquire`: DBG_log("received acquire --- discarded").
 * - `nokernel`      libreswan v3.31 kernel_nokernel.c: every op returns TRUE and does nothing;
 *                   get_spi = NULL, so pluto picks SPIs itself (kernel.c get_ipsec_spi).
 *
 * **No real IKE.** Negotiation is a timed, labelled abstraction (IKE_SA_INIT + IKE_AUTH as 2
 * round trips of the link between the two gateways; a rekey as 1, CREATE_CHILD_SA); the keys
 * are drawn from the run's seeded RNG in place of KEYMAT. Everything pluto says to its kernel
 * is real message bytes, traced where they are built and where they arrive.
 */
import { m_gethdr } from "../mbuf/mbuf";
import { isLinux, PERSONALITIES, type PersonalityId } from "../kernels/personality";
import type { KeyingSpec } from "../scenario/schema";
import type { Host, World } from "../sim/world";
import type { Site } from "../trace/recorder";
import {
  emitPfkey,
  IPSEC_DIR,
  IPSEC_LEVEL,
  IPSEC_MODE,
  IPSEC_POLICY,
  parsePfkey,
  SADB_SASTATE,
  SADB_SATYPE,
  type PfkeyExt,
  type PfkeyMessage,
  type SockaddrFlavour,
} from "../wire/pfkey";
import { AF, emitXfrm, NLM_F, parseXfrm, XFRM_POLICY_DIR, xfrmLifetime, xfrmSelector, type CRecord, type XfrmMessage } from "../wire/xfrm_nl";
import { KeyKernel, KM_MSG_LATENCY, tmplRecord, xfrmLimitsCfg, type KeyKernelConfig, type KmHost, type KmLimits, type KmSocket } from "./kernel";

/** A kernel_ops backend. */
export type KernelOpsId = KeyingSpec["backend"];

/** IPSEC_DOI_SPI_OUR_MIN (include/ietf_constants.h): the lowest SPI pluto hands out itself. */
const IPSEC_DOI_SPI_OUR_MIN = 0x1000;
/** The priority every policy of the connection gets. Hypothetical: libreswan computes it from the prefix lengths (calculate_sa_prio), not modelled. */
const POLICY_PRIORITY = 2084814;
/** AES-GCM-16 KEYMAT: a 16-byte key and the 4-byte salt (RFC 4106 §8.1). */
const GCM_KEYMAT = 20;

/** One end of the connection, seen from its own pluto. */
interface Side {
  readonly me: string;
  readonly peer: string;
  readonly mySubnet: string;
  readonly peerSubnet: string;
}

/** The keys and SPIs a (re)negotiation produces; shared by both plutos, as IKE would make them agree. */
interface Child {
  readonly generation: number;
  /** Inbound SPI of each side, by host name, once its kernel (or pluto) allocated it. */
  readonly spi: Map<string, number>;
  /** The key each side sends with (its outbound SA), by host name. */
  readonly key: Map<string, Uint8Array>;
  installed: number;
}

/** The pluto of one host. */
export class Pluto {
  sock: KmSocket | undefined;
  peer!: Pluto;
  private seq = 0;
  private readonly pending = new Map<number, (reply: Uint8Array) => void>();
  /** The ACQUIRE seq this pluto answers (km.seq / sadb_msg_seq of the reply). */
  private acquireSeq = 0;
  /** The children installed, oldest first. */
  readonly children: { readonly child: Child; readonly outSpi: number; readonly inSpi: number }[] = [];

  constructor(
    readonly host: KmHost,
    readonly backend: KernelOpsId,
    readonly side: Side,
    readonly spec: KeyingSpec,
    readonly kernel: KeyKernel | undefined,
    readonly negotiation: Negotiation,
  ) {}

  private site(fn: string): Site {
    return this.host.site("app", fn);
  }

  private get api(): "xfrm" | "pfkey" | "none" {
    return this.backend === "xfrm" ? "xfrm" : this.backend === "nokernel" ? "none" : "pfkey";
  }

  private get socketName(): string {
    return this.api === "xfrm" ? "NETLINK_XFRM (pluto)" : "PF_KEY (pluto)";
  }

  /** Send `bytes` on the key socket from libreswan function `fn`; `then` gets the kernel's reply with the same seq. */
  private request(bytes: Uint8Array, seq: number, fn: string, why: string, then?: (reply: Uint8Array) => void): void {
    const kernel = this.kernel!;
    const sock = this.sock!;
    if (then) this.pending.set(seq, then);
    m_gethdr(
      this.site(fn),
      bytes,
      `${fn}: pluto writes ${kernel.describe(bytes)} (${bytes.length} bytes) to its ${this.api === "xfrm" ? "NETLINK_XFRM" : "PF_KEY"} socket — ${why}.`,
    );
    this.host.world.after(KM_MSG_LATENCY, () => kernel.receive(sock, bytes));
  }

  /** A message from the kernel arrives on pluto's socket. */
  private receive(bytes: Uint8Array): void {
    const kernel = this.kernel!;
    const fn = this.api === "xfrm" ? "netlink_read_reply" : "pfkeyv2_process_msg";
    const site = this.site(fn);
    const m = m_gethdr(site, bytes, site.text`recvmsg copies the ${bytes.length}-byte message into pluto's buffer.`);
    site.emit(
      m,
      { kind: "deliver", socket: this.socketName, summary: kernel.describe(bytes) },
      `pluto reads ${kernel.describe(bytes)} from its socket.`,
    );
    if (this.api === "xfrm") {
      const p = parseXfrm(bytes);
      if (!p.ok) return;
      const msg = p.value;
      if (msg.type === "ACQUIRE") return this.onAcquire(msg.body["seq"] as number, "netlink_acquire");
      if (msg.type === "EXPIRE") {
        const state = msg.body["state"] as CRecord;
        const cur = state["curlft"] as CRecord;
        return this.onExpire((msg.body["hard"] as number) !== 0, "netlink_expire", Number(cur["bytes"] as bigint));
      }
      const wait = this.pending.get(msg.seq);
      if (wait) {
        this.pending.delete(msg.seq);
        wait(bytes);
      }
      return;
    }
    const p = parsePfkey(bytes, kernel.config.flavour);
    if (!p.ok) return;
    const msg = p.value;
    if (msg.type === "ACQUIRE") return this.onAcquire(msg.seq, this.backend === "bsdkame-2020" ? "bsdkame_pfkey_acquire" : "pfkeyv2_process_acquire");
    if (msg.type === "EXPIRE" && msg.pid === 0)
      return this.onExpire(
        msg.exts.some((e) => e.ext === "LIFETIME_HARD"),
        "pfkeyv2_process_expire",
        Number(msg.exts.find((e): e is PfkeyExt & { ext: "LIFETIME_CURRENT" } => e.ext === "LIFETIME_CURRENT")?.bytes ?? 0n),
      );
    const wait = this.pending.get(msg.seq);
    if (wait && msg.pid === this.pid) {
      this.pending.delete(msg.seq);
      wait(bytes);
    }
  }

  /** The pid pluto puts in sadb_msg_pid (kernel replies echo it). */
  private get pid(): number {
    return 4000 + this.host.world.hosts.indexOf(this.host);
  }

  /** Start: open the socket, register, and install the trap policy (auto=route). */
  start(): void {
    if (this.api === "none") {
      // kernel_nokernel.c: init/register empty, raw_eroute returns TRUE — the trap is never installed.
      this.site("nokernel_raw_eroute").emit(
        null,
        {
          kind: "decision",
          check: "km-install",
          question: "Install the trap policy (auto=route)?",
          consulted: [{ kind: "switch", name: "kernel_ops", value: "nokernel" }],
          branch: "no-op (nokernel)",
        },
        "nokernel_raw_eroute returns TRUE without telling any kernel: no trap policy exists, so no packet will ever cause an ACQUIRE.",
      );
      return;
    }
    const kernel = this.kernel!;
    this.sock = kernel.open(this.socketName, (b) => this.receive(b));
    if (this.api === "xfrm") {
      // init_netlink: bind(XFRMGRP_ACQUIRE | XFRMGRP_EXPIRE) — a socket option, not a message.
      kernel.bindGroups(this.sock);
      this.site("init_netlink").emit(
        null,
        { kind: "sa.update", sa: "pluto NETLINK_XFRM socket", field: "groups", value: "XFRMGRP_ACQUIRE|XFRMGRP_EXPIRE (1|2)" },
        "init_netlink: pluto binds its NETLINK_XFRM socket to the ACQUIRE and EXPIRE multicast groups (1|2).",
      );
      this.route();
      return;
    }
    // pfkey_register: SADB_REGISTER for ESP (and AH, IPCOMP; ESP alone here).
    const seq = ++this.seq;
    this.request(
      emitPfkey({ type: "REGISTER", errno: 0, satype: SADB_SATYPE.ESP, seq, pid: this.pid, exts: [] }, kernel.config.flavour),
      seq,
      "pfkey_register",
      "so the kernel sends it ACQUIREs for ESP",
      () => this.route(),
    );
  }

  /** Install the outbound trap policy: an ordinary IPsec policy with a template and no SA (SPI_TRAP). */
  private route(): void {
    const s = this.side;
    this.policy(
      "out",
      s.mySubnet,
      s.peerSubnet,
      s.me,
      s.peer,
      this.backend === "xfrm" ? "netlink_raw_eroute" : "pfkeyv2_raw_policy",
      "the trap: a policy with a template and no SA (SPI_TRAP)",
      false,
    );
  }

  private policy(
    dir: "in" | "out" | "fwd",
    src: string,
    dst: string,
    tsrc: string,
    tdst: string,
    fn: string,
    why: string,
    update: boolean,
    then?: () => void,
  ): void {
    const kernel = this.kernel!;
    const seq = ++this.seq;
    const [sAddr, sLen] = src.split("/");
    const [dAddr, dLen] = dst.split("/");
    if (this.api === "xfrm") {
      const m: XfrmMessage = {
        type: "UPDPOLICY",
        flags: NLM_F.REQUEST | NLM_F.ACK,
        seq,
        pid: 0,
        body: {
          sel: xfrmSelector(sAddr!, Number(sLen), dAddr!, Number(dLen)),
          lft: xfrmLifetime(),
          priority: POLICY_PRIORITY,
          dir: dir === "in" ? XFRM_POLICY_DIR.IN : dir === "out" ? XFRM_POLICY_DIR.OUT : XFRM_POLICY_DIR.FWD,
          action: 0,
        },
        attrs: [{ type: "TMPL", tmpls: [tmplRecord(tsrc, tdst, this.spec.conn.reqid)] }],
      };
      this.request(emitXfrm(m), seq, fn, why, then && (() => then()));
      return;
    }
    const m: PfkeyMessage = {
      type: update ? "X_SPDUPDATE" : "X_SPDADD",
      errno: 0,
      satype: SADB_SATYPE.UNSPEC,
      seq,
      pid: this.pid,
      exts: [
        { ext: "ADDRESS_SRC", proto: 255, prefixlen: Number(sLen), sa: { addr: sAddr!, port: 0 } },
        { ext: "ADDRESS_DST", proto: 255, prefixlen: Number(dLen), sa: { addr: dAddr!, port: 0 } },
        {
          ext: "X_POLICY",
          type: IPSEC_POLICY.IPSEC,
          dir: dir === "in" ? IPSEC_DIR.INBOUND : dir === "out" ? IPSEC_DIR.OUTBOUND : IPSEC_DIR.FWD,
          id: 0,
          priority: POLICY_PRIORITY,
          requests: [
            { proto: 50, mode: IPSEC_MODE.TUNNEL, level: IPSEC_LEVEL.REQUIRE, reqid: this.spec.conn.reqid, tunnel: { src: tsrc, dst: tdst } },
          ],
        },
      ],
    };
    this.request(emitPfkey(m, kernel.config.flavour), seq, fn, why, then && (() => then()));
  }

  private onAcquire(seq: number, fn: string): void {
    const site = this.site(fn);
    if (this.backend === "bsdkame-2020") {
      site.emit(
        null,
        {
          kind: "decision",
          check: "km-acquire",
          question: "What does pluto do with the kernel's ACQUIRE?",
          consulted: [{ kind: "switch", name: "kernel_ops", value: "bsdkame-2020" }],
          branch: "discarded",
        },
        'bsdkame_pfkey_acquire (libreswan v3.32 kernel_bsdkame.c): DBG_log("received acquire --- discarded") — no negotiation starts, so the tunnel never comes up.',
      );
      return;
    }
    this.acquireSeq = seq;
    site.emit(
      null,
      {
        kind: "decision",
        check: "km-acquire",
        question: "What does pluto do with the kernel's ACQUIRE?",
        consulted: [{ kind: "switch", name: "kernel_ops", value: this.backend }],
        branch: "initiate",
      },
      `${fn}: the ACQUIRE (seq ${seq}) matches the route-on-demand connection; record_and_initiate_opportunistic starts IKE (a %hold for the flow is a no-op: the kernel's ACQ state holds it).`,
    );
    this.negotiation.begin(this, false);
  }

  /**
   * An EXPIRE from the kernel: hard → the SA is gone; soft → rekey. Hypothetical (a model rule):
   * an SA that carried no bytes is left to expire instead of being rekeyed — libreswan's own idle
   * handling was not read, and without the rule SAs with add-time limits would rekey forever
   * after the traffic ends (the trap policy stays, so a later packet acquires again).
   */
  private onExpire(hard: boolean, fn: string, bytes: number): void {
    const idle = !hard && bytes === 0;
    this.site(fn).emit(
      null,
      {
        kind: "decision",
        check: "km-expire",
        question: "What does pluto do with the kernel's EXPIRE?",
        consulted: [
          { kind: "switch", name: "hard", value: hard ? "1" : "0" },
          { kind: "field", header: "lifetime_current", field: "bytes", value: String(bytes) },
        ],
        branch: hard ? "forget the SA" : idle ? "let an idle SA expire" : "rekey",
      },
      hard
        ? `${fn}: a hard expiry — the kernel has removed the SA.`
        : idle
          ? `${fn}: a soft expiry of an SA that carried no bytes — pluto lets it expire rather than rekey (hypothetical model rule: libreswan's idle handling was not read).`
          : `${fn}: a soft expiry after ${bytes} bytes — pluto rekeys the IPsec SA (CREATE_CHILD_SA) before the hard limit.`,
    );
    if (!hard && !idle) this.negotiation.begin(this, true);
  }

  /** get_ipsec_spi: ALLOCSPI / GETSPI for our inbound SA, or pluto's own SPI when the backend has no get_spi. */
  getSpi(child: Child, done: () => void): void {
    const s = this.side;
    if (this.api === "none" || this.backend === "bsdkame-2020") {
      // kernel.c get_ipsec_spi with get_spi == NULL: a counter, re-randomised until ≥ IPSEC_DOI_SPI_OUR_MIN.
      const spi = IPSEC_DOI_SPI_OUR_MIN + ((((this.host.world.rng.u16() << 16) >>> 0) + this.host.world.rng.u16()) % 0x0fff_0000);
      child.spi.set(this.host.name, spi);
      done();
      return;
    }
    const kernel = this.kernel!;
    const seq = ++this.seq;
    if (this.api === "xfrm") {
      const m: XfrmMessage = {
        type: "ALLOCSPI",
        flags: NLM_F.REQUEST,
        seq,
        pid: 0,
        body: {
          info: { id: { daddr: s.me, spi: 0, proto: 50 }, saddr: s.peer, family: AF.INET, mode: 1, reqid: this.spec.conn.reqid },
          min: 0x1000,
          max: 0xffffffff,
        },
        attrs: [],
      };
      this.request(emitXfrm(m), seq, "netlink_get_spi", "a larval inbound SA whose SPI the peer will send to", (reply) => {
        const r = parseXfrm(reply);
        if (r.ok && r.value.type === "NEWSA") child.spi.set(this.host.name, (r.value.body["id"] as CRecord)["spi"] as number);
        done();
      });
      return;
    }
    const m: PfkeyMessage = {
      type: "GETSPI",
      errno: 0,
      satype: SADB_SATYPE.ESP,
      seq,
      pid: this.pid,
      exts: [
        { ext: "X_SA2", mode: IPSEC_MODE.ANY, sequence: 0, reqid: this.spec.conn.reqid },
        { ext: "ADDRESS_SRC", proto: 255, prefixlen: 32, sa: { addr: s.peer, port: 0 } },
        { ext: "ADDRESS_DST", proto: 255, prefixlen: 32, sa: { addr: s.me, port: 0 } },
        { ext: "SPIRANGE", min: 0x1000, max: 0xffffffff },
      ],
    };
    this.request(
      emitPfkey(m, kernel.config.flavour),
      seq,
      "pfkeyv2_get_ipsec_spi",
      "a LARVAL inbound SA whose SPI the peer will send to",
      (reply) => {
        const r = parsePfkey(reply, kernel.config.flavour);
        const sa = r.ok ? r.value.exts.find((e) => e.ext === "SA") : undefined;
        if (sa && sa.ext === "SA") child.spi.set(this.host.name, sa.spi);
        done();
      },
    );
  }

  /** install_ipsec_sa: outbound SA, inbound SA, then IN (+FWD) and OUT policies (the first time only). */
  install(child: Child, rekey: boolean): void {
    const s = this.side;
    const outSpi = child.spi.get(this.peer.host.name)!;
    const inSpi = child.spi.get(this.host.name)!;
    const outKey = child.key.get(this.host.name)!;
    const inKey = child.key.get(this.peer.host.name)!;
    const done = (): void => {
      this.children.push({ child, outSpi, inSpi });
      this.site("install_ipsec_sa").emit(
        null,
        {
          kind: "decision",
          check: "km-install",
          question: "Did the negotiated IPsec SA reach the kernel?",
          consulted: [{ kind: "switch", name: "kernel_ops", value: this.backend }],
          branch: this.api === "none" ? "no-op (nokernel)" : "installed",
        },
        this.api === "none"
          ? `nokernel_add_sa returns TRUE without telling any kernel: the SA pair 0x${outSpi.toString(16)}/0x${inSpi.toString(16)} was negotiated but never installed.`
          : `The SA pair is installed: out 0x${outSpi.toString(16).padStart(8, "0")}, in 0x${inSpi.toString(16).padStart(8, "0")}${rekey ? " (rekeyed)" : ""}.`,
      );
      child.installed++;
      if (rekey && this.children.length > 1) this.deleteOld();
    };
    if (this.api === "none") return done();
    const steps: ((next: () => void) => void)[] = [
      (next) => this.addSa(outSpi, s.me, s.peer, outKey, false, next),
      (next) => this.addSa(inSpi, s.peer, s.me, inKey, true, next),
    ];
    if (!rekey) {
      steps.push((next) => this.policy("in", s.peerSubnet, s.mySubnet, s.peer, s.me, "netlink_raw_eroute", "inbound policy", false, next));
      // BSD has no forwarding policy; XFRM needs one for tunnel traffic routed through the gateway.
      if (this.api === "xfrm")
        steps.push((next) =>
          this.policy("fwd", s.peerSubnet, s.mySubnet, s.peer, s.me, "netlink_raw_eroute", "forward policy (dir FWD)", false, next),
        );
      steps.push((next) =>
        this.policy(
          "out",
          s.mySubnet,
          s.peerSubnet,
          s.me,
          s.peer,
          this.api === "xfrm" ? "netlink_raw_eroute" : "pfkeyv2_raw_policy",
          "the real outbound policy, replacing the trap",
          true,
          next,
        ),
      );
    }
    const run = (i: number): void => (i < steps.length ? steps[i]!(() => run(i + 1)) : done());
    run(0);
  }

  private addSa(spi: number, src: string, dst: string, key: Uint8Array, inbound: boolean, then: () => void): void {
    const kernel = this.kernel!;
    const seq = ++this.seq;
    const c = this.spec.conn;
    const soft = c.softPackets;
    const limits: KmLimits = {
      softPackets: soft,
      softBytes: c.softBytes,
      hardBytes: c.hardBytes,
      softAddSec: c.softAddSec,
      hardAddSec: c.hardAddSec,
    };
    // setup_half_ipsec_sa: replace = inbound && kernel_ops->get_spi != NULL (bsdkame-2020: get_spi NULL → ADD).
    const replace = inbound && this.backend !== "bsdkame-2020";
    const why = inbound ? (replace ? "filling in the larval inbound SA" : "the inbound SA") : "the outbound SA, first";
    if (this.api === "xfrm") {
      const m: XfrmMessage = {
        type: replace ? "UPDSA" : "NEWSA",
        flags: NLM_F.REQUEST | NLM_F.ACK,
        seq,
        pid: 0,
        body: {
          id: { daddr: dst, spi, proto: 50 },
          saddr: src,
          lft: xfrmLifetime(xfrmLimitsCfg(limits)),
          // Hypothetical: the ACQUIRE's seq carried in xfrm_usersa_info.seq, so xfrm_state_add finds the ACQ by km.seq.
          seq: inbound ? 0 : this.acquireSeq,
          reqid: this.spec.conn.reqid,
          family: AF.INET,
          mode: 1,
          replay_window: 32,
          flags: 32,
        },
        attrs: [{ type: "ALG_AEAD", alg: { name: "rfc4106(gcm(aes))", key }, icvBits: 128 }],
      };
      this.request(emitXfrm(m), seq, "netlink_add_sa", why, () => then());
      return;
    }
    const exts: PfkeyExt[] = [
      { ext: "SA", spi, replay: 32, state: SADB_SASTATE.MATURE, auth: 0, encrypt: 20, flags: 0 },
      { ext: "X_SA2", mode: IPSEC_MODE.TUNNEL, sequence: 0, reqid: this.spec.conn.reqid },
      { ext: "ADDRESS_SRC", proto: 255, prefixlen: 32, sa: { addr: src, port: 0 } },
      { ext: "ADDRESS_DST", proto: 255, prefixlen: 32, sa: { addr: dst, port: 0 } },
      { ext: "KEY_ENCRYPT", key },
      // Hypothetical: RFC 2367 has no packet limit; the model carries the soft packet limit in sadb_lifetime_allocations.
      // libreswan's default salifetime (8 h) is not sent: the kernel now honours addtime, and a run
      // would go on for 8 virtual hours. A scenario sets softAddSec/hardAddSec to see time expiry.
      { ext: "LIFETIME_HARD", allocations: 0, bytes: BigInt(c.hardBytes ?? 0), addtime: BigInt(c.hardAddSec ?? 0), usetime: 0n },
      { ext: "LIFETIME_SOFT", allocations: soft ?? 0, bytes: BigInt(c.softBytes ?? 0), addtime: BigInt(c.softAddSec ?? 0), usetime: 0n },
    ];
    // KAME key_add/key_update find the acq entry by the message's seq (key_getacqbyseq).
    const m: PfkeyMessage = {
      type: replace ? "UPDATE" : "ADD",
      errno: 0,
      satype: SADB_SATYPE.ESP,
      seq: inbound ? seq : this.acquireSeq || seq,
      pid: this.pid,
      exts,
    };
    this.request(emitPfkey(m, kernel.config.flavour), m.seq, "pfkeyv2_add_sa", why, () => then());
  }

  /** After a rekey: delete the old pair (libreswan deletes the replaced IPsec SA; the exact timing is simplified). */
  private deleteOld(): void {
    const old = this.children.shift()!;
    const kernel = this.kernel!;
    for (const [spi, dst] of [
      [old.outSpi, this.side.peer],
      [old.inSpi, this.side.me],
    ] as const) {
      const seq = ++this.seq;
      if (this.api === "xfrm") {
        const m: XfrmMessage = {
          type: "DELSA",
          flags: NLM_F.REQUEST | NLM_F.ACK,
          seq,
          pid: 0,
          body: { daddr: dst, spi, family: AF.INET, proto: 50 },
          attrs: [],
        };
        this.request(emitXfrm(m), seq, "netlink_del_sa", "the replaced SA");
      } else {
        const m: PfkeyMessage = {
          type: "DELETE",
          errno: 0,
          satype: SADB_SATYPE.ESP,
          seq,
          pid: this.pid,
          exts: [
            { ext: "SA", spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
            { ext: "ADDRESS_SRC", proto: 255, prefixlen: 32, sa: { addr: dst === this.side.me ? this.side.peer : this.side.me, port: 0 } },
            { ext: "ADDRESS_DST", proto: 255, prefixlen: 32, sa: { addr: dst, port: 0 } },
          ],
        };
        this.request(emitPfkey(m, kernel.config.flavour), seq, "pfkeyv2_del_sa", "the replaced SA");
      }
    }
  }
}

/**
 * The IKE exchange between the two plutos, abstracted: no IKE message is modelled, only its
 * duration (round trips of the link) and its result (both sides' SPIs and keys).
 */
export class Negotiation {
  private generation = 0;
  private inFlight: Child | undefined;

  constructor(
    readonly world: KmHost["world"],
    readonly rttMicros: number,
  ) {}

  /** Start a negotiation (or a rekey) from `initiator`, unless one is already running. */
  begin(initiator: Pluto, rekey: boolean): void {
    const site = initiator.host.site("app", "pluto");
    const ike = `IKE SA ${initiator.side.me}↔${initiator.side.peer}`;
    if (this.inFlight) {
      site.emit(
        null,
        { kind: "sa.update", sa: ike, field: "state", value: "exchange already in progress" },
        "A negotiation for this connection is already running: pluto joins it rather than start a second.",
      );
      return;
    }
    const child: Child = { generation: ++this.generation, spi: new Map(), key: new Map(), installed: 0 };
    this.inFlight = child;
    const rtts = rekey ? 1 : 2;
    site.emit(
      null,
      {
        kind: "sa.update",
        sa: ike,
        field: "state",
        value: rekey ? "rekeying (abstracted CREATE_CHILD_SA, 1 RTT)" : "negotiating (abstracted IKE_SA_INIT + IKE_AUTH, 2 RTT)",
      },
      `Abstraction, not IKE: pluto ${rekey ? "rekeys the Child SA (CREATE_CHILD_SA)" : "negotiates with its peer (IKE_SA_INIT, IKE_AUTH)"}; modelled as ${rtts} round trip${rtts > 1 ? "s" : ""} (${rtts * this.rttMicros} µs) with no IKE packets on the wire.`,
    );
    this.world.after(rtts * this.rttMicros, () => {
      const plutos = [initiator, initiator.peer];
      for (const p of plutos) {
        const key = new Uint8Array(GCM_KEYMAT);
        for (let i = 0; i < GCM_KEYMAT; i += 2) {
          const r = this.world.rng.u16();
          key[i] = r >> 8;
          key[i + 1] = r & 0xff;
        }
        child.key.set(p.host.name, key);
      }
      let left = plutos.length;
      for (const p of plutos) {
        p.getSpi(child, () => {
          if (--left > 0) return;
          site.emit(
            null,
            { kind: "sa.update", sa: ike, field: "state", value: "established" },
            "The (abstracted) exchange is complete: both sides know each other's inbound SPI and the keys (drawn from the seeded RNG in place of KEYMAT).",
          );
          this.inFlight = undefined;
          for (const q of plutos) q.install(child, rekey);
        });
      }
    });
  }
}

/** The world keying starts in: the BSD `World` or the Linux `LinuxWorld`. */
export interface KmWorld<H extends KmHost> {
  host(name: string): H;
  readonly links: readonly { readonly ends: readonly { readonly host: H }[]; readonly delay: number }[];
  after(delay: number, run: () => void): void;
  readonly rng: KmHost["world"]["rng"];
  readonly hosts: readonly unknown[];
  readonly recorder: KmHost["world"]["recorder"];
}

/**
 * The sockaddr layout of the PF_KEY messages a run of `personality` carries: Linux af_key's
 * (u16 family first) on a Linux personality, BSD's (sin_len, sin_family) on the others — for the
 * inspector and the capture, which decode the bytes after the run.
 */
export function pfkeyFlavourOf(personality: PersonalityId): SockaddrFlavour {
  return isLinux(PERSONALITIES[personality]) ? "linux" : "bsd";
}

/** The kernel switches a scenario's keying asks for (the sysctls, and the PF_KEY sockaddr flavour of the OS). */
export function keyKernelConfig(spec: KeyingSpec, os: "bsd" | "linux"): KeyKernelConfig {
  return {
    api: spec.backend === "xfrm" ? "xfrm" : "pfkey",
    // KAME has no hold queue; Linux's larval_drop applies to every key manager (af_key and netlink alike).
    larvalDrop: (os === "bsd" && spec.backend !== "xfrm") || spec.larvalDrop,
    acqExpiresSec: spec.acqExpiresSec,
    flavour: os === "linux" ? "linux" : spec.backend === "pfkeyv2" || spec.backend === "bsdkame-2020" ? "bsd" : "linux",
    ...(os === "linux" ? { os } : {}),
  };
}

/**
 * Start keying for a scenario: a KeyKernel on both hosts (unless nokernel), a pluto on each,
 * their trap policies at time 0; nokernel has nothing to trap with, so its pluto initiates at
 * once (as `ipsec auto --up` would; said so in the trace). `attach` builds a host's key manager
 * and hangs it where that stack's output path finds it.
 */
export function startKeyingOn<H extends KmHost>(world: KmWorld<H>, spec: KeyingSpec, attach: (host: H) => KeyKernel): void {
  const c = spec.conn;
  const left = world.host(c.left);
  const right = world.host(c.right);
  const link = world.links.find((l) => l.ends.some((e) => e.host === left) && l.ends.some((e) => e.host === right));
  const rtt = 2 * (link?.delay ?? 50);
  const negotiation = new Negotiation(world, rtt);
  const make = (host: H, side: Side): Pluto => {
    const kernel = spec.backend !== "nokernel" ? attach(host) : undefined;
    return new Pluto(host, spec.backend, side, spec, kernel, negotiation);
  };
  const l = make(left, { me: c.leftAddr, peer: c.rightAddr, mySubnet: c.leftSubnet, peerSubnet: c.rightSubnet });
  const r = make(right, { me: c.rightAddr, peer: c.leftAddr, mySubnet: c.rightSubnet, peerSubnet: c.leftSubnet });
  l.peer = r;
  r.peer = l;
  l.start();
  r.start();
  if (spec.backend === "nokernel") negotiation.begin(l, false);
}

/** Keying on the BSD world: the key manager hangs on `host.keyKernel`, where ipsec_output.ts and ip_spd.ts ask it. */
export function startKeying(world: World, spec: KeyingSpec): void {
  startKeyingOn<Host>(world, spec, (host) => (host.keyKernel = new KeyKernel(host, keyKernelConfig(spec, "bsd"))));
}
