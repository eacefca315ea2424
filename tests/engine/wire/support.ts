/** Test-only helpers for the wire tests: an independent checksum and byte-mangling arbitraries. */

import fc from "fast-check";
import { expect } from "vitest";
import type { WireError, WireResult } from "../../../src/engine/wire";

/**
 * RFC 1071 checksum written the way the RFC's C example (§4.1) does it: a 32-bit accumulator,
 * carries folded at the end. Deliberately shares no code with src/engine/wire/checksum.ts.
 */
export function refChecksum(data: Uint8Array): number {
  let sum = 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let i = 0;
  for (; i + 1 < data.length; i += 2) sum = (sum + view.getUint16(i)) >>> 0;
  if (i < data.length) sum = (sum + (view.getUint8(i) << 8)) >>> 0;
  while (sum >>> 16) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A copy of `data` with the 16-bit field at `at` set to zero, for recomputing a stored checksum. */
export function withZeroWord(data: Uint8Array, at: number): Uint8Array {
  const copy = data.slice();
  copy[at] = 0;
  copy[at + 1] = 0;
  return copy;
}

/** The value of a successful result, failing the test with the error otherwise. */
export function unwrap<T>(result: WireResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.kind} ${result.error.header}: ${result.error.message}`);
  return result.value;
}

/** The error of a failed result, failing the test if it succeeded. */
export function failure<T>(result: WireResult<T>): WireError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

/** Assert `result` failed with exactly this kind. */
export function expectKind<T>(result: WireResult<T>, kind: WireError["kind"]): void {
  expect(failure(result).kind).toBe(kind);
}

/** Arbitrary bytes: pure garbage, or a valid packet with a few bytes overwritten and maybe cut short. */
export function garbageFrom(packets: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .record({
      packet: fc.constantFrom(...packets),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ packet, edits, cut }) => {
      const out = packet.slice(0, cut === undefined ? packet.length : cut % (packet.length + 1));
      for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
      return out;
    });
  return fc.oneof(fc.uint8Array({ maxLength: 128 }), mutated);
}
