/** IPv4 prefixes for routes and SPD selectors (RFC 4632 notation). */
import { parseIpv4Addr } from "../wire/fields";

export interface Prefix {
  readonly addr: number;
  readonly len: number;
  readonly text: string;
}

/** The mask of a prefix length, as an unsigned 32-bit number. */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parse "a.b.c.d/len", "a.b.c.d" (a /32) or "default" (0.0.0.0/0). */
export function parsePrefix(text: string): Prefix {
  if (text === "default") return { addr: 0, len: 0, text };
  const [a, l] = text.split("/");
  const addr = parseIpv4Addr(a ?? "");
  const len = l === undefined ? 32 : Number(l);
  if (addr === undefined || !Number.isInteger(len) || len < 0 || len > 32) throw new RangeError(`bad prefix ${text}`);
  return { addr: (addr & maskOf(len)) >>> 0, len, text };
}

/** Does the prefix contain the address? */
export function prefixContains(p: Prefix, addr: number): boolean {
  return (addr & maskOf(p.len)) >>> 0 === p.addr;
}

/** Address of "a.b.c.d/len" without the prefix length. */
export function addrOf(cidr: string): string {
  return cidr.split("/")[0] ?? cidr;
}

const PARSED = new Map<string, number>();

/** Parse a dotted quad that validation already accepted (remembered: layers ask per packet). */
export function ip(text: string): number {
  let n = PARSED.get(text);
  if (n !== undefined) return n;
  n = parseIpv4Addr(text);
  if (n === undefined) throw new RangeError(`bad IPv4 address ${text}`);
  if (PARSED.size >= 4096) PARSED.clear();
  PARSED.set(text, n);
  return n;
}
