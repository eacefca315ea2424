/**
 * Real ESP/AH cryptography over @noble: the transform registry, ESP seal/open (RFC 4303),
 * truncated HMACs (RFC 2404, RFC 4868), the AH ICV (RFC 4302) and the raw ciphers beneath them.
 */
export { ENC_ALGS, AUTH_ALGS, encAlg, authAlg, validateKeys } from "./registry";
export type { EncAlgId, AuthAlgId, EncAlgInfo, AuthAlgInfo } from "./registry";
export { espSeal, espOpen, espParseTrailer, espDefaultPadding, ESP_HEADER_BYTES, ESP_TRAILER_BYTES } from "./esp";
export type { EspSaKeys, EspSealInput, EspSealed, EspOpenResult, EspOpenFailure, EspTrailer } from "./esp";
export { authCompute, authVerify, hmacFull, constantTimeEqual } from "./auth";
export type { HmacHash } from "./auth";
export { ahIcv } from "./ah";
export { aesCbcEncrypt, aesCbcDecrypt, aeadEncrypt, aeadDecrypt } from "./cipher";
export type { AeadAlgId } from "./cipher";
