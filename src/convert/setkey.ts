/**
 * setkey(8) files in and out: the `add` / `spdadd` / `flush` / `spdflush` grammar of ipsec-tools
 * setkey, read by a hand-written lexer and recursive-descent parser that say line, column and what
 * was expected, and written back from a scenario host's SAD and SPD.
 *
 * Grammar and tokens follow ipsec-tools 0.8 `src/setkey/token.l` and `src/setkey/parse.y`
 * (rdratlos/racoon-ipsec-tools @2146821, the ipsec-tools CVS tree): `#` comments to the end of the
 * line, statements end with `;` and may span lines, keys are `0x` hex or `"quoted"` strings,
 * `-E`/`-A` take an algorithm and (except `null`) a key, `-m transport|tunnel|any`, `-r` replay
 * window, `-u` reqid, and `-P dir [prio N] discard|none|ipsec proto/mode/src-dst/level…` policies.
 * A trailing backslash joins lines (how setkey files are written inside shell scripts).
 */
import type { HostSpec } from "../engine/scenario/schema";
import {
  asciiToHex,
  isIpv4,
  normaliseHex,
  spiHex,
  type Diag,
  type KeyConfig,
  type ParseResult,
  type PolicyInput,
  type Pos,
  type RequestInput,
  type SaInput,
} from "./model";

interface Token extends Pos {
  readonly kind: "word" | "string" | "semi";
  readonly text: string;
}

/**
 * Encryption algorithms by setkey name → the engine's ENC_ALGS id. `rijndael-cbc` and `aes-cbc`
 * are one algorithm (SADB_X_EALG_AESCBC, token.l); `aes-gcm-16` is SADB_X_EALG_AESGCM16 in the
 * BSD setkeys that have it (libipsec `str_alg_enc`). `chacha20-poly1305` is not an ipsec-tools
 * token: it is accepted so every engine algorithm can round-trip, and warned about on output.
 */
const ENC: Readonly<Record<string, SaInput["enc"]>> = {
  "aes-gcm-16": "aes-gcm-16",
  "rijndael-cbc": "aes-cbc",
  "aes-cbc": "aes-cbc",
  // RFC 2451 3DES-CBC (seed 002's KLIPS SAs; ipsec-tools token.l "3des-cbc").
  "3des-cbc": "3des-cbc",
  null: "null",
  "chacha20-poly1305": "chacha20-poly1305",
};
/** setkey encryption names the engine does not model (token.l S_ENCALG; aes-gcm-8/12 and aes-gmac from the BSD setkeys). */
const ENC_UNMODELLED = new Set([
  "des-cbc",
  "simple",
  "blowfish-cbc",
  "cast128-cbc",
  "des-deriv",
  "des-32iv",
  "twofish-cbc",
  "aes-ctr",
  "camellia-cbc",
  "aes-gcm-8",
  "aes-gcm-12",
  "aes-gmac",
]);
/**
 * Authentication algorithms → AUTH_ALGS. KAME and FAST_IPSEC truncate HMAC-SHA1 to 96 bits
 * (RFC 2404 §3); hmac-sha256 / hmac-sha2-256 are read as HMAC-SHA-256-128 (RFC 4868 §2.1.1), the
 * only SHA-256 the engine has. Not checked: whether 2003-era kernels truncated it to 96 bits instead
 * (draft-ietf-ipsec-ciph-sha-256-00 did), which would make such an SA interoperate differently.
 */
const AUTH: Readonly<Record<string, SaInput["auth"]>> = {
  "hmac-sha1": "hmac-sha1-96",
  "hmac-sha256": "hmac-sha256-128",
  "hmac-sha2-256": "hmac-sha256-128",
  // RFC 2403 HMAC-MD5-96 (seed 002).
  "hmac-md5": "hmac-md5-96",
  null: "none",
};
const AUTH_UNMODELLED = new Set([
  "keyed-md5",
  "keyed-sha1",
  "hmac-sha384",
  "hmac-sha2-384",
  "hmac-sha512",
  "hmac-sha2-512",
  "hmac-ripemd160",
  "aes-xcbc-mac",
  "tcp-md5",
]);
const AEAD = new Set<SaInput["enc"]>(["aes-gcm-16", "chacha20-poly1305"]);

