/**
 * Editing plain JSON values by path, for tests that break a valid scenario on purpose: the
 * paths are written the way validation reports them, so `set("hosts[0].sad[0].spi", 0)` pairs
 * naturally with a problem at `$.hosts[0].sad[0].spi`.
 */

type Step = string | number;
type Node = Record<Step, unknown>;

/** An edit applied to a JSON object in place. */
export type Edit = (root: object) => void;

/** "hosts[0].sad[0].spi" or '["two words"]' → ["hosts", 0, "sad", 0, "spi"]. */
export function steps(path: string): Step[] {
  const out: Step[] = [];
  const re = /\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  const text = path.startsWith("$") ? path.slice(1) : path;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  if (re.lastIndex !== text.length && text.length > 0) throw new Error(`bad path ${path}`);
  return out;
}

function parentOf(root: object, path: string): { node: Node; last: Step } {
  const s = steps(path);
  let node = root as Node;
  for (const step of s.slice(0, -1)) {
    const next = node[step];
    if (next === null || typeof next !== "object") throw new Error(`${path}: nothing at ${String(step)}`);
    node = next as Node;
  }
  return { node, last: s.at(-1)! };
}

/** The value at `path`. */
export function get(root: object, path: string): unknown {
  const { node, last } = parentOf(root, path);
  return node[last];
}

/** Set the value at `path` (creating the last key). */
export const set =
  (path: string, value: unknown): Edit =>
  (root) => {
    const { node, last } = parentOf(root, path);
    node[last] = structuredClone(value);
  };

/** Set the value at `path` to a function of the root (e.g. a copy of a sibling). */
export const setFrom =
  (path: string, value: (root: object) => unknown): Edit =>
  (root) => {
    const { node, last } = parentOf(root, path);
    node[last] = structuredClone(value(root));
  };

/** Delete the key (or array element) at `path`. */
export const unset =
  (path: string): Edit =>
  (root) => {
    const { node, last } = parentOf(root, path);
    if (Array.isArray(node)) node.splice(last as number, 1);
    else Reflect.deleteProperty(node, last);
  };

/** Append to the array at `path`. */
export const push =
  (path: string, value: unknown): Edit =>
  (root) => {
    const arr = get(root, path);
    if (!Array.isArray(arr)) throw new Error(`${path} is not an array`);
    arr.push(structuredClone(value));
  };

/** Shallow-merge `fields` into the object at `path`. */
export const merge =
  (path: string, fields: Record<string, unknown>): Edit =>
  (root) => {
    const obj = get(root, path);
    if (obj === null || typeof obj !== "object") throw new Error(`${path} is not an object`);
    Object.assign(obj, structuredClone(fields));
  };
