/**
 * Built-in lessons, one per story. Every stop's text must be true of the run at that stop (its
 * scenario, kernel and fixes): tests/lessons/builtins.test.ts runs each lesson and checks each
 * stop's key and the claims its text makes against the event there. Sources are those of the
 * scenarios they walk through (kernel-notes §2, §7–§10; seeds 000–004).
 */
import type { Lesson } from "./schema";

/** Seeds 000/001: Stone's eight steps (tech-net, 2003-08-18), the question at icmp_reflect, the fix, what it leaves. */
const LO0_2003: Lesson = {
  version: 1,
  title: "The 2003 lo0 bug, in Stone's eight steps",
  summary:
    "An ESP-protected ping to 127.0.0.1 on NetBSD's 2003 FAST_IPSEC: the echo reply is reflected in the request's own mbuf, still carrying its tags, and leaves without ESP. Jonathan Stone's root-cause analysis, step by step, then the fix he proposed.",
  scenario: "lo0-esp-ping",
  fixes: [],
  stops: [
    {
      key: "1/host app ping app.send /0",
      text: "**Stone step 1.** `ping` sends an ICMP echo request to 127.0.0.1 on a raw socket.\n\nThe policy (setkey) says *every* packet between 127.0.0.1 and itself must be ESP: `esp/transport//require`, out and in. Source and destination are the same host, so the request and the reply use the **same SA**, SPI 0x1000.",
    },
    {
      key: "1/host ipsec ipsec_process_done tag.prepend /0",
      text: "**Stone step 2.** ip_output applies IPsec: esp_output encrypts, and when the crypto callback is done `ipsec_process_done` prepends an `IPSEC_OUT_DONE` tag naming the SA {127.0.0.1, esp, 0x1000} — a note that output IPsec *has been done*, so the next ip_output pass does not encrypt again.",
    },
    {
      key: "1/host link bpf_mtap link.tx /0",
      text: "**Stone step 3.** The ESP packet crosses lo0: ciphertext on the wire, as the policy wants. But in 2003 `looutput` queues the mbuf back up the stack **complete with its tags**: the `OUT_DONE` tag rides along.",
    },
    {
      key: "1/host ip ip_input decision pr-lasthdr/0",
      text: '**Stone step 4.** ip_input sees an ESP packet for this host. In the code, no policy check happens here (the ESP protosw lacks `PR_LASTHDR`, in_proto.c); the packet goes straight to `esp4_input`. Stone\'s "it matches a policy" happens later, for the decrypted inner packet.',
    },
    {
      key: "1/host ipsec ipsec4_common_input_cb tag.prepend /0",
      text: "**Stone step 5.** The ICV verifies, the payload is decrypted (`M_DECRYPTED` is set) and `ipsec4_common_input_cb` prepends `IPSEC_IN_DONE` {127.0.0.1, esp, 0x1000}. The one mbuf now carries **both** tags: output done *and* input done.",
    },
    {
      key: "1/host icmp icmp_input field.set /0",
      text: "**Stone step 6.** icmp_input answers the echo request itself: it turns it into an echo reply **in place** and hands the *same mbuf* — tags, flags and all — to `icmp_reflect`.",
    },
    {
      key: "1/host icmp icmp_reflect flag.clear /0",
      text: "**Stone step 7.** icmp_reflect swaps the addresses and clears only `M_BCAST|M_MCAST`. The reply still holds `OUT_DONE`, `IN_DONE` and `M_DECRYPTED` from the request. Next it goes to ip_output.",
      question: {
        kind: "choice",
        prompt: "The policy says the reply must be ESP. Will the reply be encrypted?",
        choices: [
          "Yes: ip_output finds the policy and applies ESP, as it did for the request",
          "No: ip_output's loop check finds the request's OUT_DONE tag for the same SA and skips ESP",
          "It is dropped, because the policy requires ESP and there is no SA",
        ],
        answer: 1,
        why: "ip_output.c 1.120 skips IPsec when an OUT_DONE tag names the SA the policy uses. The stale tag from the request names exactly that SA (the same SA both ways on lo0), so the reply is taken for a packet that has already been encrypted.",
      },
    },
    {
      key: "1/host ip ip_output decision ipsec-loop/2",
      text: "**Stone step 8.** The outbound echo reply still bears tags saying IPsec output and input *have been done*. The loop check finds the **stale** `OUT_DONE` {127.0.0.1, esp, 0x1000}, equal to the SA the policy uses, and skips IPsec (`goto spd_done`).",
    },
    {
      key: "1/host link bpf_mtap link.tx /1",
      text: "The reply crosses lo0 **in cleartext** — an ICMP echo reply anyone on the box can read with `tcpdump -i lo0` — carrying the two stale tags.",
    },
    {
      key: "1/host ipsec ipsec_in_reject decision ipsec-in-reject/1",
      text: "On the way in, the stale `IN_DONE` tag chooses the policy through `ipsec_getpolicy`: no SP matches it, so the default policy (none) applies and `ipsec_in_reject` **accepts** the cleartext reply. ping succeeds while the policy says *require*: the run's verdict is *insecure*.",
    },
    {
      key: "1/host icmp icmp_reflect tag.deleteNonpersistent /0",
      state: { fixes: ["icmp-reflect-strips-tags"] },
      text: '**The fix Stone proposed**: icmp_reflect strips all packet tags (`m_tag_delete_nonpersistent`, which on NetBSD deletes the whole chain), "giving reflected ICMP packets the same semantics as they would get from a userspace icmp-reflection daemon". The fix is now on: here the tags are deleted.',
    },
    {
      key: "1/host ip ip_output decision ipsec-loop/2",
      text: "With no tags left, the same loop check finds no `OUT_DONE` and **applies IPsec**: the reply is encrypted with SA 0x1000, crosses lo0 as ESP and is decrypted and accepted legitimately. The verdict is *secure*.",
      question: {
        kind: "predict",
        prompt: 'Predict the next step: what does ip_output do now that the loop check says "apply IPsec"?',
        why: "key_checkrequest finds the SA (esp 0x1000) and caches it in the request; esp_output follows, as for the request.",
      },
    },
    {
      key: "1/host icmp icmp_reflect flag.clear /0",
      text: "**What the fix leaves.** icmp_reflect still clears only `M_BCAST|M_MCAST`: the reply keeps a *stale* `M_DECRYPTED` from the request (see the flags on the packet). Here nothing reads it, but a later check that trusts m_flags (raw_ip's `ipsec4_in_reject`, 2008) would. tagflow's fix `icmp-reflect-clears-ipsec-flags` clears it too.",
    },
  ],
};