/**
 * setkey -r is "window size of bytes" (setkey(8)): FAST_IPSEC's ipsec_chkreplaywindow() and
 * ipsec_updatereplay() (sys/netipsec/ipsec.c, the FreeBSD netipsec tree NetBSD imported; read at a
 * FreeBSD 8-era revision) keep `replay->wsize` in bytes and check `wsizeb = replay->wsize << 3` packets.
 * The scenario's replayWindow is in packets, so -r N is 8N packets.
 */
const REPLAY_BITS_PER_UNIT = 8;

/** `#!`-less shell scripts wrap setkey input in `setkey -c <<EOF … EOF`; only the heredoc is setkey. */
const HEREDOC = /\bsetkey\b[^\n]*<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/;

/** The lines setkey reads: a heredoc's body if the file is a shell script feeding setkey, else all. */
function setkeyLines(text: string, warnings: Diag[]): string[] {
  const lines = text.split(/\r?\n/);
  if (!lines.some((l) => HEREDOC.test(l))) return lines;
  const out: string[] = [];
  let end: string | undefined;
  let skipped: number | undefined;
  lines.forEach((line, i) => {
    if (end !== undefined) {
      if (line.trim() === end) {
        end = undefined;
        out.push("");
      } else out.push(line);
      return;
    }
    const m = HEREDOC.exec(line);
    if (m) end = m[1];
    else if (line.trim() !== "" && !line.trim().startsWith("#") && skipped === undefined) skipped = i + 1;
    out.push("");
  });
  if (skipped !== undefined)
    warnings.push({ line: skipped, col: 1, message: "shell commands outside the setkey heredoc are not read (only setkey's input is)" });
  return out;
}

/** token.l: comments, `;`, quoted strings, and everything else as words; `\` + newline is a space. */
function lex(text: string, errors: Diag[], warnings: Diag[]): Token[] {
  const src = setkeyLines(text, warnings).join("\n");
  const out: Token[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const advance = () => {
    if (src[i] === "\n") {
      line++;
      col = 1;
    } else col++;
    i++;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\\" && src[i + 1] === "\n") {
      advance();
      advance();
    } else if (/\s/.test(c)) advance();
    else if (c === "#") while (i < src.length && src[i] !== "\n") advance();
    else if (c === ";") {
      out.push({ kind: "semi", text: ";", line, col });
      advance();
    } else if (c === '"') {
      const at = { line, col };
      advance();
      let s = "";
      while (i < src.length && src[i] !== '"') {
        s += src[i];
        advance();
      }
      if (i >= src.length) {
        errors.push({ ...at, message: 'unterminated quoted string: expected a closing "' });
        break;
      }
      advance();
      out.push({ kind: "string", text: s, ...at });
    } else {
      const at = { line, col };
      let s = "";
      while (i < src.length && !/[\s;"]/.test(src[i]!) && !(src[i] === "\\" && src[i + 1] === "\n")) {
        s += src[i];
        advance();
      }
      out.push({ kind: "word", text: s, ...at });
    }
  }
  return out;
}

const at = (t: Pos): Pos => ({ line: t.line, col: t.col });

/** Thrown inside one statement; the parser records it and resumes after the next `;`. */
class StatementError extends Error {
  constructor(readonly diag: Diag) {
    super(diag.message);
  }
}

function fail(t: Pos, message: string): never {
  throw new StatementError({ line: t.line, col: t.col, message });
}

/** The statements of a file, each a list of tokens up to (not including) its `;`. */
class Cursor {
  private i = 0;
  constructor(
    private readonly toks: readonly Token[],
    private readonly end: Pos,
    private readonly what: string,
  ) {}
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  next(expected: string): Token {
    const t = this.toks[this.i];
    if (!t) fail(this.end, `expected ${expected} before ';' (${this.what})`);
    this.i++;
    return t;
  }
  word(expected: string): Token {
    const t = this.next(expected);
    if (t.kind !== "word") fail(t, `expected ${expected}, found "${t.text}"`);
    return t;
  }
}

/** A decimal or 0x-hex number (parse.y DECSTRING | HEXSTRING). */
function number(t: Token, what: string, max = 0xffffffff): number {
  const n = /^0[xX][0-9a-fA-F]+$/.test(t.text) ? parseInt(t.text, 16) : /^\d+$/.test(t.text) ? Number(t.text) : NaN;
  if (t.kind !== "word" || !Number.isFinite(n)) fail(t, `expected ${what} (a decimal or 0x-hex number), found "${t.text}"`);
  if (n > max) fail(t, `${what} ${t.text} is larger than ${max}`);
  return n;
}

/** A key: `0x` hex (an even number of digits) or a quoted string, as the scenario's 0x hex. */
function key(cur: Cursor, alg: Token): string {
  const t = cur.next(`a key (0x… hex or "string") after ${alg.text}`);
  if (t.kind === "string") return asciiToHex(t.text);
  if (!/^0[xX][0-9a-fA-F]*$/.test(t.text)) fail(t, `expected a key (0x… hex or "string") after ${alg.text}, found "${t.text}"`);
  if (t.text.length % 2 !== 0) fail(t, `key ${t.text} has an odd number of hex digits`);
  return normaliseHex(t.text);
}

/** An address with optional /prefix and [port] (parse.y ipaddr, prefix, port). */
interface Addr {
  addr: string;
  len: number;
  port?: string;
  tok: Token;
}

function address(cur: Cursor, what: string, allowPrefix: boolean): Addr {
  const t = cur.word(what);
  const m = /^([^/[\]]+)(?:\/(\d{1,3}))?(?:\[([^\]]*)\])?$/.exec(t.text);
  if (!m) fail(t, `expected ${what}, found "${t.text}"`);
  const len = m[2] === undefined ? 32 : Number(m[2]);
  if (m[2] !== undefined && !allowPrefix) fail(t, `an SA's ${what} is one address, without a /prefix`);
  if (isIpv4(m[1]!) && len > 32) fail(t, `prefix length /${len} is larger than 32`);
  return { addr: m[1]!, len, tok: t, ...(m[3] !== undefined ? { port: m[3] } : {}) };
}

