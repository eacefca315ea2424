/** The control-plane lane's layout and the SAs' own lanes (src/ui/timeline/ControlLane.tsx), without a DOM. */
import { describe, expect, it } from "vitest";
import { layoutControlLane, layoutSaLanes } from "../../../src/ui/timeline/ControlLane";
import { runBuiltin } from "../../helpers/trace";

describe("control lane layout", () => {
  it("draws one arrow per key message, daemon ↔ kernel per host, at the delivering step", () => {
    const t = runBuiltin("libreswan-ondemand");
    const { rows, arrows } = layoutControlLane(t.events, (s) => s);
    expect(rows).toEqual(["west pluto", "west kernel", "east pluto", "east kernel"]);
    const acquire = arrows.find((a) => a.name === "XFRM_MSG_ACQUIRE")!;
    expect(acquire.toDaemon).toBe(true);
    expect(acquire.y1).toBeGreaterThan(acquire.y2); // kernel row → pluto row
    expect(t.events.at(acquire.x)!.kind).toBe("deliver");
    // The first ping's drop comes before the ACQUIRE arrives at pluto: the lane shows it waiting.
    const firstDrop = t.events.find((e) => e.kind === "drop")!;
    expect(firstDrop.seq).toBeLessThan(acquire.seq);
    expect(arrows.filter((a) => a.name === "XFRM_MSG_UPDPOLICY" && !a.toDaemon)).toHaveLength(2 + 2 * 3);
  });

  it("is empty for a trace without a keying daemon", () => {
    expect(layoutControlLane(runBuiltin("lo0-esp-ping").events, (s) => s).arrows).toEqual([]);
  });
});

describe("SA lanes", () => {
  it("gives each SA its own lane through its states: ACQ until xfrm_add_sa replaces it, larval, mature, then dying at the soft limit", () => {
    const t = runBuiltin("libreswan-ondemand");
    const { rows, spans } = layoutSaLanes(t.events, (s) => s);
    const of = (row: string) => spans.filter((sp) => rows[sp.row] === row).map((sp) => sp.state);
    const acqRow = rows.find((r) => r.startsWith("west acq "))!;
    expect(of(acqRow)).toEqual(["acq"]);
    // The ACQ placeholder ends at the decision that replaces it, not at the end of the run.
    const acq = spans.find((sp) => rows[sp.row] === acqRow)!;
    expect(t.events.at(acq.to)).toMatchObject({ kind: "decision", check: "km-install", branch: "replace ACQ" });
    // west's outbound SA: installed mature by xfrm_add_sa, dying at its soft packet limit.
    expect(of("west esp 0x1c8b7988 192.0.2.1→192.0.2.2")).toEqual(["mature", "dying"]);
    // west's inbound SA: larval from ALLOCSPI until UPDSA fills it in.
    expect(of("west esp 0xb5b9e684 192.0.2.2→192.0.2.1").slice(0, 2)).toEqual(["larval", "mature"]);
    for (const sp of spans) expect(sp.to).toBeGreaterThanOrEqual(sp.from);
  });

  it("is empty for a trace without a key daemon", () => {
    expect(layoutSaLanes(runBuiltin("lo0-esp-ping").events, (s) => s).spans).toEqual([]);
  });
});
