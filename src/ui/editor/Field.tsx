/**
 * Form fields drawn from the scenario schema (schemaForm.ts): one component per place in the
 * draft, chosen by what the schema says is there — text, number, choice, switch, list, object.
 * The few fields whose values refer to other parts of the draft (a traffic source host, a
 * route's interface, a link's ends, the keys) get a picker or a "generate" button. Every field
 * carries `data-path` (its JSON path) and shows the validator's messages for that path.
 */
import { createContext, useContext, useId, useState, type ReactElement, type ReactNode } from "react";
import type { Problem } from "../../engine/index";
import { appendIn, getIn, moveIn, removeIn, setIn, type Draft } from "./draft";
import { authKeyRule, encKeyRule, generateKey, generatedLength, keyLength, cryptoFill } from "./keys";
import { fieldAt, pathString, variantKinds, type Path, type PathKey } from "./schemaForm";
import { newItem } from "./templates";

/** What every field reads: the draft, the problems by the path they are shown at, and the edit. */
export interface FormContextValue {
  readonly draft: Draft;
  readonly problemsAt: ReadonlyMap<string, readonly Problem[]>;
  /** Every problem, for counts under a collapsed item. */
  readonly problems: readonly Problem[];
  readonly edit: (next: Draft, key?: string | null) => void;
}

export const FormContext = createContext<FormContextValue | null>(null);

function useForm(): FormContextValue {
  const ctx = useContext(FormContext);
  if (!ctx) throw new Error("editor field outside its form");
  return ctx;
}

/** Labels for the schema's keys; any other key is shown spelled out from camelCase. */
const LABELS: Readonly<Record<string, string>> = {
  name: "Name",
  title: "Title",
  description: "Description",
  personality: "Kernel (personality)",
  fixes: "Fixes",
  seed: "RNG seed",
  maxEvents: "Step limit",
  addr: "Address/prefix",
  mtu: "MTU",
  spi: "SPI",
  src: "Source",
  dst: "Destination",
  proto: "Protocol",
  mode: "Mode",
  enc: "Encryption",
  encKey: "Encryption key",
  auth: "Authentication",
  authKey: "Authentication key",
  replayWindow: "Replay window",
  esn: "Extended sequence numbers",
  dir: "Direction",
  action: "Action",
  requests: "Requests",
  tunnelSrc: "Tunnel source",
  tunnelDst: "Tunnel destination",
  level: "Level",
  gateway: "Gateway",
  ifname: "Interface",
  interfaces: "Interfaces",
  routes: "Routes",
  sad: "SAD (security associations)",
  spd: "SPD (security policies)",
  defaultPolicy: "Default policy",
  ipforwarding: "IP forwarding",
  ends: "Ends",
  delayMicros: "Delay (µs)",
  dropIcmp: "Drops ICMP",
  faults: "Faults",
  from: "From host",
  count: "Count",
  size: "Size (bytes)",
  intervalMs: "Interval (ms)",
  startMs: "Start (ms)",
  df: "Don't fragment (DF)",
  ttl: "TTL",
  flood: "Flood",
  kind: "Kind",
  hosts: "Hosts",
  links: "Links",
  traffic: "Traffic",
};

