/**
 * The editor's draft: a scenario as plain JSON (as a person writes it, defaults may be left
 * out), changed only by copying along a path, so undo can keep every earlier draft by reference.
 * Pure: no DOM, no store.
 */
import type { Problem } from "../../engine/index";
import { fieldAt, parsePath, pathString, type Path, type PathKey } from "./schemaForm";

/** A scenario being edited: JSON values only. */
export type Draft = Readonly<Record<string, unknown>>;

/** The value at `path`, or undefined. */
export function getIn(value: unknown, path: Path): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PathKey, unknown>)[k];
  }
  return v;
}

/**
 * A copy of `value` with `path` set to `next` (missing objects are made on the way);
 * `undefined` removes an object key, so "leave it out" gives the schema's default.
 */
export function setIn<T>(value: T, path: Path, next: unknown): T {
  if (path.length === 0) return next as T;
  const [k, ...rest] = path as [PathKey, ...PathKey[]];
  const current = value as unknown;
  if (Array.isArray(current)) {
    const copy = current.slice();
    copy[k as number] = setIn(copy[k as number], rest, next);
    return copy as T;
  }
  const obj = current !== null && typeof current === "object" ? (current as Record<string, unknown>) : {};
  const child = setIn(obj[k as string], rest, next);
  // Leaving a key out (undefined) drops it, so the schema's default applies.
  const drop = child === undefined && rest.length === 0;
  // Keys keep their order (an exported scenario reads as it was written).
  const copy = Object.fromEntries(Object.entries(obj).flatMap(([key, v]) => (key !== k ? [[key, v]] : drop ? [] : [[key, child]])));
  if (!drop && !(k in obj)) copy[k as string] = child;
  return copy as T;
}

/** A copy with `item` appended to the list at `listPath` (made if missing). */
export function appendIn<T>(value: T, listPath: Path, item: unknown): T {
  const list = getIn(value, listPath);
  return setIn(value, listPath, [...(Array.isArray(list) ? list : []), item]);
}

/** A copy with item `index` of the list at `listPath` removed. */
export function removeIn<T>(value: T, listPath: Path, index: number): T {
  const list = getIn(value, listPath);
  if (!Array.isArray(list)) return value;
  return setIn(
    value,
    listPath,
    list.filter((_, i) => i !== index),
  );
}

/** A copy with item `index` of the list at `listPath` moved by `delta` places. */
export function moveIn<T>(value: T, listPath: Path, index: number, delta: number): T {
  const list = getIn(value, listPath);
  const to = index + delta;
  if (!Array.isArray(list) || to < 0 || to >= list.length) return value;
  const copy = list.slice();
  const [item] = copy.splice(index, 1);
  copy.splice(to, 0, item);
  return setIn(value, listPath, copy);
}

/**
 * Problems grouped by the place the form shows them: each problem goes to its own path when a
 * field is drawn there, else to the nearest drawn ancestor (an unknown key to its object, a
 * routing loop to its route), else to "$" (the summary only).
 */
export function placeProblems(problems: readonly Problem[], drawn: ReadonlySet<string>): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const p of problems) {
    const at = nearestDrawn(p.path, drawn);
    const list = out.get(at);
    if (list) list.push(p);
    else out.set(at, [p]);
  }
  return out;
}

/** `path` itself if drawn, else its closest drawn ancestor, else "$". */
export function nearestDrawn(path: string, drawn: ReadonlySet<string>): string {
  const keys = parsePath(path);
  for (let n = keys.length; n > 0; n--) {
    const s = pathString(keys.slice(0, n));
    if (drawn.has(s)) return s;
  }
  return "$";
}

/** The host index a problem path lies under (`$.hosts[2]…` → 2), for the topology's marks. */
export function hostOfPath(path: string): number | undefined {
  const m = /^\$\.hosts\[(\d+)\]/.exec(path);
  return m ? Number(m[1]) : undefined;
}

/**
 * Every place the form draws a field or a list for `draft`: each key the schema has on each
 * object (set or not), each list and its items. The form is drawn from the same schema walk
 * (Field.tsx), so a problem's path is matched against what is on screen.
 */
export function drawnPaths(draft: unknown): Set<string> {
  const out = new Set<string>(["$"]);
  const walk = (path: PathKey[]) => {
    const field = fieldAt(draft, path);
    out.add(pathString(path));
    if (field.kind === "object") for (const k of field.keys) walk([...path, k]);
    else if (field.kind === "list" || field.kind === "tuple") {
      const v = getIn(draft, path);
      if (Array.isArray(v)) v.forEach((_, i) => walk([...path, i]));
    }
  };
  walk([]);
  return out;
}
