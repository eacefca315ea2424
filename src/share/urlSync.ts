/**
 * The address bar and the store, kept in step (browser side of the share format, codec.ts).
 *
 * - On load, the fragment is decoded and applied: scenario, fixes and personality (the engine
 *   runs), then the step and the view. A link that cannot be used is reported, and the app shows
 *   the default scenario (or keeps what it had): never a blank page.
 * - A change of scenario, fix or personality adds a history entry (pushState); moving the cursor
 *   or changing the view replaces the current one (replaceState), once the cursor has settled and
 *   never during playback. So Back and Forward go through the runs a person chose, not every step.
 * - Back/Forward, and a fragment edited by hand, apply the entry's link again. If that link
 *   cannot be used (or its run fails or is cancelled) while a run is on screen, the report says
 *   why and the address bar goes back to the link of what is shown.
 * - An embed never writes history: it lives inside someone else's page.
 */
import type { StoreApi } from "zustand/vanilla";
import type { Problem } from "../engine/index";
import type { TagflowState } from "../store/types";
import {
  decodeShare,
  defaultShareState,
  encodeShare,
  parseEmbedParams,
  scenarioKey,
  withoutEmbedParams,
  type DecodeResult,
  type EmbedOptions,
  type ShareState,
} from "./codec";
import { applyShareState, shareStateOf } from "./state";
import { currentLessonParts, openLessonLink } from "../lessons/linkSync";

/** How long the cursor must stay put before the address bar follows it. */
export const SETTLE_MS = 350;

export const BAD_LINK_TITLE = "This link could not be opened";
export const BAD_SCENARIO_TITLE = "The scenario in this link could not be run";
export const NOTES_TITLE = "Opened the link, ignoring what this tagflow does not know";
export const FALLBACK_FOOT = "tagflow opened its default scenario instead.";

