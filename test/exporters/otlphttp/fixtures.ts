import type { Exporter } from "../../../src/component/component.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import type { MetricBatch } from "../../../src/pdata/metrics.js";
import type { Resource, Scope } from "../../../src/pdata/resource.js";
import type { AnyValue } from "../../../src/pdata/value.js";
import {
  ATTRIBUTES,
  BODY,
  OBSERVED_NS,
  SPAN_ID,
  TIME_NS,
  TRACE_ID,
} from "../../helpers/otlp-sdk.js";

/** Three services in one batch, as a gateway sees them; records share resources by reference. */
export const RESOURCES: Resource[] = [
  { attributes: { "service.name": "support-bot", "k8s.cluster.name": "eu-1" } },
  { attributes: { "service.name": "billing-agent", "deployment.environment.name": "prod" } },
  {
    attributes: { "service.name": "mcp-gateway", "host.cpu.count": 8 },
    schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
  },
];

export const SCOPES: Scope[] = [
  { name: "tripline/detections", version: "1.2.3" },
  { name: "tripline/otlp", attributes: { "scope.flag": true } },
];

/** Seven records over three resources and two scopes, interleaved, with every AnyValue kind. */
export function sampleLogs(): LogBatch {
  const records: LogRecord[] = [];
  for (let i = 0; i < 7; i++) {
    const record: LogRecord = {
      time: TIME_NS + BigInt(i),
      observedTime: OBSERVED_NS + BigInt(i),
      severityNumber: 17 + (i % 4),
      severityText: i % 2 ? "high" : "critical",
      body: i === 0 ? (BODY as AnyValue) : `detection ${i}`,
      attributes: { ...(ATTRIBUTES as Record<string, AnyValue>), "detection.index": i },
      resource: RESOURCES[i % 3]!,
      scope: SCOPES[i % 2]!,
    };
    if (i % 2 === 0) {
      record.eventName = "security.detection";
      record.traceId = TRACE_ID;
      record.spanId = SPAN_ID;
      record.flags = 1;
    }
    records.push(record);
  }
  return records;
}

export function sampleMetrics(startTime: bigint, time: bigint, value: number): MetricBatch {
  return [
    {
      name: "tripline.detections",
      unit: "{detection}",
      resource: RESOURCES[0]!,
      scope: SCOPES[0]!,
      data: {
        type: "sum",
        temporality: "cumulative",
        monotonic: true,
        points: [{ attributes: { category: "jailbreak" }, startTime, time, value }],
      },
    },
    {
      name: "tripline.latency",
      unit: "ms",
      resource: RESOURCES[1]!,
      scope: SCOPES[0]!,
      data: {
        type: "histogram",
        temporality: "cumulative",
        points: [
          {
            attributes: {},
            startTime,
            time,
            count: value,
            sum: value * 10,
            explicitBounds: [5, 50],
            bucketCounts: [value, 0, 0],
          },
        ],
      },
    },
  ];
}

export const host = { reportFatal: () => {} };

export function logsOf(exporter: Exporter) {
  return exporter.consumers.logs!;
}
export function metricsOf(exporter: Exporter) {
  return exporter.consumers.metrics!;
}

/** exporterhelper settings for tests: no queue (consume waits for the backend), quick retries. */
export const direct = {
  sending_queue: { enabled: false },
  retry_on_failure: { initial_interval: "10ms", max_interval: "20ms", max_elapsed_time: "5s" },
  circuit_breaker: { enabled: false },
};
