/**
 * The keying vectors of tests/vectors/keying (see its README): message bytes built by gen.c with
 * the real uapi structs, and what iproute2 6.1 `ip xfrm monitor file` printed for them.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bytes } from "../wire/fixtures";

const DIR = join(__dirname, "../../vectors/keying");

/** gen.c's messages by name (xfrm_newsa, pfkey_bsd_add, …). */
export const MESSAGES: Readonly<Record<string, Uint8Array>> = Object.fromEntries(
  readFileSync(join(DIR, "messages.txt"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const [name, hex] = line.split(" ");
      return [name!, bytes(hex!)];
    }),
);

/** The bytes of one vector; throws on a name gen.c does not produce. */
export function vector(name: string): Uint8Array {
  const b = MESSAGES[name];
  if (!b) throw new Error(`no keying vector ${name}`);
  return b;
}

/** iproute2 6.1's `ip xfrm monitor` text per XFRM vector. */
export const IP_XFRM_MONITOR: Readonly<Record<string, string>> = (
  JSON.parse(readFileSync(join(DIR, "ip-xfrm-monitor.json"), "utf8")) as { text: Record<string, string> }
).text;
