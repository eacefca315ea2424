/**
 * The libreswan on-demand story (kernel-notes §10.6) end to end: every message pluto and the
 * kernel exchange is in the trace as bytes that decode to the message it is narrated as, and the
 * outcome per kernel_ops backend / sysctl is what the issue asks for.
 */
import { describe, expect, it } from "vitest";
import { parsePfkey, pfkeySummary } from "../../../src/engine/wire/pfkey";
import { parseXfrm, xfrmMonitorText, xfrmSummary } from "../../../src/engine/wire/xfrm_nl";
import { bytesOf, decisions, eventsOf, findingIds, runBuiltin, severityOf, transmitted } from "../../helpers/trace";
import type { ScenarioTrace } from "../../../src/engine";

/** The kernel names of the messages delivered, in order, on `host` ("XFRM_MSG_ACQUIRE", …). */
function messages(trace: ScenarioTrace, host: string): string[] {
  return eventsOf(trace, "deliver")
    .filter((e) => e.host === host && /NETLINK_XFRM|PF_KEY/.test(e.socket))
    .map((e) => e.summary.split(" ")[0]!);
}

const trace = runBuiltin("libreswan-ondemand");

describe("libreswan-ondemand (XFRM, xfrm_larval_drop=1)", () => {
  it("exchanges the §10.2 sequence on west, each message by its kernel name", () => {
    const west = messages(trace, "west");
    const first = west.slice(0, 24);
    expect(first).toEqual([
      "XFRM_MSG_UPDPOLICY", // t1 trap OUT, kernel side
      "NLMSG_ERROR", // its ACK
      "XFRM_MSG_ACQUIRE", // t2, pluto side
      "XFRM_MSG_ALLOCSPI", // t4
      "XFRM_MSG_NEWSA", // reply: the larval SA and its SPI
      "XFRM_MSG_NEWSA", // t5 outbound
      "NLMSG_ERROR",
      "XFRM_MSG_UPDSA", // inbound, filling the larval SA
      "NLMSG_ERROR",
      "XFRM_MSG_UPDPOLICY", // IN
      "NLMSG_ERROR",
      "XFRM_MSG_UPDPOLICY", // FWD
      "NLMSG_ERROR",
      "XFRM_MSG_UPDPOLICY", // OUT, replacing the trap
      "NLMSG_ERROR",
      "XFRM_MSG_EXPIRE", // t7 soft expiry after 10 packets
      "XFRM_MSG_ALLOCSPI", // rekey
      "XFRM_MSG_NEWSA",
      "XFRM_MSG_NEWSA",
      "NLMSG_ERROR",
      "XFRM_MSG_UPDSA",
      "NLMSG_ERROR",
      "XFRM_MSG_DELSA", // the replaced pair
      "XFRM_MSG_DELSA",
    ]);
  });

  it("carries real bytes: every message's packet version parses to the message it is narrated as", () => {
    const delivered = eventsOf(trace, "deliver").filter((e) => /NETLINK_XFRM/.test(e.socket));
    expect(delivered.length).toBeGreaterThan(40);
    for (const e of delivered) {
      const p = parseXfrm(bytesOf(trace, e));
      if (!p.ok) throw new Error(p.error.message);
      expect(xfrmSummary(p.value)).toBe(e.summary);
    }
    const acquire = delivered.find((e) => e.summary.startsWith("XFRM_MSG_ACQUIRE"))!;
    const p = parseXfrm(bytesOf(trace, acquire));
    expect(p.ok && xfrmMonitorText(p.value)).toBe(
      [
        "acquire proto esp ",
        "  sel src 192.0.2.1/32 dst 192.0.2.2/32 proto icmp type 8 code 0 ",
        "  policy src 192.0.2.1/32 dst 192.0.2.2/32 ",
        "    \tdir out priority 2084814 ptype main ",
        "    \ttmpl src 192.0.2.1 dst 192.0.2.2",
        "    \t\tproto esp reqid 16389 mode tunnel",
        "",
        "",
      ].join("\n"),
    );
    expect(bytesOf(trace, acquire).length).toBe(16 + 280 + 68 + 12);
  });

  it("drops the trigger packet, then protects every later echo with ESP both ways", () => {
    const drops = eventsOf(trace, "drop");
    expect(drops.map((d) => [d.host, d.reason])).toEqual([["west", "ipsec-larval"]]);
    const onWire = transmitted(trace);
    expect(onWire.length).toBe(2 * 13);
    expect(onWire.every((w) => w.bytes[9] === 50)).toBe(true);
    expect(trace.outcome).toMatchObject({ verdict: "secure", sent: 14, delivered: 13 });
    expect(severityOf(trace, "acquire-trigger-dropped")).toBe("info");
  });

  it("matches the reply to the larval state by km.seq and rekeys with new SPIs", () => {
    const install = decisions(trace, "km-install").filter((d) => d.branch === "replace ACQ");
    expect(install).toHaveLength(1);
    expect(install[0]!.note).toContain("km.seq 1 matches the ACQ state");
    const spis = decisions(trace, "ipsec-out-sa")
      .filter((d) => d.host === "west")
      .map((d) => d.branch)
      .filter((b) => b.startsWith("use"));
    const distinct = [...new Set(spis)];
    expect(distinct).toHaveLength(2); // the first SA, then the rekeyed one
    expect(spis.filter((s) => s === distinct[0])).toHaveLength(11); // soft limit 10: the 11th use triggers EXPIRE
    const states = eventsOf(trace, "sa.update")
      .filter((e) => e.host === "west" && e.field === "state")
      .map((e) => e.value);
    expect(states).toEqual(expect.arrayContaining(["acq", "larval", "mature", "dying", "dead"]));
  });
});

