/**
 * Wire formats: parse and emit for IPv4, ICMP, ESP, AH and UDP, the Internet checksum, and the
 * dissector the inspector uses. Each header module has the same shape: a `*_FIELDS` table (the
 * one source of truth for layout), a `*Repr`, `parse*` returning a `WireResult`, `emit*` writing
 * through the table, and a length function. Pure: bytes in, values out.
 */

export * from "./fields";
export * from "./checksum";
export * from "./ipv4";
export * from "./icmp";
export * from "./esp";
export * from "./ah";
export * from "./udp";
export * from "./dissect";
