/**
 * `ip xfrm` command files in and out: `ip xfrm state add …` and `ip xfrm policy add …` as
 * iproute2 accepts them, one command per line (a trailing backslash continues it, `#` starts a
 * comment, words are quoted as in sh), and written back from a scenario host's SAD and SPD.
 *
 * Keywords follow iproute2 `ip/xfrm_state.c` (xfrm_state_modify: ID, ALGO-LIST, mode, reqid,
 * replay-window, flag, sel, limit, encap), `ip/xfrm_policy.c` (xfrm_policy_modify: SELECTOR, dir,
 * action, priority, index, ptype, flag, limit, tmpl; xfrm_tmpl_parse: src, dst, proto, spi, mode,
 * reqid, level) and `man/man8/ip-xfrm.8` (iproute2/iproute2 @1758a81). Algorithm names are the
 * kernel's crypto API names, with the compat aliases of net/xfrm/xfrm_algo.c.
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

interface Word extends Pos {
  readonly text: string;
  /** Quoted in the source (so never a keyword). */
  readonly quoted: boolean;
}

/** Thrown inside one command; recorded, and the parser goes on with the next line. */
class CommandError extends Error {
  constructor(readonly diag: Diag) {
    super(diag.message);
  }
}

function fail(p: Pos, message: string): never {
  throw new CommandError({ line: p.line, col: p.col, message });
}

const at = (p: Pos): Pos => ({ line: p.line, col: p.col });

/** Logical lines split into sh words: `\`-newline joins, `#` at a word start ends the line, '…' and "…" quote. */
function commands(text: string, errors: Diag[]): Word[][] {
  const out: Word[][] = [];
  let words: Word[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const advance = () => {
    if (text[i] === "\n") {
      line++;
      col = 1;
    } else col++;
    i++;
  };
  const endLine = () => {
    if (words.length > 0) out.push(words);
    words = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\" && (text[i + 1] === "\n" || (text[i + 1] === "\r" && text[i + 2] === "\n"))) {
      advance();
      if (text[i] === "\r") advance();
      advance();
    } else if (c === "\n") {
      endLine();
      advance();
    } else if (c === ";") {
      endLine();
      advance();
    } else if (/\s/.test(c)) advance();
    else if (c === "#") while (i < text.length && text[i] !== "\n") advance();
    else {
      const start = { line, col };
      let s = "";
      let quoted = false;
      while (i < text.length && !/[\s;]/.test(text[i]!)) {
        const q = text[i]!;
        if (q === "'" || q === '"') {
          quoted = true;
          const open = { line, col };
          advance();
          while (i < text.length && text[i] !== q) {
            s += text[i];
            advance();
          }
          if (i >= text.length) {
            errors.push({ ...open, message: `unterminated ${q === "'" ? "single" : "double"}-quoted string: expected a closing ${q}` });
            return out;
          }
          advance();
        } else if (q === "\\" && i + 1 < text.length && text[i + 1] !== "\n") {
          advance();
          s += text[i];
          advance();
        } else {
          s += q;
          advance();
        }
      }
      words.push({ text: s, quoted, ...start });
    }
  }
  endLine();
  return out;
}

class Args {
  private i = 0;
  constructor(
    private readonly words: readonly Word[],
    private readonly what: string,
  ) {}
  peek(): Word | undefined {
    return this.words[this.i];
  }
  done(): boolean {
    return this.i >= this.words.length;
  }
  back(): void {
    this.i--;
  }
  next(expected: string): Word {
    const w = this.words[this.i];
    if (!w) {
      const last = this.words[this.words.length - 1]!;
      fail({ line: last.line, col: last.col + last.text.length }, `expected ${expected} at the end of ${this.what}`);
    }
    this.i++;
    return w;
  }
}

function num(w: Word, what: string, max = 0xffffffff): number {
  const n = /^0[xX][0-9a-fA-F]+$/.test(w.text) ? parseInt(w.text, 16) : /^\d+$/.test(w.text) ? Number(w.text) : NaN;
  if (!Number.isFinite(n)) fail(w, `expected ${what} (a decimal or 0x-hex number), found "${w.text}"`);
  if (n > max) fail(w, `${what} ${w.text} is larger than ${max}`);
  return n;
}

