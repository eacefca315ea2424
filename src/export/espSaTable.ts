/**
 * Wireshark's ESP SA table: the `esp_sa` UAT file in a Wireshark profile directory, whose lines
 * `tshark -o "uat:esp_sa:<line>"` also accepts. With it and the preferences
 * `esp.enable_encryption_decode: TRUE` and `esp.enable_authentication_check: TRUE`, Wireshark
 * decrypts the ESP packets of an exported capture and checks their ICVs.
 *
 * A line is 8 double-quoted, comma-separated fields (epan/dissectors/packet-ipsec.c,
 * `esp_uat_flds`):
 *
 *   "IPv4","10.0.0.1","10.0.0.2","0x00001000","AES-CBC [RFC3602]","0x…","HMAC-SHA-1-96 [RFC2404]","0x…"
 *    proto  src addr   dst addr   SPI          encryption            key   authentication            key
 *
 * The algorithm fields are value-string enums stored by name, so the names must match
 * Wireshark's `esp_encryption_type_vals` / `esp_authentication_type_vals` exactly. Checked
 * against Wireshark 4.0.17 (Debian 12).
 *
 * Wireshark 4.2 and later (packet-ipsec.c, `esp_uat_flds`, read in a build of 4.2+: it also lists
 * "Any" for the protocol and RFC 8750's IIV ciphers) add two trailing fields, with defaults
 * (`esp_uat_defaults_`: "32-bit", "0"), so 8-field lines load there too:
 *
 *   …,"64-bit","0"
 *     sn_length ("SN": `esp_sn_length_vals` "32-bit" | "64-bit")   sn_upper ("ESN High Bits", hex)
 *
 * Format "4.2" writes them (10 fields); Wireshark 4.0 loads such a line with the warning "More
 * fields than required. Discarding …" and keeps the first eight. What the table can express:
 * whether an SA uses 64-bit ESN, and ONE value for its high 32 bits for the whole capture. What it
 * cannot: seq-hi changing within a capture (the kernel infers it per packet, RFC 4303 App. A2),
 * and AH (the table is ESP only). tagflow's counters start at 0 and a run sends far fewer than
 * 2^32 packets, so seq-hi is 0 for every packet of every run and the 4.2 line is exact.
 */

/** Encryption transforms tagflow's SAs use. */
export type EspEncAlg = "aes-gcm-16" | "chacha20-poly1305" | "aes-cbc" | "null" | "3des-cbc";

/** Integrity transforms tagflow's SAs use; "none" for AEAD ciphers and for NULL-NULL tests. */
export type EspAuthAlg = "hmac-sha1-96" | "hmac-sha256-128" | "none" | "hmac-md5-96";

/** One SA, with the keys an export needs. */
export interface EspSaForExport {
  /** Source address of the ESP packets: IPv4 or IPv6 literal, optionally "/len", or "*". */
  srcAddr: string;
  dstAddr: string;
  spi: number;
  enc: EspEncAlg;
  /** The full KEYMAT: for AES-GCM and ChaCha20-Poly1305 the key followed by the 4-byte salt. */
  encKey: Uint8Array;
  auth: EspAuthAlg;
  /** Empty when `auth` is "none". */
  authKey: Uint8Array;
  /**
   * Extended sequence numbers (RFC 4303 §2.2.1). The 8-field line cannot say so: Wireshark 4.0
   * has no such column, and 4.2's "ESN high bits" is one fixed value per SA, where the kernel
   * infers seq-hi packet by packet. espSaTable writes a '#' note for such an SA instead.
   */
  esn?: boolean;
  /** The high 32 bits of the SA's sequence numbers for the whole capture (format "4.2"); 0 when absent. */
  esnHigh?: number;
}

/**
 * Which Wireshark's esp_sa layout to write: "4.0", the 8 fields every 4.x reads; "4.2", with the
 * SN length and ESN high bits columns of 4.2 and later.
 */
export type EspSaFormat = "4.0" | "4.2";

/**
 * Encryption algorithm names as Wireshark spells them in the UAT.
 * ChaCha20-Poly1305 exists only in Wireshark ≥ 4.2; 4.0 rejects the whole line.
 */
export const WIRESHARK_ENC_NAME: Readonly<Record<EspEncAlg, string>> = {
  "aes-gcm-16": "AES-GCM with 16 octet ICV [RFC4106]",
  "chacha20-poly1305": "ChaCha20 with Poly1305 [RFC7634]",
  "aes-cbc": "AES-CBC [RFC3602]",
  null: "NULL",
  "3des-cbc": "TripleDES-CBC [RFC2451]",
};

/** Authentication algorithm names as Wireshark spells them in the UAT. */
export const WIRESHARK_AUTH_NAME: Readonly<Record<EspAuthAlg, string>> = {
  "hmac-sha1-96": "HMAC-SHA-1-96 [RFC2404]",
  "hmac-sha256-128": "HMAC-SHA-256-128 [RFC4868]",
  none: "NULL",
  "hmac-md5-96": "HMAC-MD5-96 [RFC2403]",
};

/** Valid KEYMAT lengths in bytes (RFC 4106 §8.1, RFC 7634 §4, RFC 3602 §5). */
const ENC_KEY_LENGTHS: Readonly<Record<EspEncAlg, readonly number[]>> = {
  "aes-gcm-16": [20, 28, 36],
  "chacha20-poly1305": [36],
  "aes-cbc": [16, 24, 32],
  null: [0],
  "3des-cbc": [24],
};

