import type { Attributes } from "./value.js";

/** Who emitted the data (service, cluster, host). Shared by reference between records. */
export interface Resource {
  attributes: Attributes;
  droppedAttributesCount?: number;
  schemaUrl?: string;
}

/** The instrumentation scope: here, the Tripline component that produced the record. */
export interface Scope {
  name: string;
  version?: string;
  attributes?: Attributes;
}

export const EMPTY_RESOURCE: Resource = Object.freeze({
  attributes: Object.freeze({}),
}) as Resource;