/** Seed 002: KLIPS on Linux 2.2 and a 1500-byte DF packet (RGB's 1999 mail; Alan Cox's fix). */
const KLIPS: Lesson = {
  version: 1,
  title: "KLIPS and the big packet (Linux 2.2, 1999)",
  summary:
    "FreeS/WAN's KLIPS encrypts on a virtual device, ipsec0. A 1500-byte packet with DF set grows by 36 bytes of ESP and no longer fits eth0. Which MTU does the kernel read, and which device does the fragment go to?",
  scenario: "klips-bigpackets",
  stops: [
    {
      key: "1/west app udp_sendmsg app.send /0",
      text: "west sends a 1472-byte UDP datagram with DF set (`IP_PMTUDISC_DO`): 1500 bytes of IP, exactly eth0's MTU. The route to east (198.51.100.2, behind router r1) goes *via ipsec0*, KLIPS's virtual device.",
    },
    {
      key: "1/west ipsec ipsec_xmit_encap_bundle decision klips-mtu/0",
      text: "ESP adds 16 bytes in front and 20 behind: the 1500-byte packet becomes **1536** bytes, against eth0's physical MTU of 1500. KLIPS ratchets its private MTU down to 1463 but sends this packet anyway.",
    },
    {
      key: "1/west ipsec ipsec_tunnel_start_xmit field.set /0",
      text: "KLIPS 1999 hands the ESP packet to the physical device: `skb->dev = eth0`. But `skb->dst` — the route — still says *via ipsec0*. Two fields now disagree about where the packet is going.",
      question: {
        kind: "choice",
        prompt: "1536 bytes do not fit eth0. ip_fragment() is called with skb->dst->output. Where do the fragments go?",
        choices: [
          "Out of eth0, as two fragments",
          "Back into ipsec0, to be encrypted again",
          "Nowhere: DF is set, so they are dropped with an ICMP error",
        ],
        answer: 1,
        why: 'The output function comes from skb->dst, the route via ipsec0, and ip_finish_output resets skb->dev from skb->dst->dev. The encrypted fragment re-enters ipsec0 (RGB 1999: "The output function passed to ip_fragment() was skb->dst->output()").',
      },
    },
    {
      key: "1/west ip ip_fragment decision mtu/0",
      text: "`ip_fragment` sizes the pieces from `skb->dst->pmtu` (the ipsec0 route, 1500), not from the device: 1536 bytes become 1500 + 56. It never looks at DF.",
    },
    {
      key: "1/west ipsec ipsec_tunnel_start_xmit decision klips-recursion/0",
      text: "An encrypted fragment re-enters ipsec0: KLIPS would encrypt its own fragment again, and again. The modelled kernel oopses — the run's verdict is *crash*.",
    },
    {
      key: "1/west ipsec ipsec_tunnel_send decision klips-recursion/0",
      state: { personality: "linux-2.2-klips-2003" },
      text: "**Alan Cox's fix, as shipped** (kernel *KLIPS 2003*): ipsec0 gets a huge MTU (16260) and `ipsec_tunnel_send` routes the ESP packet afresh *via eth0*, so `skb->dst` and `skb->dev` agree again.",
    },
    {
      key: "1/west ip ip_send decision mtu/0",
      text: "Now `ip_send` compares 1536 with the eth0 route's MTU, 1500, and fragments **after encryption**, towards eth0. DF is not copied into the fragments, and with `sysctl_ipsec_icmp` = 0 KLIPS sends no ICMP: the sender is never told its packet was too big.",
    },
    {
      key: "1/east ip ip_defrag decision ip-defrag/2",
      text: "r1 cut the 1500-byte fragment again for its 1400-byte link (DF is clear, so it may), and east reassembles the three pieces into the 1536-byte ESP packet, then decrypts it and delivers the datagram. It works — at the price of fragments on the wire for every full-size packet.",
    },
  ],
};

