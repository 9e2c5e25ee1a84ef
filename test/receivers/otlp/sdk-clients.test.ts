/**
 * The official OpenTelemetry JS exporters (HTTP/JSON, HTTP/protobuf, gRPC) send to the
 * receiver; what comes out, directly and through the file exporter, must match what the SDK
 * emitted, field for field.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { JsonLogsSerializer } from "@opentelemetry/otlp-transformer";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exporter } from "../../../src/component/component.js";
import { fileConfigSchema } from "../../../src/exporters/file/config.js";
import { fileFactory } from "../../../src/exporters/file/factory.js";
import type { MetricBatch } from "../../../src/pdata/metrics.js";
import { decodeLogsRequest, decodeMetricsRequest } from "../../../src/pdata/otlp-json-decode.js";
import { testContext } from "../../helpers/context.js";
import {
  checkSampleLogs,
  emitSampleLogs,
  expectedMetrics,
  recordSampleMetrics,
  sdkResource,
  stripRefs,
} from "../../helpers/otlp-sdk.js";
import { type Started, startReceiver } from "./harness.js";

let started: Started;
let dir: string;
let file: Exporter;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tripline-otlp-"));
  started = await startReceiver();
  file = fileFactory.create(
    testContext("file"),
    fileConfigSchema.parse({ path: path.join(dir, "out.jsonl") }),
    ["logs", "metrics"],
  );
  await file.start({ reportFatal: () => {} });
  // Everything the receiver accepts also goes through the real file exporter.
  started.logs.onBatch = (batch) => file.consumers.logs!.consume(batch);
  started.metrics.onBatch = (batch) => file.consumers.metrics!.consume(batch);
});

afterAll(async () => {
  await started.receiver.shutdown();
  await file.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function fileLines(): Promise<unknown[]> {
  const text = await readFile(path.join(dir, "out.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Passes through to the real exporter, keeping what the SDK handed it. */
function spyLogs(inner: LogRecordExporter, seen: ReadableLogRecord[]): LogRecordExporter {
  return {
    export: (records, done) => {
      seen.push(...records);
      inner.export(records, done);
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

function spyMetrics(inner: PushMetricExporter, seen: ResourceMetrics[]): PushMetricExporter {
  return {
    export: (metrics, done) => {
      seen.push(metrics);
      inner.export(metrics, done);
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    selectAggregation: inner.selectAggregation?.bind(inner),
  };
}

const logClients: [string, () => LogRecordExporter][] = [
  ["HTTP/JSON", () => new JsonLogExporter({ url: `${started.httpUrl}/v1/logs` })],
  [
    "HTTP/protobuf, gzip",
    () =>
      new ProtoLogExporter({
        url: `${started.httpUrl}/v1/logs`,
        compression: CompressionAlgorithm.GZIP,
      }),
  ],
  [
    "gRPC, gzip",
    () =>
      new GrpcLogExporter({
        url: `http://${started.grpcAddress}`,
        compression: CompressionAlgorithm.GZIP,
      }),
  ],
];

describe("logs from the OpenTelemetry JS SDK exporters", () => {
  for (const [name, makeExporter] of logClients) {
    it(`arrive intact over ${name}`, async () => {
      const before = started.logs.batches.length;
      const linesBefore = (await fileLines().catch(() => [])).length;
      const seen: ReadableLogRecord[] = [];
      const provider = new LoggerProvider({
        resource: sdkResource(),
        processors: [new BatchLogRecordProcessor({ exporter: spyLogs(makeExporter(), seen) })],
      });
      emitSampleLogs(
        provider.getLogger("tripline-test", "1.2.3"),
        provider.getLogger("other-scope"),
      );
      await provider.forceFlush();
      await provider.shutdown();

      const batches = started.logs.batches.slice(before);
      expect(batches).toHaveLength(1);
      checkSampleLogs(batches[0]!);

      // The file exporter's OTLP/JSON line says the same as the SDK's own JSON serializer.
      const lines = (await fileLines()).slice(linesBefore);
      expect(lines).toHaveLength(1);
      const fromFile = decodeLogsRequest(lines[0]);
      checkSampleLogs(fromFile);
      const official = JSON.parse(
        Buffer.from(JsonLogsSerializer.serializeRequest(seen)!).toString(),
      );
      expect(fromFile).toEqual(decodeLogsRequest(official));

      const transport = name.startsWith("gRPC") ? "grpc" : "http";
      expect(
        started.telemetry.get(`receiver/otlp/${transport}/accepted/logs`),
      ).toBeGreaterThanOrEqual(3);
    });
  }
});

const metricClients: [string, () => PushMetricExporter][] = [
  ["HTTP/JSON", () => new JsonMetricExporter({ url: `${started.httpUrl}/v1/metrics` })],
  [
    "HTTP/protobuf, gzip",
    () =>
      new ProtoMetricExporter({
        url: `${started.httpUrl}/v1/metrics`,
        compression: CompressionAlgorithm.GZIP,
      }),
  ],
  ["gRPC", () => new GrpcMetricExporter({ url: `http://${started.grpcAddress}` })],
];

describe("metrics from the OpenTelemetry JS SDK exporters", () => {
  for (const [name, makeExporter] of metricClients) {
    it(`arrive intact over ${name}`, async () => {
      const before = started.metrics.batches.length;
      const linesBefore = (await fileLines().catch(() => [])).length;
      const seen: ResourceMetrics[] = [];
      const reader = new PeriodicExportingMetricReader({
        exporter: spyMetrics(makeExporter(), seen),
        exportIntervalMillis: 60_000,
      });
      const provider = new MeterProvider({ resource: sdkResource(), readers: [reader] });
      recordSampleMetrics(provider);
      await provider.forceFlush();
      await provider.shutdown();

      const batches: MetricBatch[] = started.metrics.batches.slice(before);
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(stripRefs(batches[0]!)).toEqual(expectedMetrics(seen[0]!));
      expect(batches[0]![0]!.resource.attributes).toMatchObject({ "service.name": "support-bot" });
      expect(batches[0]![0]!.scope).toEqual({ name: "tripline-test", version: "1.2.3" });

      const lines = (await fileLines()).slice(linesBefore);
      expect(stripRefs(decodeMetricsRequest(lines[0]))).toEqual(expectedMetrics(seen[0]!));
    });
  }
});
