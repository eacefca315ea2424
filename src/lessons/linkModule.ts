/**
 * The lesson link codec and validator (link.ts + validate.ts, about 3 KiB gzipped) load on first
 * use — a lesson link to open, a lesson opened — so a page without a lesson does not carry them.
 * `loadedLinkModule()` is the synchronous view the address bar needs: null until loaded.
 */
import type * as LinkModuleImpl from "./linkModuleImpl";

type LinkModule = typeof LinkModuleImpl;

let loaded: LinkModule | null = null;
let loading: Promise<LinkModule> | null = null;

/** Load (once) and return the lesson link module. */
export function loadLinkModule(): Promise<LinkModule> {
  return (loading ??= import("./linkModuleImpl").then((m) => (loaded = m)));
}

/** The lesson link module if it has loaded, else null (and its load is started). */
export function loadedLinkModule(): LinkModule | null {
  if (!loaded) void loadLinkModule();
  return loaded;
}
