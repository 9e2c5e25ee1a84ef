/**
 * OTLP/JSON decoding: the input is untrusted (an OTLP receiver feeds request bodies straight
 * in), so every field is checked and a malformed request throws a PermanentError naming the
 * offending path, which a receiver answers with 400. Unknown fields are ignored, as the spec
 * requires.
 */
import { PermanentError } from "../component/errors.js";
import type { LogBatch } from "./logs.js";
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  MetricData,
  NumberDataPoint,
} from "./metrics.js";
import {
  NO_RECORDED_VALUE,
  REJECTED,
  Rejections,
  temporalityOf,
  validBuckets,
} from "./rejections.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new PermanentError(`${path}: ${message}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): Json {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail(path, "expected an object");
  return value;
}

function arrayAt(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, "expected an array");
  return value;
}

function stringAt(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") fail(path, "expected a string");
  return value;
}

/** uint32 / int32 / enum fields: always JSON numbers, though proto3 JSON also allows strings. */
function int32At(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) fail(path, "expected an integer");
  return n;
}

/** 64-bit fields arrive as decimal strings per the spec, or as numbers from lax senders. */
function int64At(value: unknown, path: string, unsigned = false): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  let n: bigint | undefined;
  if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^-?\d+$/.test(value)) n = BigInt(value);
  if (n === undefined || (unsigned && n < 0n)) {
    fail(
      path,
      `expected a${unsigned ? "n unsigned" : ""} 64-bit integer as a decimal string or number`,
    );
  }
  return n;
}

function doubleAt(value: unknown, path: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    if (!Number.isNaN(n) || value === "NaN") return n;
  }
  return fail(path, "expected a number");
}

function hexIdAt(value: unknown, path: string, bytes: number): string | undefined {
  const id = stringAt(value, path);
  if (!id) return undefined;
  if (id.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(id)) {
    fail(path, `expected ${bytes * 2} hex characters`);
  }
  return id.toLowerCase();
}

export function decodeAnyValue(value: unknown, path: string): AnyValue {
  const v = objectAt(value, path);
  if ("stringValue" in v) return stringAt(v.stringValue, `${path}.stringValue`) ?? "";
  if ("boolValue" in v) {
    if (typeof v.boolValue !== "boolean") fail(`${path}.boolValue`, "expected a boolean");
    return v.boolValue;
  }
  if ("intValue" in v) {
    const n = int64At(v.intValue, `${path}.intValue`) ?? 0n;
    // Plain numbers are what processors expect; bigint only where a number would round.
    const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
    return safe ? Number(n) : n;
  }
  if ("doubleValue" in v) return doubleAt(v.doubleValue, `${path}.doubleValue`);
  if ("bytesValue" in v) {
    const b64 = stringAt(v.bytesValue, `${path}.bytesValue`) ?? "";
    return new Uint8Array(Buffer.from(b64, "base64"));
  }
  if ("arrayValue" in v) {
    const values = arrayAt(
      objectAt(v.arrayValue, `${path}.arrayValue`).values,
      `${path}.arrayValue.values`,
    );
    return values.map((item, i) => decodeAnyValue(item, `${path}.arrayValue.values[${i}]`));
  }
  if ("kvlistValue" in v) {
    const kvlist = objectAt(v.kvlistValue, `${path}.kvlistValue`);
    return decodeAttributes(kvlist.values, `${path}.kvlistValue.values`);
  }
  return null;
}

