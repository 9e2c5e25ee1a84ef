import type { Resource } from "../../pdata/resource.js";
import type { Attributes } from "../../pdata/value.js";

/**
 * Copy-on-write for resources. A resource is shared by reference between records, batches
 * and fan-out branches, so it is never changed in place: each distinct resource in a batch is
 * copied once, rewritten, and the copy is handed to every record that shared the original, so
 * exporters still see one resource where there was one.
 */
export class ResourceRewriter {
  constructor(private readonly rewrite: (attributes: Attributes) => void) {}

  /** A per-batch rewrite: call it for each record's resource. */
  forBatch(): (resource: Resource) => Resource {
    const seen = new Map<Resource, Resource>();
    return (resource) => {
      let rewritten = seen.get(resource);
      if (rewritten === undefined) {
        const attributes = { ...resource.attributes };
        this.rewrite(attributes);
        rewritten = { ...resource, attributes };
        seen.set(resource, rewritten);
      }
      return rewritten;
    };
  }
}