/** Combined-mode ciphers carry their own ICV (RFC 4303 §3.2.3). */
const AEAD: ReadonlySet<EspEncAlg> = new Set(["aes-gcm-16", "chacha20-poly1305"]);

const ADDRESS = /^(\*|[0-9*]{1,3}(\.[0-9*]{1,3}){3}(\/\d{1,2})?|[0-9A-Fa-f:*]*:[0-9A-Fa-f:*.]*(\/\d{1,3})?)$/;

/** "0x" and lowercase hex, or "" for an empty key (Wireshark reads both as "no key"). */
function keyField(key: Uint8Array): string {
  if (key.length === 0) return "";
  let hex = "0x";
  for (const b of key) hex += b.toString(16).padStart(2, "0");
  return hex;
}

function saLine(sa: EspSaForExport, index: number, format: EspSaFormat): string {
  const where = `SA ${index} (SPI ${sa.spi})`;
  if (!Number.isInteger(sa.spi) || sa.spi < 0 || sa.spi > 0xffffffff) {
    throw new Error(`esp_sa: ${where}: SPI must be a 32-bit unsigned integer`);
  }
  for (const addr of [sa.srcAddr, sa.dstAddr]) {
    if (!ADDRESS.test(addr)) throw new Error(`esp_sa: ${where}: "${addr}" is not an IP address, prefix or "*"`);
  }
  const v6 = [sa.srcAddr, sa.dstAddr].filter((a) => a.includes(":")).length;
  if (v6 === 1 && sa.srcAddr !== "*" && sa.dstAddr !== "*") {
    throw new Error(`esp_sa: ${where}: source ${sa.srcAddr} and destination ${sa.dstAddr} are different IP versions`);
  }
  const lengths = ENC_KEY_LENGTHS[sa.enc];
  if (!lengths.includes(sa.encKey.length)) {
    throw new Error(`esp_sa: ${where}: ${sa.enc} needs a ${lengths.join(" or ")}-byte key, got ${sa.encKey.length}`);
  }
  if (AEAD.has(sa.enc) && sa.auth !== "none") {
    // Wireshark reports a dissector bug for AES-GCM with a separate integrity algorithm.
    throw new Error(`esp_sa: ${where}: ${sa.enc} is a combined-mode cipher; auth must be "none", got ${sa.auth}`);
  }
  if ((sa.auth === "none") !== (sa.authKey.length === 0)) {
    throw new Error(`esp_sa: ${where}: auth ${sa.auth} with a ${sa.authKey.length}-byte key`);
  }
  const fields = [
    v6 > 0 ? "IPv6" : "IPv4",
    sa.srcAddr,
    sa.dstAddr,
    `0x${sa.spi.toString(16).padStart(8, "0")}`,
    WIRESHARK_ENC_NAME[sa.enc],
    keyField(sa.encKey),
    WIRESHARK_AUTH_NAME[sa.auth],
    keyField(sa.authKey),
  ];
  if (format === "4.2") {
    const high = sa.esnHigh ?? 0;
    if (!Number.isInteger(high) || high < 0 || high > 0xffffffff)
      throw new Error(`esp_sa: ${where}: ESN high bits must be a 32-bit unsigned integer`);
    // uat_fld_chk_num_hex: plain hex digits.
    fields.push(sa.esn === true ? "64-bit" : "32-bit", high.toString(16));
  }
  // No field can hold a '"' or '\' (checked above or fixed strings), so no UAT escaping is needed.
  return fields.map((f) => `"${f}"`).join(",");
}

/**
 * One esp_sa UAT line per SA, in order. Throws on an SA Wireshark could not use: a bad SPI or
 * address, a key of the wrong length, or an AEAD cipher paired with a separate integrity algorithm.
 */
export function espSaTableLines(sas: readonly EspSaForExport[], format: EspSaFormat = "4.0"): string[] {
  return sas.map((sa, i) => saLine(sa, i, format));
}

/**
 * The whole esp_sa file: a '#' comment line (Wireshark's UAT loader skips lines starting with
 * '#'), then one line per SA, each ending in "\n".
 */
export function espSaTable(sas: readonly EspSaForExport[], comment = "ESP SAs exported by tagflow", format: EspSaFormat = "4.0"): string {
  const header = comment
    .split("\n")
    .map((line) => `# ${line}`.trimEnd())
    .join("\n");
  // An ESN SA's ICVs (and, for AEAD, its decryption) cover seq-hi, which is not on the wire:
  // the reader must set it by hand where Wireshark can hold it (4.2+), so say so next to the lines.
  const spiText = (sa: EspSaForExport) => `0x${sa.spi.toString(16).padStart(8, "0")}`;
  const esnNotes = sas
    .filter((sa) => sa.esn === true)
    .map((sa) =>
      format === "4.2"
        ? `# SPI ${spiText(sa)} uses 64-bit extended sequence numbers (RFC 4303 §2.2.1): its line says 64-bit with ESN high bits ${(sa.esnHigh ?? 0).toString(16)}, one value for the whole capture — Wireshark cannot follow seq-hi changing mid-capture (Wireshark 4.0 ignores both columns)`
        : `# SPI ${spiText(sa)} uses 64-bit extended sequence numbers (RFC 4303 §2.2.1): Wireshark 4.0 cannot express them, so its ICV check and AEAD decryption fail; in 4.2+ set the SA's SN to 64-bit ESN and its ESN high bits to the run's seq-hi (0 until the counter passes 2^32), or export with format "4.2"`,
    );
  return [header, ...esnNotes, ...espSaTableLines(sas, format)].map((line) => `${line}\n`).join("");
}