/** iproute2 xfrm_algo_parse: a 0x-prefixed key is hex, anything else is the string's bytes. */
function keyOf(w: Word): string {
  if (!w.quoted && /^0[xX]/.test(w.text)) {
    if (!/^0[xX][0-9a-fA-F]*$/.test(w.text)) fail(w, `expected a hex key, found "${w.text}"`);
    if (w.text.length % 2 !== 0) fail(w, `key ${w.text} has an odd number of hex digits`);
    return normaliseHex(w.text);
  }
  return w.text === "" ? "" : asciiToHex(w.text);
}

function ipv4(w: Word, what: string): string {
  if (isIpv4(w.text)) return w.text;
  if (w.text.includes(":")) return "";
  fail(w, `expected ${what} (an IPv4 address), found "${w.text}"`);
}

function prefix(w: Word, what: string): string {
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(w.text);
  if (m && m[1]!.includes(":")) return "";
  if (!m || !isIpv4(m[1]!) || Number(m[2] ?? 32) > 32) fail(w, `expected ${what} (an IPv4 address with an optional /prefix), found "${w.text}"`);
  return `${m[1]!}/${m[2] ?? "32"}`;
}

/** Kernel names (net/xfrm/xfrm_algo.c, with compat aliases) → ENC_ALGS; the rest are named so they can be warned about. */
const ENC: Readonly<Record<string, SaInput["enc"]>> = {
  "cbc(aes)": "aes-cbc",
  aes: "aes-cbc",
  "cbc(des3_ede)": "3des-cbc",
  des3_ede: "3des-cbc",
  "ecb(cipher_null)": "null",
  cipher_null: "null",
};
const ENC_UNMODELLED =
  /^(cbc\((des|blowfish|cast5|serpent|twofish|camellia|sm4)\)|des|blowfish|cast5|serpent|twofish|camellia|rfc3686\(ctr\(aes\)\)|ctr\(aes\))$/;
/** `auth NAME` takes the algorithm's default ICV length (xfrm_algo.c icv_truncbits): 96 for sha1 — and 96 for sha256 too. */
const AUTH_DEFAULT: Readonly<Record<string, SaInput["auth"]>> = {
  "hmac(sha1)": "hmac-sha1-96",
  sha1: "hmac-sha1-96",
  // RFC 2403 HMAC-MD5-96 (seed 002): md5's default truncation is 96 bits too.
  "hmac(md5)": "hmac-md5-96",
  md5: "hmac-md5-96",
  digest_null: "none",
};
/** `auth-trunc NAME KEY BITS`: modelled only at the engine's lengths. */
const AUTH_TRUNC: Readonly<Record<string, { bits: number; id: SaInput["auth"] }>> = {
  "hmac(sha1)": { bits: 96, id: "hmac-sha1-96" },
  sha1: { bits: 96, id: "hmac-sha1-96" },
  "hmac(sha256)": { bits: 128, id: "hmac-sha256-128" },
  sha256: { bits: 128, id: "hmac-sha256-128" },
  "hmac(md5)": { bits: 96, id: "hmac-md5-96" },
  md5: { bits: 96, id: "hmac-md5-96" },
};
const AUTH_UNMODELLED = /^(hmac\((sha384|sha512|rmd160|sm3)\)|sha384|sha512|rmd160|xcbc\(aes\)|cmac\(aes\))$/;
/** `aead NAME KEY ICV-BITS`: RFC 4106 GCM and RFC 7634 ChaCha20-Poly1305 with 128-bit ICVs. */
const AEAD: Readonly<Record<string, SaInput["enc"]>> = { "rfc4106(gcm(aes))": "aes-gcm-16", "rfc7539esp(chacha20,poly1305)": "chacha20-poly1305" };
const AEAD_UNMODELLED = /^(rfc4309\(ccm\(aes\)\)|rfc4543\(gcm\(aes\)\)|rfc4106\(gcm\(sm4\)\))$/;

interface State {
  sas: { sa: SaInput; at: Pos }[];
  policies: { policy: PolicyInput; at: Pos }[];
  warnings: Diag[];
  reqids: Pos[];
}

