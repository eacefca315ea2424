/**
 * Tooltips for the timeline's marks (issue 17): hovering or focusing a finding flag, the fork, a
 * decision tick, a tag's start, end or consult diamond says what that step is — the kinds table's
 * clause ("ip_output's IPsec loop check decides …"), the layer and host, and any finding that
 * became true there. One tip for the whole timeline, drawn in a portal so no lane clips it; it
 * stays while the pointer is on it (WCAG 1.4.13: hoverable) and Escape closes it (dismissible)
 * without leaving Present mode. Text at 16 px or more: it is read from the back of a room.
 * The tip's store and handlers live here; the tip itself (MarkTooltipLayer.tsx) loads when first shown.
 */
import { useSyncExternalStore, type FocusEvent, type PointerEvent } from "react";

/** Where a tip points: a step, the mark's box on screen, and what the mark is beyond the step. */
export interface MarkTip {
  readonly step: number;
  /** The mark's box in viewport coordinates (getBoundingClientRect); the tip sits above it. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  /** The mark itself, in words: "OUT_DONE #3 consulted while stale", "the runs diverge here". */
  readonly what?: string;
}

/** The tip's element id, for the marks' aria-describedby. */
export const MARK_TIP_ID = "mark-tip";

let current: MarkTip | null = null;
let hideTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function set(tip: MarkTip | null): void {
  clearTimeout(hideTimer);
  if (tip === current) return;
  current = tip;
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The one tip of the timeline: show it at a box, hide it now or after the pointer had time to reach it. */
export const markTip = {
  get: (): MarkTip | null => current,
  show(step: number, box: { left: number; right: number; top: number; bottom: number }, what?: string): void {
    set({ step, left: box.left, right: box.right, top: box.top, bottom: box.bottom, ...(what ? { what } : {}) });
  },
  hide: (): void => set(null),
  /** Hide unless the pointer reaches the tip (or another mark) within 150 ms. */
  hideSoon(): void {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => set(null), 150);
  },
  /** Keep it: the pointer is on the tip. */
  keep: (): void => clearTimeout(hideTimer),
};

/** The tip's target, for a component (null when none). */
export const useMarkTip = (): MarkTip | null => useSyncExternalStore(subscribe, markTip.get, markTip.get);

/** Hover and focus handlers for one mark element: spread them on a button or SVG element. */
export function markTipHandlers(
  step: number,
  what?: string,
): {
  onPointerEnter: (e: PointerEvent<Element>) => void;
  onPointerLeave: () => void;
  onFocus: (e: FocusEvent<Element>) => void;
  onBlur: () => void;
} {
  const show = (el: Element) => markTip.show(step, el.getBoundingClientRect(), what);
  return {
    onPointerEnter: (e) => show(e.currentTarget),
    onPointerLeave: () => markTip.hideSoon(),
    onFocus: (e) => show(e.currentTarget),
    onBlur: () => markTip.hide(),
  };
}