/** Why an address cannot be modelled (IPv6, host names), or undefined when it is an IPv4 literal. */
function unmodelledAddress(a: Addr): string | undefined {
  if (isIpv4(a.addr)) return undefined;
  if (a.addr.includes(":")) return `'${a.addr}' is IPv6; the engine models IPv4 only`;
  if (/^[A-Za-z]/.test(a.addr)) return `'${a.addr}' is a host name; convert does not resolve names (write the address)`;
  return `'${a.addr}' is not an IPv4 address`;
}

/** What a parse accumulates. */
interface State {
  /** `modeUnset`: no -m, so setkey's default (any); settled against the policies at the end. */
  sas: { sa: SaInput; at: Pos; modeUnset: boolean }[];
  policies: { policy: PolicyInput; at: Pos }[];
  warnings: Diag[];
}

/**
 * `add [-46n] src dst proto spi [-m mode] [-r size] [-u reqid] [-f pad] [-lh/-ls t] -E ealg key [-A aalg key] ;`
 * (parse.y `add_command`, `extension_spec`, `algorithm_spec`).
 */
function parseAdd(cur: Cursor, cmd: Token, st: State): void {
  while (/^-[46n]+$/.test(cur.peek()?.text ?? "")) cur.next("a flag");
  const src = address(cur, "a source address", false);
  const dst = address(cur, "a destination address", false);
  const skip: string[] = [];
  for (const a of [src, dst]) {
    const why = unmodelledAddress(a);
    if (why) st.warnings.push({ ...at(a.tok), message: `${why}: this SA is left out` });
    if (why) skip.push(why);
  }
  const protoTok = cur.word("a protocol (esp, ah)");
  if (protoTok.text !== "esp" && protoTok.text !== "ah") {
    if (["esp-old", "ah-old", "ipcomp", "tcp", "esp-udp"].includes(protoTok.text)) {
      st.warnings.push({ ...at(protoTok), message: `protocol '${protoTok.text}' is not modelled (the engine has esp and ah): this SA is left out` });
      skip.push(protoTok.text);
    } else fail(protoTok, `expected a protocol (esp, ah, esp-old, ah-old, ipcomp, tcp), found "${protoTok.text}"`);
  }
  const proto = protoTok.text === "ah" ? "ah" : "esp";
  const spiTok = cur.word("an SPI");
  const spi = number(spiTok, "an SPI");
  let mode: SaInput["mode"] | undefined;
  let replayWindow = 0;
  let enc: SaInput["enc"] = "null";
  let encKey = "";
  let auth: SaInput["auth"] = "none";
  let authKey = "";
  let sawEnc: Token | undefined;
  let sawAuth: Token | undefined;
  const expectedOption = "an SA option (-m, -r, -u, -f, -lh, -ls, -bh, -bs, -E, -A, -C) or ';'";
  while (!cur.done()) {
    const opt = cur.next(expectedOption);
    if (opt.kind !== "word" || !opt.text.startsWith("-")) fail(opt, `expected ${expectedOption}, found "${opt.text}"`);
    switch (opt.text) {
      case "-m": {
        const m = cur.word("a mode (transport, tunnel, any)");
        if (m.text === "transport" || m.text === "tunnel") mode = m.text;
        else if (m.text === "any")
          st.warnings.push({
            ...at(m),
            message: "mode 'any' is not modelled: the SA is read as transport, or tunnel when a tunnel policy names its endpoints",
          });
        else fail(m, `expected a mode (transport, tunnel, any), found "${m.text}"`);
        break;
      }
      case "-r": {
        const r = cur.word("a replay window size");
        const bytes = number(r, "a replay window size");
        if (bytes * REPLAY_BITS_PER_UNIT > 1024)
          fail(r, `-r ${bytes} is a ${bytes * REPLAY_BITS_PER_UNIT}-packet window; the engine models at most 1024 (-r 128)`);
        replayWindow = bytes * REPLAY_BITS_PER_UNIT;
        break;
      }
      case "-u": {
        const u = cur.word("a reqid");
        if (!/^(\d+|unique:\d+)$/.test(u.text)) number(u, "a reqid");
        st.warnings.push({ ...at(opt), message: `reqid '-u ${u.text}' is not modelled (the engine binds policies to SAs by address): ignored` });
        break;
      }
      case "-f": {
        const f = cur.word("a padding option (zero-pad, random-pad, seq-pad) or nocyclic-seq");
        if (!["zero-pad", "random-pad", "seq-pad", "nocyclic-seq"].includes(f.text))
          fail(f, `expected zero-pad, random-pad, seq-pad or nocyclic-seq, found "${f.text}"`);
        st.warnings.push({ ...at(opt), message: `'-f ${f.text}' is not modelled (the engine pads per RFC 4303 §2.4): ignored` });
        break;
      }
      case "-lh":
      case "-ls":
      case "-bh":
      case "-bs": {
        const v = cur.word("a lifetime");
        number(v, "a lifetime");
        st.warnings.push({ ...at(opt), message: `lifetime '${opt.text} ${v.text}' is not modelled (SAs never expire in a run): ignored` });
        break;
      }
      case "-C": {
        const c = cur.word("a compression algorithm");
        if (cur.peek()?.text === "-R") cur.next("-R");
        st.warnings.push({ ...at(opt), message: `IPComp '-C ${c.text}' is not modelled: this SA is left out` });
        skip.push("-C");
        break;
      }
      case "-E": {
        const alg = cur.word("an encryption algorithm");
        if (proto === "ah") fail(opt, "an AH SA takes -A only (parse.y: AH has no encryption)");
        if (sawEnc) fail(opt, `a second -E (the first is at ${sawEnc.line}:${sawEnc.col})`);
        sawEnc = opt;
        const id = Object.hasOwn(ENC, alg.text) ? ENC[alg.text] : undefined;
        if (id === undefined && !ENC_UNMODELLED.has(alg.text))
          fail(alg, `unknown encryption algorithm "${alg.text}" (setkey has ${[...Object.keys(ENC), ...ENC_UNMODELLED].join(", ")})`);
        const k = alg.text === "null" ? "" : key(cur, alg);
        if (id === undefined) {
          st.warnings.push({
            ...at(alg),
            message: `encryption algorithm '${alg.text}' is not modelled (the engine has aes-gcm-16, chacha20-poly1305, rijndael-cbc, null): this SA is left out`,
          });
          skip.push(alg.text);
        } else {
          enc = id;
          encKey = k;
        }
        break;
      }
      case "-A": {
        const alg = cur.word("an authentication algorithm");
        if (sawAuth) fail(opt, `a second -A (the first is at ${sawAuth.line}:${sawAuth.col})`);
        sawAuth = opt;
        const id = Object.hasOwn(AUTH, alg.text) ? AUTH[alg.text] : undefined;
        if (id === undefined && !AUTH_UNMODELLED.has(alg.text))
          fail(alg, `unknown authentication algorithm "${alg.text}" (setkey has ${[...Object.keys(AUTH), ...AUTH_UNMODELLED].join(", ")})`);
        const k = alg.text === "null" ? "" : key(cur, alg);
        if (id === undefined) {
          st.warnings.push({
            ...at(alg),
            message: `authentication algorithm '${alg.text}' is not modelled (the engine has hmac-sha1, hmac-sha256, null): this SA is left out`,
          });
          skip.push(alg.text);
        } else {
          auth = id;
          authKey = k;
        }
        break;
      }
      case "-ctx":
        fail(opt, "security contexts (-ctx) are not supported by convert");
        break;
      default:
        fail(opt, `expected ${expectedOption}, found "${opt.text}"`);
    }
  }
  if (proto === "esp" && !sawEnc) fail(cmd, `an ESP SA needs -E (expected -E <algorithm> <key> before ';')`);
  if (proto === "ah" && !sawAuth) fail(cmd, `an AH SA needs -A (expected -A <algorithm> <key> before ';')`);
  if (AEAD.has(enc) && sawAuth && auth !== "none")
    fail(sawAuth, `${enc} is an AEAD algorithm: it authenticates itself, so -A is not allowed with it`);
  if (skip.length > 0) return;
  st.sas.push({
    sa: { spi, src: src.addr, dst: dst.addr, proto, mode: mode ?? "transport", enc, encKey, auth, authKey, replayWindow, esn: false },
    at: at(cmd),
    modeUnset: mode === undefined,
  });
}