/** xfrm_state.c xfrm_state_modify: `state add|update ID [ALGO-LIST] [mode M] [reqid R] [replay-window N] [flag F…] [sel …] [limit …]`. */
function stateAdd(a: Args, cmd: Word, st: State): void {
  let src: string | undefined;
  let dst: string | undefined;
  let proto: "esp" | "ah" | undefined;
  let spi: number | undefined;
  let mode: "transport" | "tunnel" = "transport";
  let replayWindow = 0;
  let esn = false;
  let enc: SaInput["enc"] = "null";
  let encKey = "";
  let auth: SaInput["auth"] = "none";
  let authKey = "";
  let skip = false;
  let algos = 0;
  const warn = (w: Pos, message: string) => st.warnings.push({ ...at(w), message });
  const leaveOut = (w: Pos, message: string) => {
    warn(w, `${message}: this SA is left out`);
    skip = true;
  };
  const KEYWORDS = "src, dst, proto, spi, mode, reqid, replay-window, flag, sel, enc, auth, auth-trunc, aead, comp, limit, encap, mark";
  while (!a.done()) {
    const k = a.next("a keyword");
    switch (k.quoted ? "" : k.text) {
      case "src":
      case "dst": {
        const w = a.next("an address");
        const v = ipv4(w, `the ${k.text} address`);
        if (v === "") leaveOut(w, `'${w.text}' is IPv6; the engine models IPv4 only`);
        if (k.text === "src") src = v;
        else dst = v;
        break;
      }
      case "proto": {
        const w = a.next("a protocol (esp, ah, comp)");
        if (w.text === "esp" || w.text === "ah") proto = w.text;
        else if (["comp", "route2", "hao"].includes(w.text)) leaveOut(w, `protocol '${w.text}' is not modelled (the engine has esp and ah)`);
        else fail(w, `expected a protocol (esp, ah, comp, route2, hao), found "${w.text}"`);
        break;
      }
      case "spi":
        spi = num(a.next("an SPI"), "an SPI");
        break;
      case "mode": {
        const w = a.next("a mode (transport, tunnel, beet)");
        if (w.text === "transport" || w.text === "tunnel") mode = w.text;
        else if (["beet", "ro", "in_trigger"].includes(w.text)) leaveOut(w, `mode '${w.text}' is not modelled`);
        else fail(w, `expected a mode (transport, tunnel, beet, ro, in_trigger), found "${w.text}"`);
        break;
      }
      case "reqid":
        num(a.next("a reqid"), "a reqid");
        st.reqids.push(at(k));
        break;
      case "replay-window": {
        const w = a.next("a window size");
        replayWindow = num(w, "a replay window", 1024);
        break;
      }
      case "replay-seq":
      case "replay-oseq":
      case "replay-seq-hi":
      case "replay-oseq-hi":
      case "seq":
      case "if_id":
      case "output-mark":
      case "extra-flag":
      case "ctx":
      case "tfcpad": {
        const v = a.next("a value");
        warn(k, `'${k.text} ${v.text}' is not modelled: ignored`);
        break;
      }
      case "mark": {
        const v = a.next("a mark");
        if (a.peek()?.text === "mask") {
          a.next("mask");
          a.next("a mask");
        }
        warn(k, `'mark ${v.text}' is not modelled: ignored`);
        break;
      }
      case "flag": {
        const f = a.next("a flag");
        const flags = [f];
        while (a.peek() && /^(noecn|decap-dscp|nopmtudisc|wildrecv|icmp|af-unspec|align4|esn)$/.test(a.peek()!.text)) flags.push(a.next("a flag"));
        for (const w of flags) {
          if (w.text === "esn") esn = true;
          else if (/^(noecn|decap-dscp|nopmtudisc|wildrecv|icmp|af-unspec|align4|0x[0-9a-fA-F]+|\d+)$/.test(w.text)) {
            if (w.text !== "af-unspec") warn(w, `flag '${w.text}' is not modelled: ignored`);
          } else fail(w, `expected a state flag (noecn, decap-dscp, nopmtudisc, wildrecv, icmp, af-unspec, align4, esn), found "${w.text}"`);
        }
        break;
      }
      case "sel": {
        const parts: string[] = [];
        while (a.peek() && /^(src|dst|dev|proto|sport|dport|type|code|key)$/.test(a.peek()!.text)) {
          const kw = a.next("a selector keyword");
          parts.push(`${kw.text} ${a.next(`a value after ${kw.text}`).text}`);
        }
        if (parts.length > 0 && !/^src 0\.0\.0\.0\/0 dst 0\.0\.0\.0\/0$/.test(parts.join(" ")))
          warn(k, `'sel ${parts.join(" ")}' is not modelled (the engine's SAs have no selector): ignored`);
        break;
      }
      case "enc": {
        const name = a.next("an encryption algorithm");
        const key = keyOf(a.next(`a key after enc ${name.text}`));
        algos++;
        const id = Object.hasOwn(ENC, name.text) ? ENC[name.text] : undefined;
        if (id) {
          enc = id;
          encKey = key;
        } else if (ENC_UNMODELLED.test(name.text))
          leaveOut(name, `encryption '${name.text}' is not modelled (the engine has cbc(aes), ecb(cipher_null) and the aeads)`);
        else fail(name, `unknown encryption algorithm "${name.text}" (expected cbc(aes), ecb(cipher_null), cbc(des3_ede), …)`);
        break;
      }
      case "auth":
      case "auth-trunc": {
        const name = a.next("an authentication algorithm");
        const key = keyOf(a.next(`a key after ${k.text} ${name.text}`));
        algos++;
        if (k.text === "auth-trunc") {
          const bitsW = a.next("the ICV length in bits");
          const bits = num(bitsW, "an ICV length");
          const t = Object.hasOwn(AUTH_TRUNC, name.text) ? AUTH_TRUNC[name.text] : undefined;
          if (t && t.bits === bits) {
            auth = t.id;
            authKey = key;
          } else if (t || AUTH_UNMODELLED.test(name.text) || name.text === "digest_null")
            leaveOut(bitsW, `'${name.text}' truncated to ${bits} bits is not modelled (the engine has hmac(sha1) 96 and hmac(sha256) 128)`);
          else fail(name, `unknown authentication algorithm "${name.text}" (expected hmac(sha1), hmac(sha256), …)`);
        } else {
          const id = Object.hasOwn(AUTH_DEFAULT, name.text) ? AUTH_DEFAULT[name.text] : undefined;
          if (id) {
            auth = id;
            authKey = key;
          } else if (name.text === "hmac(sha256)" || name.text === "sha256")
            leaveOut(
              name,
              `'auth ${name.text}' truncates to 96 bits on Linux (xfrm_algo.c icv_truncbits), which the engine does not model; write auth-trunc 'hmac(sha256)' KEY 128 (RFC 4868)`,
            );
          else if (AUTH_UNMODELLED.test(name.text))
            leaveOut(name, `authentication '${name.text}' is not modelled (the engine has hmac(sha1), hmac(sha256))`);
          else fail(name, `unknown authentication algorithm "${name.text}" (expected hmac(sha1), hmac(sha256), …)`);
        }
        break;
      }
      case "aead": {
        const name = a.next("an AEAD algorithm");
        const key = keyOf(a.next(`a key after aead ${name.text}`));
        const bitsW = a.next("the ICV length in bits");
        const bits = num(bitsW, "an ICV length");
        algos++;
        const id = Object.hasOwn(AEAD, name.text) ? AEAD[name.text] : undefined;
        if (id && bits === 128) {
          enc = id;
          encKey = key;
        } else if (id || AEAD_UNMODELLED.test(name.text))
          leaveOut(
            bitsW,
            `AEAD '${name.text}' with a ${bits}-bit ICV is not modelled (the engine has rfc4106(gcm(aes)) and rfc7539esp(chacha20,poly1305) at 128)`,
          );
        else fail(name, `unknown AEAD algorithm "${name.text}" (expected rfc4106(gcm(aes)), rfc7539esp(chacha20,poly1305), …)`);
        break;
      }
      case "comp": {
        const name = a.next("a compression algorithm");
        leaveOut(name, `compression '${name.text}' is not modelled`);
        break;
      }
      case "limit": {
        const kw = a.next("a limit (time-soft, time-hard, byte-soft, …)");
        const v = a.next("a limit value");
        warn(k, `'limit ${kw.text} ${v.text}' is not modelled (SAs never expire in a run): ignored`);
        break;
      }
      case "encap": {
        const parts = [a.next("an encapsulation type"), a.next("a source port"), a.next("a destination port"), a.next("an address")];
        leaveOut(k, `'encap ${parts.map((p) => p.text).join(" ")}' (ESP in UDP, RFC 3948) is not modelled`);
        break;
      }
      default:
        fail(k, `expected a state keyword (${KEYWORDS}), found "${k.text}"`);
    }
  }
  if (src === undefined) fail(cmd, "expected 'src ADDR' (an SA needs both endpoints)");
  if (dst === undefined) fail(cmd, "expected 'dst ADDR' (an SA needs both endpoints)");
  if (proto === undefined && !skip) fail(cmd, "expected 'proto esp' or 'proto ah'");
  if (spi === undefined) fail(cmd, "expected 'spi SPI'");
  if (algos === 0 && !skip) fail(cmd, `expected an algorithm (enc, auth, auth-trunc or aead) for the ${proto} SA`);
  if (proto === "ah" && enc !== "null") fail(cmd, "an AH SA takes auth or auth-trunc only");
  if (skip || proto === undefined) return;
  if (replayWindow > 32 && !esn)
    st.warnings.push({
      ...at(cmd),
      message: `replay-window ${replayWindow} without 'flag esn': Linux keeps at most 32 (xfrm_user.c copy_from_user_state); read as ${replayWindow} as written`,
    });
  st.sas.push({ sa: { spi, src, dst, proto, mode, enc, encKey, auth, authKey, replayWindow, esn }, at: at(cmd) });
}

