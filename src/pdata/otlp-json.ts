/**
 * OTLP/JSON encoding (opentelemetry-proto `docs/specification.md`, "JSON Protobuf Encoding"):
 * lowerCamelCase keys, 64-bit integers as decimal strings, enums as integers, trace and span
 * IDs as hex. Pure functions: the output is a plain object ready for `JSON.stringify`.
 */
import type { LogBatch, LogRecord } from "./logs.js";
import type { HistogramDataPoint, MetricBatch, NumberDataPoint, Temporality } from "./metrics.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  /** A string only for NaN and ±Infinity, which JSON numbers cannot carry. */
  | { doubleValue: number | string }
  | { bytesValue: string }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } }
  | Record<string, never>;

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpResource {
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpScope {
  name: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName?: string;
  body: OtlpAnyValue;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: string;
  spanId?: string;
}

export interface ExportLogsServiceRequest {
  resourceLogs: {
    resource: OtlpResource;
    schemaUrl?: string;
    scopeLogs: { scope: OtlpScope; logRecords: OtlpLogRecord[] }[];
  }[];
}

export interface OtlpNumberDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  asInt?: string;
  asDouble?: number | string;
}

export interface OtlpHistogramDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts: string[];
  explicitBounds: number[];
}

export interface OtlpMetric {
  name: string;
  description?: string;
  unit?: string;
  sum?: { dataPoints: OtlpNumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  gauge?: { dataPoints: OtlpNumberDataPoint[] };
  histogram?: { dataPoints: OtlpHistogramDataPoint[]; aggregationTemporality: number };
}

export interface ExportMetricsServiceRequest {
  resourceMetrics: {
    resource: OtlpResource;
    schemaUrl?: string;
    scopeMetrics: { scope: OtlpScope; metrics: OtlpMetric[] }[];
  }[];
}

/** `AggregationTemporality` enum values from `metrics.proto`. */
export const AGGREGATION_TEMPORALITY: Record<Temporality, number> = { delta: 1, cumulative: 2 };

export interface ResourceGroup<T> {
  resource: Resource;
  scopes: { scope: Scope; items: T[] }[];
}

/**
 * Regroups a flat batch by resource, then scope. Grouping is by object identity because
 * receivers give every record of one ResourceLogs/ScopeLogs the same references; first-seen
 * order is kept for groups and items alike.
 */
export function groupByResourceAndScope<T extends { resource: Resource; scope: Scope }>(
  items: readonly T[],
): ResourceGroup<T>[] {
  const byResource = new Map<Resource, Map<Scope, T[]>>();
  for (const item of items) {
    let byScope = byResource.get(item.resource);
    if (!byScope) {
      byScope = new Map();
      byResource.set(item.resource, byScope);
    }
    const group = byScope.get(item.scope);
    if (group) group.push(item);
    else byScope.set(item.scope, [item]);
  }
  return [...byResource].map(([resource, byScope]) => ({
    resource,
    scopes: [...byScope].map(([scope, grouped]) => ({ scope, items: grouped })),
  }));
}

export function encodeAnyValue(value: AnyValue | undefined): OtlpAnyValue {
  if (value === null || value === undefined) return {};
  switch (typeof value) {
    case "string":
      return { stringValue: value };
    case "boolean":
      return { boolValue: value };
    case "bigint":
      return { intValue: value.toString() };
    case "number":
      // Only safe integers become intValue: String(1e21) is "1e+21", not a valid int64.
      return Number.isSafeInteger(value)
        ? { intValue: String(value) }
        : { doubleValue: encodeDouble(value) };
  }
  if (value instanceof Uint8Array)
    return {
      bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"),
    };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeAnyValue) } };
  return { kvlistValue: { values: encodeAttributes(value) } };
}

export function encodeAttributes(attributes: Attributes): OtlpKeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: encodeAnyValue(value) }));
}

