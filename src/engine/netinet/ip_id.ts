/**
 * ip_randomid() — NetBSD sys/netinet/ip_id.c (imported from OpenBSD), used by ip_output.c 1.120
 * (2003-09-06) for locally generated datagrams and by rip_output for IP_HDRINCL headers whose
 * ip_id is 0. Drawn from the run's seeded RNG (sim/rng.ts) so a trace stays reproducible; the
 * value is never 0, so "ip_id == 0" keeps meaning "not filled in" [I: the permutation
 * generator's range].
 */
import type { Host } from "../sim/world";

export function ip_randomid(host: Host): number {
  return 1 + (host.world.rng.u16() % 0xffff);
}
