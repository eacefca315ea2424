/**
 * The kernel key manager on its own (keying/kernel.ts): ACQUIRE rate limits (XFRM one per
 * template, KAME blockacq), the hold queue and its limit, ACQ expiry, km.seq, SPI reservations
 * that expire, and hard packet limits — driven through real message bytes on a test socket.
 */
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../src/engine";
import { effectiveBehaviour, PERSONALITIES } from "../../../src/engine/kernels/personality";
import { KeyKernel, XFRM_MAX_QUEUE_LEN, type KmApi } from "../../../src/engine/keying/kernel";
import { m_gethdr } from "../../../src/engine/mbuf/mbuf";
import { World } from "../../../src/engine/sim/world";
import { emitPfkey, parsePfkey } from "../../../src/engine/wire/pfkey";
import { emitXfrm, parseXfrm, xfrmLifetime, xfrmSelector, type XfrmMessage } from "../../../src/engine/wire/xfrm_nl";

function setup(api: KmApi, larvalDrop = true) {
  const loaded = loadScenario({
    version: 1,
    name: "k",
    hosts: [{ name: "west", interfaces: [{ name: "eth0", addr: "192.0.2.1/24" }] }],
    traffic: [],
  });
  if (!loaded.ok) throw new Error("scenario");
  const s = loaded.scenario;
  const personality = PERSONALITIES[s.personality];
  const world = new World(s, personality, effectiveBehaviour(personality, []));
  const host = world.host("west");
  const k = new KeyKernel(host, { api, larvalDrop, acqExpiresSec: 30, flavour: "linux" });
  host.keyKernel = k;
  const got: Uint8Array[] = [];
  const sock = k.open("test", (b) => got.push(b));
  const tmpl = { id: { daddr: "192.0.2.2", spi: 0, proto: 50 }, family: 2, saddr: "192.0.2.1", reqid: 7, mode: 1 };
  if (api === "xfrm") {
    k.bindGroups(sock);
    const pol: XfrmMessage = {
      type: "UPDPOLICY",
      flags: 5,
      seq: 1,
      pid: 0,
      body: { sel: xfrmSelector("192.0.2.1", 32, "192.0.2.2", 32), lft: xfrmLifetime(), priority: 100, dir: 1, action: 0 },
      attrs: [{ type: "TMPL", tmpls: [tmpl] }],
    };
    k.receive(sock, emitXfrm(pol));
  } else {
    k.receive(sock, emitPfkey({ type: "REGISTER", errno: 0, satype: 3, seq: 1, pid: 9, exts: [] }, "linux"));
    k.receive(
      sock,
      emitPfkey(
        {
          type: "X_SPDADD",
          errno: 0,
          satype: 0,
          seq: 2,
          pid: 9,
          exts: [
            { ext: "ADDRESS_SRC", proto: 255, prefixlen: 32, sa: { addr: "192.0.2.1", port: 0 } },
            { ext: "ADDRESS_DST", proto: 255, prefixlen: 32, sa: { addr: "192.0.2.2", port: 0 } },
            {
              ext: "X_POLICY",
              type: 2,
              dir: 2,
              id: 0,
              priority: 0,
              requests: [{ proto: 50, mode: 2, level: 2, reqid: 7, tunnel: { src: "192.0.2.1", dst: "192.0.2.2" } }],
            },
          ],
        },
        "linux",
      ),
    );
  }
  world.run();
  got.length = 0;
  const sp = host.spd[0]!;
  const isr = sp.requests[0]!;
  const sel = { src: "192.0.2.1", dst: "192.0.2.2", proto: 1 };
  /** Schedule `n` trigger packets 1 ms apart from `atMicros`; world.run() then plays them (and every timer). */
  const trigger = (n = 1, atMicros = world.sched.now + 1000): void => {
    for (let i = 0; i < n; i++) {
      world.after(atMicros - world.sched.now + i * 1000, () => {
        k.acquire(m_gethdr(host.site("app", "test"), new Uint8Array(28), "a packet"), sp, isr, sel);
      });
    }
  };
  const types = (): string[] =>
    got.map((b) => {
      if (api === "xfrm") {
        const p = parseXfrm(b);
        return p.ok ? p.value.type : "?";
      }
      const p = parsePfkey(b, "linux");
      return p.ok ? p.value.type : "?";
    });
  const drops = (reason: string): number => world.recorder.events.filter((e) => e.kind === "drop" && e.reason === reason).length;
  return { world, host, k, sock, got, trigger, types, drops };
}

