/**
 * if_output dispatch: lo0 goes to looutput() (sys/net/if_loop.c), other interfaces to the
 * point-to-point link model (sys/net/if_ethersubr.c's ether_output, without ARP).
 */
import type { Mbuf } from "../mbuf/mbuf";
import type { Host, Iface } from "../sim/world";
import { looutput } from "./if_loop";
import { link_output } from "./if_link";
import { gif_output, gifTunnel } from "./if_gif";
import { ether_output_queued, hasModelledDriver } from "./ifq";

/** (*ifp->if_output)(ifp, m, dst, rt). Consumes `m`. */
export function if_output(host: Host, ifp: Iface, m: Mbuf, nextHop: string): void {
  if (ifp.loopback) looutput(host, ifp, m);
  // seed 003: a gif tunnel, or a NIC whose driver (and send queue) the scenario models.
  else if (gifTunnel(host, ifp)) gif_output(host, ifp, m);
  else if (hasModelledDriver(host, ifp)) ether_output_queued(host, ifp, m, nextHop);
  else link_output(host, ifp, m, nextHop);
}
