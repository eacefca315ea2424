import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AH_FIELDS,
  ESP_FIELDS,
  ICMP_ECHO_FIELDS,
  ICMP_ERROR_FIELDS,
  IPV4_FIELDS,
  IP_PROTO,
  UDP_FIELDS,
  defineFields,
  fieldsByName,
  formatFieldValue,
  formatIpv4Addr,
  fromHex,
  ipProtoName,
  parseIpv4Addr,
  readField,
  toHex,
  writeField,
  type FieldSpec,
  type FieldTable,
} from "../../../src/engine/wire";
import { sentinel } from "./fixtures";

const BYTE: FieldSpec = { name: "b", label: "b", offset: 1, size: 1 };
const WORD: FieldSpec = { name: "w", label: "w", offset: 2, size: 2 };
const LONG: FieldSpec = { name: "l", label: "l", offset: 0, size: 4 };
const HIGH_NIBBLE: FieldSpec = { name: "hi", label: "hi", offset: 0, size: 1, bitOffset: 0, bitWidth: 4 };
const MIDDLE_BITS: FieldSpec = { name: "mid", label: "mid", offset: 0, size: 2, bitOffset: 3, bitWidth: 9 };

describe("readField / writeField", () => {
  it("reads big-endian bytes, words and 32-bit words with the top bit set as positive numbers", () => {
    const buf = Uint8Array.of(0xc0, 0xa8, 0x7b, 0x64);
    expect(readField(buf, 0, BYTE)).toBe(0xa8);
    expect(readField(buf, 0, WORD)).toBe(0x7b64);
    expect(readField(buf, 0, LONG)).toBe(0xc0a87b64);
    expect(readField(buf, 1, { ...BYTE, offset: 0 })).toBe(0xa8);
  });

  it("reads bitfields counted from the MSB of their word", () => {
    // 0b1010_1101 0b1100_0011: bits 3..11 of the word are 0_1101_1100 = 0x0dc
    const buf = Uint8Array.of(0xad, 0xc3);
    expect(readField(buf, 0, HIGH_NIBBLE)).toBe(0xa);
    expect(readField(buf, 0, MIDDLE_BITS)).toBe(0b011011100);
  });

  it("writes only the field's own bits", () => {
    const buf = sentinel(4);
    writeField(buf, 0, MIDDLE_BITS, 0);
    // 0xa5a5 = 101 001011010 0101 → bits 3..11 cleared → 101 000000000 0101
    expect(Array.from(buf)).toEqual([0xa0, 0x05, 0xa5, 0xa5]);
    writeField(buf, 0, MIDDLE_BITS, 0x1ff);
    expect(Array.from(buf)).toEqual([0xbf, 0xf5, 0xa5, 0xa5]);
    writeField(buf, 0, WORD, 0x1234);
    expect(Array.from(buf)).toEqual([0xbf, 0xf5, 0x12, 0x34]);
    writeField(buf, 0, LONG, 0xfedcba98);
    expect(Array.from(buf)).toEqual([0xfe, 0xdc, 0xba, 0x98]);
  });

  it("rejects values that do not fit with a RangeError", () => {
    const buf = sentinel(4);
    for (const bad of [-1, 256, 1.5, Number.NaN]) expect(() => writeField(buf, 0, BYTE, bad)).toThrow(RangeError);
    expect(() => writeField(buf, 0, HIGH_NIBBLE, 16)).toThrow(RangeError);
    expect(() => writeField(buf, 0, LONG, 2 ** 32)).toThrow(RangeError);
    expect(Array.from(buf)).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
  });

  it("rejects fields outside the buffer with a RangeError", () => {
    expect(() => readField(new Uint8Array(3), 0, LONG)).toThrow(RangeError);
    expect(() => readField(new Uint8Array(4), 1, LONG)).toThrow(RangeError);
    expect(() => readField(new Uint8Array(4), -2, BYTE)).toThrow(RangeError);
    expect(() => writeField(new Uint8Array(3), 0, WORD, 1)).toThrow(RangeError);
  });

  it("round-trips any value of any width", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.nat(), fc.nat(), fc.uint8Array({ minLength: 4, maxLength: 4 }), (size, from, width, before) => {
        const bitOffset = from % (size * 8);
        const bitWidth = 1 + (width % (size * 8 - bitOffset));
        const spec: FieldSpec = { name: "f", label: "f", offset: 0, size, bitOffset, bitWidth };
        const value = (from * 7919 + width) % 2 ** bitWidth;
        const buf = before.slice();
        writeField(buf, 0, spec, value);
        expect(readField(buf, 0, spec)).toBe(value);
        // Every bit outside the field is untouched.
        for (let bit = 0; bit < size * 8; bit++) {
          const inField = bit >= bitOffset && bit < bitOffset + bitWidth;
          const byte = Math.floor(bit / 8);
          const shift = 7 - (bit % 8);
          if (!inField) expect(((buf[byte] ?? 0) >> shift) & 1).toBe(((before[byte] ?? 0) >> shift) & 1);
        }
        expect(Array.from(buf.slice(size))).toEqual(Array.from(before.slice(size)));
      }),
    );
  });
});

