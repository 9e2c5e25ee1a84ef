/**
 * OTLP/protobuf codec for ExportMetricsServiceRequest. Sum, gauge and histogram map onto the
 * data model; points it cannot hold (exponential histograms, summaries, unspecified
 * temporality, no value) are left out and counted in `rejections` for a partial-success answer.
 */
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  MetricData,
  NumberDataPoint,
} from "./metrics.js";
import { AGGREGATION_TEMPORALITY, groupByResourceAndScope } from "./otlp-json.js";
import {
  decodeAttributes,
  decodeMessage,
  decodeResource,
  decodeScope,
  encodeAttributes,
  encodeResource,
  encodeScope,
  int64,
  type LongLike,
  messageType,
  numberToLong,
  type PbKeyValue,
  type PbResource,
  type PbScope,
  toLong,
  uint64,
  uint64Number,
} from "./otlp-proto-common.js";
import {
  NO_RECORDED_VALUE,
  REJECTED,
  Rejections,
  temporalityOf,
  validBuckets,
} from "./rejections.js";
import type { Resource, Scope } from "./resource.js";

const MetricsRequest = messageType("opentelemetry.proto.metrics.v1.ExportMetricsServiceRequest");

interface PbNumberPoint {
  attributes?: PbKeyValue[];
  startTimeUnixNano?: LongLike;
  timeUnixNano?: LongLike;
  value?: "asDouble" | "asInt";
  asDouble?: number;
  asInt?: LongLike;
  flags?: number;
}

interface PbHistogramPoint {
  attributes?: PbKeyValue[];
  startTimeUnixNano?: LongLike;
  timeUnixNano?: LongLike;
  count?: LongLike;
  sum?: number | null;
  min?: number | null;
  max?: number | null;
  bucketCounts?: LongLike[];
  explicitBounds?: number[];
  flags?: number;
}

interface PbMetric {
  name?: string;
  description?: string;
  unit?: string;
  data?: "gauge" | "sum" | "histogram" | "exponentialHistogram" | "summary";
  gauge?: { dataPoints?: PbNumberPoint[] };
  sum?: { dataPoints?: PbNumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: PbHistogramPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: unknown[] };
  summary?: { dataPoints?: unknown[] };
}

interface PbMetricsRequest {
  resourceMetrics?: {
    resource?: PbResource | null;
    schemaUrl?: string;
    scopeMetrics?: { scope?: PbScope | null; metrics?: PbMetric[] }[];
  }[];
}

function numberPoints(name: string, points: PbNumberPoint[], rejections: Rejections) {
  const out: NumberDataPoint[] = [];
  for (const p of points) {
    if (p.value === undefined) {
      rejections.add(1, REJECTED.noValue(name));
      continue;
    }
    if ((p.flags ?? 0) & NO_RECORDED_VALUE) {
      rejections.add(1, REJECTED.noRecordedValue(name));
      continue;
    }
    out.push({
      attributes: decodeAttributes(p.attributes),
      startTime: uint64(p.startTimeUnixNano),
      time: uint64(p.timeUnixNano),
      value: p.value === "asInt" ? Number(int64(p.asInt)) : (p.asDouble ?? 0),
    });
  }
  return out;
}

function histogramPoints(name: string, points: PbHistogramPoint[], rejections: Rejections) {
  const out: HistogramDataPoint[] = [];
  for (const p of points) {
    const bucketCounts = (p.bucketCounts ?? []).map(uint64Number);
    const explicitBounds = p.explicitBounds ?? [];
    if (!validBuckets(bucketCounts.length, explicitBounds.length)) {
      rejections.add(1, REJECTED.buckets(name));
      continue;
    }
    if ((p.flags ?? 0) & NO_RECORDED_VALUE) {
      rejections.add(1, REJECTED.noRecordedValue(name));
      continue;
    }
    const point: HistogramDataPoint = {
      attributes: decodeAttributes(p.attributes),
      startTime: uint64(p.startTimeUnixNano),
      time: uint64(p.timeUnixNano),
      count: uint64Number(p.count),
      explicitBounds: [...explicitBounds],
      bucketCounts,
    };
    // proto3 `optional`: protobufjs sets an own property only when the field was on the wire.
    if (Object.hasOwn(p, "sum")) point.sum = p.sum ?? 0;
    if (Object.hasOwn(p, "min")) point.min = p.min ?? 0;
    if (Object.hasOwn(p, "max")) point.max = p.max ?? 0;
    out.push(point);
  }
  return out;
}