/** `proto/mode/src-dst/level` (ipsec_set_policy(3), libipsec policy_parse.y). */
function parseRequest(t: Token, st: State): RequestInput | undefined {
  const parts = t.text.split("/");
  if (parts.length < 2 || parts.length > 4)
    fail(t, `expected a request protocol/mode/src-dst/level (e.g. esp/transport//require), found "${t.text}"`);
  const [proto, mode, ends = "", level = ""] = parts as [string, string, string?, string?];
  if (proto !== "esp" && proto !== "ah") {
    if (proto === "ipcomp") {
      st.warnings.push({ ...at(t), message: `request '${t.text}': ipcomp is not modelled: this request is left out` });
      return undefined;
    }
    fail(t, `expected esp, ah or ipcomp at the start of the request, found "${proto}"`);
  }
  if (mode !== "transport" && mode !== "tunnel") fail(t, `expected transport or tunnel as the request's mode, found "${mode}"`);
  let lvl: "require" | "use" = "require";
  if (level === "require" || level === "use") lvl = level;
  else if (level === "" || level === "default") {
    st.warnings.push({
      ...at(t),
      message: `request '${t.text}': level '${level || "(none, i.e. default)"}' is not modelled (it follows a sysctl): read as require`,
    });
  } else if (/^unique(:\d+)?$/.test(level)) {
    st.warnings.push({ ...at(t), message: `request '${t.text}': level '${level}' is not modelled (no per-policy SA binding): read as require` });
  } else fail(t, `expected require, use, default or unique as the request's level, found "${level}"`);
  const req: RequestInput = { proto, mode, level: lvl };
  if (mode === "tunnel") {
    const m = /^([^-]+)-([^-]+)$/.exec(ends);
    if (!m) fail(t, `a tunnel request needs its endpoints as src-dst (e.g. esp/tunnel/10.0.0.1-10.0.0.2/require), found "${ends}"`);
    for (const a of [m[1]!, m[2]!])
      if (!isIpv4(a)) {
        st.warnings.push({ ...at(t), message: `tunnel endpoint '${a}' is not an IPv4 address the engine can model: this policy is left out` });
        return undefined;
      }
    return { ...req, tunnelSrc: m[1]!, tunnelDst: m[2]! };
  }
  if (ends !== "") st.warnings.push({ ...at(t), message: `request '${t.text}': endpoints of a transport request are not modelled: ignored` });
  return req;
}