/** xfrm_policy.c xfrm_policy_modify: `policy add|update SELECTOR dir DIR [action A] [priority P] … [tmpl TMPL]…`. */
function policyAdd(a: Args, cmd: Word, st: State): void {
  let src = "0.0.0.0/0";
  let dst = "0.0.0.0/0";
  let proto: "any" | "icmp" = "any";
  let dir: "in" | "out" | undefined;
  let action: "allow" | "block" = "allow";
  let skip = false;
  const requests: RequestInput[] = [];
  const warn = (w: Pos, message: string) => st.warnings.push({ ...at(w), message });
  const leaveOut = (w: Pos, message: string) => {
    warn(w, `${message}: this policy is left out`);
    skip = true;
  };
  let dirSeen = false;
  const KEYWORDS = "src, dst, proto, dev, dir, action, priority, index, ptype, flag, mark, limit, tmpl";
  while (!a.done()) {
    const k = a.next("a keyword");
    switch (k.quoted ? "" : k.text) {
      case "src":
      case "dst": {
        const w = a.next("an address");
        const v = prefix(w, `the ${k.text} selector`);
        if (v === "") leaveOut(w, `'${w.text}' is IPv6; the engine models IPv4 only`);
        if (k.text === "src") src = v;
        else dst = v;
        break;
      }
      case "proto": {
        const w = a.next("an upper-layer protocol");
        if (w.text === "icmp" || w.text === "1") proto = "icmp";
        else if (w.text === "any" || w.text === "0") proto = "any";
        else leaveOut(w, `upper-layer '${w.text}' is not modelled (the engine's selectors are any and icmp)`);
        break;
      }
      case "sport":
      case "dport":
      case "type":
      case "code":
      case "dev":
      case "priority":
      case "index":
      case "ptype":
      case "ctx":
      case "if_id": {
        const v = a.next(`a value after ${k.text}`);
        // ptype main is every policy's type unless sub-policies are in use: nothing to say.
        if (!(k.text === "ptype" && v.text === "main")) warn(k, `'${k.text} ${v.text}' is not modelled: ignored`);
        break;
      }
      case "mark": {
        const v = a.next("a mark");
        if (a.peek()?.text === "mask") {
          a.next("mask");
          a.next("a mask");
        }
        warn(k, `'mark ${v.text}' is not modelled: ignored`);
        break;
      }
      case "flag": {
        const f = a.next("a flag (localok, icmp)");
        warn(f, `flag '${f.text}' is not modelled: ignored`);
        break;
      }
      case "limit": {
        const kw = a.next("a limit");
        const v = a.next("a limit value");
        warn(k, `'limit ${kw.text} ${v.text}' is not modelled: ignored`);
        break;
      }
      case "dir": {
        const w = a.next("a direction (in, out, fwd)");
        dirSeen = true;
        if (w.text === "in" || w.text === "out") dir = w.text;
        else if (w.text === "fwd") leaveOut(w, "direction 'fwd' is not modelled (the engine checks forwarded traffic with in policies)");
        else fail(w, `expected a direction (in, out, fwd), found "${w.text}"`);
        break;
      }
      case "action": {
        const w = a.next("an action (allow, block)");
        if (w.text === "allow" || w.text === "block") action = w.text;
        else fail(w, `expected an action (allow, block), found "${w.text}"`);
        break;
      }
      case "tmpl": {
        const r = tmpl(a, k, st);
        if (r) requests.push(r);
        else skip = true;
        break;
      }
      default:
        fail(k, `expected a policy keyword (${KEYWORDS}), found "${k.text}"`);
    }
  }
  if (!dirSeen) fail(cmd, "expected 'dir in', 'dir out' or 'dir fwd'");
  if (action === "block" && requests.length > 0) warn(cmd, "templates on a 'block' policy are never used: ignored");
  if (skip || dir === undefined) return;
  const act = action === "block" ? "discard" : requests.length > 0 ? "ipsec" : "none";
  st.policies.push({ policy: { dir, src, dst, proto, action: act, requests: act === "ipsec" ? requests : [] }, at: at(cmd) });
}

