/**
 * How the persistent queue stores a batch. Logs: one marker byte, then an OTLP/protobuf
 * ExportLogsServiceRequest (nanosecond times, 64-bit integers, bytes and the grouping of shared
 * resources and scopes survive; encoding it costs a fraction of OTLP/JSON, and every stored
 * batch is encoded while its sender waits). Metrics, and logs written by earlier versions:
 * OTLP/JSON in a `{signal, request}` object, which still reads back.
 */

import type { LogBatch } from "../pdata/logs.js";
import type { Metric, MetricBatch, NumberDataPoint, Temporality } from "../pdata/metrics.js";
import {
  decodeLogsRequest,
  type ExportMetricsServiceRequest,
  encodeMetricsRequest,
  type OtlpMetric,
  type OtlpNumberDataPoint,
  type OtlpResource,
  type OtlpScope,
} from "../pdata/otlp-json.js";
import { decodeAttributes } from "../pdata/otlp-json-decode.js";
import { decodeLogsProto, encodeLogsProto } from "../pdata/otlp-proto.js";
import type { Resource, Scope } from "../pdata/resource.js";
import type { Signal } from "../pdata/signal.js";

/** First byte of a logs batch stored as protobuf; a JSON payload starts with "{". */
const LOGS_PROTOBUF = 0x01;

export interface StoredBatch {
  signal: Signal;
  batch: LogBatch | MetricBatch;
}

export function encodeBatch(signal: Signal, batch: LogBatch | MetricBatch): Buffer {
  if (signal === "logs") {
    const encoded = encodeLogsProto(batch as LogBatch);
    const payload = Buffer.allocUnsafe(encoded.length + 1);
    payload[0] = LOGS_PROTOBUF;
    payload.set(encoded, 1);
    return payload;
  }
  return Buffer.from(
    JSON.stringify({ signal, request: encodeMetricsRequest(batch as MetricBatch) }),
  );
}

/** Throws on anything this module did not write (the caller drops and counts the record). */
export function decodeBatch(payload: Buffer): StoredBatch {
  if (payload[0] === LOGS_PROTOBUF) {
    return { signal: "logs", batch: decodeLogsProto(payload.subarray(1)) };
  }
  const parsed = JSON.parse(payload.toString("utf8")) as { signal?: unknown; request?: unknown };
  if (parsed.signal === "logs") return { signal: "logs", batch: decodeLogsRequest(parsed.request) };
  if (parsed.signal === "metrics") {
    return {
      signal: "metrics",
      batch: decodeStoredMetrics(parsed.request as ExportMetricsServiceRequest),
    };
  }
  throw new Error(`unknown signal ${JSON.stringify(parsed.signal)}`);
}

const TEMPORALITY: Record<number, Temporality> = { 1: "delta", 2: "cumulative" };

/**
 * The inverse of encodeMetricsRequest for what it writes. Hand-written because pdata has no
 * metrics decoder yet; the input is our own output behind a CRC, so it checks little.
 */
function decodeStoredMetrics(request: ExportMetricsServiceRequest): MetricBatch {
  const batch: MetricBatch = [];
  for (const rm of request.resourceMetrics) {
    const resource = decodeResource(rm.resource, rm.schemaUrl);
    for (const sm of rm.scopeMetrics) {
      const scope = decodeScope(sm.scope);
      for (const m of sm.metrics) {
        const metric: Metric = { name: m.name, data: decodeData(m), resource, scope };
        if (m.description !== undefined) metric.description = m.description;
        if (m.unit !== undefined) metric.unit = m.unit;
        batch.push(metric);
      }
    }
  }
  return batch;
}

function decodeResource(r: OtlpResource, schemaUrl: string | undefined): Resource {
  const resource: Resource = { attributes: decodeAttributes(r.attributes, "resource") };
  if (r.droppedAttributesCount) resource.droppedAttributesCount = r.droppedAttributesCount;
  if (schemaUrl) resource.schemaUrl = schemaUrl;
  return resource;
}

function decodeScope(s: OtlpScope): Scope {
  const scope: Scope = { name: s.name };
  if (s.version !== undefined) scope.version = s.version;
  if (s.attributes) scope.attributes = decodeAttributes(s.attributes, "scope");
  return scope;
}

function decodeDouble(value: number | string): number {
  return typeof value === "number" ? value : Number(value);
}

function decodeNumberPoint(p: OtlpNumberDataPoint): NumberDataPoint {
  return {
    attributes: decodeAttributes(p.attributes, "point"),
    startTime: BigInt(p.startTimeUnixNano),
    time: BigInt(p.timeUnixNano),
    value: p.asInt !== undefined ? Number(p.asInt) : decodeDouble(p.asDouble ?? 0),
  };
}

function decodeData(m: OtlpMetric): Metric["data"] {
  if (m.sum) {
    return {
      type: "sum",
      temporality: TEMPORALITY[m.sum.aggregationTemporality] ?? "cumulative",
      monotonic: m.sum.isMonotonic,
      points: m.sum.dataPoints.map(decodeNumberPoint),
    };
  }
  if (m.gauge) return { type: "gauge", points: m.gauge.dataPoints.map(decodeNumberPoint) };
  if (m.histogram) {
    return {
      type: "histogram",
      temporality: TEMPORALITY[m.histogram.aggregationTemporality] ?? "cumulative",
      points: m.histogram.dataPoints.map((p) => {
        const point: Extract<Metric["data"], { type: "histogram" }>["points"][number] = {
          attributes: decodeAttributes(p.attributes, "point"),
          startTime: BigInt(p.startTimeUnixNano),
          time: BigInt(p.timeUnixNano),
          count: Number(p.count),
          explicitBounds: p.explicitBounds,
          bucketCounts: p.bucketCounts.map(Number),
        };
        if (p.sum !== undefined) point.sum = p.sum;
        if (p.min !== undefined) point.min = p.min;
        if (p.max !== undefined) point.max = p.max;
        return point;
      }),
    };
  }
  throw new Error(`metric ${JSON.stringify(m.name)} has no data`);
}
