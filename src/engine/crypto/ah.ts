/**
 * The AH integrity check value (RFC 4302 §3.3.3). The caller builds the input: the whole IPv4
 * packet with the mutable fields (TOS, flags/fragment offset, TTL, header checksum, mutable
 * options) and the ICV field already zeroed, as RFC 4302 §3.3.3.1 prescribes.
 */
import type { AuthAlgId } from "./registry";
import { authCompute } from "./auth";

/** ICV over a zeroed packet. Throws for `"none"`: AH always carries an integrity algorithm. */
export function ahIcv(alg: AuthAlgId, key: Uint8Array, zeroedPacket: Uint8Array): Uint8Array {
  if (alg === "none") throw new Error('AH needs an integrity algorithm; "none" is not valid for AH (RFC 4302 §2.6)');
  return authCompute(alg, key, zeroedPacket);
}
