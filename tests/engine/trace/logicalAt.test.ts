/**
 * One step's logical key, read from its round alone (trace/logical.ts logicalKeyAt /
 * seqOfLogicalKey, issue 11): the same keys the whole-trace index gives, for every step of every
 * built-in, so share links and the frozen links in tests/share/links-v1.json open the same step.
 */
import { describe, expect, it } from "vitest";
import { logicalIndex, logicalKeyAt, seqOfLogicalKey } from "../../../src/engine";
import { BUILTIN_NAMES, traceOf } from "../../helpers/trace";

describe("logicalKeyAt and seqOfLogicalKey", () => {
  it.each(BUILTIN_NAMES)("%s: every step's key is the index's, and the key leads back to the step", (name) => {
    const t = traceOf(name);
    const { keys, seqOf } = logicalIndex(t);
    for (let i = 0; i < t.events.length; i++) {
      expect(logicalKeyAt(t, i)).toBe(keys[i]);
      expect(seqOfLogicalKey(t, keys[i]!)).toBe(seqOf.get(keys[i]!));
    }
  });

  it("gives nothing for a step or key the trace does not have", () => {
    const t = traceOf("lo0-esp-ping");
    expect(logicalKeyAt(t, t.events.length)).toBeUndefined();
    expect(logicalKeyAt(t, -1)).toBeUndefined();
    expect(seqOfLogicalKey(t, "99/host app ping app.send /0")).toBeUndefined();
    expect(seqOfLogicalKey(t, "1/host app ping app.send /7")).toBeUndefined();
    expect(seqOfLogicalKey(t, "not a key")).toBeUndefined();
  });
});