/** proto3 JSON spells non-finite doubles as strings, since JSON.stringify would write null. */
function encodeDouble(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

function encodeResource(resource: Resource): OtlpResource {
  const out: OtlpResource = { attributes: encodeAttributes(resource.attributes) };
  if (resource.droppedAttributesCount) out.droppedAttributesCount = resource.droppedAttributesCount;
  return out;
}

function encodeScope(scope: Scope): OtlpScope {
  const out: OtlpScope = { name: scope.name };
  if (scope.version !== undefined) out.version = scope.version;
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    out.attributes = encodeAttributes(scope.attributes);
  }
  return out;
}

export function encodeLogRecord(record: LogRecord): OtlpLogRecord {
  const out: OtlpLogRecord = {
    timeUnixNano: record.time.toString(),
    observedTimeUnixNano: record.observedTime.toString(),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    ...(record.eventName !== undefined ? { eventName: record.eventName } : {}),
    body: encodeAnyValue(record.body),
    attributes: encodeAttributes(record.attributes),
  };
  if (record.droppedAttributesCount !== undefined) {
    out.droppedAttributesCount = record.droppedAttributesCount;
  }
  if (record.flags !== undefined) out.flags = record.flags;
  // An empty ID means "not set" in OTLP, the same as leaving the field out.
  if (record.traceId) out.traceId = record.traceId;
  if (record.spanId) out.spanId = record.spanId;
  return out;
}

export function encodeLogsRequest(batch: LogBatch): ExportLogsServiceRequest {
  return {
    resourceLogs: groupByResourceAndScope(batch).map(({ resource, scopes }) => ({
      resource: encodeResource(resource),
      ...(resource.schemaUrl ? { schemaUrl: resource.schemaUrl } : {}),
      scopeLogs: scopes.map(({ scope, items }) => ({
        scope: encodeScope(scope),
        logRecords: items.map(encodeLogRecord),
      })),
    })),
  };
}

function encodeNumberPoint(point: NumberDataPoint): OtlpNumberDataPoint {
  return {
    attributes: encodeAttributes(point.attributes),
    startTimeUnixNano: point.startTime.toString(),
    timeUnixNano: point.time.toString(),
    ...(Number.isSafeInteger(point.value)
      ? { asInt: String(point.value) }
      : { asDouble: encodeDouble(point.value) }),
  };
}

function encodeHistogramPoint(point: HistogramDataPoint): OtlpHistogramDataPoint {
  const out: OtlpHistogramDataPoint = {
    attributes: encodeAttributes(point.attributes),
    startTimeUnixNano: point.startTime.toString(),
    timeUnixNano: point.time.toString(),
    count: String(point.count),
    bucketCounts: point.bucketCounts.map(String),
    explicitBounds: point.explicitBounds,
  };
  if (point.sum !== undefined) out.sum = point.sum;
  if (point.min !== undefined) out.min = point.min;
  if (point.max !== undefined) out.max = point.max;
  return out;
}

export function encodeMetricsRequest(batch: MetricBatch): ExportMetricsServiceRequest {
  return {
    resourceMetrics: groupByResourceAndScope(batch).map(({ resource, scopes }) => ({
      resource: encodeResource(resource),
      ...(resource.schemaUrl ? { schemaUrl: resource.schemaUrl } : {}),
      scopeMetrics: scopes.map(({ scope, items }) => ({
        scope: encodeScope(scope),
        metrics: items.map((metric) => {
          const out: OtlpMetric = { name: metric.name };
          if (metric.description !== undefined) out.description = metric.description;
          if (metric.unit !== undefined) out.unit = metric.unit;
          const data = metric.data;
          if (data.type === "sum") {
            out.sum = {
              dataPoints: data.points.map(encodeNumberPoint),
              aggregationTemporality: AGGREGATION_TEMPORALITY[data.temporality],
              isMonotonic: data.monotonic,
            };
          } else if (data.type === "gauge") {
            out.gauge = { dataPoints: data.points.map(encodeNumberPoint) };
          } else {
            out.histogram = {
              dataPoints: data.points.map(encodeHistogramPoint),
              aggregationTemporality: AGGREGATION_TEMPORALITY[data.temporality],
            };
          }
          return out;
        }),
      })),
    })),
  };
}

export { decodeLogsRequest } from "./otlp-json-decode.js";
