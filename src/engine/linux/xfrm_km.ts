/**
 * The Linux data plane meets the key manager (seed 004, kernel-notes §10.2): pluto and the
 * kernel's XFRM netlink (or af_key PF_KEY) interface from keying/, run on the Linux hosts, and
 * what xfrm_lookup does when a policy's template has no state. Read in torvalds/linux
 * net/xfrm/xfrm_policy.c @0045e3d8:
 *
 * - xfrm_lookup_with_ifid → xfrm_bundle_lookup → xfrm_resolve_and_create_bundle →
 *   xfrm_tmpl_resolve_one → xfrm_state_find: no VALID state for the template → km_query (the
 *   ACQ state and XFRM_MSG_ACQUIRE, keying/kernel.ts `raise`), -EAGAIN;
 * - then "make_dummy_bundle": xfrm_create_dummy_bundle gives a bundle with a route and output
 *   `xdst_queue_output` only when the caller passed XFRM_LOOKUP_QUEUE and
 *   `sysctl_larval_drop` is 0; otherwise back in xfrm_lookup_with_ifid `route == NULL &&
 *   num_xfrms > 0` → larval_drop ? -EREMOTE : -EAGAIN;
 * - both callers here pass XFRM_LOOKUP_QUEUE: xfrm_lookup_route (a local sender, from
 *   ip_route_output_flow) ORs it in, and __xfrm_route_forward passes it; xfrm_lookup_route turns
 *   -EREMOTE into make_blackhole (a dst whose output discards);
 * - xdst_queue_output: the skb joins the policy's hold queue (dropped past XFRM_MAX_QUEUE_LEN)
 *   and the hold timer is armed XFRM_QUEUE_TMO_MIN (HZ/10) ahead; xfrm_policy_queue_process
 *   looks the flow up again: still a dummy bundle → the timeout doubles (purge at
 *   XFRM_QUEUE_TMO_MAX, 60 s); a real bundle → every held skb is looked up and dst_output'd.
 */
import { drop } from "../mbuf/drop";
import { KeyKernel, XFRM_MAX_QUEUE_LEN, type KmDataPlane } from "../keying/kernel";
import { keyKernelConfig, startKeyingOn } from "../keying/pluto";
import type { IpsecRequest, SecAssoc, SecPolicy } from "../netipsec/types";
import type { KeyingSpec } from "../scenario/schema";
import { ip } from "../sim/addr";
import { dst_output, ip_route_output } from "./ip_output";
import { xfrm_lookup } from "./xfrm";
import { kfree_skb, skb_set_dst, type Skb } from "./skb";
import type { DstEntry, LinuxHost, LinuxWorld } from "./world";

/** XFRM_QUEUE_TMO_MIN = HZ/10, in µs of virtual time. */
export const XFRM_QUEUE_TMO_MIN = 100_000;
/** XFRM_QUEUE_TMO_MAX = 60*HZ, in µs. */
export const XFRM_QUEUE_TMO_MAX = 60_000_000;

const kms = new WeakMap<LinuxHost, KeyKernel>();

/** The key manager of a Linux host, when the scenario runs a keying daemon. */
export function kmOf(host: LinuxHost): KeyKernel | undefined {
  return kms.get(host);
}

/** Start pluto and the XFRM key manager on the Linux hosts of a keying scenario. */
export function startLinuxKeying(world: LinuxWorld, spec: KeyingSpec): void {
  startKeyingOn<LinuxHost>(world, spec, (host) => {
    // Held packets live on the policy's queue here (xdst_queue_output), never on the ACQ state.
    const plane: KmDataPlane = { resend: () => undefined, fwdUsed: true, name: "Linux XFRM" };
    const k = new KeyKernel(host, keyKernelConfig(spec, "linux"), plane);
    kms.set(host, k);
    return k;
  });
}

/** A dst that stands for "no state yet": make_blackhole's, or xfrm_create_dummy_bundle's queue bundle. */
interface LarvalDst {
  readonly kind: "blackhole" | "queue";
  readonly policy: SecPolicy;
  readonly req: IpsecRequest;
}

const larval = new WeakMap<DstEntry, LarvalDst>();