describe("XFRM", () => {
  it("sends one ACQUIRE per template and drops every trigger packet (larval_drop=1)", () => {
    const t = setup("xfrm");
    t.trigger(6);
    t.world.run();
    expect(t.types()).toEqual(["ACQUIRE"]);
    expect(t.drops("ipsec-larval")).toBe(6);
    const acq = parseXfrm(t.got[0]!);
    expect(acq.ok && acq.value.body["seq"]).toBe(1);
  });

  it("holds at most XFRM_MAX_QUEUE_LEN packets (larval_drop=0) and drops them when the ACQ expires after 30 s", () => {
    const t = setup("xfrm", false);
    t.trigger(XFRM_MAX_QUEUE_LEN + 1);
    let held = 0;
    t.world.after(5_000_000, () => (held = t.k.entries.find((e) => e.state === "acq")?.held.length ?? -1));
    t.world.run();
    expect(held).toBe(100);
    expect(t.drops("ipsec-hold-queue-full")).toBe(1);
    expect(t.world.sched.now).toBeGreaterThanOrEqual(30_000_000);
    expect(t.drops("ipsec-hold-expired")).toBe(100);
    expect(t.k.entries).toHaveLength(0);
    // The next packet acquires again, with a new km.seq.
    t.trigger();
    t.world.run();
    const again = parseXfrm(t.got[t.got.length - 1]!);
    expect(again.ok && [again.value.type, again.value.body["seq"]]).toEqual(["ACQUIRE", 2]);
  });

  it("answers ALLOCSPI with a larval SA, and refuses the UPDSA once that reservation has expired (ESRCH)", () => {
    const t = setup("xfrm");
    const alloc: XfrmMessage = {
      type: "ALLOCSPI",
      flags: 1,
      seq: 5,
      pid: 0,
      body: { info: { id: { daddr: "192.0.2.1", spi: 0, proto: 50 }, saddr: "192.0.2.2", family: 2, mode: 1, reqid: 7 }, min: 0x1000, max: 0x1fff },
      attrs: [],
    };
    t.k.receive(t.sock, emitXfrm(alloc));
    // Process only the reply, not the 30 s timer: step the scheduler until the reply arrived.
    while (t.got.length === 0) t.world.sched.next()!.run();
    const reply = parseXfrm(t.got[0]!);
    if (!reply.ok || reply.value.type !== "NEWSA") throw new Error("no NEWSA reply");
    const spi = (reply.value.body["id"] as Record<string, number>)["spi"]!;
    expect(spi).toBeGreaterThanOrEqual(0x1000);
    expect(spi).toBeLessThanOrEqual(0x1fff);
    expect(t.k.entries.find((e) => e.spi === spi)?.state).toBe("larval");
    t.world.run(); // 30 s later the reservation is gone
    const upd: XfrmMessage = {
      type: "UPDSA",
      flags: 5,
      seq: 6,
      pid: 0,
      body: { id: { daddr: "192.0.2.1", spi, proto: 50 }, saddr: "192.0.2.2", lft: xfrmLifetime(), family: 2, mode: 1, reqid: 7 },
      attrs: [{ type: "ALG_AEAD", alg: { name: "rfc4106(gcm(aes))", key: new Uint8Array(20) }, icvBits: 128 }],
    };
    t.k.receive(t.sock, emitXfrm(upd));
    t.world.run();
    const err = parseXfrm(t.got[t.got.length - 1]!);
    expect(err.ok && err.value.type === "ERROR" && (err.value.body["error"] as number) | 0).toBe(-3);
  });

  it("replaces the ACQ by km.seq and hard-expires at the packet limit", () => {
    const t = setup("xfrm");
    t.trigger();
    const sa: XfrmMessage = {
      type: "NEWSA",
      flags: 5,
      seq: 9,
      pid: 0,
      body: {
        id: { daddr: "192.0.2.2", spi: 0x4242, proto: 50 },
        saddr: "192.0.2.1",
        lft: xfrmLifetime({ soft_packet_limit: 1n, hard_packet_limit: 2n }),
        seq: 1,
        family: 2,
        mode: 1,
        reqid: 7,
        replay_window: 32,
      },
      attrs: [{ type: "ALG_AEAD", alg: { name: "rfc4106(gcm(aes))", key: new Uint8Array(20) }, icvBits: 128 }],
    };
    t.world.after(2000, () => t.k.receive(t.sock, emitXfrm(sa)));
    t.world.run();
    expect(t.k.entries.map((e) => [e.spi, e.state])).toEqual([[0x4242, "mature"]]);
    const replaced = t.world.recorder.events.find((e) => e.kind === "decision" && e.check === "km-install");
    expect(replaced?.note).toContain("its km.seq 1 matches the ACQ state");
    const installed = t.host.sad[0]!;
    expect(installed.spi).toBe(0x4242);
    const m = () => m_gethdr(t.host.site("app", "test"), new Uint8Array(28), "a packet");
    expect(t.k.checkExpire(installed, m())).toBe(true); // 0 packets used
    installed.packets = 1;
    expect(t.k.checkExpire(installed, m())).toBe(true); // soft: dying + EXPIRE hard 0
    installed.packets = 2;
    expect(t.k.checkExpire(installed, m())).toBe(false); // hard: dead + EXPIRE hard 1, packet dropped
    t.world.run();
    const expires = t.got.map((b) => parseXfrm(b)).filter((p) => p.ok && p.value.type === "EXPIRE");
    expect(expires.map((p) => p.ok && p.value.body["hard"])).toEqual([0, 1]);
    expect(t.host.sad).toHaveLength(0);
  });
});

describe("PF_KEY (KAME key_acquire)", () => {
  it("blocks repeated ACQUIREs for key_blockacq_count tries", () => {
    const t = setup("pfkey");
    t.trigger(13);
    t.world.run();
    // Try 1 sends; tries 2..12 are blocked (count 1..11); try 13 finds count 11 > 10 and sends again.
    expect(t.types()).toEqual(["ACQUIRE", "ACQUIRE"]);
    expect(t.drops("ipsec-larval")).toBe(13);
  });
});
