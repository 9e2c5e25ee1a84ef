/** Raw requests: every refusal path of OTLP/HTTP and OTLP/gRPC, and graceful shutdown. */
import { gzipSync } from "node:zlib";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { encodeLogsRequest } from "../../../src/pdata/otlp-json.js";
import {
  decodeLogsResponse,
  decodeStatus,
  encodeLogsProto,
  encodeMetricsProto,
} from "../../../src/pdata/otlp-proto.js";
import { otlpConfigSchema } from "../../../src/receivers/otlp/config.js";
import { logRecord, logRecords } from "../../helpers/records.js";
import { type Started, startReceiver, waitFor } from "./harness.js";

let running: Started[] = [];

async function start(...args: Parameters<typeof startReceiver>): Promise<Started> {
  const s = await startReceiver(...args);
  running.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(running.map((s) => s.receiver.shutdown()));
  running = [];
});

const PROTO = { "content-type": "application/x-protobuf" };
const JSON_TYPE = { "content-type": "application/json" };

async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", body, headers });
  return { res, body: new Uint8Array(await res.arrayBuffer()) };
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

describe("OTLP/HTTP answers", () => {
  it("200 with an empty ExportLogsServiceResponse, in the request's content type", async () => {
    const s = await start();
    const proto = await post(`${s.httpUrl}/v1/logs`, encodeLogsProto(logRecords(2)), PROTO);
    expect(proto.res.status).toBe(200);
    expect(proto.res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(proto.body).toHaveLength(0);
    expect(decodeLogsResponse(proto.body)).toBeUndefined();

    const json = await post(
      `${s.httpUrl}/v1/logs`,
      JSON.stringify(encodeLogsRequest(logRecords(3))),
      { "content-type": "application/json; charset=utf-8" },
    );
    expect(json.res.status).toBe(200);
    expect(json.res.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(text(json.body))).toEqual({});
    expect(s.logs.batches.map((b) => b.length)).toEqual([2, 3]);
    expect(s.telemetry.get("receiver/otlp/http/accepted/logs")).toBe(5);
  });

  it("accepts gzip and deflate bodies", async () => {
    const s = await start();
    const gz = await post(`${s.httpUrl}/v1/logs`, gzipSync(encodeLogsProto(logRecords(1))), {
      ...PROTO,
      "content-encoding": "gzip",
    });
    expect(gz.res.status).toBe(200);
    const { deflateSync } = await import("node:zlib");
    const df = await post(
      `${s.httpUrl}/v1/logs`,
      deflateSync(JSON.stringify(encodeLogsRequest(logRecords(2)))),
      { ...JSON_TYPE, "content-encoding": "deflate" },
    );
    expect(df.res.status).toBe(200);
    expect(s.logs.batches.map((b) => b.length)).toEqual([1, 2]);
  });

  it("400 with a google.rpc.Status for bad protobuf", async () => {
    const s = await start();
    const { res, body } = await post(`${s.httpUrl}/v1/logs`, new Uint8Array([0x0a, 0xff]), PROTO);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    const rpc = decodeStatus(body);
    expect(rpc.code).toBe(3);
    expect(rpc.message).toMatch(/^invalid ExportLogsServiceRequest protobuf/);
    expect(s.logs.batches).toHaveLength(0);
  });

  it("400 naming the field for JSON with a wrong type", async () => {
    const s = await start();
    const scope = { name: "one-scope" };
    const batch = [logRecord({ scope }), logRecord({ scope })];
    const request = encodeLogsRequest(batch) as unknown as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    request.resourceLogs[0]!.scopeLogs[0]!.logRecords[1]!.severityNumber = "high";
    const { res, body } = await post(`${s.httpUrl}/v1/logs`, JSON.stringify(request), JSON_TYPE);
    expect(res.status).toBe(400);
    expect(JSON.parse(text(body))).toEqual({
      code: 3,
      message: "resourceLogs[0].scopeLogs[0].logRecords[1].severityNumber: expected an integer",
    });
    const broken = await post(`${s.httpUrl}/v1/logs`, "{not json", JSON_TYPE);
    expect(broken.res.status).toBe(400);
    expect(JSON.parse(text(broken.body)).message).toMatch(/^invalid JSON/);
    expect(s.logs.batches).toHaveLength(0);
  });

  it("413 for a body over max_request_body_size, plain or gzip", async () => {
    const s = await start({ http: { endpoint: "127.0.0.1:0", max_request_body_size: 1024 } });
    const big = encodeLogsProto(logRecords(40));
    expect(big.length).toBeGreaterThan(1024);
    const plain = await post(`${s.httpUrl}/v1/logs`, big, PROTO);
    expect(plain.res.status).toBe(413);
    expect(decodeStatus(plain.body).message).toMatch(/max_request_body_size 1024/);
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(1024);
    const bomb = await post(`${s.httpUrl}/v1/logs`, zipped, {
      ...PROTO,
      "content-encoding": "gzip",
    });
    expect(bomb.res.status).toBe(413);
    expect(s.logs.batches).toHaveLength(0);
  });

  it("415 for an unsupported content type, 405 for GET, 404 for other paths", async () => {
    const s = await start();
    const xml = await post(`${s.httpUrl}/v1/logs`, "<logs/>", { "content-type": "text/xml" });
    expect(xml.res.status).toBe(415);
    expect(JSON.parse(text(xml.body)).message).toMatch(/unsupported content type "text\/xml"/);
    const get = await fetch(`${s.httpUrl}/v1/logs`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const traces = await post(`${s.httpUrl}/v1/traces`, "{}", JSON_TYPE);
    expect(traces.res.status).toBe(404);
  });

  it("serves configured paths", async () => {
    const s = await start({
      http: { endpoint: "127.0.0.1:0", logs_url_path: "/otlp/v1/logs" },
    });
    expect((await post(`${s.httpUrl}/otlp/v1/logs`, "{}", JSON_TYPE)).res.status).toBe(200);
    expect((await post(`${s.httpUrl}/v1/logs`, "{}", JSON_TYPE)).res.status).toBe(404);
  });

  it("404 for a signal wired into no pipeline", async () => {
    const s = await start(undefined, ["logs"]);
    const metrics = encodeMetricsProto([]);
    const { res, body } = await post(`${s.httpUrl}/v1/metrics`, metrics, PROTO);
    expect(res.status).toBe(404);
    expect(JSON.parse(text(body)).message).toBe("this receiver is in no metrics pipeline");
  });

  it("503 with Retry-After when downstream refuses with a retryable error", async () => {
    const s = await start();
    s.logs.fail = new RetryableError("queue full", 6_500);
    const { res, body } = await post(`${s.httpUrl}/v1/logs`, encodeLogsProto(logRecords(4)), PROTO);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(decodeStatus(body)).toEqual({
      code: 14,
      message: "temporarily unable to accept data: queue full",
    });
    expect(s.telemetry.get("receiver/otlp/http/refused/logs")).toBe(4);
    expect(s.telemetry.get("receiver/otlp/http/accepted/logs")).toBe(0);
  });

  it("400 when downstream refuses permanently", async () => {
    const s = await start();
    s.logs.fail = new PermanentError("record too large for the backend");
    const json = JSON.stringify(encodeLogsRequest(logRecords(1)));
    const { res, body } = await post(`${s.httpUrl}/v1/logs`, json, JSON_TYPE);
    expect(res.status).toBe(400);
    expect(JSON.parse(text(body))).toEqual({
      code: 3,
      message: "record too large for the backend",
    });
  });

  it("200 with partial_success for metric points the model cannot hold", async () => {
    const s = await start();
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: "rpc.duration", summary: { dataPoints: [{}, {}] } },
                {
                  name: "hits",
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ asInt: "3", timeUnixNano: "5" }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const { res, body } = await post(`${s.httpUrl}/v1/metrics`, JSON.stringify(request), JSON_TYPE);
    expect(res.status).toBe(200);
    expect(JSON.parse(text(body))).toEqual({
      partialSuccess: {
        rejectedDataPoints: "2",
        errorMessage: "summary metrics are not supported",
      },
    });
    expect(s.metrics.batches).toHaveLength(1);
    expect(s.metrics.batches[0]!.map((m) => m.name)).toEqual(["hits"]);
    expect(s.telemetry.get("receiver/otlp/http/refused/metrics")).toBe(2);
    expect(s.telemetry.get("receiver/otlp/http/accepted/metrics")).toBe(1);
  });

  it("answers requests in flight before it stops, and refuses new ones", async () => {
    const s = await start();
    let release!: () => void;
    s.logs.gate = new Promise((resolve) => (release = resolve));
    const inFlight = post(`${s.httpUrl}/v1/logs`, encodeLogsProto(logRecords(1)), PROTO);
    await waitFor(() => s.logs.entered === 1);
    const stopping = s.receiver.shutdown();
    release();
    expect((await inFlight).res.status).toBe(200);
    await stopping;
    expect(s.logs.batches).toHaveLength(1);
    await expect(fetch(`${s.httpUrl}/v1/logs`, { method: "POST" })).rejects.toThrow();
  });
});

const LOGS_EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
const METRICS_EXPORT = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/** A bare gRPC client: raw bytes in and out, so the test controls exactly what is sent. */
function grpcCall(
  address: string,
  method: string,
  body: Uint8Array,
  options: { gzip?: boolean } = {},
): Promise<{ error?: ServiceError; response?: Buffer }> {
  const client = new Client(address, credentials.createInsecure(), {
    ...(options.gzip ? { "grpc.default_compression_algorithm": 2 } : {}),
  });
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      new Metadata(),
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response });
      },
    );
  });
}