/** Seed 003: OpenBSD's tags as records (Keromytis, BSDCon 2003). */
const OPENBSD: Lesson = {
  version: 1,
  title: "OpenBSD: tags as records of what was done",
  summary:
    "Keromytis (BSDCon 2003): a tag is a record of processing already applied, or a reminder of work to do. Two OpenBSD hosts ping over ESP; watch which record each decision consults, and how a forged cleartext packet is caught.",
  scenario: "openbsd-records",
  stops: [
    {
      key: "1/west ipsec ipsp_process_done tag.prepend /0",
      text: "After ESP output, `ipsp_process_done` prepends an `OUT_DONE` **record**: {10.0.0.2, esp, 0x1001} *has been applied* to this packet.",
    },
    {
      key: "1/west ip ip_output decision ipsec-loop/1",
      text: "The packet comes back to ip_output. Loop detection finds the `OUT_DONE` record naming this very TDB, so IPsec is not applied twice: the record does its job.",
    },
    {
      key: "1/east ipsec ipsec_common_input_cb tag.prepend /0",
      text: "On east, after decryption, `ipsec_common_input_cb` prepends an `IN_DONE` record: this packet came in through esp 0x1001. Tags never cross the wire; each host keeps its own records.",
    },
    {
      key: "1/east ipsec ipsp_spd_lookup decision ipsec-in-reject/0",
      text: "The policy check for the inner ICMP packet is handed the TDB from the `IN_DONE` record and compares it with what the flow requires: the ESP it wants. **Accept.**",
      question: {
        kind: "choice",
        prompt: "Later, an attacker on net0 injects a cleartext echo request claiming to come from 10.0.0.1. What will east do?",
        choices: [
          "Answer it: the addresses match the flow",
          "Reject it: it carries no IN_DONE record, so it did not come through IPsec",
          "Decrypt it first",
        ],
        answer: 1,
        why: "The input check asks the record which TDB protected the packet. A packet that never went through ESP has no IN_DONE record, and a flow that requires ESP rejects it.",
      },
    },
    {
      key: "1/east icmp icmp_reflect flag.clear /0",
      text: "east reflects the request in place, like NetBSD. `M_DECRYPTED` stays set from the request — a stale flag — but the reply uses a different SA (0x1002, east→west), and ip_output on east finds no `OUT_DONE` record here: the reply is encrypted.",
    },
    {
      key: "2/east ipsec ipsp_spd_lookup decision ipsec-in-reject/1",
      text: "The forged cleartext request arrives. No `IN_DONE` record: ipsp_spd_lookup is given no TDB, the flow requires ESP, and the packet is **rejected** and dropped. The verdict is *secure*.",
    },
  ],
};

