/** The control-plane lane's layout (src/ui/timeline/ControlLane.tsx), without a DOM. */
import { describe, expect, it } from "vitest";
import { layoutControlLane } from "../../../src/ui/timeline/ControlLane";
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