describe("OTLP/gRPC answers", () => {
  const grpcOnly = { grpc: { endpoint: "127.0.0.1:0" } };

  it("accepts logs and metrics, gzip included", async () => {
    const s = await start(grpcOnly);
    const plain = await grpcCall(s.grpcAddress, LOGS_EXPORT, encodeLogsProto(logRecords(2)));
    expect(plain.error).toBeUndefined();
    expect(plain.response).toHaveLength(0);
    const zipped = await grpcCall(s.grpcAddress, LOGS_EXPORT, encodeLogsProto([logRecord()]), {
      gzip: true,
    });
    expect(zipped.error).toBeUndefined();
    expect(s.logs.batches.map((b) => b.length)).toEqual([2, 1]);
    expect(s.telemetry.get("receiver/otlp/grpc/accepted/logs")).toBe(3);
  });

  it("INVALID_ARGUMENT for bad protobuf, naming the problem", async () => {
    const s = await start(grpcOnly);
    const bad = encodeLogsProto([logRecord({ spanId: "0102" })]);
    const { error } = await grpcCall(s.grpcAddress, LOGS_EXPORT, bad);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe(
      "resourceLogs[0].scopeLogs[0].logRecords[0].spanId: expected 8 bytes, got 2",
    );
  });

  it("UNAVAILABLE with RetryInfo when downstream refuses with a retryable error", async () => {
    const s = await start(grpcOnly);
    s.logs.fail = new RetryableError("exporter queue full", 3_000);
    const { error } = await grpcCall(s.grpcAddress, LOGS_EXPORT, encodeLogsProto(logRecords(3)));
    expect(error?.code).toBe(status.UNAVAILABLE);
    const details = error?.metadata.get("grpc-status-details-bin")[0] as Buffer;
    expect(decodeStatus(details)).toEqual({
      code: status.UNAVAILABLE,
      message: "temporarily unable to accept data: exporter queue full",
      retryDelayMs: 3_000,
    });
    expect(s.telemetry.get("receiver/otlp/grpc/refused/logs")).toBe(3);
  });

  it("INVALID_ARGUMENT when downstream refuses permanently", async () => {
    const s = await start(grpcOnly);
    s.logs.fail = new PermanentError("bad data");
    const { error } = await grpcCall(s.grpcAddress, LOGS_EXPORT, encodeLogsProto(logRecords(1)));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
  });

  it("UNIMPLEMENTED for a signal wired into no pipeline", async () => {
    const s = await start(grpcOnly, ["logs"]);
    const { error } = await grpcCall(s.grpcAddress, METRICS_EXPORT, encodeMetricsProto([]));
    expect(error?.code).toBe(status.UNIMPLEMENTED);
  });

  it("RESOURCE_EXHAUSTED for a message over max_recv_msg_size_mib", async () => {
    const s = await start({ grpc: { endpoint: "127.0.0.1:0", max_recv_msg_size_mib: 1 } });
    const big = encodeLogsProto([logRecord({ body: "x".repeat(1024 * 1024 + 10) })]);
    const { error } = await grpcCall(s.grpcAddress, LOGS_EXPORT, big);
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(s.logs.batches).toHaveLength(0);
  });

  it("finishes calls in flight before it stops", async () => {
    const s = await start(grpcOnly);
    let release!: () => void;
    s.logs.gate = new Promise((resolve) => (release = resolve));
    const call = grpcCall(s.grpcAddress, LOGS_EXPORT, encodeLogsProto(logRecords(1)));
    await waitFor(() => s.logs.entered === 1);
    let stopped = false;
    const stopping = s.receiver.shutdown().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    release();
    expect((await call).error).toBeUndefined();
    await stopping;
    expect(s.logs.batches).toHaveLength(1);
  });
});

