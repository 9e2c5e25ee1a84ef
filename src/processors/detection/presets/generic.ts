import { ATTR, DETECTION_EVENT_NAME } from "../../../pdata/detection.js";
import type { AnyValue, Attributes } from "../../../pdata/value.js";
import type { DetectionConfig } from "../config.js";
import { type PathStep, parsePath, valueAt } from "../jsonpath.js";
import {
  type Mapped,
  MappingError,
  type Payload,
  type Preset,
  put,
  w3cSpanId,
  w3cTraceId,
} from "../mapping.js";
import { parseTime } from "../time.js";

/** The model's own words; anything else needs value_maps or severity_map. */
const SCALE = {
  info: "info",
  low: "low",
  medium: "medium",
  high: "high",
  critical: "critical",
} as const;

// Parsed paths per config object: the config never changes after start, and parsing per record
// would redo the same work for every detection.
const compiled = new WeakMap<object, Map<string, PathStep[]>>();

function stepsOf(config: DetectionConfig, path: string): PathStep[] {
  let table = compiled.get(config);
  if (!table) {
    table = new Map();
    compiled.set(config, table);
  }
  let steps = table.get(path);
  if (!steps) {
    steps = parsePath(path);
    table.set(path, steps);
  }
  return steps;
}

function text(value: AnyValue | undefined, what: string, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  throw new MappingError(
    `${what} (${path}): expected a string, got ${Array.isArray(value) ? "an array" : "an object"}`,
  );
}

type ScalarField = "id" | "category" | "action" | "body" | "trace_id" | "span_id";

/** Any JSON detection, read through the `fields` map of JSONPaths and `value_maps`. */
export const generic: Preset = {
  scale: SCALE,
  map(payload: Payload, config: DetectionConfig): Mapped {
    const fields = config.fields;
    if (!fields) throw new MappingError('preset "generic" needs fields');
    const maps = config.value_maps ?? {};
    const read = (path: string | undefined): AnyValue | undefined =>
      path === undefined ? undefined : valueAt(payload, stepsOf(config, path));
    /** Reads a model field as text, then translates it through value_maps[name]. */
    const field = (name: ScalarField): string | undefined => {
      const path = fields[name];
      if (path === undefined) return undefined;
      const value = text(read(path), name, path);
      return value === undefined ? undefined : (maps[name]?.[value] ?? value);
    };

    const a: Attributes = {};
    put(a, ATTR.id, field("id"));
    put(a, ATTR.category, field("category"));
    put(a, ATTR.action, field("action"));
    for (const [name, path] of Object.entries(fields.attributes)) {
      const value = read(path);
      const mapped =
        typeof value === "string" || typeof value === "number"
          ? maps[name]?.[String(value)]
          : undefined;
      put(a, name, mapped ?? value);
    }
    put(a, ATTR.sourceProduct, config.source_product);

    const resource: Attributes = {};
    for (const [name, path] of Object.entries(fields.resource))
      put(resource, name, text(read(path), `resource ${name}`, path));

    const rawSeverity = fields.severity
      ? text(read(fields.severity), "severity", fields.severity)
      : undefined;
    const severity =
      rawSeverity === undefined ? undefined : (maps.severity?.[rawSeverity] ?? rawSeverity);
    const timeValue = read(fields.time);
    let time: bigint | undefined;
    if (timeValue !== undefined) {
      try {
        time = parseTime(timeValue, config.time_unit);
      } catch (error) {
        throw new MappingError(`time (${fields.time}): ${(error as Error).message}`);
      }
    }
    const category = a[ATTR.category];
    const action = a[ATTR.action];
    const summary = [category ?? "detection", action].filter((x) => x !== undefined).join(" ");

    return {
      eventName: DETECTION_EVENT_NAME,
      time,
      severityText: rawSeverity ?? "",
      severityKey: severity?.toLowerCase(),
      body: field("body") ?? summary,
      attributes: a,
      resource,
      traceId: w3cTraceId(field("trace_id")),
      spanId: w3cSpanId(field("span_id")),
    };
  },
};
