/** Text helpers for SVG labels, where the browser does not wrap or ellipsise for us. */
import type { Verdict } from "../engine/index";

/** `text` cut to fit `maxWidth` pixels at about `charWidth` per character, with an ellipsis when cut. */
export function fitText(text: string, maxWidth: number, charWidth: number): string {
  const max = Math.floor(maxWidth / charWidth);
  if (max <= 1) return "";
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Greedy word wrap of `text` into lines no wider than `width`, as `measure` gives a string's width. */
export function wrapWords(text: string, width: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure(next) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** 0x-prefixed lowercase hex of `n`, zero-padded to `width` digits. */
export function hex(n: number, width = 8): string {
  return `0x${n.toString(16).padStart(width, "0")}`;
}

/** "12 µs", "1.000012 s": virtual time for the narration. */
export function formatMicros(t: number): string {
  if (t < 1000) return `${t} µs`;
  if (t < 1_000_000) return `${(t / 1000).toFixed(3).replace(/\.?0+$/, "")} ms`;
  return `${(t / 1_000_000).toFixed(6).replace(/\.?0+$/, "")} s`;
}

/** A few words for each finding id the audit gives ("drop-<reason>" ids are named from the reason). */
export const FINDING_TITLES: Readonly<Record<string, string>> = {
  "stale-out-done-skipped-ipsec": "IPsec skipped on a stale OUT_DONE",
  "cleartext-on-wire": "cleartext on the wire",
  "stale-in-done-chose-policy": "a stale IN_DONE chose the policy",
  "cleartext-accepted": "cleartext accepted",
  "ipsec-evidence-false": "false evidence of IPsec",
  "ipsec-evidence-lost": "evidence of IPsec lost",
  "stale-flag-satisfied-policy": "a stale m_flag satisfied the policy",
  "stale-ipsec-flags": "stale IPsec m_flags on the reply",
  "step-limit": "stopped in a loop",
  "trace-limit": "trace cut at its limit",
  "reminder-unhonoured": "a reminder nobody honoured",
  "record-unread": "the NIC's record never read",
  unanswered: "echoes unanswered",
};

/** A few words for a finding id: "stale-out-done-skipped-ipsec" → "IPsec skipped on a stale OUT_DONE". */
export function findingTitle(id: string): string {
  return FINDING_TITLES[id] ?? id.replace(/^drop-/, "dropped: ").replace(/-/g, " ");
}

/** A chip's two or three words for a finding id, for the banner (the full title is its tooltip). */
export const FINDING_CHIP_WORDS: Readonly<Record<string, string>> = {
  "stale-out-done-skipped-ipsec": "IPsec skipped",
  "cleartext-on-wire": "cleartext on wire",
  "stale-in-done-chose-policy": "stale IN_DONE",
  "cleartext-accepted": "cleartext accepted",
  "ipsec-evidence-false": "false IPsec proof",
  "ipsec-evidence-lost": "IPsec proof lost",
  "stale-flag-satisfied-policy": "stale flag passed",
  "stale-ipsec-flags": "stale flags",
  "step-limit": "loop stopped",
  "trace-limit": "trace cut",
  "reminder-unhonoured": "reminder unhonoured",
  "record-unread": "record unread",
  unanswered: "no answer",
};

/** The chip words for a finding id (falls back to its title). */
export function findingChipWords(id: string): string {
  return FINDING_CHIP_WORDS[id] ?? findingTitle(id);
}

/** A verdict in one sentence: the banner's headline when no finding says more, and the recap's. */
export const VERDICT_HEADLINE: Readonly<Record<Verdict, string>> = {
  secure: "Every packet was handled as its policy requires.",
  insecure: "A packet got through without the protection its policy requires.",
  dropped: "Packets were dropped.",
  loop: "The run was stopped: something is looping.",
  // Seed 002: the modelled kernel oopsed, not tagflow.
  crash: "The modelled kernel crashed (an oops in the simulated kernel, not in tagflow).",
};
