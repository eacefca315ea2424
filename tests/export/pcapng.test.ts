import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { LINKTYPE, readPcapng, writePcapng } from "../../src/export";
import type { PcapngCapture, PcapngInterface, PcapngPacket, PcapngReadCapture } from "../../src/export";
import { tsharkFields } from "../support/tshark";
import { IPPROTO_ICMP, counting, hex, icmpEcho, ipv4 } from "./packets";

/**
 * The smallest interesting capture: an SHB with shb_userappl, an IDB for a LINKTYPE_NULL
 * interface, and one EPB whose 9-byte frame and 2-byte comment both need padding and whose
 * timestamp needs the high word.
 */
const FIXTURE_CAPTURE: PcapngCapture = {
  application: "tf",
  interfaces: [{ name: "lo0", linkType: LINKTYPE.NULL }],
  packets: [{ interfaceId: 0, timestampMicros: 0x1_0000_0002, data: hex("45 00 00 05 aa"), comment: "é" }],
};

const FIXTURE_BYTES = hex(`
  0a0d0d0a 28000000            # SHB, 40 bytes
  4d3c2b1a 0100 0000           # byte-order magic, version 1.0
  ffffffff ffffffff            # section length: unspecified
  0400 0200 7466 0000          # shb_userappl "tf" + 2 bytes padding
  0000 0000                    # opt_endofopt
  28000000
  01000000 28000000            # IDB, 40 bytes
  0000 0000 00000000           # LINKTYPE_NULL, reserved, snaplen 0 (no limit)
  0200 0300 6c6f30 00          # if_name "lo0" + 1 byte padding
  0900 0100 06 000000          # if_tsresol 6 (µs) + 3 bytes padding
  0000 0000                    # opt_endofopt
  28000000
  06000000 38000000            # EPB, 56 bytes
  00000000                     # interface 0
  01000000 02000000            # timestamp high, low: 2^32 + 2 µs
  09000000 09000000            # captured length, original length
  02000000 45000005 aa 000000  # AF_INET (little-endian), the packet, 3 bytes padding
  0100 0200 c3a9 0000          # opt_comment "é" (UTF-8) + 2 bytes padding
  0000 0000                    # opt_endofopt
  38000000
`);

interface BlockView {
  type: number;
  offset: number;
  length: number;
}

/**
 * Walk a little-endian pcapng file and assert the framing invariants on every block: the total
 * length is a multiple of 4 and repeated at the end; the options of SHB, IDB and EPB are each
 * padded to 32 bits with zero bytes and end exactly at opt_endofopt.
 */
function checkFraming(bytes: Uint8Array): BlockView[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: BlockView[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const type = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    expect(length % 4, `block at ${offset}: length`).toBe(0);
    expect(view.getUint32(offset + length - 4, true), `block at ${offset}: trailing length`).toBe(length);
    const fixed = type === 0x0a0d0d0a ? 16 : type === 1 ? 8 : type === 6 ? 20 + Math.ceil(view.getUint32(offset + 20, true) / 4) * 4 : -1;
    if (fixed >= 0) {
      if (type === 6) {
        const captured = view.getUint32(offset + 20, true);
        const padding = bytes.subarray(offset + 28 + captured, offset + 8 + fixed);
        expect([...padding], `block at ${offset}: packet padding`).toEqual(new Array(padding.length).fill(0));
      }
      let at = offset + 8 + fixed;
      const end = offset + length - 4;
      if (at < end) {
        for (;;) {
          const code = view.getUint16(at, true);
          const len = view.getUint16(at + 2, true);
          if (code === 0) {
            expect(len, `opt_endofopt at ${at}`).toBe(0);
            expect(at + 4, `options of block at ${offset} end at opt_endofopt`).toBe(end);
            break;
          }
          const padded = Math.ceil(len / 4) * 4;
          const padding = bytes.subarray(at + 4 + len, at + 4 + padded);
          expect([...padding], `option ${code} at ${at}: padding`).toEqual(new Array(padding.length).fill(0));
          at += 4 + padded;
          expect(at, `option ${code} stays in its block`).toBeLessThan(end);
        }
      }
    }
    blocks.push({ type, offset, length });
    offset += length;
  }
  expect(offset).toBe(bytes.length);
  return blocks;
}

/** What a reader gives back, minus the fields the writer's input doesn't have. */
function withoutReadExtras(read: PcapngReadCapture): PcapngCapture {
  return { ...read, packets: read.packets.map(({ linkHeader: _h, originalLength: _o, ...p }) => p) };
}