describe("the switches", () => {
  it("xfrm_larval_drop=0 holds the first ping on the policy queue and releases it", () => {
    const t = runBuiltin("ondemand-queue");
    expect(eventsOf(t, "queue.enqueue").filter((e) => e.queue === "xfrm policy hold queue")).toHaveLength(1);
    expect(eventsOf(t, "queue.dequeue").filter((e) => e.queue === "xfrm policy hold queue")).toHaveLength(1);
    expect(eventsOf(t, "drop")).toHaveLength(0);
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 14, delivered: 14 });
  });

  it("pfkeyv2 (2022) runs the same story over PF_KEY with BSD sockaddrs", () => {
    const t = runBuiltin("ondemand-pfkeyv2");
    const west = messages(t, "west");
    expect(west.slice(0, 8)).toEqual([
      "SADB_REGISTER",
      "SADB_REGISTER",
      "SADB_X_SPDADD",
      "SADB_X_SPDADD",
      "SADB_ACQUIRE",
      "SADB_GETSPI",
      "SADB_GETSPI",
      "SADB_ADD",
    ]);
    expect(west).toContain("SADB_UPDATE");
    expect(west).toContain("SADB_X_SPDUPDATE");
    expect(west).toContain("SADB_EXPIRE");
    for (const e of eventsOf(t, "deliver").filter((x) => /PF_KEY/.test(x.socket))) {
      const p = parsePfkey(bytesOf(t, e), "bsd");
      if (!p.ok) throw new Error(p.error.message);
      expect(pfkeySummary(p.value)).toBe(e.summary);
    }
    expect(t.outcome.verdict).toBe("secure");
  });

  it("bsdkame-2020 discards the ACQUIRE: the tunnel never comes up", () => {
    const t = runBuiltin("ondemand-bsdkame");
    expect(decisions(t, "km-acquire").some((d) => d.branch === "discarded" && d.note.includes("received acquire --- discarded"))).toBe(true);
    expect(messages(t, "west")).not.toContain("SADB_GETSPI");
    expect(t.outcome).toMatchObject({ verdict: "dropped", delivered: 0 });
    expect(findingIds(t)).toEqual(expect.arrayContaining(["acquire-discarded", "acquire-never-answered"]));
  });

  it("nokernel: SA negotiated, never installed — the pings leave in cleartext", () => {
    const t = runBuiltin("ondemand-nokernel");
    expect(messages(t, "west")).toEqual([]);
    expect(transmitted(t).every((w) => w.bytes[9] === 1)).toBe(true);
    expect(t.outcome.verdict).toBe("insecure");
    expect(severityOf(t, "sa-never-installed")).toBe("critical");
  });
});
