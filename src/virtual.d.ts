/** The built-in catalog the app build makes (vite.config.ts, builtinCatalog). */
declare module "virtual:builtin-catalog" {
  import type { FixId, PersonalityId } from "./engine/index";

  export interface BuiltinInfo {
    readonly name: string;
    readonly title?: string;
    readonly personality?: PersonalityId;
    readonly fixes?: readonly FixId[];
  }
  const catalog: readonly BuiltinInfo[];
  export default catalog;
  /** DEFAULT_SCENARIO (engine/scenario/builtins.ts). */
  export const defaultName: string;
}