/** The parts of `window` used here (tests pass their own). */
export interface UrlSyncEnv {
  readonly location: Pick<Location, "hash" | "search" | "origin" | "pathname">;
  readonly history: Pick<History, "pushState" | "replaceState" | "state">;
  addEventListener(type: "popstate" | "hashchange", listener: () => void): void;
  removeEventListener(type: "popstate" | "hashchange", listener: () => void): void;
  setTimeout(handler: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

export interface UrlSync {
  /** Resolves when the link the page was opened with has been applied (or reported). */
  readonly ready: Promise<void>;
  /** The embed options of the page's query string. */
  readonly embed: EmbedOptions;
  /** Stop listening (tests, hot reload). */
  stop(): void;
}

/** The absolute link for `share` on this page (embed parameters dropped). */
export function shareUrl(location: UrlSyncEnv["location"], share: ShareState): string {
  return `${location.origin}${location.pathname}${withoutEmbedParams(location.search)}#${fragmentOf(share)}`;
}

/** The fragment for `share`, with the open lesson and its stop (lessons/linkSync.ts) when there is one. */
function fragmentOf(share: ShareState): string {
  const lesson = currentLessonParts();
  return lesson ? `${encodeShare(share)}&${lesson}` : encodeShare(share);
}

/** The link for what the store shows now, or for the default scenario while nothing has run. */
export function currentShareUrl(store: StoreApi<TagflowState>, location: UrlSyncEnv["location"]): string {
  return shareUrl(location, shareStateOf(store.getState()) ?? defaultShareState());
}

/** The embed (`?embed`) of a link from `currentShareUrl`. */
export function embedUrl(link: string): string {
  const url = new URL(link);
  url.search = url.search ? `${url.search}&embed` : "?embed";
  return url.href;
}

/** An `<iframe>` that embeds `link`: the snippet the share popover offers and docs/sharing.md documents. */
export function embedSnippet(link: string, title: string): string {
  const safe = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<iframe src="${safe(embedUrl(link))}" title="${safe(title)}" width="960" height="540" style="border:0;max-width:100%" loading="lazy"></iframe>`;
}

/** Start keeping `store` and the address bar in step. */
export function startUrlSync(store: StoreApi<TagflowState>, env: UrlSyncEnv = browserEnv()): UrlSync {
  const { options: embed, notes: embedNotes } = parseEmbedParams(env.location.search);
  const writes = !embed.embed;
  /** Nesting depth of link applications under way: the store changes they cause are not written back. */
  let applying = 0;
  /** The link the current history entry stands for (written, or applied from the address bar). */
  let entry = "";
  let entryKey = "";
  /** The fragment last seen in or written to the address bar, to tell our own writes from navigation. */
  let seenHash = env.location.hash;
  let pending: { fragment: string; timer: number } | null = null;

  const settle = () => {
    const share = shareStateOf(store.getState());
    if (!share) return;
    entry = fragmentOf(share);
    entryKey = scenarioKey(share);
  };

  const write = (fragment: string, how: "push" | "replace") => {
    const url = `#${fragment}`;
    if (how === "push") env.history.pushState(null, "", url);
    else env.history.replaceState(env.history.state, "", url);
    seenHash = url;
  };

  const flush = () => {
    if (!pending) return;
    env.clearTimeout(pending.timer);
    if (writes) write(pending.fragment, "replace");
    pending = null;
  };

  const cancel = () => {
    if (pending) env.clearTimeout(pending.timer);
    pending = null;
  };

  const report = (title: string, problems: readonly Problem[], tone: "error" | "note" = "error", foot?: string) => {
    if (problems.length > 0) store.getState().reportProblems(title, problems, tone, foot);
  };

  /** Apply the address bar's link; on a fresh page a bad link leaves the default scenario on screen. */
  const applyLocation = async () => {
    const hash = env.location.hash;
    seenHash = hash;
    cancel();
    /** Whether a run was on screen when this link arrived, and whether the link could not replace it. */
    const shown = store.getState().trace !== null;
    let failed = false;
    const decoded: DecodeResult = hash.length > 1 ? decodeShare(hash) : { ok: true, state: defaultShareState(), notes: [] };
    /** A fresh page whose link could not be used shows the default scenario, the report staying up. */
    const fallBack = async () => {
      if (store.getState().trace) return;
      await applyShareState(store, defaultShareState(), { keepProblems: true });
      const { problems, problemsTitle } = store.getState();
      if (problems) report(problemsTitle, problems, "error", FALLBACK_FOOT);
    };
    applying++;
    try {
      if (!decoded.ok) {
        failed = true;
        report(BAD_LINK_TITLE, decoded.problems);
        await fallBack();
        return;
      }
      // A lesson link (`l=`) opens the lesson at its stop; a bad one is reported and changes nothing.
      const lesson = await openLessonLink(store, hash);
      if (lesson === "bad") {
        failed = true;
        await fallBack();
        return;
      }
      if (lesson !== null) {
        if (lesson === "failed") {
          failed = true;
          await fallBack();
        }
        return;
      }
      const outcome = await applyShareState(store, decoded.state, { problemsTitle: BAD_SCENARIO_TITLE, fallbackFollows: true });
      if (outcome === "superseded") return;
      if (outcome === "failed") {
        failed = true;
        await fallBack();
        return;
      }
      report(NOTES_TITLE, [...decoded.notes, ...(embed.embed ? embedNotes : [])], "note");
    } finally {
      applying--;
      if (embed.embed) applyEmbed(store, embed);
      settle();
      // The link did not replace what is on screen (bad, failed, cancelled). Left in the address bar
      // it would claim a view that is not shown: a reload would lose the run on screen, and Copy link
      // and Back would disagree with the page. So the bar goes back to the link of what is shown
      // (replaceState: the entry the navigation made now stands for it), and the report, already
      // up, says what was wrong with the link the person gave.
      if (failed && shown && writes && entry !== "" && env.location.hash === hash && store.getState().status !== "running") write(entry, "replace");
    }
  };

  const onNavigate = () => {
    if (env.location.hash === seenHash) return;
    void applyLocation();
  };

  const unsubscribe = store.subscribe((s, prev) => {
    if (!writes || applying > 0) return;
    if (s.playing) {
      // Playback moves the cursor many times a second: the address bar waits for the pause.
      cancel();
      return;
    }
    const relevant =
      s.trace !== prev.trace ||
      s.cursor !== prev.cursor ||
      s.playing !== prev.playing ||
      s.status !== prev.status ||
      s.rightTab !== prev.rightTab ||
      s.inspectorTab !== prev.inspectorTab ||
      s.selectedTag !== prev.selectedTag ||
      s.selectedField !== prev.selectedField ||
      s.selectedPacket !== prev.selectedPacket ||
      s.lanesOpen !== prev.lanesOpen ||
      s.decrypted !== prev.decrypted;
    if (!relevant) return;
    const share = shareStateOf(s);
    if (!share) return;
    const fragment = fragmentOf(share);
    // Already what this entry stands for (or is about to, once the pending write fires).
    if (fragment === entry) return;
    const key = scenarioKey(share);
    if (key !== entryKey) {
      // A new run: the old entry keeps its last step, the new one gets its own entry.
      flush();
      write(fragment, "push");
      entry = fragment;
      entryKey = key;
      return;
    }
    cancel();
    const timer = env.setTimeout(() => {
      pending = null;
      write(fragment, "replace");
    }, SETTLE_MS);
    pending = { fragment, timer };
    entry = fragment;
  });

  env.addEventListener("popstate", onNavigate);
  env.addEventListener("hashchange", onNavigate);
  if (embed.embed && embed.theme) store.getState().setTheme(embed.theme);
  const ready = applyLocation();

  return {
    ready,
    embed,
    stop: () => {
      unsubscribe();
      cancel();
      env.removeEventListener("popstate", onNavigate);
      env.removeEventListener("hashchange", onNavigate);
    },
  };
}

/** An embed's excerpt and autoplay, once its trace is on screen. */
function applyEmbed(store: StoreApi<TagflowState>, embed: EmbedOptions): void {
  const s = store.getState();
  if (!s.trace || s.trace.events.length === 0) return;
  if (embed.from !== null || embed.to !== null) {
    const from = embed.from ?? 0;
    s.setRange({ from, to: embed.to ?? s.trace.events.length - 1 });
    // Without a step of its own, an excerpt starts at its first step.
    if (s.cursor === 0) store.getState().seek(store.getState().range?.from ?? from, "jump");
  }
  // An embed is a short excerpt on someone else's page, with no settings to change: Play plays it
  // through, findings and all.
  store.getState().setPauseAtFindings(false);
  if (embed.autoplay) store.getState().play();
}

function browserEnv(): UrlSyncEnv {
  return {
    location: window.location,
    history: window.history,
    addEventListener: (type, listener) => window.addEventListener(type, listener),
    removeEventListener: (type, listener) => window.removeEventListener(type, listener),
    setTimeout: (handler, ms) => window.setTimeout(handler, ms),
    clearTimeout: (id) => window.clearTimeout(id),
  };
}