export function labelOf(key: PathKey): string {
  if (typeof key === "number") return `#${key + 1}`;
  return LABELS[key] ?? key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

/** The validator's messages for one field, beside it. */
function Messages({ path, id }: { path: string; id: string }): ReactElement | null {
  const { problemsAt } = useForm();
  const list = problemsAt.get(path);
  if (!list?.length) return null;
  return (
    <ul className="ed-msg" id={id} data-testid="field-problem">
      {list.map((p, i) => (
        <li key={i}>{p.message}</li>
      ))}
    </ul>
  );
}

/** Props: the field's place in the draft; `label` overrides the schema key's. */
export interface FieldProps {
  readonly path: Path;
  readonly label?: string;
}

const hostNames = (d: Draft): string[] => (Array.isArray(d.hosts) ? (d.hosts as { name?: unknown }[]).map((h) => String(h.name ?? "")) : []);

/** "host:ifname" for every declared interface (a link's possible ends). */
function linkEnds(d: Draft): string[] {
  if (!Array.isArray(d.hosts)) return [];
  return (d.hosts as { name?: unknown; interfaces?: { name?: unknown }[] }[]).flatMap((h) =>
    (h.interfaces ?? []).map((i) => `${String(h.name ?? "")}:${String(i.name ?? "")}`),
  );
}

/** The choices a reference field offers, or undefined when it is a plain field. */
function referenceChoices(d: Draft, path: Path): string[] | undefined {
  const key = path[path.length - 1];
  if (key === "from" && path[0] === "traffic") return hostNames(d);
  if (key === "ifname" && path[0] === "hosts" && path[2] === "routes") {
    const ifaces = getIn(d, ["hosts", path[1]!, "interfaces"]);
    return ["lo0", ...(Array.isArray(ifaces) ? (ifaces as { name?: unknown }[]).map((i) => String(i.name ?? "")) : [])];
  }
  if (path[0] === "links" && path[2] === "ends") return linkEnds(d);
  return undefined;
}

/** One scalar field of the draft. */
export function ScalarField({ path, label }: FieldProps): ReactElement {
  const { draft, edit } = useForm();
  const id = useId();
  const msgId = `${id}-msg`;
  const at = pathString(path);
  const field = fieldAt(draft, path);
  const value = getIn(draft, path);
  const key = path[path.length - 1]!;
  const { problemsAt } = useForm();
  const bad = (problemsAt.get(at)?.length ?? 0) > 0;
  const set = (v: unknown, coalesce = false) => edit(setIn(draft, path, v), coalesce ? at : null);
  const dflt = field.default !== undefined && typeof field.default !== "object" ? String(field.default) : undefined;
  const common = { id, "data-path": at, "aria-invalid": bad, "aria-describedby": bad ? msgId : undefined } as const;
  let control: ReactNode;
  const choices = referenceChoices(draft, path);

  if (choices) {
    const current = typeof value === "string" ? value : "";
    const options = choices.includes(current) ? choices : [current, ...choices];
    control = (
      <select {...common} value={current} onChange={(e) => set(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o === "" ? "(choose)" : o}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === "choice") {
    const current = value === undefined ? "" : String(value);
    control = (
      <select
        {...common}
        value={current}
        onChange={(e) => {
          const raw = e.target.value;
          if (raw === "") return set(undefined);
          const opt = field.options.find((o) => String(o) === raw);
          set(opt);
        }}
      >
        {field.optional && <option value="">{dflt !== undefined ? `default (${dflt})` : "(not set)"}</option>}
        {!field.optional && value === undefined && <option value="">(choose)</option>}
        {field.options.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === "boolean") {
    control = (
      <input
        {...common}
        type="checkbox"
        checked={value === undefined ? field.default === true : value === true}
        onChange={(e) => set(e.target.checked === (field.default === true) && field.optional ? undefined : e.target.checked)}
      />
    );
  } else if (field.kind === "number") {
    control = (
      <input
        {...common}
        type="number"
        inputMode="numeric"
        min={field.min}
        max={field.max}
        placeholder={dflt}
        value={typeof value === "number" ? value : value === undefined ? "" : String(value)}
        onChange={(e) => {
          const raw = e.target.value;
          if (raw === "") return set(field.optional ? undefined : "", true);
          const n = Number(raw);
          set(Number.isFinite(n) ? n : raw, true);
        }}
      />
    );
  } else if (field.kind === "fixed") {
    control = <output {...common}>{String(field.value)}</output>;
  } else {
    const isKey = key === "encKey" || key === "authKey";
    const text = value === undefined ? "" : String(value);
    control = (
      <input
        {...common}
        type="text"
        spellCheck={false}
        autoComplete="off"
        className={isKey ? "ed-key" : undefined}
        maxLength={field.kind === "text" ? field.maxLength : undefined}
        placeholder={dflt ?? (field.optional ? "not set" : undefined)}
        title={field.kind === "text" ? field.hint : undefined}
        value={text}
        onChange={(e) => {
          const raw = e.target.value;
          if (raw === "" && field.optional) return set(undefined, true);
          set(field.kind === "text" && field.numberToo && /^\d+$/.test(raw) ? Number(raw) : raw, true);
        }}
      />
    );
    if (isKey) control = <KeyControl path={path}>{control}</KeyControl>;
  }
  return (
    <div className={`ed-field${field.kind === "boolean" ? " ed-field--check" : ""}${bad ? " is-bad" : ""}`}>
      <label htmlFor={id}>{label ?? labelOf(key)}</label>
      {control}
      <Messages path={at} id={msgId} />
    </div>
  );
}

/** A key field's length rule (from the engine's algorithm table) and its "Generate" button. */
function KeyControl({ path, children }: { path: Path; children: ReactNode }): ReactElement {
  const { draft, edit } = useForm();
  const key = path[path.length - 1];
  const sa = getIn(draft, path.slice(0, -1)) as { enc?: unknown; auth?: unknown } | undefined;
  const rule = key === "encKey" ? encKeyRule(String(sa?.enc ?? "null")) : authKeyRule(String(sa?.auth ?? "none"));
  const value = String(getIn(draft, path) ?? "");
  const len = keyLength(value);
  const canGenerate = rule !== undefined && Math.max(...rule.bytes) > 0;
  return (
    <>
      <div className="ed-key-row">
        {children}
        {canGenerate && (
          <button
            type="button"
            className="btn btn--small"
            data-testid="generate-key"
            title="A fresh random key from the browser's crypto.getRandomValues"
            onClick={() => edit(setIn(draft, path, generateKey(generatedLength(rule, value), cryptoFill)))}
          >
            Generate
          </button>
        )}
      </div>
      {rule && (
        <p className="ed-rule">
          {rule.text}
          {len !== undefined && len > 0 ? ` · now ${len} bytes` : ""}
        </p>
      )}
    </>
  );
}

/** A list of choices (fixes, capabilities) as switches. */
function ChoiceListField({ path, options }: { path: Path; options: readonly (string | number)[] }): ReactElement {
  const { draft, edit } = useForm();
  const at = pathString(path);
  const value = getIn(draft, path);
  const list = Array.isArray(value) ? (value as unknown[]) : [];
  return (
    <fieldset className="ed-choices" data-path={at}>
      <legend>{labelOf(path[path.length - 1]!)}</legend>
      {options.map((o) => (
        <label key={String(o)} className="ed-choice">
          <input
            type="checkbox"
            checked={list.includes(o)}
            onChange={(e) => {
              const next = e.target.checked ? [...list, o] : list.filter((x) => x !== o);
              edit(setIn(draft, path, next.length === 0 ? undefined : options.filter((x) => next.includes(x))));
            }}
          />{" "}
          {String(o)}
        </label>
      ))}
      <Messages path={at} id={`${at}-msg`} />
    </fieldset>
  );
}

/** A summary line for a list item, e.g. "SPI 0x1000 127.0.0.1 → 127.0.0.1 esp/transport". */
export function itemSummary(listKey: PathKey, item: unknown, d: Draft): string {
  const o = (item ?? {}) as Record<string, unknown>;
  const s = (k: string) => (o[k] === undefined ? "" : String(o[k]));
  switch (listKey) {
    case "hosts":
      return s("name") || "(unnamed host)";
    case "interfaces": {
      const linked = Array.isArray(d.links)
        ? (d.links as { name?: unknown; ends?: unknown }[]).find(
            (l) => Array.isArray(l.ends) && (l.ends as unknown[]).some((e) => typeof e === "string" && e.endsWith(`:${s("name")}`)),
          )
        : undefined;
      const kind =
        o.tunnel !== undefined || s("name").startsWith("gif") ? "gif tunnel" : linked ? `Ethernet, link ${String(linked.name)}` : "Ethernet, no link";
      return `${s("name")} ${s("addr")} · ${kind}`;
    }
    case "routes":
      return `${s("dst")} → ${s("gateway") || s("ifname")}`;
    case "sad":
      return `SPI ${s("spi")} ${s("src")} → ${s("dst")} ${s("proto")}/${s("mode") || "transport"}`;
    case "spd":
      return `${s("dir")} ${s("src")} → ${s("dst")} ${s("action")}`;
    case "requests":
      return `${s("proto")}/${s("mode") || "transport"}/${s("level") || "require"}`;
    case "links":
      return `${s("name")}: ${Array.isArray(o.ends) ? (o.ends as unknown[]).join(" — ") : ""}`;
    case "traffic":
      return `${s("kind")} ${s("from")} → ${s("dst")}`;
    case "faults":
      return s("kind");
    default:
      return "";
  }
}

/**
 * Kinds a list offers that the schema does not name as a variant: an interface is an
 * Ethernet-like one (for a link) or a gif tunnel (it has `tunnel`); templates.ts newItem makes each.
 */
const EXTRA_KINDS: Readonly<Record<string, readonly string[]>> = { interfaces: ["ethernet", "gif"] };

/** Problems at or under `path`. */
function problemsUnder(problems: readonly Problem[], at: string): number {
  return problems.filter((p) => p.path === at || p.path.startsWith(`${at}.`) || p.path.startsWith(`${at}[`)).length;
}

/** A list of objects: each item a collapsible group of its fields, with add / remove / move. */
export function ListField({ path, label, children }: FieldProps & { children?: ReactNode }): ReactElement {
  const { draft, edit, problems } = useForm();
  const at = pathString(path);
  const field = fieldAt(draft, path);
  const value = getIn(draft, path);
  const list = Array.isArray(value) ? (value as unknown[]) : [];
  const key = path[path.length - 1]!;
  const kinds = variantKinds(draft, path).length > 0 ? variantKinds(draft, path) : (EXTRA_KINDS[String(key)] ?? []);
  const [kind, setKind] = useState(kinds[0] ?? "");
  const full = field.kind === "list" && field.maxLength !== undefined && list.length >= field.maxLength;
  const add = () => edit(appendIn(draft, path, newItem(draft, path, cryptoFill, kinds.length ? kind : undefined)));
  return (
    <section className="ed-list" data-path={at} aria-label={label ?? labelOf(key)}>
      <div className="ed-list-head">
        <h4>
          {label ?? labelOf(key)} <span className="ed-count">{list.length}</span>
        </h4>
        {kinds.length > 1 && (
          <select aria-label={`Kind of new ${labelOf(key).toLowerCase()}`} value={kind} onChange={(e) => setKind(e.target.value)}>
            {kinds.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        )}
        <button type="button" className="btn btn--small" disabled={full} onClick={add} data-testid={`add-${String(key)}`}>
          + Add
        </button>
      </div>
      {children}
      <Messages path={at} id={`${at}-msg`} />
      {list.map((item, i) => {
        const itemPath = [...path, i];
        const ip = pathString(itemPath);
        const n = problemsUnder(problems, ip);
        return (
          <details key={i} className="ed-item" data-path={ip} open={list.length <= 4}>
            <summary>
              <span className="ed-item-title">{itemSummary(key, item, draft) || labelOf(i)}</span>
              {n > 0 && (
                <span className="ed-badge">
                  {n} problem{n === 1 ? "" : "s"}
                </span>
              )}
              <span className="ed-item-tools">
                <button
                  type="button"
                  className="btn btn--tiny"
                  aria-label="Move up"
                  disabled={i === 0}
                  onClick={() => edit(moveIn(draft, path, i, -1))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="btn btn--tiny"
                  aria-label="Move down"
                  disabled={i === list.length - 1}
                  onClick={() => edit(moveIn(draft, path, i, 1))}
                >
                  ↓
                </button>
                <button type="button" className="btn btn--tiny" aria-label="Remove" onClick={() => edit(removeIn(draft, path, i))}>
                  ✕
                </button>
              </span>
            </summary>
            <Messages path={ip} id={`${ip}-msg`} />
            <ObjectFields path={itemPath} />
          </details>
        );
      })}
    </section>
  );
}

/** An optional object (a gif's tunnel, keying): its fields when set, an "add" button when not. */
function ObjectField({ path }: FieldProps): ReactElement {
  const { draft, edit } = useForm();
  const at = pathString(path);
  const value = getIn(draft, path);
  const field = fieldAt(draft, path);
  const key = path[path.length - 1]!;
  if (value === undefined) {
    return (
      <div className="ed-field ed-field--wide" data-path={at}>
        <span className="ed-label">{labelOf(key)}</span>
        <button type="button" className="btn btn--small" onClick={() => edit(setIn(draft, path, field.kind === "object" ? {} : null))}>
          + Set {labelOf(key).toLowerCase()}
        </button>
      </div>
    );
  }
  return (
    <fieldset className="ed-object" data-path={at}>
      <legend>
        {labelOf(key)}
        {field.optional && (
          <button type="button" className="btn btn--tiny" aria-label={`Remove ${labelOf(key)}`} onClick={() => edit(setIn(draft, path, undefined))}>
            ✕
          </button>
        )}
      </legend>
      <Messages path={at} id={`${at}-msg`} />
      <ObjectFields path={path} />
    </fieldset>
  );
}

/** A link's two ends. */
function TupleField({ path, length }: FieldProps & { length: number }): ReactElement {
  return (
    <div className="ed-tuple" data-path={pathString(path)}>
      {Array.from({ length }, (_, i) => (
        <ScalarField key={i} path={[...path, i]} label={`${labelOf(path[path.length - 1]!)} ${i + 1}`} />
      ))}
    </div>
  );
}

/** Any place of the draft, by what the schema says is there. */
export function AnyField({ path }: FieldProps): ReactElement | null {
  const { draft } = useForm();
  const field = fieldAt(draft, path);
  switch (field.kind) {
    case "list": {
      const item = fieldAt(draft, [...path, 0]);
      const itemKind = item.kind === "unknown" ? (field.item.type === "picklist" ? "choice" : "object") : item.kind;
      if (itemKind === "choice") {
        const options = (field.item.options ?? []).filter((o): o is string | number => typeof o !== "object");
        return <ChoiceListField path={path} options={options} />;
      }
      return <ListField path={path} />;
    }
    case "object":
      return <ObjectField path={path} />;
    case "tuple":
      return <TupleField path={path} length={field.length} />;
    case "unknown":
      return null;
    default:
      return <ScalarField path={path} />;
  }
}

const isScalar = (k: string) => !["list", "object", "tuple", "unknown"].includes(k);

/** The fields of the object at `path`: its scalars in a grid, then its lists and objects. */
export function ObjectFields({ path, omit = [] }: FieldProps & { omit?: readonly string[] }): ReactElement | null {
  const { draft } = useForm();
  const field = fieldAt(draft, path);
  if (field.kind !== "object") return null;
  const keys = field.keys.filter((k) => !omit.includes(k));
  const scalars = keys.filter((k) => isScalar(fieldAt(draft, [...path, k]).kind));
  const rest = keys.filter((k) => !scalars.includes(k));
  return (
    <>
      {scalars.length > 0 && (
        <div className="ed-grid">
          {scalars.map((k) => (
            <ScalarField key={k} path={[...path, k]} />
          ))}
        </div>
      )}
      {rest.map((k) => (
        <AnyField key={k} path={[...path, k]} />
      ))}
    </>
  );
}