describe("field tables", () => {
  const tables: [string, FieldTable, number][] = [
    ["IPV4_FIELDS", IPV4_FIELDS, 20],
    ["ICMP_ECHO_FIELDS", ICMP_ECHO_FIELDS, 8],
    ["ICMP_ERROR_FIELDS", ICMP_ERROR_FIELDS, 8],
    ["ESP_FIELDS", ESP_FIELDS, 8],
    ["AH_FIELDS", AH_FIELDS, 12],
    ["UDP_FIELDS", UDP_FIELDS, 8],
  ];

  // With the sentinel emit tests this proves emit writes every bit of the fixed header.
  it.each(tables)("%s covers every bit of its %i-byte header exactly once", (_name, table, len) => {
    const owners = new Array<string[]>(len * 8).fill([]).map(() => [] as string[]);
    for (const spec of table) {
      const first = spec.offset * 8 + (spec.bitOffset ?? 0);
      const width = spec.bitWidth ?? spec.size * 8;
      for (let bit = first; bit < first + width; bit++) owners[bit]?.push(spec.name);
      expect(first + width).toBeLessThanOrEqual(len * 8);
    }
    expect(owners.map((o) => o.length)).toEqual(new Array(len * 8).fill(1));
  });

  it("defineFields rejects bad geometry and duplicate names", () => {
    expect(() => defineFields([{ name: "x", label: "x", offset: 0, size: 3 }])).not.toThrow();
    expect(() => defineFields([{ name: "x", label: "x", offset: 0, size: 5 }])).toThrow(RangeError);
    expect(() => defineFields([{ name: "x", label: "x", offset: -1, size: 1 }])).toThrow(RangeError);
    expect(() => defineFields([{ name: "x", label: "x", offset: 0, size: 1, bitOffset: 4, bitWidth: 5 }])).toThrow(RangeError);
    expect(() => defineFields([{ name: "x", label: "x", offset: 0, size: 1, bitOffset: 4 }])).toThrow(RangeError);
    expect(() =>
      defineFields([
        { name: "x", label: "x", offset: 0, size: 1 },
        { name: "x", label: "x", offset: 1, size: 1 },
      ]),
    ).toThrow(RangeError);
  });

  it("fieldsByName finds each spec by its name", () => {
    const F = fieldsByName(IPV4_FIELDS);
    expect(F.ttl).toEqual({ name: "ttl", label: "Time to live", offset: 8, size: 1 });
    expect(F.df).toMatchObject({ offset: 6, size: 2, bitOffset: 1, bitWidth: 1 });
  });

  it("formatFieldValue shows decimal, zero-padded hex, dotted quads and flags", () => {
    const F = fieldsByName(IPV4_FIELDS);
    expect(formatFieldValue(F.ttl, 64)).toBe("64");
    expect(formatFieldValue(F.checksum, 0x6aa)).toBe("0x06aa");
    expect(formatFieldValue(F.src, 0x7f000001)).toBe("127.0.0.1");
    expect(formatFieldValue(F.df, 1)).toBe("1");
    expect(formatFieldValue(fieldsByName(ESP_FIELDS).spi, 0x1000)).toBe("0x00001000");
  });
});

describe("IPv4 addresses", () => {
  it("formats and parses dotted quads", () => {
    expect(formatIpv4Addr(0x7f000001)).toBe("127.0.0.1");
    expect(formatIpv4Addr(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4Addr(0)).toBe("0.0.0.0");
    expect(parseIpv4Addr("192.168.123.100")).toBe(0xc0a87b64);
    expect(parseIpv4Addr("255.255.255.255")).toBe(0xffffffff);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3.04",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1..3.4",
    "1.2.3.-4",
    "0x7f.0.0.1",
    "1e1.0.0.1",
    "127.1",
    "1.2.3.4/8",
  ])("rejects %j", (s) => expect(parseIpv4Addr(s)).toBeUndefined());

  it("rejects non-u32 numbers", () => {
    for (const bad of [-1, 2 ** 32, 1.5]) expect(() => formatIpv4Addr(bad)).toThrow(RangeError);
  });

  it("round-trips every u32", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(parseIpv4Addr(formatIpv4Addr(n))).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatIpv4Addr(parseIpv4Addr(s) ?? -1)).toBe(s);
      }),
    );
  });
});

describe("hex", () => {
  it("writes lowercase without separators and reads either case", () => {
    expect(toHex(Uint8Array.of(0x00, 0x0a, 0xff, 0x45))).toBe("000aff45");
    expect(Array.from(fromHex("000AfF45"))).toEqual([0x00, 0x0a, 0xff, 0x45]);
    expect(fromHex("")).toEqual(new Uint8Array(0));
  });

  it.each(["0", "abc", "zz", "0x00", "00 11", "+1"])("rejects %j", (s) => expect(() => fromHex(s)).toThrow(RangeError));

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
  });
});

describe("IP protocol numbers", () => {
  it("names the protocols tagflow decodes and falls back to the number", () => {
    expect(IP_PROTO).toEqual({ ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, ESP: 50, AH: 51 });
    expect([1, 4, 6, 17, 50, 51].map(ipProtoName)).toEqual(["icmp", "ipip", "tcp", "udp", "esp", "ah"]);
    expect(ipProtoName(99)).toBe("proto 99");
  });
});
