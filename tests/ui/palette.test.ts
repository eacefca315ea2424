import { describe, expect, it } from "vitest";
import { M_FLAGS } from "../../src/engine/index";
import { contrast, flagLabel, flagSwatch, OKABE_ITO, tagShortName, tagSwatch } from "../../src/ui/palette";

const TAGS = ["IPSEC_OUT_DONE", "IPSEC_IN_DONE", "IPSEC_IN_CRYPTO_DONE", "IPSEC_OUT_CRYPTO_NEEDED", "IPSEC_PENDING_TDB", "PF"];

describe("palette", () => {
  it("draws every badge's label at a contrast of at least 4.5:1", () => {
    for (const t of TAGS) expect(contrast(tagSwatch(t).fill, tagSwatch(t).text)).toBeGreaterThanOrEqual(4.5);
    for (const f of M_FLAGS) expect(contrast(flagSwatch(f).fill, flagSwatch(f).text)).toBeGreaterThanOrEqual(4.5);
  });

  it("uses Okabe–Ito colours, and different ones for OUT_DONE and IN_DONE", () => {
    const palette = new Set<string>(Object.values(OKABE_ITO));
    for (const t of TAGS) expect(palette.has(tagSwatch(t).fill)).toBe(true);
    expect(tagSwatch("IPSEC_OUT_DONE").fill).not.toBe(tagSwatch("IPSEC_IN_DONE").fill);
  });

  it("labels tags by their short name and flags with M_", () => {
    expect(tagShortName("IPSEC_OUT_DONE")).toBe("OUT_DONE");
    expect(tagShortName("PF")).toBe("PF");
    expect(flagLabel("DECRYPTED")).toBe("M_DECRYPTED");
  });

  it("computes WCAG contrast", () => {
    expect(contrast("#000000", "#FFFFFF")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#777777")).toBe(1);
  });
});