/** xfrm_tmpl_parse: `tmpl [src A] [dst A] [proto P] [spi S] [mode M] [reqid R] [level required|use]`; stops at the first other word. */
function tmpl(a: Args, k: Word, st: State): RequestInput | undefined {
  let src: string | undefined;
  let dst: string | undefined;
  let proto: "esp" | "ah" | undefined;
  let mode: "transport" | "tunnel" = "transport";
  let level: "require" | "use" = "require";
  let skip = false;
  while (!a.done()) {
    const w = a.next("a template keyword");
    if (w.quoted || !/^(src|dst|proto|spi|mode|reqid|level|share|algo)$/.test(w.text)) {
      a.back();
      break;
    }
    const v = a.next(`a value after ${w.text}`);
    switch (w.text) {
      case "src":
      case "dst": {
        const addr = ipv4(v, `the template's ${w.text}`);
        if (addr === "") {
          st.warnings.push({ ...at(v), message: `'${v.text}' is IPv6; the engine models IPv4 only: this policy is left out` });
          skip = true;
        }
        if (w.text === "src") src = addr;
        else dst = addr;
        break;
      }
      case "proto":
        if (v.text === "esp" || v.text === "ah") proto = v.text;
        else if (v.text === "comp") {
          st.warnings.push({ ...at(v), message: "template 'proto comp' is not modelled: this policy is left out" });
          skip = true;
        } else fail(v, `expected a template protocol (esp, ah, comp), found "${v.text}"`);
        break;
      case "mode":
        if (v.text === "transport" || v.text === "tunnel") mode = v.text;
        else if (v.text === "beet") {
          st.warnings.push({ ...at(v), message: "template mode 'beet' is not modelled: this policy is left out" });
          skip = true;
        } else fail(v, `expected a template mode (transport, tunnel, beet), found "${v.text}"`);
        break;
      case "level":
        if (v.text === "required") level = "require";
        else if (v.text === "use") level = "use";
        else fail(v, `expected a level (required, use), found "${v.text}"`);
        break;
      case "reqid":
        num(v, "a reqid");
        st.reqids.push(at(w));
        break;
      default:
        st.warnings.push({ ...at(w), message: `template '${w.text} ${v.text}' is not modelled: ignored` });
    }
  }
  if (proto === undefined && !skip) fail(k, "expected 'proto esp' or 'proto ah' in the template");
  if (skip || proto === undefined) return undefined;
  if (mode === "tunnel") {
    if (!src || !dst) fail(k, "a tunnel template needs 'src ADDR dst ADDR' (its endpoints)");
    return { proto, mode, tunnelSrc: src, tunnelDst: dst, level };
  }
  if ((src && src !== "0.0.0.0") || (dst && dst !== "0.0.0.0"))
    st.warnings.push({ ...at(k), message: "a transport template's src/dst are not modelled (the SA is found by the packet's addresses): ignored" });
  return { proto, mode, level };
}

