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

/**
 * Hands out one Resource object per distinct base resource and set of extra attributes, so
 * records from the same workload share a reference and exporters can group them, while
 * different workloads never share one. A base object's content is serialised once, the first
 * time it is seen (receivers hand every record of a request, often of a source, the same
 * one); after that each record costs a lookup by object plus its few extra values, not a sort
 * and serialisation of the whole attribute set. The tables are bounded: pod churn would
 * otherwise grow them for ever; when full they start over, which only costs a few duplicate
 * objects.
 */
export class ResourceInterner {
  /** Base object → the resources made from it (shared by bases of equal content). */
  private byBase = new WeakMap<Resource, Map<string, Resource>>();
  /** Base content → the same maps, so equal bases from different requests share. */
  private byContent = new Map<string, Map<string, Resource>>();
  private count = 0;

  constructor(private readonly capacity = 4096) {}

  /** The shared resource for `base` plus `extra` (extra wins); `base` itself when extra is empty. */
  intern(base: Resource, extra: Attributes): Resource {
    const key = extraKey(extra);
    if (key === "") return base;
    let byExtra = this.byBase.get(base);
    const found = byExtra?.get(key);
    if (found) return found;
    if (this.count >= this.capacity) {
      this.byBase = new WeakMap();
      this.byContent.clear();
      this.count = 0;
      byExtra = undefined;
    }
    if (!byExtra) {
      const content = baseKey(base);
      byExtra = this.byContent.get(content);
      if (!byExtra) {
        byExtra = new Map();
        this.byContent.set(content, byExtra);
      }
      this.byBase.set(base, byExtra);
      const shared = byExtra.get(key);
      if (shared) return shared;
    }
    const attributes = { ...base.attributes, ...extra };
    const resource: Resource = base.schemaUrl
      ? { attributes, schemaUrl: base.schemaUrl }
      : { attributes };
    byExtra.set(key, resource);
    this.count++;
    return resource;
  }

  get size(): number {
    return this.count;
  }
}
