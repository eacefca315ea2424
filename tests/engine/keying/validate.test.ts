/**
 * A bad `keying` section is a validation problem with its JSON path (issue 15 item 5) — before,
 * `keying.conn.left` naming no host threw from startKeying ("no host …") instead.
 */
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../src/engine/scenario/validate";
import { builtinInput } from "../../helpers/trace";
import type { ScenarioInput } from "../../../src/engine/scenario/schema";

function problems(edit: (s: ScenarioInput) => void): { path: string; message: string }[] {
  const input = builtinInput("libreswan-ondemand", { patch: edit });
  const r = loadScenario(input);
  return r.ok ? [] : r.problems.map((p) => ({ path: p.path, message: p.message }));
}

describe("keying validation", () => {
  it("accepts every keying built-in", () => {
    expect(problems(() => {})).toEqual([]);
  });

  it("names a missing host by its path", () => {
    const p = problems((s) => {
      s.keying!.conn.left = "nowhere";
    });
    expect(p).toEqual([{ path: "$.keying.conn.left", message: 'no host "nowhere" (hosts: west, east)' }]);
  });

  it("an address that is not the host's", () => {
    const p = problems((s) => {
      s.keying!.conn.rightAddr = "192.0.2.9";
    });
    expect(p.map((x) => x.path)).toEqual(["$.keying.conn.rightAddr"]);
    expect(p[0]!.message).toContain("192.0.2.9 is not an address of east");
  });

  it("the same host at both ends", () => {
    const p = problems((s) => {
      s.keying!.conn.right = "west";
      s.keying!.conn.rightAddr = "192.0.2.1";
    });
    expect(p.map((x) => x.path)).toEqual(["$.keying.conn.right"]);
  });

  it("a soft lifetime not below its hard one", () => {
    const p = problems((s) => {
      s.keying!.conn = { ...s.keying!.conn, softAddSec: 6, hardAddSec: 6, softBytes: 10, hardBytes: 5 };
    });
    expect(p.map((x) => x.path)).toEqual(["$.keying.conn.softBytes", "$.keying.conn.softAddSec"]);
  });
});
