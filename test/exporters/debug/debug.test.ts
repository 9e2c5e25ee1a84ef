import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { debugConfigSchema } from "../../../src/exporters/debug/config.js";
import { DebugExporter } from "../../../src/exporters/debug/exporter.js";
import { debugFactory } from "../../../src/exporters/debug/factory.js";
import type { Metric } from "../../../src/pdata/metrics.js";
import type { Resource } from "../../../src/pdata/resource.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { logRecord, logRecords } from "../../helpers/records.js";

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  get lines(): string[] {
    return this.text.split("\n").slice(0, -1);
  }
}

function setup(verbosity?: string, id = "debug") {
  const ctx = testContext(id);
  const config = debugConfigSchema.parse(verbosity ? { verbosity } : {});
  const out = new Collect();
  const exporter = new DebugExporter(ctx, config, ["logs", "metrics"], out);
  return { ctx, out, exporter };
}

const resource: Resource = { attributes: { "service.name": "api", "k8s.pod": "p-1" } };

const scope = { name: "tripline/count", version: "0.1.0" };

const metrics: Metric[] = [
  {
    name: "detections",
    unit: "1",
    resource,
    scope,
    data: {
      type: "sum",
      temporality: "delta",
      monotonic: true,
      points: [
        { attributes: { sev: "high" }, startTime: 1n, time: 1_795_165_200_000_000_007n, value: 3 },
        { attributes: { sev: "low" }, startTime: 1n, time: 1_795_165_200_000_000_007n, value: 1 },
      ],
    },
  },
  {
    name: "latency",
    resource,
    scope,
    data: {
      type: "histogram",
      temporality: "cumulative",
      points: [
        {
          attributes: {},
          startTime: 1n,
          time: 1_795_165_200_000_000_000n,
          count: 3,
          sum: 7.5,
          explicitBounds: [1, 5],
          bucketCounts: [1, 2, 0],
        },
      ],
    },
  },
];

describe("debug exporter config", () => {
  it("defaults to basic and rejects unknown keys and verbosities", () => {
    expect(debugConfigSchema.parse({})).toEqual({ verbosity: "basic" });
    expect(debugConfigSchema.safeParse({ verBosity: "detailed" }).success).toBe(false);
    expect(debugConfigSchema.safeParse({ verbosity: "loud" }).success).toBe(false);
  });

  it("is registered as the debug exporter for logs and metrics", () => {
    expect(debugFactory).toMatchObject({
      type: "debug",
      kind: "exporter",
      signals: ["logs", "metrics"],
    });
    const exporter = debugFactory.create(testContext("debug"), { verbosity: "basic" }, ["logs"]);
    expect(exporter.consumers.logs).toBeDefined();
    expect(exporter.consumers.metrics).toBeUndefined();
  });
});