function expectPcapngError(bytes: Uint8Array): void {
  let caught: unknown;
  try {
    readPcapng(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  expect((caught as Error).message).toMatch(/^pcapng: malformed input at byte \d+: /);
}

/** A copy of `bytes` with `values` written from `at` on. */
function patch(bytes: Uint8Array, at: number, ...values: number[]): Uint8Array {
  const copy = bytes.slice();
  copy.set(values, at);
  return copy;
}

/** Read, and if the reader rejects the input, insist on a clean pcapng Error. */
function readOrReject(bytes: Uint8Array): PcapngReadCapture | undefined {
  try {
    return readPcapng(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^pcapng: /);
    return undefined;
  }
}

const text = fc.string({ unit: "binary", maxLength: 40 });

const interfaceArb: fc.Arbitrary<PcapngInterface> = fc.record(
  {
    name: text,
    description: text,
    linkType: fc.constantFrom(LINKTYPE.NULL, LINKTYPE.ETHERNET, LINKTYPE.RAW, LINKTYPE.IPV4),
    // Large enough never to truncate the generated packets, so the round trip is exact.
    snapLen: fc.integer({ min: 65536, max: 0xffffffff }),
  },
  { requiredKeys: ["name", "linkType"] },
);

const captureArb: fc.Arbitrary<PcapngCapture> = fc.array(interfaceArb, { minLength: 1, maxLength: 3 }).chain((interfaces) =>
  fc.record(
    {
      interfaces: fc.constant(interfaces),
      packets: fc.array(
        fc.record(
          {
            interfaceId: fc.nat({ max: interfaces.length - 1 }),
            timestampMicros: fc.maxSafeNat(),
            // An IPv4 version nibble, so LINKTYPE_NULL interfaces accept it.
            data: fc.uint8Array({ maxLength: 120 }).map((rest) => Uint8Array.of(0x45, ...rest)),
            comment: text,
          },
          { requiredKeys: ["interfaceId", "timestampMicros", "data"] },
        ),
        { maxLength: 8 },
      ),
      comment: text,
      application: text,
      hardware: text,
      os: text,
    },
    { requiredKeys: ["interfaces", "packets"] },
  ),
);

describe("writePcapng", () => {
  it("writes the fixture byte for byte", () => {
    expect(writePcapng(FIXTURE_CAPTURE)).toEqual(FIXTURE_BYTES);
  });

  it("frames every block and pads every option to 32 bits", () => {
    const blocks = checkFraming(writePcapng(FIXTURE_CAPTURE));
    expect(blocks.map((b) => [b.type, b.length])).toEqual([
      [0x0a0d0d0a, 40],
      [1, 40],
      [6, 56],
    ]);
  });

  it("keeps the framing invariants for any capture", () => {
    fc.assert(fc.property(captureArb, (capture) => void checkFraming(writePcapng(capture))));
  });

  it("splits a timestamp of 2^53 - 1 µs into high and low words", () => {
    const bytes = writePcapng({
      interfaces: [{ name: "em0", linkType: LINKTYPE.RAW }],
      packets: [{ interfaceId: 0, timestampMicros: Number.MAX_SAFE_INTEGER, data: hex("45") }],
    });
    const epb = new DataView(bytes.buffer, bytes.length - 36);
    expect(epb.getUint32(12, true)).toBe(0x001fffff);
    expect(epb.getUint32(16, true)).toBe(0xffffffff);
    expect(readPcapng(bytes).packets.at(0)?.timestampMicros).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("truncates a packet to the interface's snapLen and records the original length", () => {
    const data = counting(100, 0x45);
    const read = readPcapng(
      writePcapng({ interfaces: [{ name: "em0", linkType: LINKTYPE.NULL, snapLen: 20 }], packets: [{ interfaceId: 0, timestampMicros: 0, data }] }),
    );
    expect(read.interfaces[0]?.snapLen).toBe(20);
    expect(read.packets.at(0)?.linkHeader).toEqual(Uint8Array.of(2, 0, 0, 0));
    expect(read.packets.at(0)?.data).toEqual(data.subarray(0, 16));
    expect(read.packets.at(0)?.originalLength).toBe(104);
  });

  it("rejects what it cannot write faithfully", () => {
    const itf = [{ name: "lo0", linkType: LINKTYPE.NULL }];
    const packet = { interfaceId: 0, timestampMicros: 0, data: hex("45") };
    expect(() => writePcapng({ interfaces: itf, packets: [{ ...packet, interfaceId: 1 }] })).toThrow(/names interface 1/);
    expect(() => writePcapng({ interfaces: itf, packets: [{ ...packet, timestampMicros: -1 }] })).toThrow(/timestamp/);
    expect(() => writePcapng({ interfaces: itf, packets: [{ ...packet, timestampMicros: 2 ** 53 }] })).toThrow(/timestamp/);
    expect(() => writePcapng({ interfaces: itf, packets: [{ ...packet, timestampMicros: 1.5 }] })).toThrow(/timestamp/);
    expect(() => writePcapng({ interfaces: itf, packets: [{ ...packet, data: hex("00") }] })).toThrow(/not an IP packet/);
    expect(() => writePcapng({ interfaces: itf, packets: [{ ...packet, comment: "x".repeat(65536) }] })).toThrow(/65535/);
  });
});

describe("readPcapng", () => {
  it("reads the fixture", () => {
    expect(readPcapng(FIXTURE_BYTES)).toEqual({
      application: "tf",
      interfaces: [{ name: "lo0", linkType: LINKTYPE.NULL }],
      packets: [
        {
          interfaceId: 0,
          timestampMicros: 0x1_0000_0002,
          data: hex("45 00 00 05 aa"),
          linkHeader: hex("02 00 00 00"),
          originalLength: 9,
          comment: "é",
        },
      ],
    });
  });

  it("round-trips any capture, comments in any script included", () => {
    fc.assert(
      fc.property(captureArb, (capture) => {
        const read = readPcapng(writePcapng(capture));
        expect(withoutReadExtras(read)).toEqual(capture);
        read.packets.forEach((p, i) => {
          const nullLink = capture.interfaces[p.interfaceId]?.linkType === LINKTYPE.NULL;
          expect(p.linkHeader).toEqual(nullLink ? Uint8Array.of(2, 0, 0, 0) : new Uint8Array());
          expect(p.originalLength).toBe((capture.packets.at(i)?.data.length ?? 0) + p.linkHeader.length);
        });
      }),
    );
  });

  it("reads a big-endian section", () => {
    const be = hex(`
      0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffff ffffffff 0000001c
      00000001 00000014 0065 0000 00000000 00000014
      00000006 00000024 00000000 00000000 000f4240 00000002 00000002 4500 0000 00000024
    `);
    const read = readPcapng(be);
    expect(read.interfaces).toEqual([{ name: "", linkType: LINKTYPE.RAW }]);
    expect(read.packets).toEqual([
      { interfaceId: 0, timestampMicros: 1_000_000, data: hex("4500"), linkHeader: new Uint8Array(), originalLength: 2 },
    ]);
  });

  it("converts timestamps at other resolutions to microseconds, honouring if_tsoffset", () => {
    const bytes = writePcapng({
      interfaces: [{ name: "em0", linkType: LINKTYPE.RAW }],
      packets: [{ interfaceId: 0, timestampMicros: 1_234_567_891, data: hex("45") }],
    });
    const tsresol = bytes.indexOf(9, 28); // if_tsresol's code, in the IDB after the 28-byte SHB
    expect(bytes[tsresol + 4]).toBe(6);
    bytes[tsresol + 4] = 9; // now nanoseconds
    expect(readPcapng(bytes).packets.at(0)?.timestampMicros).toBe(1_234_567);
    bytes[tsresol + 4] = 0x80 | 10; // 2^-10 s
    expect(readPcapng(bytes).packets.at(0)?.timestampMicros).toBe(Math.floor((1_234_567_891 * 1e6) / 1024));
  });

  it("rejects every truncation that does not end on a block boundary", () => {
    const bytes = writePcapng({
      comment: "truncate me",
      interfaces: [
        { name: "lo0", linkType: LINKTYPE.NULL },
        { name: "em0", linkType: LINKTYPE.RAW },
      ],
      packets: [
        { interfaceId: 0, timestampMicros: 1, data: counting(33, 0x45), comment: "one" },
        { interfaceId: 1, timestampMicros: 2, data: counting(7, 0x45) },
      ],
    });
    const boundaries = new Set(checkFraming(bytes).map((b) => b.offset + b.length));
    const full = readPcapng(bytes);
    for (let n = 0; n < bytes.length; n++) {
      const prefix = bytes.slice(0, n);
      if (boundaries.has(n)) {
        const read = readPcapng(prefix);
        expect(full.packets.slice(0, read.packets.length)).toEqual(read.packets);
      } else {
        expectPcapngError(prefix);
      }
    }
  });

  it.each([
    ["empty input", new Uint8Array(), /too short for a Section Header Block/],
    ["a pcap (not pcapng) header", hex("d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000 00000000"), /not a Section Header Block/],
    ["a wrong byte-order magic", patch(FIXTURE_BYTES, 8, 0x4e), /byte-order magic is 0x1a2b3c4e/],
    ["a trailing length that differs", patch(FIXTURE_BYTES, 36, 0x2c), /trailing block length 44 differs from the leading 40/],
    ["a block length that is not a multiple of 4", patch(FIXTURE_BYTES, 44, 0x29), /block total length 41 is not a multiple of 4/],
    ["a block length past the end", patch(FIXTURE_BYTES, 84, 0x3c), /block total length 60 runs past the end/],
    ["an option running out of its block", patch(FIXTURE_BYTES, 26, 0x40), /option 4 claims 64 bytes/],
    ["a packet on an undeclared interface", patch(FIXTURE_BYTES, 88, 1), /names interface 1, but only 1 were described/],
    ["a captured length beyond the block", patch(FIXTURE_BYTES, 100, 0xff), /claims 255 captured bytes/],
    ["a captured length of 2^32 - 1", patch(FIXTURE_BYTES, 100, 0xff, 0xff, 0xff, 0xff), /claims 4294967295 captured bytes/],
    ["a comment that is not UTF-8", patch(FIXTURE_BYTES, 124, 0xff), /option 1 is not valid UTF-8/],
    ["a second section", new Uint8Array([...FIXTURE_BYTES, ...FIXTURE_BYTES.subarray(0, 40)]), /second section/],
    ["major version 2", patch(FIXTURE_BYTES, 12, 2), /major version 2/],
  ])("rejects %s with a clear Error", (_name, bytes, message) => {
    expectPcapngError(bytes);
    expect(() => readPcapng(bytes)).toThrow(message);
  });

  it("never hangs or throws anything but a pcapng Error on corrupted input", () => {
    const corruptions = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(captureArb, corruptions, (capture, edits) => {
        const bytes = writePcapng(capture);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        readOrReject(bytes);
      }),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void readOrReject(bytes)));
  });
});

describe("Wireshark reads our pcapng", () => {
  const dir = mkdtempSync(join(tmpdir(), "tagflow-pcapng-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const request = icmpEcho({ type: 8, id: 0x7467, seq: 1, data: counting(24) });
  const reply = icmpEcho({ type: 0, id: 0x7467, seq: 1, data: counting(24) });
  const capture: PcapngCapture = {
    application: "tagflow 0.1.0",
    comment: "two hosts ping each other",
    interfaces: [
      { name: "lo0", description: "host-a loopback", linkType: LINKTYPE.NULL },
      { name: "host-b:em0", linkType: LINKTYPE.RAW },
    ],
    packets: [
      {
        interfaceId: 0,
        timestampMicros: 1,
        data: ipv4({ src: "10.0.0.1", dst: "10.0.0.2", protocol: IPPROTO_ICMP, id: 1, payload: request }),
        comment: "echo request → host-b",
      },
      {
        interfaceId: 1,
        timestampMicros: 1_500_000,
        data: ipv4({ src: "10.0.0.2", dst: "10.0.0.1", protocol: IPPROTO_ICMP, id: 2, payload: reply }),
        comment: "réponse ✓",
      },
      // Past 2^32 µs, so the timestamp's high word matters.
      {
        interfaceId: 1,
        timestampMicros: 2 ** 40 + 5,
        data: ipv4({ src: "10.0.0.2", dst: "10.0.0.1", protocol: IPPROTO_ICMP, id: 3, payload: reply }),
      },
    ] satisfies PcapngPacket[],
  };

  it("dissects interfaces, timestamps, comments and ICMP with good checksums", { timeout: 300_000 }, () => {
    const path = join(dir, "ping.pcapng");
    writeFileSync(path, writePcapng(capture));
    const rows = tsharkFields(path, [
      "frame.interface_id",
      "frame.interface_name",
      "frame.interface_description",
      "frame.time_epoch",
      "frame.comment",
      "frame.protocols",
      "ip.src",
      "icmp.type",
      "icmp.checksum.status",
      "ip.checksum.status",
    ]);
    // Checksum status 1 is "Good" (proto_checksum_vals in epan/proto.c: 0 Bad, 1 Good, 2 Unverified).
    expect(rows).toEqual([
      ["0", "lo0", "host-a loopback", "0.000001000", "echo request → host-b", "null:ip:icmp:data", "10.0.0.1", "8", "1", "1"],
      ["1", "host-b:em0", "", "1.500000000", "réponse ✓", "raw:ip:icmp:data", "10.0.0.2", "0", "1", "1"],
      ["1", "host-b:em0", "", "1099511.627781000", "", "raw:ip:icmp:data", "10.0.0.2", "0", "1", "1"],
    ]);
  });
});
