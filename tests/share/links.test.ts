/**
 * Links made by earlier tagflows keep opening (tests/share/links-v1.json: real links, generated
 * once and frozen). Each must decode — migrated forward when the format has moved on — run, and
 * land on the same kind of step with the same view, even after the engine has changed its step
 * numbers (the logical key finds the step).
 */
import { describe, expect, it } from "vitest";
import { decodeShare } from "../../src/share/codec";
import { applyShareState } from "../../src/share/state";
import { tagLanes } from "../../src/store/tagLanes";
import v1 from "./links-v1.json";
import { engineStore } from "./support";

interface Fixture {
  readonly what: string;
  readonly link: string;
  readonly expect: {
    readonly scenario: string;
    readonly personality: string;
    readonly fixes: readonly string[];
    readonly verdict: string;
    readonly event: { readonly fn: string; readonly kind: string; readonly check?: string; readonly host: string };
    readonly step: number;
    readonly view: {
      rightTab: string;
      inspectorTab: string;
      selectedTag: string | null;
      selectedField: string | null;
      pinned: boolean;
      lanesOpen: boolean;
      decrypted: boolean;
    };
  };
}

const FILES: readonly { readonly version: number; readonly links: readonly Fixture[] }[] = [v1];

describe.each(FILES.map((f) => [f.version, f.links] as const))("links of format version %i", (_version, links) => {
  it("has a handful of links of every kind", () => {
    expect(links.length).toBeGreaterThanOrEqual(6);
    expect(links.some((l) => l.link.includes("z="))).toBe(true);
  });

  it.each(links.map((l) => [l.what, l] as const))("opens: %s", async (_what, fixture) => {
    const decoded = decodeShare(fixture.link);
    expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.notes).toEqual([]);
    const { store } = engineStore();
    expect(await applyShareState(store, decoded.state)).toBe("applied");
    const s = store.getState();
    const want = fixture.expect;
    expect(s.trace!.scenario.name).toBe(want.scenario);
    expect(s.personality).toBe(want.personality);
    expect(s.fixes).toEqual(want.fixes);
    expect(s.trace!.outcome.verdict).toBe(want.verdict);
    const e = s.trace!.events.at(s.cursor)!;
    expect({ fn: e.fn, kind: e.kind, ...(e.kind === "decision" ? { check: e.check } : {}), host: e.host }).toEqual(want.event);
    expect({
      rightTab: s.rightTab,
      inspectorTab: s.inspectorTab,
      selectedTag: s.selectedTag === null ? null : (tagLanes(s.trace!).byUid.get(s.selectedTag)?.tag.name ?? "missing"),
      selectedField: s.selectedField,
      pinned: s.selectedPacket !== null,
      lanesOpen: s.lanesOpen,
      decrypted: s.decrypted,
    }).toEqual(want.view);
  });
});
