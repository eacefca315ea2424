/**
 * The editor's forms read the scenario format from the engine's own valibot schema
 * (src/engine/scenario/schema.ts), so a field the engine adds — a traffic kind, a sysctl —
 * appears in the editor without a copy of its type, range or choices here. Pure: no DOM.
 *
 * The schema module is imported directly (not through engine/index): only this lazily loaded
 * editor chunk needs it, and the first page load must not carry the validator (limits.ts).
 */
import { jsonPath, ScenarioSchema } from "../../engine/scenario/schema";

/** One step into a scenario: an object key or a list index. */
export type PathKey = string | number;
export type Path = readonly PathKey[];

/** What one place in the scenario holds, as the form shows it. */
export type FieldSpec =
  | { readonly kind: "text"; readonly maxLength?: number; readonly hint?: string; readonly pattern?: RegExp; readonly numberToo: boolean }
  | { readonly kind: "number"; readonly min?: number; readonly max?: number; readonly also?: readonly number[] }
  | { readonly kind: "boolean" }
  | { readonly kind: "choice"; readonly options: readonly (string | number)[] }
  | { readonly kind: "list"; readonly item: SchemaNode; readonly maxLength?: number }
  | { readonly kind: "object"; readonly keys: readonly string[] }
  | { readonly kind: "tuple"; readonly length: number }
  | { readonly kind: "variant"; readonly key: string; readonly options: readonly string[] }
  | { readonly kind: "fixed"; readonly value: unknown }
  | { readonly kind: "unknown" };

/** A field spec with what the schema says about leaving it out. */
export type Field = FieldSpec & { readonly optional: boolean; readonly default?: unknown };

/** The parts of a valibot schema object the editor reads (valibot 1.x's runtime shape). */
export interface SchemaNode {
  readonly type: string;
  readonly wrapped?: SchemaNode;
  readonly default?: unknown;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly item?: SchemaNode;
  readonly items?: readonly SchemaNode[];
  readonly options?: readonly (SchemaNode | string | number)[];
  readonly key?: string;
  readonly literal?: unknown;
  readonly pipe?: readonly { readonly type: string; readonly requirement?: unknown; readonly message?: unknown }[];
}

/** The root of the scenario format. */
export const ROOT: SchemaNode = ScenarioSchema as unknown as SchemaNode;

/** `$.hosts[0].sad[1].encKey` — the engine's own path spelling (schema.ts jsonPath). */
export function pathString(path: Path): string {
  return jsonPath(path);
}

/** The keys of `$.hosts[0]["a b"].x`, the inverse of pathString. */
export function parsePath(text: string): PathKey[] {
  const out: PathKey[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

function unwrap(node: SchemaNode): { node: SchemaNode; optional: boolean; default?: unknown } {
  if (node.type === "optional" && node.wrapped) {
    return "default" in node && node.default !== undefined
      ? { node: node.wrapped, optional: true, default: node.default }
      : { node: node.wrapped, optional: true };
  }
  return { node, optional: false };
}

function action(node: SchemaNode, type: string): { requirement?: unknown; message?: unknown } | undefined {
  return node.pipe?.slice(1).find((a) => a.type === type);
}

function describeNode(node: SchemaNode): FieldSpec {
  switch (node.type) {
    case "string": {
      const regex = action(node, "regex");
      const max = action(node, "max_length")?.requirement;
      return {
        kind: "text",
        numberToo: false,
        ...(typeof max === "number" ? { maxLength: max } : {}),
        ...(regex?.requirement instanceof RegExp ? { pattern: regex.requirement } : {}),
        ...(typeof regex?.message === "string" ? { hint: regex.message } : {}),
      };
    }
    case "number": {
      const min = action(node, "min_value")?.requirement;
      const max = action(node, "max_value")?.requirement;
      return { kind: "number", ...(typeof min === "number" ? { min } : {}), ...(typeof max === "number" ? { max } : {}) };
    }
    case "boolean":
      return { kind: "boolean" };
    case "picklist":
      return { kind: "choice", options: (node.options ?? []) as (string | number)[] };
    case "literal":
      return { kind: "fixed", value: node.literal };
    case "array":
      return node.item ? { kind: "list", item: node.item, ...maxLengthOf(node) } : { kind: "unknown" };
    case "object":
    case "strict_object":
    case "object_with_rest":
      return { kind: "object", keys: Object.keys(node.entries ?? {}) };
    case "strict_tuple":
    case "tuple":
      return { kind: "tuple", length: node.items?.length ?? 0 };
    case "variant": {
      const key = node.key ?? "kind";
      const options = (node.options ?? [])
        .map((o) => (typeof o === "object" ? o.entries?.[key]?.literal : undefined))
        .filter((x) => typeof x === "string");
      return { kind: "variant", key, options };
    }
    case "union":
      return describeUnion((node.options ?? []).filter((o): o is SchemaNode => typeof o === "object"));
    default:
      return { kind: "unknown" };
  }
}

function maxLengthOf(node: SchemaNode): { maxLength?: number } {
  const max = action(node, "max_length")?.requirement;
  return typeof max === "number" ? { maxLength: max } : {};
}

/**
 * A union is shown as one field: all numbers (an MTU of 0 or 68–65535) is a number field that
 * also allows the literals; anything with a string (a route's prefix or "default", an SPI as a
 * number or "0x…") is a text field, numberToo when digits alone may be stored as a number.
 */
function describeUnion(options: readonly SchemaNode[]): FieldSpec {
  const specs = options.map(describeNode);
  if (specs.every((s) => s.kind === "number" || (s.kind === "fixed" && typeof s.value === "number"))) {
    const ranges = specs.filter((s) => s.kind === "number");
    const also = specs.flatMap((s) => (s.kind === "fixed" && typeof s.value === "number" ? [s.value] : []));
    const mins = ranges.flatMap((r) => (r.min !== undefined ? [r.min] : []));
    const maxs = ranges.flatMap((r) => (r.max !== undefined ? [r.max] : []));
    return {
      kind: "number",
      ...(mins.length || also.length ? { min: Math.min(...mins, ...also) } : {}),
      ...(maxs.length ? { max: Math.max(...maxs) } : {}),
      ...(also.length ? { also } : {}),
    };
  }
  const text = specs.find((s) => s.kind === "text");
  const hints = specs.flatMap((s) => (s.kind === "text" && s.hint ? [s.hint] : s.kind === "fixed" ? [`or "${String(s.value)}"`] : []));
  return {
    kind: "text",
    numberToo: specs.some((s) => s.kind === "number"),
    ...(text?.kind === "text" && text.maxLength !== undefined ? { maxLength: text.maxLength } : {}),
    ...(hints.length ? { hint: hints.join(" ") } : {}),
  };
}

function getIn(value: unknown, path: Path): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PathKey, unknown>)[k];
  }
  return v;
}