/** `spdadd [-46n] src[/len][[port]] dst[/len][[port]] upperspec -P dir [prio N] discard|none|ipsec request… ;` (parse.y `spdadd_command`). */
function parseSpdadd(cur: Cursor, st: State): PolicyInput | undefined {
  while (/^-[46n]+$/.test(cur.peek()?.text ?? "")) cur.next("a flag");
  const src = address(cur, "a source address range", true);
  const dst = address(cur, "a destination address range", true);
  let skip = false;
  for (const a of [src, dst]) {
    const why = unmodelledAddress(a);
    if (why) {
      st.warnings.push({ ...at(a.tok), message: `${why}: this policy is left out` });
      skip = true;
    }
    if (a.port !== undefined && a.port !== "any")
      st.warnings.push({
        ...at(a.tok),
        message: `port selector [${a.port}] is not modelled (the engine sends ICMP only): the policy is read without it`,
      });
  }
  const upper = cur.word("an upper-layer protocol (any, icmp, tcp, udp or a number)");
  let proto: "any" | "icmp" = "any";
  if (upper.text === "any" || upper.text === "icmp") proto = upper.text;
  else if (/^(tcp|udp|icmp6|ipv6-icmp|gre|\d+)$/.test(upper.text)) {
    st.warnings.push({
      ...at(upper),
      message: `upper-layer '${upper.text}' is not modelled (the engine's selectors are any and icmp): this policy is left out`,
    });
    skip = true;
  } else fail(upper, `expected an upper-layer protocol (any, icmp, tcp, udp or a number), found "${upper.text}"`);
  const p = cur.word("-P");
  if (p.text !== "-P") fail(p, `expected -P and a policy, found "${p.text}"`);
  const dirTok = cur.word("a direction (in, out)");
  if (dirTok.text === "fwd") {
    st.warnings.push({
      ...at(dirTok),
      message: "direction 'fwd' is not modelled (the engine checks forwarded traffic with in policies): this policy is left out",
    });
    skip = true;
  } else if (dirTok.text !== "in" && dirTok.text !== "out") fail(dirTok, `expected a direction (in, out, fwd), found "${dirTok.text}"`);
  let next = cur.word("discard, none or ipsec");
  if (next.text === "prio" || next.text === "priority") {
    const first = cur.word("a priority");
    let text = first.text;
    if (["low", "def", "high"].includes(first.text) && /^[+-]/.test(cur.peek()?.text ?? "")) text += ` ${cur.next("an offset").text}`;
    else if (!["low", "def", "high"].includes(first.text)) number(first, "a priority");
    st.warnings.push({
      ...at(next),
      message: `priority '${next.text} ${text}' is not modelled (the engine takes the first matching policy): ignored`,
    });
    next = cur.word("discard, none or ipsec");
  }
  const requests: RequestInput[] = [];
  if (next.text === "ipsec") {
    while (!cur.done()) {
      const r = parseRequest(cur.word("a request (proto/mode/src-dst/level)"), st);
      if (r) requests.push(r);
      else skip = true;
    }
    if (requests.length === 0 && !skip) fail(next, "expected at least one request (e.g. esp/transport//require) after ipsec");
  } else if (next.text === "discard" || next.text === "none") {
    if (!cur.done()) fail(cur.next("';'"), `expected ';' after ${next.text}, found "${cur.peek()?.text ?? ""}"`);
  } else if (next.text === "entrust" || next.text === "bypass") {
    st.warnings.push({ ...at(next), message: `policy '${next.text}' is not modelled: this policy is left out` });
    while (!cur.done()) cur.next("';'");
    skip = true;
  } else fail(next, `expected discard, none or ipsec, found "${next.text}"`);
  if (skip) return undefined;
  const dir = dirTok.text === "in" ? "in" : "out";
  const action = next.text === "ipsec" ? "ipsec" : next.text === "discard" ? "discard" : "none";
  return { dir, src: `${src.addr}/${src.len}`, dst: `${dst.addr}/${dst.len}`, proto, action, requests };
}

