import { describe, expect, it } from "vitest";
import { tagLanes } from "../../../src/store/tagLanes";
import { CARD, EMPTY_TEXT, layoutCard, type CardPlan } from "../../../src/ui/stack/cardLayout";
import { packetModelAt } from "../../../src/ui/stepModel";
import { firstIndex, replyLoopCheck, traceOf } from "../support";

const WIDTH = 280;

function cardAt(name: string, seq: number, fixes: string[] = []): CardPlan {
  const t = traceOf(name, fixes);
  return layoutCard(packetModelAt(t, seq), t.events.at(seq)!, tagLanes(t), WIDTH);
}

describe("layoutCard", () => {
  it("marks the stale OUT_DONE the reply's loop check consulted, and only it", () => {
    const t = traceOf("lo0-esp-ping");
    const card = cardAt("lo0-esp-ping", replyLoopCheck(t));
    const out = card.badges.find((b) => b.name === "IPSEC_OUT_DONE")!;
    expect(out).toMatchObject({ kind: "tag", consulted: true, stale: true, leaving: false });
    expect(out.label).toBe("✓ OUT_DONE · stale");
    expect(out.description).toMatch(/tdb|127\.0\.0\.1, esp, 0x00001000/);
    // IN_DONE rides along unconsulted, but the packet version says it is left from the request's trip.
    expect(card.badges.find((b) => b.name === "IPSEC_IN_DONE")).toMatchObject({ consulted: false, stale: true, label: "✓ IN_DONE · stale" });
    expect(card.badges.filter((b) => b.kind === "flag").map((b) => b.label)).toEqual(["M_DECRYPTED · stale"]);
    expect(card.state).toBe("cleartext");
    expect(card.bands.map((b) => b.label)).toEqual(["IPv4", "ICMP", "data"]);
  });

  it("marks a tag stale from the step its packet version says so, before any decision consults it", () => {
    const t = traceOf("lo0-esp-ping");
    const staleAt = firstIndex(t, (e) => e.packet >= 0 && (t.packets.at(e.packet)!.staleTags?.length ?? 0) > 0);
    const firstStaleConsult = firstIndex(t, (e) => e.kind === "decision" && e.consulted.some((c) => c.kind === "tag" && c.stale === true));
    // The request's OUT_DONE goes stale as the packet loops back up lo0, long before the reply's loop check.
    expect(t.events.at(staleAt)!.fn).toBe("looutput");
    expect(staleAt).toBeLessThan(firstStaleConsult);
    const tagBadges = (seq: number) => cardAt("lo0-esp-ping", seq).badges.filter((b) => b.kind === "tag");
    expect(tagBadges(staleAt - 1).some((b) => b.stale)).toBe(false);
    expect(
      tagBadges(staleAt)
        .filter((b) => b.stale)
        .map((b) => b.uid),
    ).toEqual([...t.packets.at(t.events.at(staleAt)!.packet)!.staleTags!]);
    expect(tagBadges(staleAt).find((b) => b.stale)!.description).toMatch(/, stale$/);
  });

  it("hatches the encrypted payload and says so on the wire", () => {
    const t = traceOf("lo0-esp-ping");
    const card = cardAt(
      "lo0-esp-ping",
      firstIndex(t, (e) => e.kind === "link.tx"),
    );
    expect(card.state).toBe("encrypted");
    expect(card.stateLabel).toBe("ENCRYPTED");
    expect(card.bands.map((b) => b.kind)).toEqual(["ipv4", "esp", "encrypted"]);
    expect(card.bands[2]).toMatchObject({ label: "ESP (encrypted)", bytes: 84 });
    expect(card.bands[1]!.detail).toBe("SPI 0x1000 · seq 1 · IV");
  });

  it("brings a tag in on its prepend and shows the fix deleting it", () => {
    const t = traceOf("lo0-esp-ping");
    const prepend = firstIndex(t, (e) => e.kind === "tag.prepend");
    expect(cardAt("lo0-esp-ping", prepend).badges.find((b) => b.name === "IPSEC_OUT_DONE")).toMatchObject({ entering: true });
    expect(cardAt("lo0-esp-ping", prepend + 1).badges.find((b) => b.name === "IPSEC_OUT_DONE")).toMatchObject({ entering: false });

    const fixed = traceOf("lo0-esp-ping", ["icmp-reflect-strips-tags"]);
    const strip = firstIndex(fixed, (e) => e.kind === "tag.deleteNonpersistent");
    const leaving = cardAt("lo0-esp-ping", strip, ["icmp-reflect-strips-tags"]).badges.filter((b) => b.leaving);
    expect(leaving.map((b) => b.label)).toEqual(["✓ IN_DONE · deleted", "✓ OUT_DONE · deleted"]);
    expect(cardAt("lo0-esp-ping", strip + 1, ["icmp-reflect-strips-tags"]).badges.filter((b) => b.kind === "tag")).toEqual([]);
  });

  it("pushes a header as a band being written and ghosts a stripped one", () => {
    const t = traceOf("lo0-esp-ping");
    const makespace = cardAt(
      "lo0-esp-ping",
      firstIndex(t, (e) => e.kind === "mbuf.makespace"),
    );
    expect(makespace.bands.find((b) => b.entering)).toMatchObject({ kind: "pending", label: "ESP header + IV" });
    const strip = cardAt(
      "lo0-esp-ping",
      firstIndex(t, (e) => e.kind === "mbuf.strip"),
    );
    expect(strip.bands[1]).toMatchObject({ kind: "removed", bytes: 16 });
    expect(strip.bands[1]!.label).toMatch(/^ESP removed/);
  });

  it("keeps badges inside the card and apart, bands stacked without gaps or overlaps", () => {
    for (const name of ["lo0-esp-ping", "gw-esp-tunnel", "lo0-ah-ping"]) {
      const t = traceOf(name);
      for (const e of t.events) {
        const card = layoutCard(packetModelAt(t, e.seq), e, tagLanes(t), WIDTH);
        for (const b of card.badges) {
          expect(b.x).toBeGreaterThanOrEqual(CARD.pad);
          expect(b.x + b.width).toBeLessThanOrEqual(WIDTH - CARD.pad);
          expect(b.y + b.height).toBeLessThanOrEqual(card.height);
        }
        for (let i = 1; i < card.badges.length; i++) {
          const [a, b] = [card.badges[i - 1]!, card.badges[i]!];
          expect(a.y === b.y ? a.x + a.width < b.x : a.y < b.y).toBe(true);
        }
        card.bands.forEach((b, i) => expect(b.y).toBe(CARD.titleHeight + i * (CARD.bandHeight + CARD.bandGap)));
        expect(card.bands.length).toBeLessThanOrEqual(CARD.maxBands);
      }
    }
  });

  it("draws an empty card before the socket has built a packet", () => {
    const t = traceOf("lo0-esp-ping");
    const card = layoutCard(null, t.events.at(0)!, tagLanes(t), WIDTH);
    expect(card).toMatchObject({ state: "empty", bands: [], badges: [], title: "no mbuf yet" });
  });

  it("wraps the empty card's sentence to the card's width and grows the card to hold it", () => {
    const t = traceOf("lo0-esp-ping");
    const wide = layoutCard(null, t.events.at(0)!, tagLanes(t), 420);
    const narrow = layoutCard(null, t.events.at(0)!, tagLanes(t), 200);
    expect(wide.emptyLines).toEqual([EMPTY_TEXT]);
    expect(narrow.emptyLines!.length).toBeGreaterThan(1);
    expect(narrow.emptyLines!.join(" ")).toBe(EMPTY_TEXT);
    for (const line of narrow.emptyLines!) expect(line.length * CARD.sansCharWidth).toBeLessThanOrEqual(200 - 2 * CARD.pad - 4);
    expect(narrow.height - wide.height).toBe((narrow.emptyLines!.length - 1) * CARD.emptyLineHeight);
  });

  it("tells records and reminders apart (seed 003): OUT_CRYPTO_NEEDED outlined with →, OUT_DONE filled with ✓", () => {
    const t = traceOf("openbsd-offload-whatif");
    const at = (name: string) => t.events.findIndex((e) => e.kind === "tag.prepend" && e.tag.name === name);
    const reminder = cardAt("openbsd-offload-whatif", at("IPSEC_OUT_CRYPTO_NEEDED")).badges.find((b) => b.name === "IPSEC_OUT_CRYPTO_NEEDED")!;
    expect(reminder).toMatchObject({ tagClass: "reminder", label: "→ OUT_CRYPTO_NEEDED" });
    expect(reminder.description).toMatch(/reminder of work still to do/);
    const record = cardAt("openbsd-offload-whatif", at("IPSEC_OUT_DONE")).badges.find((b) => b.name === "IPSEC_OUT_DONE")!;
    expect(record).toMatchObject({ tagClass: "record", label: "✓ OUT_DONE" });
  });
});