/** The policy hold queue (struct xfrm_policy_queue): skbs, and the timer's current timeout. */
interface PolicyQueue {
  readonly skbs: Skb[];
  timeout: number;
  armed: boolean;
}

const queues = new WeakMap<SecPolicy, PolicyQueue>();

/**
 * xfrm_state_find for a tunnel template (id.daddr = the peer gateway, saddr = us): the state the
 * kernel prefers — host.sad is kept mature-first, newest first by the key manager — or none.
 */
export function xfrm_state_find(host: LinuxHost, req: IpsecRequest): SecAssoc | undefined {
  return host.sad.find((s) => s.proto === req.proto && s.mode === req.mode && s.src === req.tunnelSrc && s.dst === req.tunnelDst);
}

/**
 * The template could not be resolved and a key manager runs: km_query (keying/kernel.ts `raise`)
 * and the dst the caller gets — make_blackhole's (larval_drop 1, the default) or the queue
 * bundle (larval_drop 0). Returns undefined when no key manager runs (the plain -EAGAIN drop).
 */
export function xfrm_larval_dst(
  host: LinuxHost,
  dst: DstEntry,
  flow: { src: string; dst: string; proto: number },
  sp: SecPolicy,
  req: IpsecRequest,
): DstEntry | undefined {
  const km = kmOf(host);
  if (!km) return undefined;
  km.raise(null, sp, req, flow, { acquireFn: "xfrm_state_find" });
  const kind = km.config.larvalDrop ? "blackhole" : "queue";
  const site = host.site("ipsec", kind === "blackhole" ? "xfrm_lookup_route" : "xfrm_create_dummy_bundle");
  const d: DstEntry = { ...dst, id: host.world.nextDstId() };
  larval.set(d, { kind, policy: sp, req });
  site.emit(
    null,
    {
      kind: "decision",
      check: "xfrm-lookup",
      question: "Must this packet be transformed?",
      consulted: [
        { kind: "sp", id: sp.id, summary: sp.summary },
        { kind: "switch", name: "net.core.xfrm_larval_drop", value: km.config.larvalDrop ? "1" : "0" },
      ],
      branch: kind === "blackhole" ? "blackhole (larval drop)" : "hold queue",
    },
    kind === "blackhole"
      ? site.text`xfrm_lookup: ${sp.summary} has no state yet and xfrm_larval_drop is 1, so xfrm_lookup_with_ifid returns -EREMOTE and xfrm_lookup_route makes a blackhole route: the packet will be built and silently discarded (dst_discard_out).`
      : site.text`xfrm_lookup: ${sp.summary} has no state yet and xfrm_larval_drop is 0: xfrm_create_dummy_bundle gives a bundle whose output is xdst_queue_output — the packet will wait on the policy's hold queue.`,
  );
  return d;
}

/**
 * dst_output on a larval dst: make_blackhole's output is dst_discard_out (the trigger packet
 * dropped, an expected loss while the ACQUIRE is answered), the dummy bundle's is
 * xdst_queue_output. Returns false for any other dst.
 */
export function xfrm_larval_output(host: LinuxHost, skb: Skb): boolean {
  const l = skb.dst ? larval.get(skb.dst) : undefined;
  if (!l) return false;
  if (l.kind === "blackhole") {
    drop(
      host.site("ipsec", "dst_discard_out"),
      skb,
      "ipsec-larval",
      "xfrm_larval_drop=1: -EREMOTE, make_blackhole",
      "dst_discard_out: the blackhole route frees the packet — silently dropped while the key daemon answers the ACQUIRE (LINUX_MIB_XFRMOUTNOSTATES).",
    );
    return true;
  }
  xdst_queue_output(host, skb, l);
  return true;
}