/** Parse a setkey file: every error (with its line and column), or the SAs and policies with warnings. */
export function parseSetkey(text: string): ParseResult {
  const errors: Diag[] = [];
  const st: State = { sas: [], policies: [], warnings: [] };
  const toks = lex(text, errors, st.warnings);
  let i = 0;
  while (i < toks.length) {
    const cmd = toks[i]!;
    let j = i;
    while (j < toks.length && toks[j]!.kind !== "semi") j++;
    const body = toks.slice(i + 1, j);
    const last = toks[j - 1] ?? cmd;
    const end = j < toks.length ? at(toks[j]!) : { line: last.line, col: last.col + last.text.length };
    i = j + 1;
    if (j >= toks.length) {
      errors.push({ ...end, message: `expected ';' to end the '${cmd.text}' statement begun at ${cmd.line}:${cmd.col}` });
      break;
    }
    const cur = new Cursor(body, end, `'${cmd.text}' at ${cmd.line}:${cmd.col}`);
    try {
      if (cmd.kind !== "word") fail(cmd, `expected a command (add, spdadd, flush, spdflush, …), found "${cmd.text}"`);
      switch (cmd.text) {
        case "add":
          parseAdd(cur, cmd, st);
          break;
        case "spdadd":
        case "spdupdate": {
          const p = parseSpdadd(cur, st);
          if (p) {
            if (cmd.text === "spdupdate") st.policies = st.policies.filter((x) => !sameSelector(x.policy, p));
            st.policies.push({ policy: p, at: at(cmd) });
          }
          break;
        }
        case "flush": {
          const proto = cur.done() ? undefined : cur.word("a protocol or ';'");
          if (proto && !["esp", "ah", "esp-old", "ah-old", "ipcomp", "tcp"].includes(proto.text))
            fail(proto, `expected a protocol (esp, ah, …) or ';', found "${proto.text}"`);
          if (!cur.done()) fail(cur.next("';'"), "expected ';' after flush");
          st.sas = proto ? st.sas.filter((x) => x.sa.proto !== proto.text) : [];
          break;
        }
        case "spdflush":
          if (!cur.done()) fail(cur.next("';'"), "expected ';' after spdflush");
          st.policies = [];
          break;
        case "delete":
        case "deleteall": {
          while (/^-[46n]+$/.test(cur.peek()?.text ?? "")) cur.next("a flag");
          const src = address(cur, "a source address", false).addr;
          const dst = address(cur, "a destination address", false).addr;
          const proto = cur.word("a protocol").text;
          const spi = cmd.text === "delete" ? number(cur.word("an SPI"), "an SPI") : undefined;
          st.sas = st.sas.filter((x) => !(x.sa.src === src && x.sa.dst === dst && x.sa.proto === proto && (spi === undefined || x.sa.spi === spi)));
          break;
        }
        case "spddelete": {
          const p = parseSpdadd(cur, st);
          if (p) st.policies = st.policies.filter((x) => !sameSelector(x.policy, p));
          break;
        }
        case "get":
        case "getspi":
        case "dump":
        case "spddump":
          st.warnings.push({ ...at(cmd), message: `'${cmd.text}' is a query: nothing to import` });
          break;
        case "exit":
        case "quit":
        case "bye":
          i = toks.length;
          break;
        default:
          fail(cmd, `expected a command (add, spdadd, spdupdate, delete, deleteall, spddelete, flush, spdflush), found "${cmd.text}"`);
      }
    } catch (e) {
      if (!(e instanceof StatementError)) throw e;
      errors.push(e.diag);
    }
  }
  if (errors.length > 0) return { ok: false, errors, warnings: st.warnings };
  const config: KeyConfig = {
    syntax: "setkey",
    sas: st.sas.map((x) => ({ sa: x.modeUnset ? settleMode(x.sa, st.policies) : x.sa, at: x.at })),
    policies: st.policies,
    warnings: st.warnings,
  };
  return { ok: true, config };
}

