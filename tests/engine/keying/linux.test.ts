/**
 * Keying on the Linux data plane (issue 15): on `linux-xfrm`, pluto's trap policy meets
 * xfrm_lookup, km_query raises XFRM_MSG_ACQUIRE, the trigger packet is blackholed (larval_drop
 * 1) or held on the policy queue (larval_drop 0) and released by the hold timer, and the SAs
 * pluto installs carry ESP in tunnel mode on the skb — checked against the key bytes pluto sent
 * in XFRM_MSG_NEWSA, so a wrong key, a wrong layout or a cleartext packet fails here.
 */
import { describe, expect, it } from "vitest";
import { espOpen } from "../../../src/engine/crypto/esp";
import { parseIpv4 } from "../../../src/engine/wire/ipv4";
import { parseXfrm, type CRecord } from "../../../src/engine/wire/xfrm_nl";
import { parsePfkey, pfkeySummary } from "../../../src/engine/wire/pfkey";
import { pfkeyFlavourOf } from "../../../src/engine/keying/pluto";
import type { ScenarioTrace } from "../../../src/engine";
import { bytesOf, decisions, eventsOf, findingIds, runBuiltin, severityOf, transmitted } from "../../helpers/trace";

const LINUX = { personality: "linux-xfrm" } as const;

/** The kernel names of the key messages delivered on `host`, in order. */
function messages(trace: ScenarioTrace, host: string): string[] {
  return eventsOf(trace, "deliver")
    .filter((e) => e.host === host && /NETLINK_XFRM|PF_KEY/.test(e.socket))
    .map((e) => e.summary.split(" ")[0]!);
}

/** SPI → AEAD key of every NEWSA/UPDSA pluto wrote, read back from the message bytes the kernel received. */
function installedKeys(trace: ScenarioTrace): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>();
  for (const e of eventsOf(trace, "deliver").filter((x) => x.socket === "NETLINK_XFRM (kernel)")) {
    const p = parseXfrm(bytesOf(trace, e));
    if (!p.ok || (p.value.type !== "NEWSA" && p.value.type !== "UPDSA")) continue;
    const aead = p.value.attrs.find((a) => a.type === "ALG_AEAD");
    if (aead && aead.type === "ALG_AEAD") keys.set((p.value.body["id"] as CRecord)["spi"] as number, aead.alg.key);
  }
  return keys;
}

describe("libreswan-ondemand @linux-xfrm (xfrm_larval_drop=1)", () => {
  const t = runBuiltin("libreswan-ondemand", LINUX);

  it("narrates the §10.2 sequence on west by kernel name, as on the BSD model of XFRM", () => {
    const west = messages(t, "west");
    expect(west.slice(0, 15)).toEqual([
      "XFRM_MSG_UPDPOLICY",
      "NLMSG_ERROR",
      "XFRM_MSG_ACQUIRE",
      "XFRM_MSG_ALLOCSPI",
      "XFRM_MSG_NEWSA",
      "XFRM_MSG_NEWSA",
      "NLMSG_ERROR",
      "XFRM_MSG_UPDSA",
      "NLMSG_ERROR",
      "XFRM_MSG_UPDPOLICY",
      "NLMSG_ERROR",
      "XFRM_MSG_UPDPOLICY",
      "NLMSG_ERROR",
      "XFRM_MSG_UPDPOLICY",
      "NLMSG_ERROR",
    ]);
    expect(west).toEqual(expect.arrayContaining(["XFRM_MSG_EXPIRE", "XFRM_MSG_DELSA"]));
  });

  it("raises the ACQUIRE from xfrm_state_find before the skb exists, and discards the trigger through make_blackhole", () => {
    const acq = decisions(t, "km-acquire").filter((d) => d.host === "west" && d.fn === "xfrm_state_find");
    expect(acq.map((d) => d.branch)).toEqual(["ACQUIRE sent"]);
    const lookup = decisions(t, "xfrm-lookup").find((d) => d.fn === "xfrm_lookup_route")!;
    expect(lookup.branch).toBe("blackhole (larval drop)");
    expect(lookup.consulted).toContainEqual({ kind: "switch", name: "net.core.xfrm_larval_drop", value: "1" });
    // The ACQUIRE is sent in the lookup, the packet is built after it and then discarded.
    const alloc = eventsOf(t, "mbuf.alloc").find((e) => e.fn === "ip_append_data")!;
    expect(acq[0]!.seq).toBeLessThan(alloc.seq);
    expect(eventsOf(t, "drop").map((d) => [d.host, d.fn, d.reason])).toEqual([["west", "dst_discard_out", "ipsec-larval"]]);
    expect(severityOf(t, "acquire-trigger-dropped")).toBe("info");
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 14, delivered: 13 });
  });

  it("sends every later echo as ESP in tunnel mode that opens with the key pluto gave the kernel", () => {
    const keys = installedKeys(t);
    expect(keys.size).toBe(4); // two pairs: the first and the rekeyed one
    const onWire = transmitted(t);
    expect(onWire).toHaveLength(2 * 13);
    for (const w of onWire) {
      const outer = parseIpv4(w.bytes);
      if (!outer.ok) throw new Error(outer.error.message);
      expect(outer.value.protocol).toBe(50);
      expect([outer.value.src, outer.value.dst].sort()).toEqual(["192.0.2.1", "192.0.2.2"]);
      const esp = w.bytes.slice(20);
      const spi = new DataView(esp.buffer, esp.byteOffset).getUint32(0);
      const key = keys.get(spi);
      if (!key) throw new Error(`no NEWSA/UPDSA for SPI 0x${spi.toString(16)}`);
      const opened = espOpen({ enc: "aes-gcm-16", encKey: key, auth: "none", authKey: new Uint8Array(0) }, esp);
      if (!opened.ok) throw new Error(opened.detail);
      expect(opened.nextHeader).toBe(4); // IPPROTO_IPIP: the payload is the whole inner packet
      const inner = parseIpv4(opened.payload);
      if (!inner.ok) throw new Error(inner.error.message);
      expect(inner.value.protocol).toBe(1);
      expect(inner.value.src).toBe(outer.value.src);
      expect(inner.value.totalLength).toBe(84);
    }
  });

  it("decapsulates at the receiver and checks the inner packet against the IN policy's tunnel template", () => {
    const checks = decisions(t, "xfrm-policy-check").filter((d) => d.host === "east" && d.fn === "__xfrm_policy_check");
    expect(checks.length).toBe(13);
    expect(checks.every((d) => d.branch === "accept" && d.note.includes("matched by the sec_path"))).toBe(true);
    expect(eventsOf(t, "mbuf.adj").some((e) => e.fn === "xfrm4_remove_tunnel_encap")).toBe(true);
  });

  it("rekeys after the soft packet limit: the SPI on the wire changes", () => {
    expect(decisions(t, "km-expire").some((d) => d.host === "west" && d.branch === "soft expire")).toBe(true);
    const spis = transmitted(t)
      .filter((w) => w.event.host === "west")
      .map((w) => new DataView(w.bytes.buffer, w.bytes.byteOffset + 20).getUint32(0));
    expect(new Set(spis).size).toBe(2);
  });
});

