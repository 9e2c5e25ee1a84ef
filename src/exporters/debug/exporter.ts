import type { CreateContext, Exporter, Host, SignalConsumers } from "../../component/component.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  NumberDataPoint,
} from "../../pdata/metrics.js";
import { countDataPoints } from "../../pdata/metrics.js";
import { groupByResourceAndScope } from "../../pdata/otlp-json.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { Signal } from "../../pdata/signal.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import type { DebugConfig } from "./config.js";

/** Where the text goes; process.stdout in production, a collecting stream in tests. */
export interface DebugOutput {
  write(chunk: string): unknown;
}

export class DebugExporter implements Exporter {
  readonly consumers: SignalConsumers = {};

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: DebugConfig,
    signals: readonly Signal[],
    private readonly out: DebugOutput = process.stdout,
  ) {
    if (signals.includes("logs")) {
      this.consumers.logs = {
        consume: async (batch) => this.emit(formatLogs(this.ctx.id, this.config, batch)),
      };
    }
    if (signals.includes("metrics")) {
      this.consumers.metrics = {
        consume: async (batch) => this.emit(formatMetrics(this.ctx.id, this.config, batch)),
      };
    }
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {}

  private emit(lines: string[]): void {
    // One write per batch, so concurrent pipelines never interleave inside a batch.
    this.out.write(`${lines.join("\n")}\n`);
  }
}

export function formatLogs(id: string, config: DebugConfig, batch: LogBatch): string[] {
  const groups = groupByResourceAndScope(batch);
  const lines = [
    `LogsExporter ${JSON.stringify({ exporter: id, "resource logs": groups.length, "log records": batch.length })}`,
  ];
  if (config.verbosity === "normal") {
    for (const record of batch) lines.push(normalLogLine(record));
  } else if (config.verbosity === "detailed") {
    groups.forEach(({ resource, scopes }, i) => {
      lines.push(`ResourceLog #${i}`, ...resourceLines(resource));
      scopes.forEach(({ scope, items }, j) => {
        lines.push(`ScopeLogs #${j}`, ...scopeLines(scope));
        items.forEach((record, k) => {
          lines.push(
            `LogRecord #${k}`,
            `ObservedTimestamp: ${isoNanos(record.observedTime)}`,
            `Timestamp: ${isoNanos(record.time)}`,
            `SeverityText: ${record.severityText}`,
            `SeverityNumber: ${severityName(record.severityNumber)}(${record.severityNumber})`,
            `EventName: ${record.eventName ?? ""}`,
            `Body: ${typedValue(record.body)}`,
            ...attributeLines("Attributes", record.attributes),
            `Trace ID: ${record.traceId ?? ""}`,
            `Span ID: ${record.spanId ?? ""}`,
            `Flags: ${record.flags ?? 0}`,
            `DroppedAttributesCount: ${record.droppedAttributesCount ?? 0}`,
          );
        });
      });
    });
  }
  return lines;
}

export function formatMetrics(id: string, config: DebugConfig, batch: MetricBatch): string[] {
  const groups = groupByResourceAndScope(batch);
  const summary = {
    exporter: id,
    "resource metrics": groups.length,
    metrics: batch.length,
    "data points": countDataPoints(batch),
  };
  const lines = [`MetricsExporter ${JSON.stringify(summary)}`];
  if (config.verbosity === "normal") {
    for (const metric of batch) lines.push(...normalMetricLines(metric));
  } else if (config.verbosity === "detailed") {
    groups.forEach(({ resource, scopes }, i) => {
      lines.push(`ResourceMetrics #${i}`, ...resourceLines(resource));
      scopes.forEach(({ scope, items }, j) => {
        lines.push(`ScopeMetrics #${j}`, ...scopeLines(scope));
        for (const [k, metric] of items.entries()) {
          lines.push(`Metric #${k}`, ...detailedMetricLines(metric));
        }
      });
    });
  }
  return lines;
}

function normalLogLine(record: LogRecord): string {
  // OTLP: when the event time is unknown (0), the observed time is the best we have.
  const time = record.time > 0n ? record.time : record.observedTime;
  const severity = record.severityText || severityName(record.severityNumber);
  return [
    isoMillis(time),
    severity,
    record.eventName,
    compactJson(record.body),
    keyValues(record.attributes, " "),
  ]
    .filter((part) => part)
    .join(" ");
}

function normalMetricLines(metric: Metric): string[] {
  const data = metric.data;
  if (data.type === "histogram") {
    return data.points.map((p) => {
      const bounds = [...p.explicitBounds.map(String), "+Inf"];
      const buckets = p.bucketCounts.map((c, i) => `${bounds[i] ?? "?"}:${c}`).join(",");
      const stats = [`count=${p.count}`];
      if (p.sum !== undefined) stats.push(`sum=${p.sum}`);
      if (p.min !== undefined) stats.push(`min=${p.min}`);
      if (p.max !== undefined) stats.push(`max=${p.max}`);
      return `${isoMillis(p.time)} ${metric.name}{${keyValues(p.attributes, ",")}} ${stats.join(" ")} buckets=[${buckets}]`;
    });
  }
  return data.points.map(
    (p) => `${isoMillis(p.time)} ${metric.name}{${keyValues(p.attributes, ",")}} ${p.value}`,
  );
}