function sameSelector(a: PolicyInput, b: PolicyInput): boolean {
  return a.dir === b.dir && a.src === b.src && a.dst === b.dst && a.proto === b.proto;
}

/** An SA without -m (setkey's default, mode any) is tunnel when a tunnel request names its endpoints, else transport. */
function settleMode(sa: SaInput, policies: readonly { policy: PolicyInput }[]): SaInput {
  const tunnel = policies.some((p) => (p.policy.requests ?? []).some((r) => r.mode === "tunnel" && r.tunnelSrc === sa.src && r.tunnelDst === sa.dst));
  return { ...sa, mode: tunnel ? "tunnel" : "transport" };
}

/** Engine ids → setkey names (the first name each reads from). */
const ENC_OUT: Readonly<Record<SaInput["enc"] & string, string>> = {
  "aes-gcm-16": "aes-gcm-16",
  "chacha20-poly1305": "chacha20-poly1305",
  "aes-cbc": "rijndael-cbc",
  "3des-cbc": "3des-cbc",
  null: "null",
};
const AUTH_OUT: Readonly<Record<SaInput["auth"] & string, string>> = {
  "hmac-sha1-96": "hmac-sha1",
  "hmac-sha256-128": "hmac-sha256",
  "hmac-md5-96": "hmac-md5",
  none: "null",
};

