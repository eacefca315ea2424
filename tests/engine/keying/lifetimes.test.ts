/**
 * SA lifetimes by time and by bytes (issue 15 item 3): xfrm_lifetime_cfg's soft/hard byte and
 * add_expires_seconds limits, and sadb_lifetime's bytes/addtime, each honoured by the kernel
 * model — soft → dying + EXPIRE(hard 0) → rekey; hard → EXPIRE(hard 1), the SA deleted.
 */
import { describe, expect, it } from "vitest";
import { parsePfkey } from "../../../src/engine/wire/pfkey";
import { parseXfrm, type CRecord } from "../../../src/engine/wire/xfrm_nl";
import { bytesOf, decisions, eventsOf, runBuiltin } from "../../helpers/trace";

const MICROS = 1_000_000;

describe("ondemand-rekey-time: add-time lifetimes", () => {
  const t = runBuiltin("ondemand-rekey-time");

  it("rekeys mid-traffic: the SPI west sends with changes while the pings go on", () => {
    const used = decisions(t, "ipsec-out-sa")
      .filter((d) => d.host === "west" && d.branch.startsWith("use"))
      .map((d) => d.branch);
    const spis = [...new Set(used)];
    expect(spis.length).toBeGreaterThanOrEqual(3);
    expect(t.outcome).toMatchObject({ verdict: "secure", sent: 14, delivered: 13 });
  });

  it("fires the soft expiry exactly soft_add_expires_seconds after the add, and says so in the EXPIRE's bytes", () => {
    const installs = eventsOf(t, "sa.update").filter((e) => e.host === "west" && e.field === "state" && e.value === "mature");
    const softs = decisions(t, "km-expire").filter((d) => d.host === "west" && d.branch === "soft expire");
    expect(softs.length).toBeGreaterThanOrEqual(3);
    expect(softs[0]!.t - installs[0]!.t).toBe(4 * MICROS);
    expect(softs[0]!.note).toContain("soft add-time limit 4 s");
    const expire = eventsOf(t, "deliver").find((e) => e.host === "west" && e.summary.startsWith("XFRM_MSG_EXPIRE soft"))!;
    const p = parseXfrm(bytesOf(t, expire));
    if (!p.ok) throw new Error(p.error.message);
    expect(p.value.body["hard"]).toBe(0);
    const lft = (p.value.body["state"] as CRecord)["lft"] as CRecord;
    expect(lft["soft_add_expires_seconds"]).toBe(4n);
    expect(lft["hard_add_expires_seconds"]).toBe(6n);
    expect(((p.value.body["state"] as CRecord)["curlft"] as CRecord)["bytes"]).toBeGreaterThan(0n);
  });

  it("ends: the last pair carried no bytes, is not rekeyed, and its hard limit deletes it", () => {
    const pluto = decisions(t, "km-expire").filter((d) => d.host === "west" && d.fn === "netlink_expire");
    expect(pluto.map((d) => d.branch)).toContain("let an idle SA expire");
    const hard = decisions(t, "km-expire").filter((d) => d.host === "west" && d.branch === "hard expire");
    expect(hard.length).toBe(2); // the idle out and in SAs: every earlier pair was replaced and deleted (DELSA) first
    expect(hard.every((d) => d.note.includes("hard add-time limit 6 s"))).toBe(true);
    const last = eventsOf(t, "sa.update")
      .filter((e) => e.host === "west" && e.field === "state")
      .at(-1)!;
    expect(last.value).toBe("dead");
  });
});

describe("byte limits", () => {
  it("soft byte limit: EXPIRE(hard 0) once the SA has carried that many bytes, then a rekey", () => {
    const t = runBuiltin("libreswan-ondemand", {
      patch: (s) => {
        s.keying!.conn = { ...s.keying!.conn, softPackets: undefined, softBytes: 500 };
      },
    });
    const soft = decisions(t, "km-expire").filter((d) => d.host === "west" && d.branch === "soft expire");
    expect(soft.length).toBeGreaterThan(0);
    expect(soft[0]!.note).toContain("soft byte limit 500");
    // 84-byte echoes (ICMP 64 + IP 20) counted per packet: the 6th pushes the count to 504 ≥ 500.
    const sa = soft[0]!.consulted[0]!;
    expect(sa.kind === "sa" && sa.summary).toMatch(/^6 packets, 504 bytes/);
    expect(decisions(t, "km-expire").some((d) => d.host === "west" && d.branch === "rekey")).toBe(true);
    expect(t.outcome.verdict).toBe("secure");
  });

  it("hard byte limit: the packet that would exceed it is dropped, the SA deleted, and the next packet acquires again", () => {
    const t = runBuiltin("libreswan-ondemand", {
      patch: (s) => {
        s.keying!.conn = { ...s.keying!.conn, softPackets: undefined, hardBytes: 300 };
      },
    });
    const hardDrops = eventsOf(t, "drop").filter((d) => d.host === "west" && d.detail.includes("hard byte limit 300"));
    expect(hardDrops.length).toBeGreaterThan(0);
    const acquires = decisions(t, "km-acquire").filter((d) => d.host === "west" && d.branch === "ACQUIRE sent");
    expect(acquires.length).toBeGreaterThanOrEqual(2);
    expect(acquires[1]!.seq).toBeGreaterThan(hardDrops[0]!.seq);
  });
});

describe("PF_KEY: sadb_lifetime addtime", () => {
  it("SADB_EXPIRE carries LIFETIME_SOFT with the add-time the daemon set", () => {
    const t = runBuiltin("ondemand-pfkeyv2", {
      patch: (s) => {
        s.keying!.conn = { ...s.keying!.conn, softPackets: undefined, softAddSec: 3, hardAddSec: 5 };
      },
    });
    const expire = eventsOf(t, "deliver").find((e) => e.host === "west" && e.summary.startsWith("SADB_EXPIRE"))!;
    const p = parsePfkey(bytesOf(t, expire), "bsd");
    if (!p.ok) throw new Error(p.error.message);
    const soft = p.value.exts.find((e) => e.ext === "LIFETIME_SOFT");
    expect(soft && soft.ext === "LIFETIME_SOFT" && soft.addtime).toBe(3n);
    expect(decisions(t, "km-expire").some((d) => d.host === "west" && d.note.includes("soft add-time limit 3 s"))).toBe(true);
    expect(t.outcome.verdict).toBe("secure");
  });
});