describe("the switches @linux-xfrm", () => {
  it("xfrm_larval_drop=0: xdst_queue_output holds the first ping; the hold timer releases it XFRM_QUEUE_TMO_MIN later", () => {
    const t = runBuiltin("ondemand-queue", LINUX);
    const enq = eventsOf(t, "queue.enqueue").filter((e) => e.queue === "xfrm policy hold queue");
    const deq = eventsOf(t, "queue.dequeue").filter((e) => e.queue === "xfrm policy hold queue");
    expect(enq.map((e) => e.fn)).toEqual(["xdst_queue_output"]);
    expect(deq.map((e) => e.fn)).toEqual(["xfrm_policy_queue_process"]);
    expect(deq[0]!.t - enq[0]!.t).toBe(100_000); // HZ/10
    expect(eventsOf(t, "drop")).toHaveLength(0);
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 14, delivered: 14 });
  });

  it("libreswan-subnets: ip_forward's FWD check accepts the decapsulated echo at east; b gets it in the clear", () => {
    const t = runBuiltin("libreswan-subnets", LINUX);
    const fwd = decisions(t, "xfrm-policy-check").filter((d) => d.host === "east" && d.question.includes("FWD"));
    expect(fwd.length).toBeGreaterThan(0);
    const withPolicy = fwd.filter((d) => d.consulted.some((c) => c.kind === "sp"));
    expect(withPolicy).toHaveLength(5); // the five echoes that came out of the tunnel
    expect(withPolicy.every((d) => d.branch === "accept")).toBe(true);
    expect(transmitted(t, "net0").every((w) => w.bytes[9] === 50)).toBe(true);
    expect(transmitted(t, "lan-east").every((w) => w.bytes[9] === 1)).toBe(true);
    expect(eventsOf(t, "drop").map((d) => [d.host, d.reason])).toEqual([["west", "ipsec-larval"]]);
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 6, delivered: 5 });
  });

  it("bsdkame-2020 over af_key: one ACQUIRE (the ACQ state holds for acq_expires), discarded — the tunnel never comes up", () => {
    const t = runBuiltin("ondemand-bsdkame", LINUX);
    expect(eventsOf(t, "mbuf.alloc").filter((e) => e.host === "west" && e.fn === "pfkey_send_acquire")).toHaveLength(1);
    expect(decisions(t, "km-acquire").some((d) => d.branch === "discarded")).toBe(true);
    expect(t.outcome).toMatchObject({ verdict: "dropped", delivered: 0 });
    expect(findingIds(t)).toEqual(expect.arrayContaining(["acquire-discarded", "acquire-never-answered"]));
  });

  it("pfkeyv2 over Linux af_key: the messages carry Linux sockaddrs (u16 family first), which the inspector and capture decode", () => {
    const t = runBuiltin("ondemand-pfkeyv2", LINUX);
    expect(pfkeyFlavourOf("linux-xfrm")).toBe("linux");
    expect(pfkeyFlavourOf("netbsd-2003")).toBe("bsd");
    const delivered = eventsOf(t, "deliver").filter((e) => /PF_KEY/.test(e.socket));
    expect(delivered.length).toBeGreaterThan(20);
    for (const e of delivered) {
      const p = parsePfkey(bytesOf(t, e), "linux");
      if (!p.ok) throw new Error(p.error.message);
      expect(pfkeySummary(p.value)).toBe(e.summary);
    }
    const acquire = delivered.find((e) => e.summary.startsWith("SADB_ACQUIRE"))!;
    expect(eventsOf(t, "mbuf.alloc").find((e) => e.seq < acquire.seq && e.fn === "pfkey_send_acquire")).toBeDefined();
    expect(t.outcome).toMatchObject({ verdict: "secure", delivered: 13 });
  });

  it("nokernel: no policy reaches the kernel, the pings leave in cleartext, the verdict is insecure", () => {
    const t = runBuiltin("ondemand-nokernel", LINUX);
    expect(messages(t, "west")).toEqual([]);
    expect(transmitted(t).every((w) => w.bytes[9] === 1)).toBe(true);
    expect(t.outcome.verdict).toBe("insecure");
    expect(severityOf(t, "sa-never-installed")).toBe("critical");
  });
});