/** `0x…` or, for an empty key, nothing (setkey's null algorithms take none). */
function keyOut(k: string): string {
  return k === "" || k === "0x" ? "" : ` ${normaliseHex(k.startsWith("0x") ? k : `0x${k}`)}`;
}

/**
 * One host's SAD and SPD as a setkey file (for `setkey -f`). The header comment says what a setkey
 * file cannot hold; each thing the engine has and setkey has not is a warning, and a comment.
 */
export function emitSetkey(host: HostSpec, header: readonly string[]): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const lines = ["#!/usr/sbin/setkey -f", ...header.map((h) => `# ${h}`), "flush;", "spdflush;", ""];
  for (const sa of host.sad) {
    const parts = [`add ${sa.src} ${sa.dst} ${sa.proto} ${spiHex(sa.spi)} -m ${sa.mode}`];
    if (sa.replayWindow % REPLAY_BITS_PER_UNIT !== 0) {
      warnings.push(
        `SA ${spiHex(sa.spi)}: a replay window of ${sa.replayWindow} packets is not a whole number of bytes; written as -r ${Math.ceil(sa.replayWindow / 8)}`,
      );
    }
    if (sa.replayWindow > 0) parts.push(`-r ${Math.ceil(sa.replayWindow / REPLAY_BITS_PER_UNIT)}`);
    if (sa.proto === "esp") parts.push(`-E ${ENC_OUT[sa.enc]}${keyOut(sa.encKey)}`);
    if (sa.auth !== "none" || sa.proto === "ah") parts.push(`-A ${AUTH_OUT[sa.auth]}${keyOut(sa.authKey)}`);
    if (sa.enc === "chacha20-poly1305") {
      warnings.push(`SA ${spiHex(sa.spi)}: chacha20-poly1305 is not an ipsec-tools setkey algorithm; setkey builds without it refuse this line`);
      lines.push("# chacha20-poly1305 (RFC 7634) is not in ipsec-tools setkey; tagflow reads it back");
    }
    if (sa.esn) {
      warnings.push(`SA ${spiHex(sa.spi)}: extended sequence numbers have no setkey syntax; left out`);
      lines.push("# this SA uses extended sequence numbers (RFC 4303 §2.2.1), which setkey cannot express");
    }
    lines.push(`${parts.join(" ")};`);
  }
  if (host.sad.length > 0) lines.push("");
  for (const p of host.spd) {
    const reqs = p.requests.map((r) => `${r.proto}/${r.mode}/${r.mode === "tunnel" ? `${r.tunnelSrc ?? ""}-${r.tunnelDst ?? ""}` : ""}/${r.level}`);
    const action = p.action === "ipsec" ? ["ipsec", ...reqs].join(" ") : p.action;
    lines.push(`spdadd ${p.src} ${p.dst} ${p.proto} -P ${p.dir} ${action};`);
  }
  if (host.defaultPolicy !== "none") {
    warnings.push(
      `host ${host.name}: defaultPolicy '${host.defaultPolicy}' is a kernel setting (net.inet.ipsec.def_policy), not setkey syntax; left out`,
    );
    lines.push(`# default policy: ${host.defaultPolicy} (sysctl net.inet.ipsec.def_policy, not setkey syntax)`);
  }
  return { text: `${lines.join("\n")}\n`, warnings };
}
