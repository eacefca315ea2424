/**
 * The share popover's own state (not the app's: nothing here belongs in a link): whether it is
 * open, and which link was last copied and whether that worked. The header button and the `c`
 * shortcut both go through `copyCurrentLink`.
 */
import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";
import { copyText } from "../share/clipboard";
import { decodeShare, defaultShareState } from "../share/codec";
import { shareStateOf } from "../share/state";
import { shareUrl } from "../share/urlSync";
import { tagflowStore } from "../store/index";

export interface ShareUiState {
  readonly open: boolean;
  /** The link last copied (or offered to copy by hand). */
  readonly copiedUrl: string;
  /** null while copying; false when the clipboard refused (the popover then selects the link). */
  readonly copied: boolean | null;
  /** Increments on every copy, so the button's "Copied" can restart its timer. */
  readonly copies: number;
}

export const shareUi = createStore<ShareUiState>()(() => ({ open: false, copiedUrl: "", copied: null, copies: 0 }));

export function useShareUi<T>(selector: (s: ShareUiState) => T): T {
  return useStore(shareUi, selector);
}

/** The link to what is on screen: the settled state, else (mid-run) the address bar's, else the default. */
export function linkToNow(): string {
  const now = shareStateOf(tagflowStore.getState());
  if (now) return shareUrl(window.location, now);
  const there = decodeShare(window.location.hash);
  return shareUrl(window.location, there.ok ? there.state : defaultShareState());
}

/** Copy the link to what is on screen and open the popover that shows it. */
export async function copyCurrentLink(): Promise<void> {
  const url = linkToNow();
  shareUi.setState((s) => ({ open: true, copiedUrl: url, copied: null, copies: s.copies + 1 }));
  const ok = await copyText(url);
  if (shareUi.getState().copiedUrl === url) shareUi.setState({ copied: ok });
}

export function closeShare(): void {
  if (shareUi.getState().open) shareUi.setState({ open: false });
}
