import type { Resource } from "../../pdata/resource.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";

function keyOf(attributes: Attributes): string {
  const entries = Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries, (_k, v: AnyValue) => (typeof v === "bigint" ? `${v}n` : v));
}

/**
 * Hands out one Resource object per distinct set of attributes, so records from the same
 * workload share a reference and exporters can group them, while different workloads never
 * share one. The table is bounded: pod churn would otherwise grow it for ever; when full it
 * starts over, which only costs a few duplicate objects.
 */
export class ResourceInterner {
  private readonly table = new Map<string, Resource>();

  constructor(private readonly capacity = 4096) {}

  /** The shared resource for `base` plus `extra` (extra wins); `base` itself when extra is empty. */
  intern(base: Resource, extra: Attributes): Resource {
    if (Object.keys(extra).length === 0) return base;
    const attributes = { ...base.attributes, ...extra };
    const key = keyOf(attributes) + (base.schemaUrl ? `|${base.schemaUrl}` : "");
    const found = this.table.get(key);
    if (found) return found;
    if (this.table.size >= this.capacity) this.table.clear();
    const resource: Resource = base.schemaUrl
      ? { attributes, schemaUrl: base.schemaUrl }
      : { attributes };
    this.table.set(key, resource);
    return resource;
  }

  get size(): number {
    return this.table.size;
  }
}
