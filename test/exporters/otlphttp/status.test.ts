/** Status handling per the OTLP/HTTP spec, against a scripted server. */
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { otlpHttpConfigSchema } from "../../../src/exporters/otlphttp/config.js";
import { encodeRequest } from "../../../src/exporters/otlphttp/encode.js";
import { buildOtlpHttp, createOtlpHttpExporter } from "../../../src/exporters/otlphttp/exporter.js";
import { encodeLogsProto } from "../../../src/pdata/otlp-proto.js";
import { until } from "../../exporterhelper/helpers.js";
import { testContext } from "../../helpers/context.js";
import { ContractServer, LogsResponse, MetricsResponse, Status } from "./contract-server.js";
import { direct, host, sampleLogs, sampleMetrics } from "./fixtures.js";

const server = new ContractServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

async function sender(options: Record<string, unknown> = {}) {
  const ctx = testContext("otlphttp");
  const config = otlpHttpConfigSchema.parse({ endpoint: server.url, ...direct, ...options });
  const parts = buildOtlpHttp(ctx, config, ["logs", "metrics"]);
  await parts.client.open();
  return { ...parts, close: () => parts.client.close() };
}

const never = new AbortController().signal;
const proto = { "content-type": "application/x-protobuf" };

describe("otlphttp status handling", () => {
  it.each([429, 502, 503, 504])(
    "HTTP %i is retryable, with Retry-After honoured",
    async (status) => {
      const s = await sender();
      server.script.push({ status, headers: { "retry-after": "7" } });
      const error = await s.senders.logs!.send(sampleLogs(), "logs", never).catch((e) => e);
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.retryAfterMs).toBe(7000);
      expect(error.message).toContain(`HTTP ${status}`);
      await s.close();
    },
  );

  it.each([400, 401, 403, 404, 408, 413, 500])(
    "HTTP %i is permanent (OTLP retries only 429/502/503/504)",
    async (status) => {
      const s = await sender();
      server.script.push({
        status,
        headers: proto,
        body: Status.encode({ code: 3, message: "bad severity at resourceLogs[0]" }).finish(),
      });
      const error = await s.senders.logs!.send(sampleLogs(), "logs", never).catch((e) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.message).toContain(`HTTP ${status} (bad severity at resourceLogs[0])`);
      await s.close();
    },
  );

  it("reads a JSON google.rpc.Status, and falls back to the body text", async () => {
    const s = await sender({ encoding: "json" });
    server.script.push({
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: 3, message: "invalid traceId" }),
    });
    server.script.push({
      status: 400,
      headers: { "content-type": "text/html" },
      body: "<h1>nope</h1>",
    });
    expect(
      (await s.senders.logs!.send(sampleLogs(), "logs", never).catch((e) => e)).message,
    ).toContain("(invalid traceId)");
    expect(
      (await s.senders.logs!.send(sampleLogs(), "logs", never).catch((e) => e)).message,
    ).toContain("(<h1>nope</h1>)");
    await s.close();
  });

  it("a connection refused is retryable", async () => {
    const s = await sender({ endpoint: "http://127.0.0.1:1" });
    const error = await s.senders.logs!.send(sampleLogs(), "logs", never).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    await s.close();
  });

  it("partial success (protobuf and JSON) is accepted, logged and counted, not retried", async () => {
    const s = await sender();
    server.script.push({
      status: 200,
      headers: proto,
      body: LogsResponse.encode({
        partialSuccess: { rejectedLogRecords: 2, errorMessage: "2 records too old" },
      }).finish(),
    });
    server.script.push({
      status: 200,
      headers: proto,
      body: MetricsResponse.encode({
        partialSuccess: { rejectedDataPoints: 1, errorMessage: "exemplar dropped" },
      }).finish(),
    });
    const requests = server.requests.length;
    await s.senders.logs!.send(sampleLogs(), "logs", never);
    await s.senders.metrics!.send(sampleMetrics(1n, 2n, 3), "metrics", never);
    expect(server.requests.length - requests).toBe(2);
    expect(s.partial.rejected).toEqual({ logs: 2, metrics: 1 });
    await s.close();

    const j = await sender({ encoding: "json" });
    server.script.push({
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ partialSuccess: { rejectedLogRecords: "5", errorMessage: "x" } }),
    });
    await j.senders.logs!.send(sampleLogs(), "logs", never);
    expect(j.partial.rejected.logs).toBe(5);
    await j.close();
  });

  it("through the exporter: 503 then 200 is delivered once; 400 is refused at once", async () => {
    const ctx = testContext("otlphttp");
    const config = otlpHttpConfigSchema.parse({ endpoint: server.url, ...direct });
    const e = createOtlpHttpExporter(ctx, config, ["logs"]);
    await e.start(host);
    server.script.push({ status: 503, headers: { "retry-after": "0" } });
    let before = server.requests.length;
    await e.consumers.logs!.consume(sampleLogs());
    expect(server.requests.length - before).toBe(2);
    expect(ctx.telemetry.get("exporter/otlphttp/sent/logs")).toBe(7);

    server.script.push({ status: 400 });
    before = server.requests.length;
    await expect(e.consumers.logs!.consume(sampleLogs())).rejects.toBeInstanceOf(PermanentError);
    expect(server.requests.length - before).toBe(1);
    expect(ctx.telemetry.get("exporter/otlphttp/send_failed/logs")).toBe(7);
    await e.shutdown();
  });

  it("never logs header values (secrets)", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "trace" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const ctx = { ...testContext("otlphttp"), logger };
    const config = otlpHttpConfigSchema.parse({
      endpoint: server.url,
      headers: { authorization: "Bearer s3cr3t-token" },
      ...direct,
      retry_on_failure: { enabled: false },
    });
    const e = createOtlpHttpExporter(ctx, config, ["logs"]);
    await e.start(host);
    server.script.push({ status: 503 }, { status: 400 });
    await e.consumers.logs!.consume(sampleLogs()).catch(() => {});
    await e.consumers.logs!.consume(sampleLogs()).catch(() => {});
    await e.shutdown();
    expect(server.requests.at(-1)!.headers.authorization).toBe("Bearer s3cr3t-token");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("")).not.toContain("s3cr3t");
  });
});