describe("debug exporter", () => {
  it("basic: one summary line per batch", async () => {
    const { out, exporter } = setup(undefined, "debug/mine");
    await exporter.start(noopHost);
    await exporter.consumers.logs!.consume(logRecords(3));
    await exporter.consumers.metrics!.consume(metrics);
    await exporter.shutdown();
    expect(out.lines).toEqual([
      'LogsExporter {"exporter":"debug/mine","resource logs":1,"log records":3}',
      'MetricsExporter {"exporter":"debug/mine","resource metrics":1,"metrics":2,"data points":3}',
    ]);
  });

  it("basic: counts distinct resources", async () => {
    const { out, exporter } = setup("basic");
    const other: Resource = { attributes: {} };
    await exporter.consumers.logs!.consume([
      logRecord(),
      logRecord({ resource: other }),
      logRecord(),
    ]);
    expect(out.lines[0]).toContain('"resource logs":2,"log records":3');
  });

  it("normal: summary plus one line per record", async () => {
    const { out, exporter } = setup("normal");
    await exporter.consumers.logs!.consume([
      logRecord({ attributes: { "detection.severity": "high", rule: "pi 1", n: 2 } }),
      logRecord({
        severityText: "",
        severityNumber: 10,
        eventName: undefined,
        body: "hello world",
        attributes: {},
        time: 0n,
      }),
    ]);
    expect(out.lines).toEqual([
      'LogsExporter {"exporter":"debug","resource logs":1,"log records":2}',
      '2026-11-20T09:00:00.123Z high security.detection {"title":"prompt injection blocked"} detection.severity=high rule="pi 1" n=2',
      // No event time: falls back to the observed time; no severity text: the severity name.
      '2026-11-20T09:00:00.223Z INFO2 "hello world"',
    ]);
  });

  it("normal: one line per metric data point", async () => {
    const { out, exporter } = setup("normal");
    await exporter.consumers.metrics!.consume(metrics);
    expect(out.lines.slice(1)).toEqual([
      "2026-11-20T09:00:00.000Z detections{sev=high} 3",
      "2026-11-20T09:00:00.000Z detections{sev=low} 1",
      "2026-11-20T09:00:00.000Z latency{} count=3 sum=7.5 buckets=[1:1,5:2,+Inf:0]",
    ]);
  });

  it("detailed: dumps resource, scope and every field with nanosecond times", async () => {
    const { out, exporter } = setup("detailed");
    await exporter.consumers.logs!.consume([
      logRecord({
        resource,
        scope: { name: "tripline/test", version: "1.2.3", attributes: { tier: "edge" } },
        attributes: { n: 2, d: 1.5, ok: true, raw: new Uint8Array([1, 2]), list: ["a"] },
        traceId: "5b8efff798038103d269b633813fc60c",
        spanId: "eee19b7ec3c1b174",
        flags: 1,
      }),
    ]);
    expect(out.lines).toEqual([
      'LogsExporter {"exporter":"debug","resource logs":1,"log records":1}',
      "ResourceLog #0",
      "Resource SchemaURL: ",
      "Resource attributes:",
      "     -> service.name: Str(api)",
      "     -> k8s.pod: Str(p-1)",
      "ScopeLogs #0",
      "InstrumentationScope tripline/test 1.2.3",
      "InstrumentationScope attributes:",
      "     -> tier: Str(edge)",
      "LogRecord #0",
      "ObservedTimestamp: 2026-11-20T09:00:00.223456789Z (1795165200223456789)",
      "Timestamp: 2026-11-20T09:00:00.123456789Z (1795165200123456789)",
      "SeverityText: high",
      "SeverityNumber: ERROR(17)",
      "EventName: security.detection",
      'Body: Map({"title":"prompt injection blocked"})',
      "Attributes:",
      "     -> n: Int(2)",
      "     -> d: Double(1.5)",
      "     -> ok: Bool(true)",
      "     -> raw: Bytes(AQI=)",
      '     -> list: Slice(["a"])',
      "Trace ID: 5b8efff798038103d269b633813fc60c",
      "Span ID: eee19b7ec3c1b174",
      "Flags: 1",
      "DroppedAttributesCount: 0",
    ]);
  });

  it("detailed: dumps metric descriptors and data points", async () => {
    const { out, exporter } = setup("detailed");
    await exporter.consumers.metrics!.consume(metrics);
    const text = out.text;
    expect(text).toContain(
      [
        "Metric #0",
        "Descriptor:",
        "     -> Name: detections",
        "     -> Description: ",
        "     -> Unit: 1",
        "     -> DataType: Sum",
        "     -> IsMonotonic: true",
        "     -> AggregationTemporality: Delta",
        "NumberDataPoints #0",
        "Data point attributes:",
        "     -> sev: Str(high)",
        "StartTimestamp: 1970-01-01T00:00:00.000000001Z (1)",
        "Timestamp: 2026-11-20T09:00:00.000000007Z (1795165200000000007)",
        "Value: 3",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "     -> DataType: Histogram",
        "     -> AggregationTemporality: Cumulative",
        "HistogramDataPoints #0",
        "Data point attributes: (none)",
        "StartTimestamp: 1970-01-01T00:00:00.000000001Z (1)",
        "Timestamp: 2026-11-20T09:00:00.000000000Z (1795165200000000000)",
        "Count: 3",
        "Sum: 7.5",
        "ExplicitBounds #0: 1",
        "ExplicitBounds #1: 5",
        "Buckets #0, Count: 1",
        "Buckets #1, Count: 2",
        "Buckets #2, Count: 0",
      ].join("\n"),
    );
    expect(text.match(/^ResourceMetrics #/gm)).toHaveLength(1);
  });
});
