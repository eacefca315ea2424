/**
 * Colours and short names for tags and m_flags. Okabe–Ito colours (distinguishable with the
 * common colour-vision deficiencies), and never colour alone: every badge carries its short name,
 * tags are filled boxes and flags outlined pills.
 */
import type { MFlag } from "../engine/index";

/** The Okabe–Ito palette. */
export const OKABE_ITO = {
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
  grey: "#999999",
} as const;

/** A fill and the text colour readable on it (contrast ≥ 4.5:1). */
export interface Swatch {
  readonly fill: string;
  readonly text: string;
}

const TAG_SWATCHES: Readonly<Record<string, Swatch>> = {
  IPSEC_OUT_DONE: { fill: OKABE_ITO.orange, text: "#000000" },
  IPSEC_IN_DONE: { fill: OKABE_ITO.skyBlue, text: "#000000" },
  IPSEC_IN_CRYPTO_DONE: { fill: OKABE_ITO.blue, text: "#FFFFFF" },
  IPSEC_OUT_CRYPTO_NEEDED: { fill: OKABE_ITO.vermillion, text: "#000000" },
  IPSEC_IN_COULD_DO_CRYPTO: { fill: OKABE_ITO.bluishGreen, text: "#000000" },
  IPSEC_PENDING_TDB: { fill: OKABE_ITO.bluishGreen, text: "#000000" },
  IPSEC_SOCKET: { fill: OKABE_ITO.yellow, text: "#000000" },
  IPSEC_HISTORY: { fill: OKABE_ITO.reddishPurple, text: "#000000" },
};

const FLAG_SWATCHES: Readonly<Record<MFlag, Swatch>> = {
  DECRYPTED: { fill: OKABE_ITO.reddishPurple, text: "#000000" },
  AUTHIPHDR: { fill: OKABE_ITO.bluishGreen, text: "#000000" },
  AUTHIPDGM: { fill: OKABE_ITO.bluishGreen, text: "#000000" },
  LOOP: { fill: OKABE_ITO.yellow, text: "#000000" },
  BCAST: { fill: OKABE_ITO.grey, text: "#000000" },
  MCAST: { fill: OKABE_ITO.grey, text: "#000000" },
};

const FALLBACK: Swatch = { fill: OKABE_ITO.grey, text: "#000000" };

/** The swatch of a tag type by its name ("IPSEC_OUT_DONE"). */
export function tagSwatch(name: string): Swatch {
  return TAG_SWATCHES[name] ?? FALLBACK;
}

/** The swatch of an m_flag. */
export function flagSwatch(flag: MFlag): Swatch {
  return FLAG_SWATCHES[flag] ?? FALLBACK;
}

/** "IPSEC_OUT_DONE" → "OUT_DONE": the label a badge shows. */
export function tagShortName(name: string): string {
  return name.startsWith("IPSEC_") ? name.slice("IPSEC_".length) : name;
}

/** "DECRYPTED" → "M_DECRYPTED". */
export function flagLabel(flag: MFlag): string {
  return `M_${flag}`;
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG contrast ratio of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