describe("otlphttp through a memory queue", () => {
  it("prepares a request into a pooled block, reused once recycled; send needs no pool", async () => {
    const s = await sender({ encoding: "json" });
    const sender0 = s.senders.logs!;
    const expected = Buffer.from(encodeRequest("logs", "json", sampleLogs()));
    const first = sender0.prepare(sampleLogs(), "logs");
    expect(Buffer.from(first.body).equals(expected)).toBe(true);
    expect(first.records).toBe(7);
    sender0.recycle(first);
    const second = sender0.prepare(sampleLogs(), "logs");
    expect(second.pooled!.block).toBe(first.pooled!.block);
    const before = server.requests.length;
    await sender0.sendPrepared(second, "logs", never);
    await sender0.send(sampleLogs(), "logs", never);
    const [a, b] = server.requests.slice(before);
    expect(a!.body.equals(expected)).toBe(true);
    expect(b!.body.equals(expected)).toBe(true);
    await s.close();
  });

  it("queues the encoded request: a retry resends the same bytes, a refusal names its records", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const ctx = { ...testContext("otlphttp"), logger };
    const config = otlpHttpConfigSchema.parse({
      endpoint: server.url,
      ...direct,
      sending_queue: { num_consumers: 1 },
    });
    const e = createOtlpHttpExporter(ctx, config, ["logs"]);
    await e.start(host);
    server.script.push(
      { status: 503, headers: { "retry-after": "0" } },
      { status: 200 },
      {
        status: 400,
        headers: proto,
        body: Status.encode({ code: 3, message: "bad severity" }).finish(),
      },
    );
    const before = server.requests.length;
    await e.consumers.logs!.consume(sampleLogs());
    await e.consumers.logs!.consume(sampleLogs());
    await until(() => ctx.telemetry.get("exporter/otlphttp/send_failed/logs") === 7);
    expect(ctx.telemetry.get("exporter/otlphttp/sent/logs")).toBe(7);
    await e.shutdown();

    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(3);
    expect(sent.map((r) => r.headers["content-encoding"])).toEqual(["gzip", "gzip", "gzip"]);
    const expected = Buffer.from(encodeLogsProto(sampleLogs()));
    for (const request of sent) expect(request.body.equals(expected)).toBe(true);
    expect(lines.find((l) => l.level === 50)).toMatchObject({
      items: 7,
      reason: "permanent",
      err: `${server.url}/v1/logs refused 7 log records: HTTP 400 (bad severity)`,
    });
  });
});
