import { describe, expect, it } from "vitest";
import { nextAfter, prevBefore, selectViewState, sourceOf, stepLabel, traceIndex } from "../../src/store/selectors";
import { replyLoopCheck, storeWithEngine, traceOf } from "./support";

describe("selectors", () => {
  it("label steps 1-based", () => {
    expect(stepLabel(0, 228)).toBe("Step 1 of 228");
    expect(stepLabel(63, 228)).toBe("Step 64 of 228");
    expect(stepLabel(0, 0)).toBe("Step 0 of 0");
  });

  it("find the next and previous entries of a sorted list strictly around the cursor", () => {
    const seqs = [2, 5, 9];
    expect(nextAfter(seqs, 0)).toBe(2);
    expect(nextAfter(seqs, 5)).toBe(9);
    expect(nextAfter(seqs, 9)).toBeUndefined();
    expect(prevBefore(seqs, 9)).toBe(5);
    expect(prevBefore(seqs, 2)).toBeUndefined();
    expect(prevBefore(seqs, 100)).toBe(9);
    expect(nextAfter([], 0)).toBeUndefined();
  });

  it("index decisions and findings once per trace, critical findings first", () => {
    const trace = traceOf("lo0-esp-ping");
    const index = traceIndex(trace);
    expect(traceIndex(trace)).toBe(index);
    expect(index.decisions).toContain(replyLoopCheck(trace));
    expect(index.decisions).toHaveLength(trace.events.filter((e) => e.kind === "decision").length);
    expect(index.decisions.every((seq) => trace.events.at(seq)!.kind === "decision")).toBe(true);
    expect(index.findingSteps).toEqual([...new Set(trace.outcome.findings.map((f) => f.step))].sort((a, b) => a - b));
    expect(index.findingsByRank[0]!.severity).toBe("critical");
    expect(index.findingsByRank.at(-1)!.id).toBe("stale-ipsec-flags");
    expect(index.findingsAt.get(replyLoopCheck(trace))![0]!.id).toBe("stale-out-done-skipped-ipsec");
  });

  it("name the source file of kernel functions, including ones the personality does not list", () => {
    expect(sourceOf("netbsd-2003", "ip_output")).toBe("sys/netinet/ip_output.c");
    expect(sourceOf("netbsd-2003", "sosend")).toBe("sys/kern/uipc_socket.c");
    expect(sourceOf("netbsd-2003", "nonesuch")).toBeNull();
    expect(sourceOf("plan9", "ip_output")).toBeNull();
  });
});

describe("the view state", () => {
  it("serialises to JSON and back", () => {
    const store = storeWithEngine();
    const s = store.getState();
    s.setRightTab("fixes");
    s.setInspectorTab("tags");
    s.setDecrypted(true);
    s.setTheme("dark");
    s.selectField("esp#0.spi");
    s.selectTag(2);
    const view = selectViewState(store.getState());
    const json = JSON.parse(JSON.stringify(view));
    expect(json).toEqual(view);

    const other = storeWithEngine();
    other.getState().applyViewState(json);
    expect(selectViewState(other.getState())).toEqual(view);
  });

  it("ignores junk when a view is restored", () => {
    const store = storeWithEngine();
    const before = selectViewState(store.getState());
    store.getState().applyViewState({ rightTab: "nope", theme: 7, selectedTag: -1, selectedField: "x".repeat(500), decrypted: "yes" } as never);
    expect(selectViewState(store.getState())).toEqual(before);
  });

  it("cycles the theme system → light → dark → system", () => {
    const store = storeWithEngine();
    const seen = [store.getState().theme];
    for (let i = 0; i < 3; i++) {
      store.getState().cycleTheme();
      seen.push(store.getState().theme);
    }
    expect(seen).toEqual(["system", "light", "dark", "system"]);
  });

  it("toggles selections and notifies hover changes only when they change", () => {
    const store = storeWithEngine();
    let notified = 0;
    store.subscribe(() => notified++);
    store.getState().setHover({ kind: "field", key: "ipv4#0.ttl" });
    store.getState().setHover({ kind: "field", key: "ipv4#0.ttl" });
    expect(notified).toBe(1);
    store.getState().selectTag(3);
    store.getState().selectTag(3);
    expect(store.getState().selectedTag).toBeNull();
    store.getState().pinPacket(12);
    store.getState().clearSelection();
    expect(store.getState()).toMatchObject({ selectedField: null, selectedTag: null, selectedPacket: null, hover: null });
  });
});