/** xdst_queue_output(net, sk, skb): hold the skb on its policy's queue and arm the hold timer. */
function xdst_queue_output(host: LinuxHost, skb: Skb, l: LarvalDst): void {
  const site = host.site("ipsec", "xdst_queue_output");
  let q = queues.get(l.policy);
  if (!q) queues.set(l.policy, (q = { skbs: [], timeout: 0, armed: false }));
  if (q.skbs.length > XFRM_MAX_QUEUE_LEN) {
    drop(
      site,
      skb,
      "ipsec-hold-queue-full",
      `${q.skbs.length} packets already held`,
      "xdst_queue_output: the hold queue is past XFRM_MAX_QUEUE_LEN: kfree_skb, -EAGAIN.",
    );
    return;
  }
  q.skbs.push(skb);
  if (!q.timeout) q.timeout = XFRM_QUEUE_TMO_MIN;
  site.emit(
    skb,
    { kind: "queue.enqueue", queue: "xfrm policy hold queue", depth: q.skbs.length },
    site.text`xdst_queue_output: the packet joins ${l.policy.id}'s hold queue (${q.skbs.length} held, at most ${XFRM_MAX_QUEUE_LEN}); the hold timer runs xfrm_policy_queue_process in ${q.timeout / 1000} ms.`,
  );
  if (!q.armed) {
    q.armed = true;
    const queue = q;
    host.world.after(q.timeout, () => xfrm_policy_queue_process(host, l, queue));
  }
}

/** xfrm_policy_queue_process (the hold timer): is there a state now? Release everything, or back off. */
function xfrm_policy_queue_process(host: LinuxHost, l: LarvalDst, q: PolicyQueue): void {
  q.armed = false;
  const site = host.site("ipsec", "xfrm_policy_queue_process");
  const sa = xfrm_state_find(host, l.req);
  site.emit(
    q.skbs[0] ?? null,
    {
      kind: "decision",
      check: "xfrm-lookup",
      question: "Hold timer: does the held flow resolve to a real bundle now?",
      consulted: [
        { kind: "sp", id: l.policy.id, summary: l.policy.summary },
        ...(sa ? [{ kind: "sa" as const, id: sa.id, summary: `${sa.enc} ${sa.mode}` }] : []),
      ],
      branch: sa ? "release" : q.timeout >= XFRM_QUEUE_TMO_MAX ? "purge" : "wait longer",
    },
    sa
      ? site.text`xfrm_policy_queue_process: the lookup now finds ${sa.id}, so the ${q.skbs.length} held packet${q.skbs.length === 1 ? "" : "s"} go out through the new bundle.`
      : q.timeout >= XFRM_QUEUE_TMO_MAX
        ? site.text`xfrm_policy_queue_process: still no state after ${q.timeout / 1_000_000} s (XFRM_QUEUE_TMO_MAX): the queue is purged.`
        : site.text`xfrm_policy_queue_process: still only the dummy bundle; the timeout doubles to ${(q.timeout * 2) / 1000} ms.`,
  );
  if (!sa) {
    if (q.timeout >= XFRM_QUEUE_TMO_MAX) {
      q.timeout = 0;
      for (const skb of q.skbs.splice(0))
        drop(site, skb, "ipsec-hold-expired", "XFRM_QUEUE_TMO_MAX with no state", "skb_queue_purge: the held packet is dropped.");
      return;
    }
    q.timeout *= 2;
    q.armed = true;
    host.world.after(q.timeout, () => xfrm_policy_queue_process(host, l, q));
    return;
  }
  q.timeout = 0;
  const held = q.skbs.splice(0);
  held.forEach((skb, i) => {
    site.emit(
      skb,
      { kind: "queue.dequeue", queue: "xfrm policy hold queue", depth: held.length - i - 1 },
      "__skb_dequeue: the held packet is looked up again (xfrm_lookup) and sent with dst_output.",
    );
    const data = skb.bytes();
    const src = `${data[12]}.${data[13]}.${data[14]}.${data[15]}`;
    const dst = `${data[16]}.${data[17]}.${data[18]}.${data[19]}`;
    // xfrm_dst_path(skb_dst(skb)): the plain route under the dummy bundle.
    const route = ip_route_output(host, ip(dst));
    if (!route) {
      kfree_skb(site, skb, "no route", "The held packet has no route any more.");
      return;
    }
    // xfrm_lookup(net, xfrm_dst_path(skb_dst(skb)), &fl, skb->sk, 0), then skb_dst_set and dst_output.
    const b = xfrm_lookup(host, route, { src, dst, proto: data[9]! });
    if (!b) {
      kfree_skb(site, skb, "lookup failed", "xfrm_lookup failed for the held packet: kfree_skb.");
      return;
    }
    skb_set_dst(site, skb, b, "skb_dst_drop + skb_dst_set: the new bundle");
    dst_output(host, skb);
  });
}