/** Seed 004: libreswan and the kernel on demand (XFRM netlink). */
const ONDEMAND: Lesson = {
  version: 1,
  title: "libreswan on demand: the first ping and the ACQUIRE",
  summary:
    "No SA exists until traffic asks for one. pluto installs only policies; the first ping makes the kernel send an ACQUIRE, pluto negotiates, and the SAs arrive as netlink messages. What becomes of the ping that started it?",
  scenario: "libreswan-ondemand",
  stops: [
    {
      key: "0/west ipsec xfrm_user_rcv_msg deliver /0",
      text: "Before any traffic, pluto installs an **outbound policy** on west with an `XFRM_MSG_UPDPOLICY` netlink message. There is no SA yet.",
    },
    {
      key: "1/west ipsec xfrm_state_find decision km-acquire/0",
      text: "The first ping matches the policy, and no SA exists for it. The kernel sends an `XFRM_MSG_ACQUIRE` to the key daemon: *please negotiate one*.",
      question: {
        kind: "choice",
        prompt: "What happens to this first ping while pluto negotiates?",
        choices: ["It waits in the kernel and leaves encrypted once the SA exists", "It is sent in cleartext", "It is dropped"],
        answer: 2,
        why: "With xfrm_larval_drop = 1 (the default), xfrm_lookup returns -EREMOTE and the packet goes to a blackhole route. (The built-in ondemand-queue shows xfrm_larval_drop = 0, where it is held.)",
      },
    },
    {
      key: "1/west ipsec xfrm_lookup drop /0",
      text: "The first ping is **dropped**: `xfrm_larval_drop` is 1, so the packet goes to a blackhole route while the ACQUIRE is answered.",
    },
    {
      key: "1/west app netlink_acquire decision km-acquire/0",
      text: "pluto reads the ACQUIRE from its netlink socket; it matches the on-demand connection, so pluto starts IKE.",
    },
    {
      key: "1/west ipsec xfrm_add_sa decision km-install/0",
      text: "The negotiated SA arrives as `XFRM_MSG_NEWSA`. Its `km.seq` matches the larval ACQ state the kernel made for the ACQUIRE, so the new SA **replaces** it.",
    },
    {
      key: "1/west app install_ipsec_sa decision km-install/0",
      text: "Both SAs (`NEWSA`, `UPDSA`) and the in, fwd and out policies (`UPDPOLICY`) are installed, each acknowledged by the kernel. The tunnel is up.",
    },
    {
      key: "2/west link ether_output link.tx /0",
      text: "The second ping finds the SA and leaves west as **ESP in tunnel mode**. Only the pings after the first get through; the run's verdict is *secure*, with a finding for the dropped trigger packet.",
    },
  ],
};

/** Built-in lessons by id, in the order the Lessons list shows them. */
export const BUILTIN_LESSONS: readonly { readonly id: string; readonly lesson: Lesson }[] = [
  { id: "lo0-2003", lesson: LO0_2003 },
  { id: "klips-bigpackets", lesson: KLIPS },
  { id: "openbsd-records", lesson: OPENBSD },
  { id: "libreswan-ondemand", lesson: ONDEMAND },
];

export function builtinLesson(id: string): Lesson | undefined {
  return BUILTIN_LESSONS.find((b) => b.id === id)?.lesson;
}
