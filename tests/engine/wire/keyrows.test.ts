/**
 * The inspector's field rows for key messages (issue 15 item 4): every member of every message
 * a run exchanges, with its struct, offset and value, read from the codecs' own struct tables.
 * Rows must tile the message in byte order without overlap, and land on the offsets of §10.4.
 */
import { describe, expect, it } from "vitest";
import { pfkeyFieldRows } from "../../../src/engine/wire/pfkey";
import { xfrmFieldRows, type KeyFieldRow } from "../../../src/engine/wire/xfrm_nl";
import { bytesOf, eventsOf, runBuiltin } from "../../helpers/trace";
import type { ScenarioTrace } from "../../../src/engine";

function keyMessages(t: ScenarioTrace, socket: RegExp): { summary: string; bytes: Uint8Array }[] {
  return eventsOf(t, "deliver")
    .filter((e) => socket.test(e.socket))
    .map((e) => ({ summary: e.summary, bytes: bytesOf(t, e) }));
}

function row(rows: readonly KeyFieldRow[], struct: string, field: string): KeyFieldRow {
  const r = rows.find((x) => x.struct === struct && x.field === field);
  if (!r) throw new Error(`no ${struct}.${field} in ${rows.map((x) => `${x.struct}.${x.field}`).join(", ")}`);
  return r;
}

function checkTiling(rows: readonly KeyFieldRow[], len: number): void {
  let end = 0;
  for (const r of rows) {
    expect(r.offset).toBeGreaterThanOrEqual(end);
    end = r.offset + r.size;
  }
  expect(end).toBeLessThanOrEqual(len);
}

describe("XFRM netlink rows", () => {
  const msgs = keyMessages(runBuiltin("ondemand-rekey-time"), /NETLINK_XFRM/);

  it("decode every message of a run, in byte order, inside the message", () => {
    expect(msgs.length).toBeGreaterThan(40);
    for (const m of msgs) {
      const r = xfrmFieldRows(m.bytes);
      if (!r.ok) throw new Error(r.error.message);
      checkTiling(r.value, m.bytes.length);
      expect(row(r.value, "nlmsghdr", "nlmsg_len").value).toBe(String(m.bytes.length));
    }
  });

  it("put the members at the §10.4 offsets (after the 16-byte nlmsghdr)", () => {
    const upd = msgs.find((m) => m.summary.startsWith("XFRM_MSG_UPDSA"))!;
    const rows = (xfrmFieldRows(upd.bytes) as { ok: true; value: KeyFieldRow[] }).value;
    expect(row(rows, "xfrm_usersa_info", "reqid")).toMatchObject({ offset: 16 + 208, size: 4, value: "16389" });
    expect(row(rows, "xfrm_usersa_info", "id.spi")).toMatchObject({ offset: 16 + 56 + 16, size: 4 });
    expect(row(rows, "xfrm_usersa_info", "lft.soft_add_expires_seconds")).toMatchObject({ offset: 16 + 96 + 32, size: 8, value: "4" });
    expect(row(rows, "xfrm_usersa_info", "lft.soft_packet_limit").value).toBe("XFRM_INF (2^64 − 1)");
    expect(rows.some((r) => r.struct === "rtattr" && r.field === "rta_type" && r.value === "18 (XFRMA_ALG_AEAD)")).toBe(true);
    expect(row(rows, "xfrm_algo_aead", "alg_name").value).toBe('"rfc4106(gcm(aes))"');
    expect(row(rows, "xfrm_algo_aead", "alg_key_len").value).toBe("160");

    const acq = msgs.find((m) => m.summary.startsWith("XFRM_MSG_ACQUIRE"))!;
    const a = (xfrmFieldRows(acq.bytes) as { ok: true; value: KeyFieldRow[] }).value;
    expect(row(a, "xfrm_user_acquire", "seq")).toMatchObject({ offset: 16 + 276, value: "1" });
    expect(row(a, "xfrm_user_acquire", "policy.dir")).toMatchObject({ offset: 16 + 96 + 160, value: "1" });
    expect(row(a, "xfrm_user_tmpl[0]", "reqid")).toMatchObject({ offset: 16 + 280 + 4 + 44, value: "16389" });
  });

  it("fails, never throws, on a truncated message", () => {
    const r = xfrmFieldRows(msgs[0]!.bytes.subarray(0, 10));
    expect(r.ok).toBe(false);
  });
});

describe("PF_KEY rows", () => {
  const msgs = keyMessages(runBuiltin("ondemand-pfkeyv2"), /PF_KEY/);

  it("decode every message of a run, in byte order", () => {
    expect(msgs.length).toBeGreaterThan(30);
    for (const m of msgs) {
      const r = pfkeyFieldRows(m.bytes, "bsd");
      if (!r.ok) throw new Error(r.error.message);
      checkTiling(r.value, m.bytes.length);
      expect(Number(row(r.value, "sadb_msg", "sadb_msg_len").value) * 8).toBe(m.bytes.length);
    }
  });

  it("shows the BSD sockaddr (sin_len first), the SPI in hex, and the ipsecrequest length in bytes", () => {
    const add = msgs.find((m) => m.summary.startsWith("SADB_ADD"))!;
    const rows = (pfkeyFieldRows(add.bytes, "bsd") as { ok: true; value: KeyFieldRow[] }).value;
    expect(row(rows, "sockaddr_in (ADDRESS_SRC)", "sin_len").value).toBe("16");
    expect(row(rows, "sadb_sa", "spi").value).toMatch(/^0x[0-9a-f]{8}$/);
    expect(row(rows, "sadb_sa", "exttype").value).toBe("1 (SADB_EXT_SA)");
    const spd = msgs.find((m) => m.summary.startsWith("SADB_X_SPDADD"))!;
    const p = (pfkeyFieldRows(spd.bytes, "bsd") as { ok: true; value: KeyFieldRow[] }).value;
    // 16-byte request + two 16-byte sockaddrs: 48, in bytes (not 64-bit words).
    expect(row(p, "sadb_x_ipsecrequest[0]", "len").value).toBe("48");
    expect(p.some((r) => r.struct === "sockaddr_in (tunnel dst)" && r.field === "sin_addr")).toBe(true);
  });
});