/**
 * What `ip xfrm state` and `ip xfrm policy` print (ip/xfrm_state.c xfrm_state_print,
 * ip/xfrm_policy.c xfrm_policy_print): a record starts `src A dst B` at the left margin, its other
 * lines are indented. Each record becomes the `state add` / `policy add` it describes (a policy
 * has `dir`); the print-only lines — counters, lifetimes, anti-replay context, timestamps — are left out.
 */
function printedAsCommands(lines: Word[][]): Word[][] {
  const out: Word[][] = [];
  let record: Word[] | undefined;
  const PRINT_ONLY = /^(anti-replay|lifetime|limit:|stats:|socket|add|use|lastused|\d+\(bytes\),?|crypto|offload|security|current)$/;
  const flush = () => {
    if (!record) return;
    const isPolicy = record.some((w) => !w.quoted && w.text === "dir");
    const first = record[0]!;
    const synth = (text: string): Word => ({ text, quoted: false, line: first.line, col: first.col });
    out.push([synth("ip"), synth("xfrm"), synth(isPolicy ? "policy" : "state"), synth("add"), ...record]);
    record = undefined;
  };
  for (const words of lines) {
    const head = words[0]!;
    if (head.col === 1 && head.text === "src" && !head.quoted) {
      flush();
      record = [...words];
    } else if (record && head.col > 1) {
      const printOnly = PRINT_ONLY.test(head.text) || (head.text === "replay-window" && words[2]?.text === "replay") || head.text.endsWith(":");
      if (!printOnly) record.push(...words);
    } else {
      flush();
      out.push(words);
    }
  }
  flush();
  return out;
}

