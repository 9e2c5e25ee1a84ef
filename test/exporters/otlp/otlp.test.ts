/** The otlp (gRPC) exporter against the otlp receiver's gRPC side, and gRPC status handling. */
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { otlpGrpcExporterConfigSchema } from "../../../src/exporters/otlp/config.js";
import { OtlpGrpcSender } from "../../../src/exporters/otlp/exporter.js";
import {
  otlpGrpcExporterFactory,
  otlpGrpcRenamedExporterFactory,
} from "../../../src/exporters/otlp/factory.js";
import type { LogBatch } from "../../../src/pdata/logs.js";
import { encodeLogsResponse, encodeStatus } from "../../../src/pdata/otlp-proto.js";
import { testContext } from "../../helpers/context.js";
import { type Started, startReceiver } from "../../receivers/otlp/harness.js";
import { direct, host, sampleLogs, sampleMetrics } from "../otlphttp/fixtures.js";

const byTime = (batch: LogBatch) => [...batch].sort((a, b) => (a.time < b.time ? -1 : 1));

describe("otlp exporter → otlp receiver (gRPC)", () => {
  let receiver: Started;
  beforeAll(async () => {
    receiver = await startReceiver({ grpc: { endpoint: "127.0.0.1:0" } });
  });
  afterAll(() => receiver.receiver.shutdown());

  it.each([
    ["otlp", "gzip", otlpGrpcExporterFactory],
    ["otlp_grpc", "none", otlpGrpcRenamedExporterFactory],
  ] as const)(
    "%s with compression %s: logs and metrics arrive identical",
    async (_type, compression, factory) => {
      const config = otlpGrpcExporterConfigSchema.parse({
        endpoint: receiver.grpcAddress,
        tls: { insecure: true },
        compression,
        ...direct,
      });
      const e = factory.create(testContext(factory.type), config, ["logs", "metrics"]);
      await e.start(host);
      const logs = sampleLogs();
      const before = receiver.logs.batches.length;
      await e.consumers.logs!.consume(logs);
      const received = receiver.logs.batches.slice(before).flat();
      expect(byTime(received)).toEqual(byTime(logs));
      expect(new Set(received.map((r) => r.resource)).size).toBe(3);
      const metrics = sampleMetrics(1_000n, 2_000n, 4);
      await e.consumers.metrics!.consume(metrics);
      expect(receiver.metrics.batches.at(-1)).toEqual(metrics);
      await e.shutdown();
    },
  );
});

describe("otlp exporter gRPC status handling", () => {
  const server = new Server();
  let address = "";
  const answers: (ServerErrorResponse | Uint8Array)[] = [];
  const metadata: Metadata[] = [];

  beforeAll(async () => {
    server.addService(
      {
        Export: {
          path: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
          requestStream: false,
          responseStream: false,
          requestSerialize: (v: Buffer) => v,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (v: Uint8Array) => Buffer.from(v),
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        Export: (
          call: { metadata: Metadata },
          callback: (e: ServerErrorResponse | null, v?: Uint8Array) => void,
        ) => {
          metadata.push(call.metadata);
          const answer = answers.shift() ?? new Uint8Array(0);
          if (answer instanceof Uint8Array) callback(null, answer);
          else callback(answer);
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  function failure(code: status, retryDelayMs?: number): ServerErrorResponse {
    const error = Object.assign(new Error("refused"), { code, details: `code ${code}` });
    if (retryDelayMs === undefined) return error;
    const md = new Metadata();
    md.set(
      "grpc-status-details-bin",
      Buffer.from(encodeStatus({ code, message: "slow down", retryDelayMs })),
    );
    return Object.assign(error, { metadata: md });
  }

  async function send(answer: ServerErrorResponse | Uint8Array, headers = {}) {
    const config = otlpGrpcExporterConfigSchema.parse({
      endpoint: address,
      tls: { insecure: true },
      headers,
    });
    const sender = new OtlpGrpcSender(testContext("otlp"), config);
    await sender.open();
    answers.push(answer);
    try {
      await sender.send(sampleLogs(), "logs", new AbortController().signal);
      return { sender, error: undefined };
    } catch (error) {
      return { sender, error: error as Error };
    } finally {
      sender.close();
    }
  }

  it.each([
    status.CANCELLED,
    status.DEADLINE_EXCEEDED,
    status.ABORTED,
    status.OUT_OF_RANGE,
    status.UNAVAILABLE,
    status.DATA_LOSS,
  ])("code %i is retryable", async (code) => {
    const { error } = await send(failure(code));
    expect(error).toBeInstanceOf(RetryableError);
  });

  it.each([
    status.INVALID_ARGUMENT,
    status.UNAUTHENTICATED,
    status.PERMISSION_DENIED,
    status.NOT_FOUND,
    status.UNIMPLEMENTED,
    status.INTERNAL,
    status.RESOURCE_EXHAUSTED,
  ])("code %i is permanent", async (code) => {
    const { error } = await send(failure(code));
    expect(error).toBeInstanceOf(PermanentError);
  });

  it("RetryInfo makes RESOURCE_EXHAUSTED retryable and sets the delay", async () => {
    const throttled = await send(failure(status.RESOURCE_EXHAUSTED, 2500));
    expect(throttled.error).toBeInstanceOf(RetryableError);
    expect((throttled.error as RetryableError).retryAfterMs).toBe(2500);
    const unavailable = await send(failure(status.UNAVAILABLE, 1200));
    expect((unavailable.error as RetryableError).retryAfterMs).toBe(1200);
  });

  it("sends headers as metadata and counts a partial success", async () => {
    const { sender, error } = await send(
      encodeLogsResponse({ rejected: 3, errorMessage: "too old" }),
      { "x-tenant": "security" },
    );
    expect(error).toBeUndefined();
    expect(sender.partial.rejected.logs).toBe(3);
    expect(metadata.at(-1)!.get("x-tenant")).toEqual(["security"]);
  });

  it("defaults to TLS like the Collector: a plaintext server is not reached", async () => {
    const config = otlpGrpcExporterConfigSchema.parse({ endpoint: address });
    expect(config.tls.insecure).toBe(false);
    const sender = new OtlpGrpcSender(testContext("otlp"), config);
    await sender.open();
    const error = await sender
      .send(sampleLogs(), "logs", AbortSignal.timeout(5000))
      .catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toMatch(/UNAVAILABLE/);
    sender.close();
  });

  it("validates the TLS options", () => {
    const result = otlpGrpcExporterConfigSchema.safeParse({
      endpoint: "collector:4317",
      tls: { insecure: true, ca_file: "ca.pem" },
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(/insecure: true turns TLS off/);
  });
});
