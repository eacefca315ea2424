/**
 * The inspector's key-message view (src/ui/inspector/keyMessage.ts): a packet version built for a
 * key socket is found by its delivery and decoded into rows; an ordinary packet is not.
 */
import { describe, expect, it } from "vitest";
import { keyMessageAt } from "../../../src/ui/inspector/keyMessage";
import { bytesOf, eventsOf, runBuiltin } from "../../helpers/trace";

describe("keyMessageAt", () => {
  it("decodes a message at its allocation step and at its delivery, and leaves an echo alone", () => {
    for (const name of ["libreswan-ondemand", "ondemand-pfkeyv2"]) {
      const t = runBuiltin(name);
      const d = eventsOf(t, "deliver").find((e) => /NETLINK_XFRM|PF_KEY/.test(e.socket) && e.host === "east")!;
      const bytes = bytesOf(t, d);
      const alloc = eventsOf(t, "mbuf.alloc").find((e) => e.chain === d.chain)!;
      for (const step of [alloc.seq, d.seq]) {
        const v = keyMessageAt(t, step, d.chain, bytes)!;
        expect(v.summary).toBe(d.summary);
        expect(v.error).toBeUndefined();
        expect(v.rows[0]!.struct).toBe(name === "ondemand-pfkeyv2" ? "sadb_msg" : "nlmsghdr");
      }
      const echo = eventsOf(t, "link.tx")[0]!;
      expect(keyMessageAt(t, echo.seq, echo.chain, bytesOf(t, echo))).toBeUndefined();
    }
  });
});