/** Parse a file of `ip xfrm` commands: every error, or the SAs and policies with warnings. */
export function parseIpXfrm(text: string): ParseResult {
  const errors: Diag[] = [];
  const st: State = { sas: [], policies: [], warnings: [], reqids: [] };
  for (const words of printedAsCommands(commands(text, errors))) {
    const first = words[0]!;
    try {
      let i = 0;
      if (first.text === "sudo") i++;
      if (words[i]?.text !== "ip") {
        if (first.text.startsWith("#!") || /^(set|export|echo|true|exit)$/.test(first.text)) continue;
        st.warnings.push({ ...at(first), message: `'${first.text}' is not an ip xfrm command: not read` });
        continue;
      }
      i++;
      while (words[i] && /^-/.test(words[i]!.text)) i++;
      const obj = words[i];
      if (!obj || obj.text !== "xfrm") {
        if (obj && /^(a|addr|address|l|link|r|route|ro|rule|n|neigh|neighbor|neighbour|tunnel|tuntap|maddr|mroute|monitor)$/.test(obj.text)) {
          st.warnings.push({ ...at(obj), message: `'ip ${obj.text}' is not an ip xfrm command: not read (convert infers interfaces from the SAs)` });
          continue;
        }
        fail(obj ?? first, `expected 'xfrm' after ip, found "${obj?.text ?? ""}"`);
      }
      const what = words[i + 1];
      const verb = words[i + 2];
      if (!what || (what.text !== "state" && what.text !== "policy"))
        fail(what ?? obj, `expected 'state' or 'policy' after ip xfrm, found "${what?.text ?? ""}"`);
      if (!verb)
        fail({ line: what.line, col: what.col + what.text.length }, `expected a command after ip xfrm ${what.text} (add, update, delete, flush, …)`);
      const args = new Args(words.slice(i + 3), `ip xfrm ${what.text} ${verb.text} at ${first.line}:${first.col}`);
      switch (verb.text) {
        case "add":
        case "update":
          if (what.text === "state") stateAdd(args, verb, st);
          else policyAdd(args, verb, st);
          break;
        case "flush":
        case "deleteall":
          if (what.text === "state") {
            let proto: string | undefined;
            if (!args.done() && args.peek()!.text === "proto") {
              args.next("proto");
              proto = args.next("a protocol").text;
            }
            st.sas = proto ? st.sas.filter((x) => x.sa.proto !== proto) : [];
          } else st.policies = [];
          if (!args.done())
            st.warnings.push({
              ...at(args.peek()!),
              message: `'${args.peek()!.text}' after ${what.text} ${verb.text} is not modelled: flushed everything`,
            });
          break;
        case "list":
        case "show":
        case "get":
        case "count":
        case "monitor":
          st.warnings.push({ ...at(verb), message: `'ip xfrm ${what.text} ${verb.text}' is a query: nothing to import` });
          break;
        case "delete":
          st.warnings.push({ ...at(verb), message: `'ip xfrm ${what.text} delete' is not applied by convert: nothing removed` });
          break;
        default:
          fail(verb, `expected add, update, delete, deleteall, flush, list or get after ip xfrm ${what.text}, found "${verb.text}"`);
      }
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      errors.push(e.diag);
    }
  }
  if (st.reqids.length > 0) {
    const first = st.reqids[0]!;
    st.warnings.push({
      ...first,
      message: `reqid (${st.reqids.length} in all) is not modelled (the engine binds policies to SAs by address): ignored`,
    });
  }
  const warnings = [...st.warnings].sort((a, b) => a.line - b.line || a.col - b.col);
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.col - b.col), warnings };
  const config: KeyConfig = { syntax: "ip-xfrm", sas: st.sas, policies: st.policies, warnings };
  return { ok: true, config };
}

