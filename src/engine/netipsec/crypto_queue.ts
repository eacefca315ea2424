/**
 * The opencrypto queue (sys/opencrypto/crypto.c): transforms submit a request with
 * crypto_dispatch() and continue in a callback when the "hardware" finishes. One engine per
 * host serves requests in order; each costs a setup time plus time per byte, in virtual µs,
 * so a flood shows requests queueing and completing interleaved with other work.
 */
import type { Mbuf } from "../mbuf/mbuf";
import type { Host } from "../sim/world";
import type { SecAssoc } from "./types";

/** Virtual cost of one request: setup + bytes / throughput (µs). */
const SETUP_MICROS = 3;
const BYTES_PER_MICRO = 200;

export type CryptoOp = "encrypt" | "decrypt" | "sign" | "verify";

/** crypto_dispatch(crp): queue the work; `done` runs when it completes. */
export function crypto_dispatch(host: Host, m: Mbuf, sa: SecAssoc, op: CryptoOp, bytes: number, note: string, done: () => void): void {
  const site = host.site("crypto", "crypto_dispatch");
  host.cryptoDepth++;
  site.emit(m, { kind: "crypto.submit", sa: sa.id, op, bytes }, note);
  const now = host.world.recorder.now;
  const start = Math.max(now, host.cryptoBusyUntil);
  const finish = start + SETUP_MICROS + Math.ceil(bytes / BYTES_PER_MICRO);
  host.cryptoBusyUntil = finish;
  host.world.after(finish - now, () => {
    host.cryptoDepth--;
    done();
  });
}
