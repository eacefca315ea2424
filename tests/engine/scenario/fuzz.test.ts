/**
 * Properties over hostile input (design.md, "Bad input"): loadScenario and loadScenarioJson
 * never throw, and always answer ok or problems whose paths start at "$" — for arbitrary JSON
 * values, arbitrary strings, and near-valid scenarios (built-ins with one part replaced).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadScenario, loadScenarioJson, type LoadResult } from "../../../src/engine";
import { BUILTIN_NAMES, builtinInput } from "../../helpers/trace";

function wellFormed(r: LoadResult): void {
  if (r.ok) {
    expect(typeof r.scenario.name).toBe("string");
    return;
  }
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) {
    expect(p.path).toMatch(/^\$/);
    expect(typeof p.message).toBe("string");
    expect(p.message.length).toBeGreaterThan(0);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Step = string | number;

/** Every path (list of keys/indexes) in a JSON value, the root excluded. */
function pathsOf(v: Json, prefix: Step[] = []): Step[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...pathsOf(x, [...prefix, i])]);
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...pathsOf(x, [...prefix, k])]);
  return [];
}

/** A copy of `root` with the value at `path` replaced (or deleted when `value` is undefined). */
function edited(root: Json, path: Step[], value: Json | undefined): Json {
  const copy = structuredClone(root);
  let node = copy as Record<Step, Json>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<Step, Json>;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else Reflect.deleteProperty(node, last);
  } else node[last] = value;
  return copy;
}

/** Resolve the parent of a problem path ("$.hosts[0].sad[1].spi" → the SA object) in `root`. */
function parentExists(root: Json, path: string): boolean {
  const steps: Step[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path.slice(1)))) steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  let node: Json | undefined = root;
  for (const step of steps.slice(0, -1)) {
    if (node === null || typeof node !== "object") return false;
    node = (node as Record<Step, Json>)[step];
  }
  return steps.length === 0 || (node !== null && typeof node === "object");
}

const nearValid = fc
  .constantFrom(...BUILTIN_NAMES)
  .map((name) => builtinInput(name) as unknown as Json)
  .chain((root) =>
    fc.record({
      root: fc.constant(root),
      path: fc.constantFrom(...pathsOf(root)),
      value: fc.option(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
          fc.constantFrom<Json>(0, 255, 256, -1, 2 ** 32, "", "0x", "lo0", "127.0.0.1", "10.0.0.1/24", "host:em0", [], {}),
        ),
        { nil: undefined },
      ),
    }),
  );

describe("loading never throws", () => {
  it("on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        wellFormed(loadScenario(v));
      }),
      { numRuns: 300 },
    );
  });

  it("on arbitrary objects with a valid version", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), (o) => {
        wellFormed(loadScenario({ ...o, version: 1 }));
      }),
      { numRuns: 300 },
    );
  });

  it("on arbitrary strings and arbitrary JSON text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: "binary" })), (text) => {
        wellFormed(loadScenarioJson(text));
      }),
      { numRuns: 300 },
    );
  });

  it("on built-ins with one part replaced or deleted; every problem path points into the input", () => {
    fc.assert(
      fc.property(nearValid, ({ root, path, value }) => {
        const input = edited(root, path, value);
        const r = loadScenario(input);
        wellFormed(r);
        if (!r.ok) for (const p of r.problems) expect(parentExists(input, p.path), `${p.path} has no parent in the input`).toBe(true);
        wellFormed(loadScenarioJson(JSON.stringify(input)));
      }),
      { numRuns: 500 },
    );
  });
});