describe("otlp config", () => {
  it("enables a protocol by its key, even when empty or null, with Collector defaults", () => {
    expect(otlpConfigSchema.parse({ protocols: { http: null } })).toEqual({
      protocols: {
        http: {
          endpoint: "localhost:4318",
          logs_url_path: "/v1/logs",
          metrics_url_path: "/v1/metrics",
          max_request_body_size: 20 * 1024 * 1024,
        },
      },
    });
    expect(otlpConfigSchema.parse({ protocols: { grpc: {} } })).toEqual({
      protocols: {
        grpc: { endpoint: "localhost:4317", max_recv_msg_size_mib: 4, max_concurrent_streams: 0 },
      },
    });
  });

  it("refuses no protocol, unknown keys and clashing paths", () => {
    expect(otlpConfigSchema.safeParse({ protocols: {} }).success).toBe(false);
    expect(otlpConfigSchema.safeParse({ protocols: { http: { endpoit: "x" } } }).success).toBe(
      false,
    );
    expect(otlpConfigSchema.safeParse({ protocols: { thrift: {} } }).success).toBe(false);
    expect(
      otlpConfigSchema.safeParse({
        protocols: { http: { logs_url_path: "/v1/x", metrics_url_path: "/v1/x" } },
      }).success,
    ).toBe(false);
  });
});