describe("the TCP band (issue 12)", () => {
  const t = traceOf("tcp-pmtu");

  it("a SYN shows its flags in the label and seq and MSS on rows under it, every row at 16px", () => {
    const seq = firstIndex(t, (e) => e.kind === "mbuf.rewrite" && e.fn === "tcp_output");
    const card = layoutCard(packetModelAt(t, seq), t.events.at(seq)!, tagLanes(t), 200);
    const tcp = card.bands.find((b) => b.kind === "tcp")!;
    expect(tcp.label).toBe("TCP SYN");
    expect(tcp.bytes).toBe(24);
    expect(tcp.lines).toHaveLength(2);
    expect(tcp.lines![0]).toMatch(/^seq \d+$/);
    expect(tcp.lines![1]).toBe("MSS 1460");
    expect(tcp.height).toBe(CARD.bandHeight + 2 * CARD.lineHeight);
    // Each row fits the 200-px card at the detail font (16px, 8.8 px a glyph): nothing cut.
    for (const line of tcp.lines!) expect(line.length * CARD.detailCharWidth).toBeLessThanOrEqual(200 - 2 * CARD.pad - 16);
    expect(card.bands.map((b) => b.kind)).toEqual(["ipv4", "tcp"]);
  });

  it("a data segment after tcp_mtudisc: ACK with seq and ack, then its 1360 data bytes", () => {
    const seq = firstIndex(t, (e) => e.kind === "mbuf.rewrite" && e.fn === "tcp_output" && /1360 data bytes — a retransmission/.test(e.note));
    const card = layoutCard(packetModelAt(t, seq), t.events.at(seq)!, tagLanes(t), 200);
    const tcp = card.bands.find((b) => b.kind === "tcp")!;
    expect(tcp.label).toBe("TCP ACK");
    expect(tcp.lines).toEqual([expect.stringMatching(/^seq \d+$/), expect.stringMatching(/^ack \d+$/)]);
    expect(card.bands.at(-1)).toMatchObject({ kind: "payload", label: "data", bytes: 1360 });
  });

  it("on a wide card the rows join: seq · ack on one row", () => {
    const seq = firstIndex(t, (e) => e.kind === "mbuf.rewrite" && e.fn === "tcp_output" && /1360 data bytes/.test(e.note));
    const tcp = layoutCard(packetModelAt(t, seq), t.events.at(seq)!, tagLanes(t), 400).bands.find((b) => b.kind === "tcp")!;
    expect(tcp.lines).toEqual([expect.stringMatching(/^seq \d+ · ack \d+$/)]);
  });
});
