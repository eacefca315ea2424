/** The page's name for a built-in when it asks the worker to run one (no engine code here: the page imports it). */
/**
 * A built-in by name, as the page hands it to the worker: the page knows the built-ins only by
 * their catalog (store/builtinCatalog.ts), the worker has the scenarios.
 */
export interface BuiltinRef {
  readonly builtinRef: string;
}

export function builtinRef(name: string): BuiltinRef {
  return { builtinRef: name };
}

export function isBuiltinRef(v: unknown): v is BuiltinRef {
  return typeof v === "object" && v !== null && typeof (v as { builtinRef?: unknown }).builtinRef === "string" && Object.keys(v).length === 1;
}