function detailedMetricLines(metric: Metric): string[] {
  const data = metric.data;
  const lines = [
    "Descriptor:",
    `     -> Name: ${metric.name}`,
    `     -> Description: ${metric.description ?? ""}`,
    `     -> Unit: ${metric.unit ?? ""}`,
    `     -> DataType: ${data.type === "sum" ? "Sum" : data.type === "gauge" ? "Gauge" : "Histogram"}`,
  ];
  if (data.type === "sum") lines.push(`     -> IsMonotonic: ${data.monotonic}`);
  if (data.type !== "gauge")
    lines.push(`     -> AggregationTemporality: ${capitalize(data.temporality)}`);
  if (data.type === "histogram") {
    for (const [i, p] of data.points.entries()) {
      lines.push(`HistogramDataPoints #${i}`, ...histogramPointLines(p));
    }
  } else {
    for (const [i, p] of data.points.entries()) {
      lines.push(`NumberDataPoints #${i}`, ...numberPointLines(p));
    }
  }
  return lines;
}

function pointHeader(p: NumberDataPoint | HistogramDataPoint): string[] {
  return [
    ...attributeLines("Data point attributes", p.attributes),
    `StartTimestamp: ${isoNanos(p.startTime)}`,
    `Timestamp: ${isoNanos(p.time)}`,
  ];
}

function numberPointLines(p: NumberDataPoint): string[] {
  return [...pointHeader(p), `Value: ${p.value}`];
}

function histogramPointLines(p: HistogramDataPoint): string[] {
  const lines = [...pointHeader(p), `Count: ${p.count}`];
  if (p.sum !== undefined) lines.push(`Sum: ${p.sum}`);
  if (p.min !== undefined) lines.push(`Min: ${p.min}`);
  if (p.max !== undefined) lines.push(`Max: ${p.max}`);
  for (const [i, b] of p.explicitBounds.entries()) lines.push(`ExplicitBounds #${i}: ${b}`);
  for (const [i, c] of p.bucketCounts.entries()) lines.push(`Buckets #${i}, Count: ${c}`);
  return lines;
}

function resourceLines(resource: Resource): string[] {
  return [
    `Resource SchemaURL: ${resource.schemaUrl ?? ""}`,
    ...attributeLines("Resource attributes", resource.attributes),
  ];
}

function scopeLines(scope: Scope): string[] {
  const lines = [`InstrumentationScope ${scope.name} ${scope.version ?? ""}`.trimEnd()];
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    lines.push(...attributeLines("InstrumentationScope attributes", scope.attributes));
  }
  return lines;
}

function attributeLines(title: string, attributes: Attributes): string[] {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return [`${title}: (none)`];
  return [`${title}:`, ...entries.map(([k, v]) => `     -> ${k}: ${typedValue(v)}`)];
}

const SEVERITY_NAMES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/** The OTLP short name: 17 → ERROR, 18 → ERROR2, 0 or out of range → UNSPECIFIED. */
export function severityName(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 24) return "UNSPECIFIED";
  const base = SEVERITY_NAMES[Math.floor((n - 1) / 4)];
  const step = (n - 1) % 4;
  return step === 0 ? `${base}` : `${base}${step + 1}`;
}

function isoMillis(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** ISO 8601 with all nine fractional digits, plus the raw value so nothing is lost. */
export function isoNanos(ns: bigint): string {
  const seconds = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${seconds}.${fraction}Z (${ns})`;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** JSON that also takes bigint and bytes, which JSON.stringify refuses or mangles. */
export function compactJson(value: AnyValue | undefined): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
    case "bigint":
    case "boolean":
      return String(value);
  }
  if (value instanceof Uint8Array) return JSON.stringify(base64(value));
  if (Array.isArray(value)) return `[${value.map(compactJson).join(",")}]`;
  const fields = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${compactJson(v)}`);
  return `{${fields.join(",")}}`;
}

function keyValues(attributes: Attributes, separator: string): string {
  return Object.entries(attributes)
    .map(([k, v]) => {
      // Bare strings read best; quote only what would make the line ambiguous.
      const text = typeof v === "string" && /^[^\s"=,{}]+$/.test(v) ? v : compactJson(v);
      return `${k}=${text}`;
    })
    .join(separator);
}

/** Collector-style typed rendering, so `1` (Int) and `"1"` (Str) are told apart. */
function typedValue(value: AnyValue | undefined): string {
  if (value === null || value === undefined) return "Empty()";
  switch (typeof value) {
    case "string":
      return `Str(${value})`;
    case "boolean":
      return `Bool(${value})`;
    case "bigint":
      return `Int(${value})`;
    case "number":
      return Number.isSafeInteger(value) ? `Int(${value})` : `Double(${value})`;
  }
  if (value instanceof Uint8Array) return `Bytes(${base64(value)})`;
  if (Array.isArray(value)) return `Slice(${compactJson(value)})`;
  return `Map(${compactJson(value)})`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
