/**
 * The transforms' "maximum packet size violation" check (sys/netipsec/xform_esp.c esp_output,
 * xform_ah.c ah_output; FreeBSD 7 and the NetBSD FAST_IPSEC import alike): if the protected
 * datagram would exceed IP_MAXPACKET (65535, the largest ip_len), the transform fails with
 * EMSGSIZE (esps_toobig / ahs_toobig) and the packet is freed — before a sequence number is taken.
 */
import type { Mbuf } from "../mbuf/mbuf";
import { drop } from "../mbuf/drop";
import type { Site } from "../trace/recorder";
import { fieldItem, one } from "../trace/shared";

/** IP_MAXPACKET (sys/netinet/ip.h). */
export const IP_MAXPACKET = 65535;

/** True (and `m` dropped) when `total` bytes would not fit ip_len. */
export function tooBig(site: Site, m: Mbuf, total: number, proto: "ESP" | "AH", counter: string): boolean {
  // Only the failing case is recorded: every datagram that fits would add a step per transform.
  if (total <= IP_MAXPACKET) return false;
  site.emit(
    m,
    {
      kind: "decision",
      check: "ip-maxpacket",
      question: site.text`Does the datagram fit IP_MAXPACKET (${IP_MAXPACKET} bytes) once ${proto} is added (${total} bytes)?`,
      consulted: one(fieldItem("ipv4", "totalLength", String(m.len))),
      branch: "EMSGSIZE",
    },
    site.text`${site.fn}: with ${proto} the datagram would be ${total} bytes, more than ip_len can say (IP_MAXPACKET ${IP_MAXPACKET}): the transform fails with EMSGSIZE.`,
  );
  drop(
    site,
    m,
    "ip-msgsize",
    site.text`${total} bytes with ${proto} > IP_MAXPACKET ${IP_MAXPACKET}: EMSGSIZE`,
    site.text`${site.fn} drops the packet (${counter}); ip_output returns EMSGSIZE to the sender.`,
  );
  return true;
}
