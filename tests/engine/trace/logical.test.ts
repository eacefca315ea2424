/**
 * Logical step identity (trace/logical.ts), the one definition used by share links and by
 * compareTraces: the keys the frozen version-1 links carry (tests/share/links-v1.json) still
 * name the step they were made at, and the comparison's "same step" is the logical signature.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareTraces, eventMeaning, eventSignature, logicalIndex, type FixId, type PersonalityId } from "../../../src/engine";
import * as store from "../../../src/store/logicalStep";
import { traceOf } from "../../helpers/trace";

interface FrozenLink {
  readonly link: string;
  readonly expect: { readonly step: number; readonly event: { readonly fn: string; readonly kind: string; readonly host: string } };
}
const frozen = (JSON.parse(readFileSync(new URL("../../share/links-v1.json", import.meta.url), "utf8")) as { links: FrozenLink[] }).links;

describe("logical keys", () => {
  // The key, not the step number `c`, says where a link opens (step numbers shift as the engine grows): `expect.event` is what must be there.
  const plain = frozen.map((l) => [new URLSearchParams(l.link.slice(1)), l.expect] as const).filter(([q]) => q.has("s") && q.has("k"));

  it("are found in the frozen v1 links", () => expect(plain.length).toBeGreaterThanOrEqual(4));

  for (const [q, want] of plain) {
    it(`still name the ${want.event.fn} ${want.event.kind} step of ${q.get("s")} ${q.get("f") ?? ""} ${q.get("p") ?? ""}`, () => {
      const fixes = (q.get("f")?.split(",") ?? []) as FixId[];
      const personality = (q.get("p") ?? undefined) as PersonalityId | undefined;
      const t = traceOf(q.get("s")!, { fixes, ...(personality ? { personality } : {}) });
      const key = q.get("k")!.replace(/~/g, " ");
      const seq = logicalIndex(t).seqOf.get(key);
      expect(seq).toBeDefined();
      expect(logicalIndex(t).keys[seq!]).toBe(key);
      expect(t.events.at(seq!)!).toMatchObject(want.event);
    });
  }

  it("are what the store and the share links use", () => {
    expect(store.logicalIndex).toBe(logicalIndex);
    expect(store.eventSignature).toBe(eventSignature);
  });

  it("give compareTraces its notion of the same step: equal meaning implies equal signature, and the divergence shares its key", () => {
    const bug = traceOf("lo0-esp-ping");
    const fixed = traceOf("lo0-esp-ping", { fixes: ["icmp-reflect-strips-tags"] });
    const c = compareTraces(bug, fixed);
    for (let i = 0; i < c.common; i++) {
      expect(eventMeaning(fixed.events.at(i)!)).toBe(eventMeaning(bug.events.at(i)!));
      expect(eventSignature(fixed.events.at(i)!)).toBe(eventSignature(bug.events.at(i)!));
      // The meaning (kinds.ts signatureOf) names host, layer, fn and kind, as the logical signature does.
      const e = bug.events.at(i)!;
      expect(eventMeaning(e).startsWith(`${e.host}|${e.layer}|${e.fn}|${e.kind}`)).toBe(true);
    }
    // The reply's loop check is one logical step in both runs, whichever branch it takes.
    const loop = (t: typeof bug) => logicalIndex(t).keys.find((k) => k.startsWith("1/host ip ip_output decision ipsec-loop/1"));
    expect(loop(bug)).toBe(loop(fixed));
  });
});
