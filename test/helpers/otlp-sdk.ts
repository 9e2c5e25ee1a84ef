/**
 * Telemetry emitted through the official OpenTelemetry JS SDK, and what Tripline's data model
 * must hold after it crossed the wire. Shared by the codec and the receiver tests.
 */
import { ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import type { Logger } from "@opentelemetry/api-logs";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  type Histogram,
  type MeterProvider,
  type MetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { expect } from "vitest";
import type { LogBatch } from "../../src/pdata/logs.js";
import type { Metric, MetricBatch } from "../../src/pdata/metrics.js";
import type { AnyValue } from "../../src/pdata/value.js";

export const RESOURCE_ATTRIBUTES = {
  "service.name": "support-bot",
  "deployment.environment.name": "prod",
  "k8s.pod.uid": "0d1f7c2a-5b1e-4b8e-9b55-5f1d3c1f2e11",
  "host.cpu.count": 8,
};

export const sdkResource = () => resourceFromAttributes(RESOURCE_ATTRIBUTES);

export const TRACE_ID = "5b8efff798038103d269b633813fc60c";
export const SPAN_ID = "eee19b7ec3c1b174";

/** Every AnyValue kind, nested maps and arrays included. */
export const ATTRIBUTES = {
  "detection.category": "prompt_injection",
  "detection.score": 0.97,
  "detection.rule.id": 4012,
  "detection.delta": -17,
  "detection.blocked": true,
  "detection.empty": "",
  "detection.unicode": "jailbreak ✓ — ü",
  "detection.fingerprint": new Uint8Array([0, 1, 2, 250, 255]),
  "detection.tags": ["owasp:LLM01", "agentic", 3, false],
  "detection.surface": {
    agent: { name: "support-bot", version: "1.4.0", tools: ["search", { mcp: "crm" }] },
    empty_map: {},
    empty_list: [],
  },
};

export const BODY = {
  title: "prompt injection blocked",
  evidence: ["ignore previous instructions", 2],
  raw: new Uint8Array([104, 105]),
};

/** [seconds, nanoseconds]: HrTime keeps the nanosecond digits a millisecond Date would lose. */
export const TIME: [number, number] = [1_795_165_200, 123_456_789];
export const OBSERVED: [number, number] = [1_795_165_200, 223_456_789];
export const TIME_NS = 1_795_165_200_123_456_789n;
export const OBSERVED_NS = 1_795_165_200_223_456_789n;

export const SCOPE = { name: "tripline-test", version: "1.2.3" };

/** Three records: two from one logger (they share a scope), one from another. */
export function emitSampleLogs(main: Logger, other: Logger): void {
  const context = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
  main.emit({
    eventName: "security.detection",
    timestamp: TIME,
    observedTimestamp: OBSERVED,
    severityNumber: SeverityNumber.ERROR,
    severityText: "ERROR",
    body: BODY,
    attributes: ATTRIBUTES,
    context,
  });
  main.emit({
    timestamp: TIME,
    observedTimestamp: OBSERVED,
    severityNumber: SeverityNumber.WARN2,
    severityText: "warning",
    body: "plain text body",
    attributes: { n: 1 },
  });
  other.emit({
    timestamp: TIME,
    observedTimestamp: OBSERVED,
    body: 42,
  });
}

/** What decoding the three sample records must give, field by field. */
export function expectedSampleLogs(): Omit<LogBatch[number], "resource" | "scope">[] {
  return [
    {
      time: TIME_NS,
      observedTime: OBSERVED_NS,
      severityNumber: 17,
      severityText: "ERROR",
      eventName: "security.detection",
      body: BODY as AnyValue,
      attributes: ATTRIBUTES as Record<string, AnyValue>,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
    },
    {
      time: TIME_NS,
      observedTime: OBSERVED_NS,
      severityNumber: 14,
      severityText: "warning",
      body: "plain text body",
      attributes: { n: 1 },
    },
    {
      time: TIME_NS,
      observedTime: OBSERVED_NS,
      severityNumber: 0,
      severityText: "",
      body: 42,
      attributes: {},
    },
  ];
}

/** Checks a decoded batch against the sample, including how records share resource and scope. */
export function checkSampleLogs(batch: LogBatch): void {
  expect(batch.map(({ resource: _r, scope: _s, ...rest }) => rest)).toEqual(expectedSampleLogs());
  for (const record of batch) {
    expect(record.resource).toEqual({ attributes: RESOURCE_ATTRIBUTES });
    expect(record.resource).toBe(batch[0]!.resource);
  }
  expect(batch[0]!.scope).toEqual(SCOPE);
  expect(batch[1]!.scope).toBe(batch[0]!.scope);
  expect(batch[2]!.scope).toEqual({ name: "other-scope" });
}

/** Records a counter, an up-down counter, a gauge and a histogram with known values. */
export function recordSampleMetrics(provider: MeterProvider): void {
  const meter = provider.getMeter(SCOPE.name, SCOPE.version);
  const detections = meter.createCounter("tripline.detections", {
    description: "detections seen",
    unit: "{detection}",
  });
  detections.add(5, { category: "prompt_injection" });
  detections.add(2, { category: "jailbreak" });
  meter.createUpDownCounter("tripline.sessions").add(-3);
  meter.createGauge("tripline.risk").record(0.75, { agent: "support-bot" });
  const latency = meter.createHistogram("tripline.latency", { unit: "ms" });
  for (const v of [1, 7, 300]) latency.record(v, { route: "/v1/logs" });
}

/** View that turns `tripline.latency` into an exponential histogram, which the model lacks. */
export const EXPONENTIAL_VIEW = {
  instrumentName: "tripline.latency",
  aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
};

const nanos = ([s, ns]: [number, number]) => BigInt(s) * 1_000_000_000n + BigInt(ns);

const TEMPORALITY = {
  [AggregationTemporality.DELTA]: "delta",
  [AggregationTemporality.CUMULATIVE]: "cumulative",
} as const;

/**
 * The SDK's own view of what it exported, mapped field by field onto the data model: the
 * independent side of the round-trip comparison.
 */
export function expectedMetrics(rm: ResourceMetrics): Omit<Metric, "resource" | "scope">[] {
  const out: Omit<Metric, "resource" | "scope">[] = [];
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics as MetricData[]) {
      const base = {
        name: m.descriptor.name,
        ...(m.descriptor.description ? { description: m.descriptor.description } : {}),
        ...(m.descriptor.unit ? { unit: m.descriptor.unit } : {}),
      };
      const times = (p: { startTime: [number, number]; endTime: [number, number] }) => ({
        startTime: nanos(p.startTime),
        time: nanos(p.endTime),
      });
      if (m.dataPointType === DataPointType.SUM) {
        out.push({
          ...base,
          data: {
            type: "sum",
            temporality: TEMPORALITY[m.aggregationTemporality],
            monotonic: m.isMonotonic,
            points: m.dataPoints.map((p) => ({
              attributes: p.attributes as Record<string, AnyValue>,
              ...times(p),
              value: p.value,
            })),
          },
        });
      } else if (m.dataPointType === DataPointType.GAUGE) {
        out.push({
          ...base,
          data: {
            type: "gauge",
            points: m.dataPoints.map((p) => ({
              attributes: p.attributes as Record<string, AnyValue>,
              ...times(p),
              value: p.value,
            })),
          },
        });
      } else if (m.dataPointType === DataPointType.HISTOGRAM) {
        out.push({
          ...base,
          data: {
            type: "histogram",
            temporality: TEMPORALITY[m.aggregationTemporality],
            points: m.dataPoints.map((p) => {
              const h = p.value as Histogram;
              return {
                attributes: p.attributes as Record<string, AnyValue>,
                ...times(p),
                count: h.count,
                sum: h.sum,
                min: h.min,
                max: h.max,
                explicitBounds: h.buckets.boundaries,
                bucketCounts: h.buckets.counts,
              };
            }),
          },
        });
      }
    }
  }
  return out;
}

export function stripRefs(batch: MetricBatch) {
  return batch.map(({ resource: _r, scope: _s, ...rest }) => rest);
}