const ENC_OUT: Readonly<Record<string, string>> = { "aes-cbc": "cbc(aes)", "3des-cbc": "cbc(des3_ede)", null: "ecb(cipher_null)" };
const AEAD_OUT: Readonly<Record<string, string>> = { "aes-gcm-16": "rfc4106(gcm(aes))", "chacha20-poly1305": "rfc7539esp(chacha20,poly1305)" };
const AUTH_OUT: Readonly<Record<string, [string, number]>> = {
  "hmac-sha1-96": ["hmac(sha1)", 96],
  "hmac-sha256-128": ["hmac(sha256)", 128],
  "hmac-md5-96": ["hmac(md5)", 96],
};

const hexOrEmpty = (k: string) => (k === "" || k === "0x" ? '""' : normaliseHex(k.startsWith("0x") ? k : `0x${k}`));

/** One host's SAD and SPD as `ip xfrm` commands (a sh script). */
export function emitIpXfrm(host: HostSpec, header: readonly string[]): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const lines = ["#!/bin/sh", ...header.map((h) => `# ${h}`), "ip xfrm state flush", "ip xfrm policy flush", ""];
  for (const sa of host.sad) {
    const parts = [
      `ip xfrm state add src ${sa.src} dst ${sa.dst} proto ${sa.proto} spi ${spiHex(sa.spi)} mode ${sa.mode} replay-window ${sa.replayWindow}`,
    ];
    if (sa.esn) parts.push("flag esn");
    if (sa.replayWindow > 32 && !sa.esn)
      warnings.push(`SA ${spiHex(sa.spi)}: Linux keeps at most a 32-packet replay window without ESN (xfrm_user.c copy_from_user_state)`);
    const aead = AEAD_OUT[sa.enc];
    if (aead) parts.push(`aead '${aead}' ${hexOrEmpty(sa.encKey)} 128`);
    else if (sa.proto === "esp") parts.push(`enc '${ENC_OUT[sa.enc] ?? sa.enc}' ${hexOrEmpty(sa.encKey)}`);
    const auth = AUTH_OUT[sa.auth];
    if (auth) parts.push(`auth-trunc '${auth[0]}' ${hexOrEmpty(sa.authKey)} ${auth[1]}`);
    else if (sa.proto === "ah") parts.push(`auth 'digest_null' ""`);
    lines.push(parts.join(" "));
  }
  if (host.sad.length > 0) lines.push("");
  for (const p of host.spd) {
    const parts = [`ip xfrm policy add src ${p.src} dst ${p.dst}${p.proto === "icmp" ? " proto icmp" : ""} dir ${p.dir}`];
    if (p.action === "discard") parts.push("action block");
    for (const r of p.requests) {
      const ends = r.mode === "tunnel" ? ` src ${r.tunnelSrc ?? "0.0.0.0"} dst ${r.tunnelDst ?? "0.0.0.0"}` : "";
      parts.push(`tmpl${ends} proto ${r.proto} mode ${r.mode} level ${r.level === "use" ? "use" : "required"}`);
    }
    lines.push(parts.join(" "));
  }
  if (host.defaultPolicy !== "none") warnings.push(`host ${host.name}: defaultPolicy '${host.defaultPolicy}' has no ip xfrm syntax; left out`);
  return { text: `${lines.join("\n")}\n`, warnings };
}