export function decodeAttributes(value: unknown, path: string): Attributes {
  const out: Attributes = {};
  arrayAt(value, path).forEach((item, i) => {
    const kv = objectAt(item, `${path}[${i}]`);
    const key = stringAt(kv.key, `${path}[${i}].key`);
    if (key === undefined) fail(`${path}[${i}].key`, "missing");
    // defineProperty: a sender-chosen "__proto__" key must stay data, not replace the prototype.
    Object.defineProperty(out, key, {
      value: decodeAnyValue(kv.value, `${path}[${i}].value`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return out;
}

function decodeResource(value: unknown, schemaUrl: string | undefined, path: string): Resource {
  const r = objectAt(value, path);
  const resource: Resource = { attributes: decodeAttributes(r.attributes, `${path}.attributes`) };
  const dropped = int32At(r.droppedAttributesCount, `${path}.droppedAttributesCount`);
  if (dropped) resource.droppedAttributesCount = dropped;
  if (schemaUrl) resource.schemaUrl = schemaUrl;
  return resource;
}

function decodeScope(value: unknown, path: string): Scope {
  const s = objectAt(value, path);
  const scope: Scope = { name: stringAt(s.name, `${path}.name`) ?? "" };
  const version = stringAt(s.version, `${path}.version`);
  if (version !== undefined) scope.version = version;
  const attributes = decodeAttributes(s.attributes, `${path}.attributes`);
  if (Object.keys(attributes).length > 0) scope.attributes = attributes;
  return scope;
}

/**
 * Turns a parsed ExportLogsServiceRequest into a flat batch. Records of one ResourceLogs and
 * ScopeLogs share one Resource and one Scope object, so encoding the batch again regroups
 * them the same way.
 */
export function decodeLogsRequest(json: unknown): LogBatch {
  const batch: LogBatch = [];
  const request = objectAt(json, "request");
  arrayAt(request.resourceLogs, "resourceLogs").forEach((rlValue, i) => {
    const rlPath = `resourceLogs[${i}]`;
    const rl = objectAt(rlValue, rlPath);
    const schemaUrl = stringAt(rl.schemaUrl, `${rlPath}.schemaUrl`);
    const resource = decodeResource(rl.resource, schemaUrl, `${rlPath}.resource`);
    arrayAt(rl.scopeLogs, `${rlPath}.scopeLogs`).forEach((slValue, j) => {
      const slPath = `${rlPath}.scopeLogs[${j}]`;
      const sl = objectAt(slValue, slPath);
      const scope = decodeScope(sl.scope, `${slPath}.scope`);
      arrayAt(sl.logRecords, `${slPath}.logRecords`).forEach((lrValue, k) => {
        const p = `${slPath}.logRecords[${k}]`;
        const lr = objectAt(lrValue, p);
        const severityNumber = int32At(lr.severityNumber, `${p}.severityNumber`) ?? 0;
        if (severityNumber < 0 || severityNumber > 24) fail(`${p}.severityNumber`, "expected 0-24");
        const record: LogBatch[number] = {
          time: int64At(lr.timeUnixNano, `${p}.timeUnixNano`, true) ?? 0n,
          observedTime: int64At(lr.observedTimeUnixNano, `${p}.observedTimeUnixNano`, true) ?? 0n,
          severityNumber,
          severityText: stringAt(lr.severityText, `${p}.severityText`) ?? "",
          body: decodeAnyValue(lr.body, `${p}.body`),
          attributes: decodeAttributes(lr.attributes, `${p}.attributes`),
          resource,
          scope,
        };
        const eventName = stringAt(lr.eventName, `${p}.eventName`);
        if (eventName) record.eventName = eventName;
        const traceId = hexIdAt(lr.traceId, `${p}.traceId`, 16);
        if (traceId) record.traceId = traceId;
        const spanId = hexIdAt(lr.spanId, `${p}.spanId`, 8);
        if (spanId) record.spanId = spanId;
        // proto3: 0 is the same as unset, so both encodings decode to the same record.
        const flags = int32At(lr.flags, `${p}.flags`);
        if (flags) record.flags = flags;
        const dropped = int32At(lr.droppedAttributesCount, `${p}.droppedAttributesCount`);
        if (dropped) record.droppedAttributesCount = dropped;
        batch.push(record);
      });
    });
  });
  return batch;
}

function booleanAt(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") fail(path, "expected a boolean");
  return value;
}

function optionalDoubleAt(value: unknown, path: string): number | undefined {
  return value === undefined || value === null ? undefined : doubleAt(value, path);
}

function pointsAt(data: Json, path: string): unknown[] {
  return arrayAt(data.dataPoints, `${path}.dataPoints`);
}

function decodeNumberPoints(
  name: string,
  values: unknown[],
  path: string,
  rejections: Rejections,
): NumberDataPoint[] {
  const out: NumberDataPoint[] = [];
  for (const [i, value] of values.entries()) {
    const p = `${path}.dataPoints[${i}]`;
    const dp = objectAt(value, p);
    const flags = int32At(dp.flags, `${p}.flags`) ?? 0;
    let number: number;
    if (dp.asInt !== undefined && dp.asInt !== null) {
      number = Number(int64At(dp.asInt, `${p}.asInt`));
    } else if (dp.asDouble !== undefined && dp.asDouble !== null) {
      number = doubleAt(dp.asDouble, `${p}.asDouble`);
    } else {
      rejections.add(1, REJECTED.noValue(name));
      continue;
    }
    if (flags & NO_RECORDED_VALUE) {
      rejections.add(1, REJECTED.noRecordedValue(name));
      continue;
    }
    out.push({
      attributes: decodeAttributes(dp.attributes, `${p}.attributes`),
      startTime: int64At(dp.startTimeUnixNano, `${p}.startTimeUnixNano`, true) ?? 0n,
      time: int64At(dp.timeUnixNano, `${p}.timeUnixNano`, true) ?? 0n,
      value: number,
    });
  }
  return out;
}

function decodeHistogramPoints(
  name: string,
  values: unknown[],
  path: string,
  rejections: Rejections,
): HistogramDataPoint[] {
  const out: HistogramDataPoint[] = [];
  for (const [i, value] of values.entries()) {
    const p = `${path}.dataPoints[${i}]`;
    const dp = objectAt(value, p);
    const bucketCounts = arrayAt(dp.bucketCounts, `${p}.bucketCounts`).map((n, j) =>
      Number(int64At(n, `${p}.bucketCounts[${j}]`, true) ?? 0n),
    );
    const explicitBounds = arrayAt(dp.explicitBounds, `${p}.explicitBounds`).map((n, j) =>
      doubleAt(n, `${p}.explicitBounds[${j}]`),
    );
    const flags = int32At(dp.flags, `${p}.flags`) ?? 0;
    const point: HistogramDataPoint = {
      attributes: decodeAttributes(dp.attributes, `${p}.attributes`),
      startTime: int64At(dp.startTimeUnixNano, `${p}.startTimeUnixNano`, true) ?? 0n,
      time: int64At(dp.timeUnixNano, `${p}.timeUnixNano`, true) ?? 0n,
      count: Number(int64At(dp.count, `${p}.count`, true) ?? 0n),
      explicitBounds,
      bucketCounts,
    };
    const sum = optionalDoubleAt(dp.sum, `${p}.sum`);
    if (sum !== undefined) point.sum = sum;
    const min = optionalDoubleAt(dp.min, `${p}.min`);
    if (min !== undefined) point.min = min;
    const max = optionalDoubleAt(dp.max, `${p}.max`);
    if (max !== undefined) point.max = max;
    if (!validBuckets(bucketCounts.length, explicitBounds.length)) {
      rejections.add(1, REJECTED.buckets(name));
      continue;
    }
    if (flags & NO_RECORDED_VALUE) {
      rejections.add(1, REJECTED.noRecordedValue(name));
      continue;
    }
    out.push(point);
  }
  return out;
}

function decodeMetricData(
  m: Json,
  name: string,
  path: string,
  rejections: Rejections,
): MetricData | undefined {
  if (m.gauge !== undefined && m.gauge !== null) {
    const gauge = objectAt(m.gauge, `${path}.gauge`);
    const points = pointsAt(gauge, `${path}.gauge`);
    return { type: "gauge", points: decodeNumberPoints(name, points, `${path}.gauge`, rejections) };
  }
  if (m.sum !== undefined && m.sum !== null) {
    const sum = objectAt(m.sum, `${path}.sum`);
    const points = pointsAt(sum, `${path}.sum`);
    const temporality = temporalityOf(
      int32At(sum.aggregationTemporality, `${path}.sum.aggregationTemporality`),
    );
    const monotonic = booleanAt(sum.isMonotonic, `${path}.sum.isMonotonic`) ?? false;
    if (!temporality) return void rejections.add(points.length, REJECTED.temporality(name));
    return {
      type: "sum",
      temporality,
      monotonic,
      points: decodeNumberPoints(name, points, `${path}.sum`, rejections),
    };
  }
  if (m.histogram !== undefined && m.histogram !== null) {
    const histogram = objectAt(m.histogram, `${path}.histogram`);
    const points = pointsAt(histogram, `${path}.histogram`);
    const temporality = temporalityOf(
      int32At(histogram.aggregationTemporality, `${path}.histogram.aggregationTemporality`),
    );
    if (!temporality) return void rejections.add(points.length, REJECTED.temporality(name));
    return {
      type: "histogram",
      temporality,
      points: decodeHistogramPoints(name, points, `${path}.histogram`, rejections),
    };
  }
  if (m.exponentialHistogram !== undefined && m.exponentialHistogram !== null) {
    const data = objectAt(m.exponentialHistogram, `${path}.exponentialHistogram`);
    rejections.add(
      pointsAt(data, `${path}.exponentialHistogram`).length,
      REJECTED.exponentialHistogram,
    );
    return undefined;
  }
  if (m.summary !== undefined && m.summary !== null) {
    const data = objectAt(m.summary, `${path}.summary`);
    rejections.add(pointsAt(data, `${path}.summary`).length, REJECTED.summary);
  }
  // A metric without data carries no points: there is nothing to keep or to reject.
  return undefined;
}

/**
 * Turns a parsed ExportMetricsServiceRequest into a flat batch; metrics of one ResourceMetrics /
 * ScopeMetrics share one Resource / Scope object. Malformed fields throw a PermanentError
 * naming the path; well-formed points the data model cannot hold (exponential histograms,
 * summaries, unspecified temporality) are counted in `rejections` for a partial-success answer.
 */
export function decodeMetricsRequest(
  json: unknown,
  rejections: Rejections = new Rejections(),
): MetricBatch {
  const batch: MetricBatch = [];
  const request = objectAt(json, "request");
  arrayAt(request.resourceMetrics, "resourceMetrics").forEach((rmValue, i) => {
    const rmPath = `resourceMetrics[${i}]`;
    const rm = objectAt(rmValue, rmPath);
    const schemaUrl = stringAt(rm.schemaUrl, `${rmPath}.schemaUrl`);
    const resource = decodeResource(rm.resource, schemaUrl, `${rmPath}.resource`);
    arrayAt(rm.scopeMetrics, `${rmPath}.scopeMetrics`).forEach((smValue, j) => {
      const smPath = `${rmPath}.scopeMetrics[${j}]`;
      const sm = objectAt(smValue, smPath);
      const scope = decodeScope(sm.scope, `${smPath}.scope`);
      arrayAt(sm.metrics, `${smPath}.metrics`).forEach((mValue, k) => {
        const p = `${smPath}.metrics[${k}]`;
        const m = objectAt(mValue, p);
        const name = stringAt(m.name, `${p}.name`) ?? "";
        const data = decodeMetricData(m, name, p, rejections);
        if (!data || data.points.length === 0) return;
        const metric: Metric = { name, data, resource, scope };
        const description = stringAt(m.description, `${p}.description`);
        if (description) metric.description = description;
        const unit = stringAt(m.unit, `${p}.unit`);
        if (unit) metric.unit = unit;
        batch.push(metric);
      });
    });
  });
  return batch;
}
