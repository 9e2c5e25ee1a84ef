/**
 * otlphttp against real OTLP servers: Tripline's own otlp receiver (what comes out must equal
 * what went in), and a capture server whose bodies are decoded by protobufjs from upstream's
 * message definitions, independently of Tripline's codec.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exporter } from "../../../src/component/component.js";
import { SYNC_BELOW_BYTES } from "../../../src/exporters/internal/compress.js";
import { otlpHttpConfigSchema } from "../../../src/exporters/otlphttp/config.js";
import {
  otlpHttpExporterFactory,
  otlpHttpRenamedExporterFactory,
} from "../../../src/exporters/otlphttp/factory.js";
import type { LogBatch } from "../../../src/pdata/logs.js";
import { testContext } from "../../helpers/context.js";
import { SPAN_ID, TIME_NS, TRACE_ID } from "../../helpers/otlp-sdk.js";
import { type Started, startReceiver } from "../../receivers/otlp/harness.js";
import { ContractServer, decodeUpstream, LogsRequest, MetricsRequest } from "./contract-server.js";
import { direct, host, RESOURCES, sampleLogs, sampleMetrics } from "./fixtures.js";

let receiver: Started;
const exporters: Exporter[] = [];

async function exporter(options: Record<string, unknown>, factory = otlpHttpExporterFactory) {
  const config = otlpHttpConfigSchema.parse({ ...direct, ...options });
  const created = factory.create(testContext(factory.type), config, ["logs", "metrics"]);
  await created.start(host);
  exporters.push(created);
  return created;
}

const byTime = (batch: LogBatch) => [...batch].sort((a, b) => (a.time < b.time ? -1 : 1));

beforeAll(async () => {
  receiver = await startReceiver({ http: { endpoint: "127.0.0.1:0" } });
});

afterAll(async () => {
  for (const e of exporters) await e.shutdown();
  await receiver.receiver.shutdown();
});

describe("otlphttp → otlp receiver", () => {
  it.each([
    ["proto", "gzip"],
    ["json", "gzip"],
    ["proto", "none"],
    ["json", "none"],
  ])(
    "logs as %s with compression %s arrive identical, resources kept per record",
    async (encoding, compression) => {
      const e = await exporter({ endpoint: receiver.httpUrl, encoding, compression });
      const sent = sampleLogs();
      const before = receiver.logs.batches.length;
      await e.consumers.logs!.consume(sent);
      const received = receiver.logs.batches.slice(before).flat();
      expect(byTime(received)).toEqual(byTime(sent));
      // Regrouped by resource and scope on the wire: one resource object per service again.
      expect(new Set(received.map((r) => r.resource)).size).toBe(3);
      expect(new Set(received.map((r) => r.scope)).size).toBe(2 * 3);
    },
  );

  it("accepts the Collector's new type name otlp_http, with the same behaviour", async () => {
    expect(otlpHttpRenamedExporterFactory.configSchema).toBe(otlpHttpExporterFactory.configSchema);
    const e = await exporter({ endpoint: receiver.httpUrl }, otlpHttpRenamedExporterFactory);
    const before = receiver.logs.batches.length;
    await e.consumers.logs!.consume(sampleLogs());
    expect(receiver.logs.batches.slice(before).flat()).toHaveLength(7);
  });

  it("metrics arrive cumulative by default, unchanged", async () => {
    const e = await exporter({ endpoint: receiver.httpUrl });
    const sent = sampleMetrics(1_000n, 2_000n, 4);
    await e.consumers.metrics!.consume(sent);
    const received = receiver.metrics.batches.at(-1)!;
    expect(received).toEqual(sent);
  });
});

describe("otlphttp bytes, decoded from upstream's .proto definitions", () => {
  const server = new ContractServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it("sends ExportLogsServiceRequest to /v1/logs with the OTLP content type and gzip", async () => {
    const e = await exporter({ endpoint: `${server.url}/base/`, headers: { "x-team": "sec" } });
    await e.consumers.logs!.consume(sampleLogs());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/base/v1/logs");
    expect(request.headers["content-type"]).toBe("application/x-protobuf");
    expect(request.headers["content-encoding"]).toBe("gzip");
    expect(request.headers["x-team"]).toBe("sec");
    expect(request.headers["user-agent"]).toMatch(/^tripline\//);
    const decoded = decodeUpstream(LogsRequest, request.body) as {
      resourceLogs: {
        resource: { attributes: { key: string; value: Record<string, unknown> }[] };
        schemaUrl?: string;
        scopeLogs: { scope: { name: string }; logRecords: Record<string, unknown>[] }[];
      }[];
    };
    expect(decoded.resourceLogs.map((rl) => rl.resource.attributes[0]!.value)).toEqual(
      RESOURCES.map((r) => ({ stringValue: r.attributes["service.name"] })),
    );
    expect(decoded.resourceLogs[2]!.schemaUrl).toBe(RESOURCES[2]!.schemaUrl);
    const records = decoded.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));
    expect(records).toHaveLength(7);
    const first = records.find((r) => r.timeUnixNano === TIME_NS.toString())!;
    expect(first).toMatchObject({
      observedTimeUnixNano: (TIME_NS + 100_000_000n).toString(),
      severityNumber: 17,
      severityText: "critical",
      eventName: "security.detection",
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
      body: { kvlistValue: expect.any(Object) },
    });
    const attributes = first.attributes as { key: string; value: Record<string, unknown> }[];
    const value = (key: string) => attributes.find((a) => a.key === key)!.value;
    expect(value("detection.rule.id")).toEqual({ intValue: "4012" });
    expect(value("detection.score")).toEqual({ doubleValue: 0.97 });
    expect(value("detection.blocked")).toEqual({ boolValue: true });
    expect(value("detection.fingerprint")).toEqual({ bytesValue: "000102faff" });
    expect(value("detection.tags")).toEqual({
      arrayValue: {
        values: [
          { stringValue: "owasp:LLM01" },
          { stringValue: "agentic" },
          { intValue: "3" },
          { boolValue: false },
        ],
      },
    });
  });

  it("sends JSON with hex ids and string 64-bit integers when encoding is json", async () => {
    const e = await exporter({ endpoint: server.url, encoding: "json", compression: "none" });
    await e.consumers.logs!.consume(sampleLogs());
    const request = server.requests.at(-1)!;
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["content-encoding"]).toBeUndefined();
    const json = JSON.parse(request.body.toString("utf8"));
    const record = json.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(record.timeUnixNano).toBe(TIME_NS.toString());
    expect(record.traceId).toBe(TRACE_ID);
    expect(record.severityNumber).toBe(17);
  });

  it.each([
    ["unset (zlib's default, today's bytes)", undefined, {}],
    ["1", { level: 1 }, { level: 1 }],
    ["9", { level: 9 }, { level: 9 }],
  ])("gzips with compression_params.level %s", async (_, params, zlibOptions) => {
    const e = await exporter({ endpoint: server.url, compression_params: params });
    const sizes: number[] = [];
    for (const batch of [sampleLogs(), Array.from({ length: 40 }, () => sampleLogs()).flat()]) {
      await e.consumers.logs!.consume(batch);
      const request = server.requests.at(-1)!;
      sizes.push(request.body.length);
      expect(request.headers["content-encoding"]).toBe("gzip");
      expect(request.raw.equals(gzipSync(request.body, zlibOptions))).toBe(true);
    }
    // One body compressed inline, one on the threadpool.
    expect(sizes[0]).toBeLessThan(SYNC_BELOW_BYTES);
    expect(sizes[1]).toBeGreaterThan(SYNC_BELOW_BYTES);
  });

  it("sends ExportMetricsServiceRequest to metrics_endpoint as given", async () => {
    const e = await exporter({
      endpoint: server.url,
      metrics_endpoint: `${server.url}/api/v1/otlp/v1/metrics`,
    });
    await e.consumers.metrics!.consume(sampleMetrics(1_000n, 2_000n, 4));
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/api/v1/otlp/v1/metrics");
    const decoded = decodeUpstream(MetricsRequest, request.body) as {
      resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[];
    };
    const metrics = decoded.resourceMetrics.flatMap((r) =>
      r.scopeMetrics.flatMap((s) => s.metrics),
    );
    expect(metrics[0]).toMatchObject({
      name: "tripline.detections",
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: [{ startTimeUnixNano: "1000", timeUnixNano: "2000", asInt: "4" }],
      },
    });
  });
});
