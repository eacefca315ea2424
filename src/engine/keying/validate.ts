/**
 * The keying section's cross-references (issue 15 item 5), checked with the rest of the scenario
 * (scenario/validate.ts) so a bad `keying` is a problem with a JSON path, never a throw from
 * startKeying: the connection's ends must be two different hosts of the scenario, each address
 * one of its host's, and each soft lifetime below its hard one (RFC 2367 §2.3.4 and
 * xfrm_state_check_expire treat the soft limit as the warning before the hard one).
 */
import type { Problem, Scenario } from "../scenario/schema";
import { addrOf } from "../sim/addr";

export function keyingProblems(s: Scenario): Problem[] {
  const k = s.keying;
  if (!k) return [];
  const out: Problem[] = [];
  const c = k.conn;
  const at = "$.keying.conn";
  const names = s.hosts.map((h) => h.name).join(", ");
  const end = (side: "left" | "right"): void => {
    const name = c[side];
    const addr = side === "left" ? c.leftAddr : c.rightAddr;
    const host = s.hosts.find((h) => h.name === name);
    if (!host) out.push({ path: `${at}.${side}`, message: `no host "${name}" (hosts: ${names})` });
    else if (!host.interfaces.some((i) => addrOf(i.addr) === addr))
      out.push({
        path: `${at}.${side}Addr`,
        message: `${addr} is not an address of ${name} (pluto's ${side}= must be one of its host's own addresses)`,
      });
  };
  end("left");
  end("right");
  if (c.left === c.right) out.push({ path: `${at}.right`, message: `left and right are both "${c.left}": a connection needs two different hosts` });
  const pair = (soft: keyof typeof c, hard: keyof typeof c, unit: string): void => {
    const sv = c[soft] as number | undefined;
    const hv = c[hard] as number | undefined;
    if (sv !== undefined && hv !== undefined && sv >= hv)
      out.push({
        path: `${at}.${soft}`,
        message: `the soft limit (${sv} ${unit}) must be below the hard limit (${hv} ${unit}): the soft expiry is the warning that starts a rekey`,
      });
  };
  pair("softBytes", "hardBytes", "bytes");
  pair("softAddSec", "hardAddSec", "s");
  return out;
}
