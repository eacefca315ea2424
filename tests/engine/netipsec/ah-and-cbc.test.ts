/**
 * The seed story with AH (HMAC-SHA-256-128, RFC 4302/4868) and with the ciphers of its era,
 * ESP AES-CBC + HMAC-SHA1-96 (RFC 3602/2404): the same stale-tag bug without the fix, and with
 * it every packet on lo0 protected — AH packets with an ICV that verifies, ESP-CBC packets that
 * decrypt — checked here independently of the engine's receive path.
 */
import { describe, expect, it } from "vitest";
import {
  ah,
  decapsulated,
  decryptsWith,
  dst,
  echoReply,
  echoRequest,
  echoSeq,
  esp,
  expectIpv4,
  icmp,
  icvValid,
  seq,
  spi,
  src,
} from "../../helpers/checkers";
import { decisions, eventsOf, findingIds, saKeys, severityOf, traceOf, transmitted, type RunOptions } from "../../helpers/trace";

const LO0 = "host:lo0";
const FIXED: RunOptions = { fixes: ["icmp-reflect-strips-tags"] };

describe("lo0-ah-ping", () => {
  const AH_SPI = 0x1100;

  it("unfixed: insecure — the stale OUT_DONE skips AH on the reply, and M_AUTHIPHDR stands in for M_DECRYPTED", () => {
    const t = traceOf("lo0-ah-ping");
    expect(t.outcome.verdict).toBe("insecure");
    for (const id of ["stale-out-done-skipped-ipsec", "cleartext-on-wire", "stale-in-done-chose-policy", "cleartext-accepted"])
      expect(severityOf(t, id)).toBe("critical");
    expect(transmitted(t, LO0).map((w) => w.bytes[9])).toEqual([51, 1, 51, 1, 51, 1]);
    const reply = transmitted(t, LO0)[1]!;
    expect(reply.packet.flags).toEqual(expect.arrayContaining(["AUTHIPHDR", "AUTHIPDGM"]));
    expect(reply.packet.tags.map((x) => [x.name, x.tdbi?.proto, x.tdbi?.spi])).toEqual([
      ["IPSEC_IN_DONE", "ah", AH_SPI],
      ["IPSEC_OUT_DONE", "ah", AH_SPI],
    ]);
    expect(decisions(t, "ipsec-loop").filter((d) => d.branch === "skip IPsec" && d.consulted.some((c) => c.kind === "tag" && c.stale))).toHaveLength(
      3,
    );
  });

  it("unfixed: the requests' AH ICVs verify (recomputed over the zeroed packet)", () => {
    const t = traceOf("lo0-ah-ping");
    const key = saKeys(t, AH_SPI).authKey;
    transmitted(t, LO0)
      .filter((w) => w.bytes[9] === 51)
      .forEach((w, i) =>
        expectIpv4(
          w.bytes,
          src("127.0.0.1"),
          dst("127.0.0.1"),
          ah(spi(AH_SPI), seq(i + 1), icvValid("hmac-sha256-128", key), decapsulated(icmp(echoRequest(), echoSeq(i)))),
        ),
      );
  });

  it("fixed: secure — all six packets on lo0 are AH 1..6 with valid ICVs over the echoes", () => {
    const t = traceOf("lo0-ah-ping", FIXED);
    expect(t.outcome.verdict).toBe("secure");
    expect(findingIds(t)).toEqual(["stale-ipsec-flags"]);
    const key = saKeys(t, AH_SPI).authKey;
    const wire = transmitted(t, LO0);
    expect(wire).toHaveLength(6);
    wire.forEach((w, i) =>
      expectIpv4(
        w.bytes,
        ah(spi(AH_SPI), seq(i + 1), icvValid("hmac-sha256-128", key), decapsulated(icmp(i % 2 ? echoReply() : echoRequest(), echoSeq(i >> 1)))),
      ),
    );
  });

  it("a wrong key would not verify: the ICV check has teeth", () => {
    const t = traceOf("lo0-ah-ping", FIXED);
    const wrong = new Uint8Array(32).fill(0x5a);
    expect(() => expectIpv4(transmitted(t, LO0)[0]!.bytes, ah(icvValid("hmac-sha256-128", wrong)))).toThrow(/ICV/);
  });

  it("ah_input_cb sets M_AUTHIPHDR|M_AUTHIPDGM after the ICV verifies", () => {
    const t = traceOf("lo0-ah-ping", FIXED);
    const sets = eventsOf(t, "flag.set").filter((e) => e.fn === "ah_input_cb");
    expect(sets.map((e) => e.flags)).toEqual(Array(6).fill(["AUTHIPHDR", "AUTHIPDGM"]));
    for (const s of sets)
      expect(
        t.events
          .slice(0, s.seq)
          .reverse()
          .find((e) => e.kind === "decision" && e.check === "icv"),
      ).toMatchObject({ branch: "ICV ok" });
  });
});

describe("lo0-esp-cbc-ping", () => {
  const CBC_SPI = 0x1200;

  it("unfixed: insecure, with the reply in cleartext", () => {
    const t = traceOf("lo0-esp-cbc-ping");
    expect(t.outcome.verdict).toBe("insecure");
    expect(severityOf(t, "cleartext-accepted")).toBe("critical");
    expect(transmitted(t, LO0).map((w) => w.bytes[9])).toEqual([50, 1, 50, 1, 50, 1]);
  });

  it("fixed: secure — all six ESP packets decrypt (AES-CBC, HMAC-SHA1-96 verified) to the echoes", () => {
    const t = traceOf("lo0-esp-cbc-ping", FIXED);
    expect(t.outcome.verdict).toBe("secure");
    const keys = saKeys(t, CBC_SPI);
    expect(keys.enc).toBe("aes-cbc");
    expect(keys.auth).toBe("hmac-sha1-96");
    const wire = transmitted(t, LO0);
    expect(wire).toHaveLength(6);
    wire.forEach((w, i) =>
      expectIpv4(w.bytes, esp(spi(CBC_SPI), seq(i + 1), decryptsWith(keys, icmp(i % 2 ? echoReply() : echoRequest(), echoSeq(i >> 1))))),
    );
  });

  it("each packet carries its own random 16-byte IV and a 12-byte ICV (RFC 3602 §2.4, RFC 2404)", () => {
    const t = traceOf("lo0-esp-cbc-ping", FIXED);
    const wire = transmitted(t, LO0);
    const ivs = wire.map((w) => Buffer.from(w.bytes.subarray(28, 44)).toString("hex"));
    expect(new Set(ivs).size).toBe(6);
    // 20 IP + 8 ESP + 16 IV + 64 ICMP + 14 padding + 2 trailer (a multiple of 16) + 12 ICV.
    for (const w of wire) expect(w.bytes.length).toBe(20 + 8 + 16 + 80 + 12);
  });
});
