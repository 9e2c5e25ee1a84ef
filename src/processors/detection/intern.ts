import type { Resource } from "../../pdata/resource.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";

/**
 * The part of the key that `extra` contributes, in its own key order: presets add resource
 * attributes in a fixed order, so the same workload gives the same key without sorting. The
 * type tag keeps "1", 1 and true apart; separators are control characters that attribute
 * names do not use, and values are length-prefixed so no value can fake a separator.
 */
function extraKey(extra: Attributes): string {
  let key = "";
  for (const name in extra) {
    if (!Object.hasOwn(extra, name)) continue;
    const value = extra[name] as AnyValue;
    let text: string;
    switch (typeof value) {
      case "string":
        text = `s${value}`;
        break;
      case "number":
      case "boolean":
      case "bigint":
        text = `${typeof value}${value}`;
        break;
      default:
        // Arrays, maps, bytes and null are rare on a resource: the slow exact form.
        text = `j${JSON.stringify(value, (_k, v: AnyValue) => (typeof v === "bigint" ? `${v}n` : v))}`;
    }
    key += `${name.length}\u0000${name}${text.length}\u0000${text}`;
  }
  return key;
}

/** The base resource's content, sorted: equal resources from different requests match. */
function baseKey(base: Resource): string {
  const entries = Object.entries(base.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const json = JSON.stringify(entries, (_k, v: AnyValue) => (typeof v === "bigint" ? `${v}n` : v));
  return base.schemaUrl ? `${json}|${base.schemaUrl}` : json;
}

/** A value a Map can key on as itself: equal values are the same key, other types never are. */
type Scalar = string | number | boolean | bigint;

function isScalar(value: AnyValue): value is Scalar {
  const type = typeof value;
  return type === "string" || type === "number" || type === "boolean" || type === "bigint";
}

/**
 * One step of the path of (name, value) pairs; the resource sits where the pairs end. Walking
 * maps costs no allocation on a hit, where building a string key per record did.
 */
class TrieNode {
  next: Map<string, Map<Scalar, TrieNode>> | undefined;
  resource: Resource | undefined;

  child(name: string, value: Scalar, create: boolean): TrieNode | undefined {
    let byValue = this.next?.get(name);
    if (!byValue) {
      if (!create) return undefined;
      this.next ??= new Map();
      byValue = new Map();
      this.next.set(name, byValue);
    }
    let node = byValue.get(value);
    if (!node && create) {
      node = new TrieNode();
      byValue.set(value, node);
    }
    return node;
  }
}

/** What one base content maps to: scalar extras by trie, anything else by its exact text. */
interface BaseEntry {
  trie: TrieNode;
  byKey: Map<string, Resource>;
}

/**
 * Hands out one Resource object per distinct base resource and set of extra attributes, so
 * records from the same workload share a reference and exporters can group them, while
 * different workloads never share one. A base object's content is serialised once, the first
 * time it is seen (receivers hand every record of a request, often of a source, the same
 * one); after that each record costs a lookup by object plus a walk over its few extra values
 * (presets add them in a fixed order, so the same workload takes the same path). The tables
 * are bounded: pod churn would otherwise grow them for ever; when full they start over, which
 * only costs a few duplicate objects.
 */
export class ResourceInterner {
  /** Base object → its entry (shared by bases of equal content). */
  private byBase = new WeakMap<Resource, BaseEntry>();
  /** Base content → the same entries, so equal bases from different requests share. */
  private byContent = new Map<string, BaseEntry>();
  private count = 0;

  constructor(private readonly capacity = 4096) {}

  /** The shared resource for `base` plus `extra` (extra wins); `base` itself when extra is empty. */
  intern(base: Resource, extra: Attributes): Resource {
    let entry = this.byBase.get(base);
    let node = entry?.trie;
    let empty = true;
    for (const name in extra) {
      if (!Object.hasOwn(extra, name)) continue;
      empty = false;
      const value = extra[name] as AnyValue;
      if (!isScalar(value)) return this.internByKey(base, extra);
      node = node?.child(name, value, false);
    }
    if (empty) return base;
    if (node?.resource) return node.resource;

    if (this.count >= this.capacity) this.clear();
    entry = this.entryFor(base);
    node = entry.trie;
    for (const name in extra) {
      if (Object.hasOwn(extra, name)) node = node.child(name, extra[name] as Scalar, true)!;
    }
    node.resource ??= this.make(base, extra);
    return node.resource;
  }

  /** Arrays, maps, bytes and null are rare on a resource: the slower exact-text key. */
  private internByKey(base: Resource, extra: Attributes): Resource {
    const key = extraKey(extra);
    const found = this.byBase.get(base)?.byKey.get(key);
    if (found) return found;
    if (this.count >= this.capacity) this.clear();
    const entry = this.entryFor(base);
    let resource = entry.byKey.get(key);
    if (!resource) {
      resource = this.make(base, extra);
      entry.byKey.set(key, resource);
    }
    return resource;
  }

  private entryFor(base: Resource): BaseEntry {
    let entry = this.byBase.get(base);
    if (entry) return entry;
    const content = baseKey(base);
    entry = this.byContent.get(content);
    if (!entry) {
      entry = { trie: new TrieNode(), byKey: new Map() };
      this.byContent.set(content, entry);
    }
    this.byBase.set(base, entry);
    return entry;
  }

  private make(base: Resource, extra: Attributes): Resource {
    this.count++;
    const attributes = { ...base.attributes, ...extra };
    return base.schemaUrl ? { attributes, schemaUrl: base.schemaUrl } : { attributes };
  }

  private clear(): void {
    this.byBase = new WeakMap();
    this.byContent.clear();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }
}
