/**
 * The packet checkers must be able to fail: each one is shown a packet that violates it.
 */
import { describe, expect, it } from "vitest";
import {
  ah,
  decapsulated,
  decryptsWith,
  dst,
  echoId,
  echoReply,
  echoRequest,
  echoSeq,
  esp,
  expectIpv4,
  failsIcvWith,
  icmp,
  icvValid,
  inner,
  protocol,
  rfc1071,
  seq,
  spi,
  src,
  ttl,
} from "./checkers";
import { saKeys, traceOf, transmitted } from "./trace";

/** A fixed, valid echo request 10.0.0.1 → 10.0.0.2 (TTL 64, id 0x1234, seq 1, 4 data bytes). */
function echo(): Uint8Array {
  const b = new Uint8Array(32);
  b.set([0x45, 0, 0, 32, 0x12, 0x34, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  b.set([8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4], 20);
  const ic = rfc1071(b.subarray(20));
  b[22] = ic >> 8;
  b[23] = ic & 0xff;
  const hc = rfc1071(b.subarray(0, 20));
  b[10] = hc >> 8;
  b[11] = hc & 0xff;
  return b;
}

describe("RFC 1071 checksum", () => {
  it("matches the RFC's worked example (§3: 0x00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2)", () => {
    expect(rfc1071(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(~0xddf2 & 0xffff);
  });
});

describe("checkers", () => {
  it("accept a valid packet", () => {
    expectIpv4(echo(), src("10.0.0.1"), dst("10.0.0.2"), ttl(64), protocol(1), icmp(echoRequest(), echoId(0x1234), echoSeq(1)));
  });

  it("reject a wrong field, naming it", () => {
    expect(() => expectIpv4(echo(), src("10.0.0.9"))).toThrow(/ipv4\.src/);
    expect(() => expectIpv4(echo(), ttl(255))).toThrow(/ipv4\.ttl/);
    expect(() => expectIpv4(echo(), icmp(echoReply()))).toThrow(/icmp\.type/);
    expect(() => expectIpv4(echo(), icmp(echoSeq(2)))).toThrow(/icmp\.seq/);
    expect(() => expectIpv4(echo(), esp())).toThrow(/protocol \(ESP\)/);
    expect(() => expectIpv4(echo(), inner())).toThrow(/IPIP/);
  });

  it("reject a bad header checksum, a bad ICMP checksum and a wrong ip_len", () => {
    const badIp = echo();
    badIp[8] = 63;
    expect(() => expectIpv4(badIp)).toThrow(/header checksum/);
    const badIcmp = echo();
    badIcmp[31] = badIcmp[31]! ^ 1;
    expectIpv4(badIcmp);
    expect(() => expectIpv4(badIcmp, icmp())).toThrow(/icmp: checksum/);
    expect(() => expectIpv4(echo().subarray(0, 30))).toThrow();
  });

  it("ESP: a wrong SPI or sequence number, a wrong key, plaintext that does not match", () => {
    const t = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const [first] = transmitted(t, "host:lo0");
    const keys = saKeys(t, 0x1000);
    expectIpv4(first!.bytes, esp(spi(0x1000), seq(1), decryptsWith(keys, icmp(echoRequest()))));
    expect(() => expectIpv4(first!.bytes, esp(spi(0x1001)))).toThrow(/esp\.spi/);
    expect(() => expectIpv4(first!.bytes, esp(seq(2)))).toThrow(/esp\.seq/);
    const wrong = { ...keys, encKey: keys.encKey.map((b) => b ^ 1) };
    expect(() => expectIpv4(first!.bytes, esp(decryptsWith(wrong)))).toThrow(/does not decrypt/);
    expectIpv4(first!.bytes, esp(failsIcvWith(wrong)));
    expect(() => expectIpv4(first!.bytes, esp(failsIcvWith(keys)))).toThrow(/ICV failure/);
    expect(() => expectIpv4(first!.bytes, esp(decryptsWith(keys, icmp(echoReply()))))).toThrow(/decrypted\) icmp\.type/);
  });

  it("ESP: a packet whose ciphertext was altered does not decrypt", () => {
    const t = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const [first] = transmitted(t, "host:lo0");
    const forged = first!.bytes.slice();
    forged.fill(0, 36, 36 + 8);
    expect(() => expectIpv4(forged, esp(decryptsWith(saKeys(t, 0x1000))))).toThrow();
  });

  it("AH: the ICV is recomputed, so a changed immutable byte fails and a changed TTL does not", () => {
    const t = traceOf("lo0-ah-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const [first] = transmitted(t, "host:lo0");
    const key = saKeys(t, 0x1100).authKey;
    expectIpv4(first!.bytes, ah(spi(0x1100), seq(1), icvValid("hmac-sha256-128", key), decapsulated(icmp(echoRequest()))));
    const ttlChanged = first!.bytes.slice();
    ttlChanged[8] = 1; // mutable: not covered (header checksum now wrong, so check AH only)
    const view = { ...expectIpv4(first!.bytes), bytes: ttlChanged };
    ah(icvValid("hmac-sha256-128", key))(view);
    const dataChanged = first!.bytes.slice();
    dataChanged[dataChanged.length - 1] = dataChanged.at(-1)! ^ 0x80;
    expect(() => ah(icvValid("hmac-sha256-128", key))({ ...view, bytes: dataChanged })).toThrow(/ICV/);
  });
});