function decodeData(m: PbMetric, rejections: Rejections): MetricData | undefined {
  const name = m.name ?? "";
  switch (m.data) {
    case "gauge":
      return { type: "gauge", points: numberPoints(name, m.gauge?.dataPoints ?? [], rejections) };
    case "sum": {
      const points = m.sum?.dataPoints ?? [];
      const temporality = temporalityOf(m.sum?.aggregationTemporality);
      if (!temporality) return void rejections.add(points.length, REJECTED.temporality(name));
      return {
        type: "sum",
        temporality,
        monotonic: m.sum?.isMonotonic ?? false,
        points: numberPoints(name, points, rejections),
      };
    }
    case "histogram": {
      const points = m.histogram?.dataPoints ?? [];
      const temporality = temporalityOf(m.histogram?.aggregationTemporality);
      if (!temporality) return void rejections.add(points.length, REJECTED.temporality(name));
      return { type: "histogram", temporality, points: histogramPoints(name, points, rejections) };
    }
    case "exponentialHistogram":
      rejections.add(
        m.exponentialHistogram?.dataPoints?.length ?? 0,
        REJECTED.exponentialHistogram,
      );
      return undefined;
    case "summary":
      rejections.add(m.summary?.dataPoints?.length ?? 0, REJECTED.summary);
      return undefined;
    default:
      // A metric without data carries no points: there is nothing to keep or to reject.
      return undefined;
  }
}

/**
 * Decodes an ExportMetricsServiceRequest. Metrics of one ResourceMetrics / ScopeMetrics share
 * one Resource / Scope object. Points the model cannot hold are counted in `rejections`.
 */
export function decodeMetricsProto(
  buf: Uint8Array,
  rejections: Rejections = new Rejections(),
): MetricBatch {
  const request = decodeMessage<PbMetricsRequest>(MetricsRequest, buf);
  const batch: MetricBatch = [];
  for (const rm of request.resourceMetrics ?? []) {
    const resource: Resource = decodeResource(rm.resource, rm.schemaUrl);
    for (const sm of rm.scopeMetrics ?? []) {
      const scope: Scope = decodeScope(sm.scope);
      for (const m of sm.metrics ?? []) {
        const data = decodeData(m, rejections);
        if (!data || data.points.length === 0) continue;
        const metric: Metric = { name: m.name ?? "", data, resource, scope };
        if (m.description) metric.description = m.description;
        if (m.unit) metric.unit = m.unit;
        batch.push(metric);
      }
    }
  }
  return batch;
}

function encodeNumberPoint(point: NumberDataPoint): PbNumberPoint {
  return {
    attributes: encodeAttributes(point.attributes),
    startTimeUnixNano: toLong(point.startTime),
    timeUnixNano: toLong(point.time),
    // The same int-vs-double rule as the OTLP/JSON encoder.
    ...(Number.isSafeInteger(point.value)
      ? { asInt: numberToLong(point.value) }
      : { asDouble: point.value }),
  };
}

function encodeHistogramPoint(point: HistogramDataPoint): PbHistogramPoint {
  const out: PbHistogramPoint = {
    attributes: encodeAttributes(point.attributes),
    startTimeUnixNano: toLong(point.startTime),
    timeUnixNano: toLong(point.time),
    count: numberToLong(point.count),
    bucketCounts: point.bucketCounts.map(numberToLong),
    explicitBounds: point.explicitBounds,
  };
  if (point.sum !== undefined) out.sum = point.sum;
  if (point.min !== undefined) out.min = point.min;
  if (point.max !== undefined) out.max = point.max;
  return out;
}

function encodeMetric(metric: Metric): PbMetric {
  const out: PbMetric = {
    name: metric.name,
    description: metric.description ?? "",
    unit: metric.unit ?? "",
  };
  const data = metric.data;
  if (data.type === "gauge") out.gauge = { dataPoints: data.points.map(encodeNumberPoint) };
  else if (data.type === "sum") {
    out.sum = {
      dataPoints: data.points.map(encodeNumberPoint),
      aggregationTemporality: AGGREGATION_TEMPORALITY[data.temporality],
      isMonotonic: data.monotonic,
    };
  } else {
    out.histogram = {
      dataPoints: data.points.map(encodeHistogramPoint),
      aggregationTemporality: AGGREGATION_TEMPORALITY[data.temporality],
    };
  }
  return out;
}

export function encodeMetricsProto(batch: MetricBatch): Uint8Array {
  const request: PbMetricsRequest = {
    resourceMetrics: groupByResourceAndScope(batch).map(({ resource, scopes }) => ({
      resource: encodeResource(resource),
      schemaUrl: resource.schemaUrl ?? "",
      scopeMetrics: scopes.map(({ scope, items }) => ({
        scope: encodeScope(scope),
        metrics: items.map(encodeMetric),
      })),
    })),
  };
  return MetricsRequest.encode(request).finish();
}
