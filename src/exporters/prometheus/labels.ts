import type { Resource } from "../../pdata/resource.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import { sanitizeLabelName } from "./naming.js";

export type Labels = Record<string, string>;

/** Resource attributes that name the target, as the Collector maps them to job and instance. */
const IDENTIFYING = new Set(["service.name", "service.namespace", "service.instance.id"]);

export function labelValue(value: AnyValue | undefined): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Attributes as sanitized labels. Two keys that sanitize to the same name (`a.b`, `a_b`) get
 * their values joined with ";" in key order, as the Collector does, so neither is lost.
 */
export function attributeLabels(attributes: Attributes, into: Labels = {}): Labels {
  const keys = Object.keys(attributes).sort();
  const seen = new Set<string>();
  for (const key of keys) {
    const value = labelValue(attributes[key]);
    if (value === "") continue;
    const name = sanitizeLabelName(key);
    if (seen.has(name)) into[name] = `${into[name]};${value}`;
    else {
      into[name] = value;
      seen.add(name);
    }
  }
  return into;
}

/** job = [service.namespace/]service.name, instance = service.instance.id (OTel → Prometheus). */
export function jobInstance(resource: Resource): { job?: string; instance?: string } {
  const name = labelValue(resource.attributes["service.name"]);
  const namespace = labelValue(resource.attributes["service.namespace"]);
  const instance = labelValue(resource.attributes["service.instance.id"]);
  const out: { job?: string; instance?: string } = {};
  if (name) out.job = namespace ? `${namespace}/${name}` : name;
  if (instance) out.instance = instance;
  return out;
}

export interface SeriesLabelOptions {
  /** resource_to_telemetry_conversion: every resource attribute becomes a label. */
  resourceToTelemetry: boolean;
  /** Static labels (const_labels / external_labels); a series' own labels win. */
  staticLabels: Labels;
}

/** The label set of one series (without __name__ and le), sorted by name. */
export function seriesLabels(
  attributes: Attributes,
  resource: Resource,
  options: SeriesLabelOptions,
): Labels {
  const labels: Labels = { ...options.staticLabels };
  if (options.resourceToTelemetry) attributeLabels(resource.attributes, labels);
  attributeLabels(attributes, labels);
  const { job, instance } = jobInstance(resource);
  if (job !== undefined && labels.job === undefined) labels.job = job;
  if (instance !== undefined && labels.instance === undefined) labels.instance = instance;
  return sortLabels(labels);
}

/**
 * target_info's labels: job and instance to join on, plus the resource attributes that are
 * not already job or instance. Undefined when there is nothing to describe.
 */
export function targetInfoLabels(resource: Resource): Labels | undefined {
  const rest: Attributes = {};
  for (const [key, value] of Object.entries(resource.attributes)) {
    if (!IDENTIFYING.has(key)) rest[key] = value;
  }
  const labels = attributeLabels(rest);
  if (Object.keys(labels).length === 0) return undefined;
  const { job, instance } = jobInstance(resource);
  if (job !== undefined) labels.job = job;
  if (instance !== undefined) labels.instance = instance;
  return sortLabels(labels);
}

export function sortLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const key of Object.keys(labels).sort()) out[key] = labels[key]!;
  return out;
}

/** A stable key for a label set. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(labels);
}
