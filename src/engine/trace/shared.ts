/**
 * Shared pieces of events. A flood asks the same questions of the same policies and SAs
 * thousands of times; a decision's `consulted` list is immutable once recorded, so equal lists
 * can be one array of one set of item objects. JSON sees no difference. Items and lists made here
 * must never be mutated — nothing in the engine does, and the trace contract makes them readonly.
 *
 * Why this survives the columnar store (issue 11 asked to delete tuning the store makes
 * unnecessary): the store's ValueTable interns every variable-shaped value, by identity first and
 * by its JSON text second. An object it has seen is a WeakMap hit; a fresh copy costs a
 * JSON.stringify and a map lookup. The lists made here are the same objects every time, so they
 * take the fast path. Profiled on the 2,000-echo AES-GCM flood (2026-12-03): ValueTable.id was
 * already 15 % of the run with this file in place; the heap saving it was written for is now the
 * store's, the time saving is still this file's.
 *
 * Only low-cardinality values go through here (policies, SAs, routes, a handful of field values
 * and flag states); per-packet values (checksums, tags, replay windows) stay per event.
 */
import type { Consulted, MFlag } from "./events";

type Item = Consulted;

/** Items derived from an engine object (a policy, an SA, a route), per deriving function and key. */
const BY_OWNER = new WeakMap<object, Map<(owner: never, key: string) => Item, Map<string, Item>>>();

/**
 * The item `make(owner, key)`, made once per owner, function and key. `make` must be a
 * module-level function (its identity is part of the cache key) that depends only on its
 * arguments and on fields of `owner` that never change.
 */
export function itemFor<O extends object>(owner: O, make: (owner: O, key: string) => Item, key = ""): Item {
  let byMake = BY_OWNER.get(owner);
  if (byMake === undefined) BY_OWNER.set(owner, (byMake = new Map()));
  let byKey = byMake.get(make as (owner: never, key: string) => Item);
  if (byKey === undefined) byMake.set(make as (owner: never, key: string) => Item, (byKey = new Map()));
  let item = byKey.get(key);
  if (item === undefined) byKey.set(key, (item = make(owner, key)));
  return item;
}

const FIELD_ITEMS = new Map<string, Map<string, Map<string, Item>>>();

/** `{ kind: "field", header, field, value }`, one object per distinct value. */
export function fieldItem(header: string, field: string, value: string): Item {
  let byField = FIELD_ITEMS.get(header);
  if (byField === undefined) FIELD_ITEMS.set(header, (byField = new Map()));
  let byValue = byField.get(field);
  if (byValue === undefined) byField.set(field, (byValue = new Map()));
  let item = byValue.get(value);
  if (item === undefined) {
    // Bounded: callers pass low-cardinality values, but a scenario could vary them without end.
    if (byValue.size >= 1024) byValue.clear();
    byValue.set(value, (item = { kind: "field", header, field, value }));
  }
  return item;
}

const NO_TAG = new Map<string, Item>();

/** `{ kind: "tag", name, tag: null }`: a lookup that found no tag. */
export function noTagItem(name: string): Item {
  let item = NO_TAG.get(name);
  if (item === undefined) NO_TAG.set(name, (item = { kind: "tag", name, tag: null }));
  return item;
}

const FLAG_ITEMS = new Map<string, Item>();

/** `{ kind: "flag", flag, set }`, plus `stale` exactly when the flag is set (as every caller writes it). */
export function flagItem(flag: MFlag, set: boolean, stale: boolean): Item {
  const key = set ? (stale ? `${flag}+stale` : `${flag}+set`) : flag;
  let item = FLAG_ITEMS.get(key);
  if (item === undefined) FLAG_ITEMS.set(key, (item = set ? { kind: "flag", flag, set, stale } : { kind: "flag", flag, set }));
  return item;
}

const ONE = new WeakMap<Item, readonly Item[]>();

/** The one-item list `[item]`, one array per item. */
export function one(item: Item): readonly Item[] {
  let list = ONE.get(item);
  if (list === undefined) ONE.set(item, (list = [item]));
  return list;
}

interface ListNode {
  list?: readonly Item[];
  next?: WeakMap<Item, ListNode>;
}

const LISTS: ListNode = {};

/** A list of shared items (from the functions above), one array per sequence of items. */
export function listOf(items: readonly Item[]): readonly Item[] {
  if (items.length === 1) return one(items[0]!);
  let node = LISTS;
  for (const item of items) {
    let next = node.next?.get(item);
    if (next === undefined) (node.next ??= new WeakMap()).set(item, (next = {}));
    node = next;
  }
  return (node.list ??= items.slice());
}

const TEXT_BY_OWNER = new WeakMap<object, Map<(owner: never) => string, string>>();

/**
 * `make(owner)`, computed once per owner and function: texts built from an engine object's
 * fixed fields (a policy's request list, a request's setkey text). `make` must be module-level.
 */
export function itemText<O extends object>(owner: O, make: (owner: O) => string): string {
  let byMake = TEXT_BY_OWNER.get(owner);
  if (byMake === undefined) TEXT_BY_OWNER.set(owner, (byMake = new Map()));
  let text = byMake.get(make as (owner: never) => string);
  if (text === undefined) byMake.set(make as (owner: never) => string, (text = make(owner)));
  return text;
}
