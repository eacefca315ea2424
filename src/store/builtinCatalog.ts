/**
 * The built-ins as the page knows them before running one: name, title, personality and fixes,
 * made from the built-ins when the app is built (vite.config.ts, builtinCatalog). A description
 * arrives with the trace (the validated scenario's). The scenarios themselves run in the engine
 * worker, which is handed a BuiltinRef: their hosts, SAs and keys are not part of the first load.
 */
import catalog, { defaultName } from "virtual:builtin-catalog";
import type { BuiltinInfo } from "virtual:builtin-catalog";

export type { BuiltinInfo };

/** The scenario the app opens with (the engine's DEFAULT_SCENARIO). */
export const DEFAULT_SCENARIO: string = defaultName;

/** Every built-in, in the picker's order. */
export const BUILTINS: readonly BuiltinInfo[] = catalog;

const BY_NAME = new Map(BUILTINS.map((b) => [b.name, b]));

/** The built-in called `name`, or undefined. */
export function builtinInfo(name: string): BuiltinInfo | undefined {
  return BY_NAME.get(name);
}