/**
 * The schema node at `path` in `draft` (a variant picks its option by the draft's `kind`), or
 * undefined where the format has no such place.
 */
export function nodeAt(draft: unknown, path: Path, root: SchemaNode = ROOT): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (let i = 0; i < path.length && node; i++) {
    node = resolveVariant(unwrap(node).node, draft, path.slice(0, i));
    const key = path[i]!;
    if (node.type === "array") node = typeof key === "number" ? node.item : undefined;
    else if (node.type === "strict_tuple" || node.type === "tuple") node = typeof key === "number" ? node.items?.[key] : undefined;
    else if (node.entries) node = typeof key === "string" ? node.entries[key] : undefined;
    else node = undefined;
  }
  return node ? resolveVariant(node, draft, path) : undefined;
}

/** A variant's option for the value at `path` (by its discriminating key); other nodes as they are. */
function resolveVariant(node: SchemaNode, draft: unknown, path: Path): SchemaNode {
  const inner = unwrap(node);
  if (inner.node.type !== "variant") return node;
  const key = inner.node.key ?? "kind";
  const tag = (getIn(draft, path) as Record<string, unknown> | undefined)?.[key];
  const options = (inner.node.options ?? []).filter((o): o is SchemaNode => typeof o === "object");
  return options.find((o) => o.entries?.[key]?.literal === tag) ?? options[0] ?? node;
}

/** What the form shows at `path` of `draft`. */
export function fieldAt(draft: unknown, path: Path, root: SchemaNode = ROOT): Field {
  const node = nodeAt(draft, path, root);
  if (!node) return { kind: "unknown", optional: true };
  const { node: inner, optional, default: dflt } = unwrap(node);
  return { ...describeNode(inner), optional, ...(dflt !== undefined ? { default: dflt } : {}) };
}

/** The options of the variant list at `path` (e.g. the traffic kinds: ping, udp, …). */
export function variantKinds(draft: unknown, listPath: Path, root: SchemaNode = ROOT): readonly string[] {
  const list = nodeAt(draft, listPath, root);
  const item = list ? unwrap(list).node.item : undefined;
  const spec = item ? describeNode(unwrap(item).node) : undefined;
  return spec?.kind === "variant" ? spec.options : [];
}

/**
 * The smallest value the format accepts the shape of, for a new list item: required fields
 * only, each at its first choice or minimum (strings empty, for the user to fill in). `kind`
 * picks a variant's option.
 */
export function skeleton(node: SchemaNode, kind?: string): unknown {
  const { node: n } = unwrap(node);
  if (n.type === "variant") {
    const key = n.key ?? "kind";
    const options = (n.options ?? []).filter((o): o is SchemaNode => typeof o === "object");
    const pick = options.find((o) => o.entries?.[key]?.literal === kind) ?? options[0];
    return pick ? skeleton(pick) : {};
  }
  const spec = describeNode(n);
  switch (spec.kind) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const k of spec.keys) {
        const child = n.entries![k]!;
        if (child.type !== "optional") out[k] = skeleton(child);
      }
      return out;
    }
    case "text":
      return "";
    case "number":
      return spec.min ?? 0;
    case "boolean":
      return false;
    case "choice":
      return spec.options[0];
    case "fixed":
      return spec.value;
    case "list":
      return [];
    case "tuple":
      return (n.items ?? []).map((i) => skeleton(i));
    default:
      return null;
  }
}
