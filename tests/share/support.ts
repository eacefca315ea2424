/** Share-test helpers: stores on the real engine, the browser's link pipeline in Node, a fake address bar. */
import { vi } from "vitest";
import type { Problem } from "../../src/engine/index";
import { decodeShare, type ShareState } from "../../src/share/codec";
import type { UrlSyncEnv } from "../../src/share/urlSync";
import { createTagflowStore } from "../../src/store/index";
import type { RunOptions, TraceRunner } from "../../src/store/engineClient";
import { runTraceSync } from "../../src/worker/runTrace";

/** A store on the real engine; `calls` counts engine runs. */
export function engineStore() {
  const calls: { input: unknown; options: RunOptions }[] = [];
  const runTrace: TraceRunner = (input, options) => {
    calls.push({ input, options });
    return Promise.resolve(runTraceSync(input, options));
  };
  return { store: createTagflowStore({ runTrace }), calls };
}

/**
 * What the app does with a link, minus the screen: decode it (main thread), then validate the
 * scenario and run it as the engine worker does. Either the state to show, or every problem.
 */
export function openLink(
  fragment: string,
): { ok: true; state: ShareState } | { ok: false; stage: "decode" | "engine"; problems: readonly Problem[] } {
  const decoded = decodeShare(fragment);
  if (!decoded.ok) return { ok: false, stage: "decode", problems: decoded.problems };
  const { state } = decoded;
  if (state.scenario.kind === "custom") {
    const run = runTraceSync(state.scenario.json, {
      ...(state.personality ? { personality: state.personality } : {}),
      ...(state.fixes ? { fixes: state.fixes } : {}),
    });
    if (!run.ok) return { ok: false, stage: "engine", problems: run.problems };
  }
  return { ok: true, state };
}

/** A fake window for urlSync: a history stack, an address bar, timers run by hand. */
export function fakeWindow(initial: string, search = "") {
  const entries: string[] = [initial];
  let index = 0;
  const listeners = new Map<string, Set<() => void>>();
  let timers: { id: number; at: number; fn: () => void }[] = [];
  let now = 0;
  let nextId = 1;
  const location = { hash: initial, search, origin: "https://tagflow.example", pathname: "/app/" };
  const pushState = vi.fn((_: unknown, __: string, url: string) => {
    entries.splice(index + 1, entries.length, url);
    index = entries.length - 1;
    location.hash = url;
  });
  const replaceState = vi.fn((_: unknown, __: string, url: string) => {
    entries[index] = url;
    location.hash = url;
  });
  const fire = (type: string) => listeners.get(type)?.forEach((l) => l());
  const env: UrlSyncEnv = {
    location,
    history: { pushState, replaceState, state: null },
    addEventListener: (type, l) => {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(l);
    },
    removeEventListener: (type, l) => listeners.get(type)?.delete(l),
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ id, at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  return {
    env,
    entries,
    pushState,
    replaceState,
    get index() {
      return index;
    },
    /** Let `ms` pass: due timers fire. */
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    /** The browser's Back/Forward: move in the stack, then popstate (and hashchange), as Chromium does. */
    go(delta: number) {
      index = Math.min(entries.length - 1, Math.max(0, index + delta));
      location.hash = entries[index]!;
      fire("popstate");
      fire("hashchange");
    },
    /** A fragment typed into the address bar. */
    typeHash(hash: string) {
      entries.splice(index + 1, entries.length, hash);
      index = entries.length - 1;
      location.hash = hash;
      fire("popstate");
      fire("hashchange");
    },
  };
}

/** Wait for the store's engine runs (all answered on microtasks) to settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}
