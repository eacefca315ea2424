/**
 * The compare view's words and colours (src/ui/CompareView.tsx): the heading names the baseline,
 * the findings delta counts what went and what came, every finding id has a name, and the fork's
 * colour reads on the panels of both themes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareTraces } from "../../src/engine/index";
import { compareHeading, findingsDelta } from "../../src/ui/panels/CompareView";
import { contrast } from "../../src/ui/palette";
import { FINDING_TITLES, findingTitle } from "../../src/ui/text";
import { traceOf } from "./support";

const bug = traceOf("lo0-esp-ping");

describe("the compare view's words", () => {
  it("heads the comparison with its baseline", () => {
    const fixed = compareTraces(bug, traceOf("lo0-esp-ping", ["icmp-reflect-strips-tags"]));
    expect(compareHeading(null, "netbsd-2003")).toBe("Compared with no fixes");
    expect(compareHeading(fixed, "netbsd-2003")).toBe("Compared with no fixes");
    expect(compareHeading({ ...fixed, basePersonality: "netbsd-2003" }, "freebsd-7")).toBe("Compared with NetBSD 2003, no fixes");
  });

  it("counts the findings that went and came", () => {
    const consumer = compareTraces(bug, traceOf("lo0-esp-ping", ["consumer-deletes-tags"]));
    expect(findingsDelta(consumer)).toBe(`${consumer.findingsRemoved.length} findings gone, 1 new`);
    const flags = compareTraces(bug, traceOf("lo0-esp-ping", ["icmp-reflect-clears-ipsec-flags"]));
    expect(findingsDelta(flags)).toBe("1 finding gone");
    expect(findingsDelta({ ...flags, findingsRemoved: [], findingsAdded: ["a", "b"] })).toBe("2 new findings");
    expect(findingsDelta(compareTraces(bug, bug))).toBe("");
  });

  it("names every finding the seed story's fixes add or remove in a few words", () => {
    const ids = new Set<string>();
    for (const fix of ["icmp-reflect-strips-tags", "looutput-strips-tags", "icmp-reflect-clears-ipsec-flags", "consumer-deletes-tags"]) {
      const c = compareTraces(bug, traceOf("lo0-esp-ping", [fix]));
      for (const id of [...c.findingsAdded, ...c.findingsRemoved]) ids.add(id);
    }
    expect(ids.size).toBeGreaterThan(4);
    for (const id of ids) expect(Object.keys(FINDING_TITLES), id).toContain(id);
    expect(findingTitle("stale-out-done-skipped-ipsec")).toBe("IPsec skipped on a stale OUT_DONE");
    expect(findingTitle("drop-ipsec-replay")).toBe("dropped: ipsec replay");
  });
});

describe("the fork's colour", () => {
  const css = readFileSync(new URL("../../src/ui/theme.css", import.meta.url), "utf8");
  /** The value of `--name` in the light (first) or dark (second) block. */
  const token = (name: string, theme: 0 | 1) => [...css.matchAll(new RegExp(`--${name}: (#[0-9a-f]{6});`, "g"))][theme]![1]!;

  it.each([0, 1] as const)("stands out on the panels (theme %i) at 3:1 or more", (theme) => {
    for (const surface of ["surface", "surface-2", "bg"]) expect(contrast(token("diverge", theme), token(surface, theme))).toBeGreaterThanOrEqual(3);
  });
});
