/**
 * Admission control at the edge: while the process-wide memory-pressure signal is up, the
 * HTTP receivers (detections, OTLP/HTTP — both GracefulHttpServer) and OTLP/gRPC refuse a
 * request before reading its body, with a retryable answer naming the memory limit.
 */
import { connect } from "node:net";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { memoryPressure } from "../../src/component/memory-pressure.js";
import { decodeStatus, encodeLogsProto } from "../../src/pdata/otlp-proto.js";
import { logRecords } from "../helpers/records.js";
import { send, startReceiver as startDetections } from "./detections/harness.js";
import { startReceiver as startOtlp } from "./otlp/harness.js";

const MIB = 1024 * 1024;
const stops: (() => Promise<void>)[] = [];

/** A limiter stand-in whose pressure the test switches; 80 MiB soft limit, 2 s retry hint. */
const limiter = { above: false };
function underPressure(above = true): void {
  limiter.above = above;
  memoryPressure.register({
    aboveSoftLimit: () => limiter.above,
    softLimitBytes: 80 * MIB,
    retryAfterMs: 1_500,
  });
}

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  memoryPressure.reset();
});

/**
 * Sends only the head of a POST that announces a 10 MB body, and returns whatever the server
 * answers before any of that body is sent, plus whether it then closed the connection. A
 * server that tried to read the body first would never answer.
 */
function headOnly(port: number, path: string): Promise<{ head: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString("utf8");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve({ head: text, closed: true }));
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        "content-length: 10000000\r\n\r\n",
    );
    setTimeout(() => {
      resolve({ head: text, closed: false });
      socket.destroy();
    }, 5_000).unref();
  });
}

describe("detections receiver under memory pressure", () => {
  it("answers 503 with Retry-After and the limit, closes the connection, reaches no pipeline", async () => {
    const s = await startDetections();
    stops.push(() => s.receiver.shutdown());
    underPressure();

    const reply = await send(s.url, JSON.stringify([{ detection_id: "a" }]));
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("2");
    expect(reply.headers.connection).toBe("close");
    expect(reply.json.error).toMatch(/above the soft limit of 80 MiB \(memory_limiter\)/);
    expect(s.sink.batches).toHaveLength(0);

    // Once memory is back under the limit, the same request is accepted.
    limiter.above = false;
    const again = await send(s.url, JSON.stringify([{ detection_id: "a" }]));
    expect(again.status).toBe(200);
    expect(s.sink.records()).toHaveLength(1);
  });

  it("answers before the body is sent at all, then closes", async () => {
    const s = await startDetections();
    stops.push(() => s.receiver.shutdown());
    underPressure();
    const { head, closed } = await headOnly(s.receiver.address()!.port, "/v1/detections");
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head.toLowerCase()).toContain("connection: close");
    expect(closed).toBe(true);
  });

  it("does not refuse without pressure, nor requests that carry no body", async () => {
    const s = await startDetections();
    stops.push(() => s.receiver.shutdown());
    underPressure(false);
    expect((await send(s.url, JSON.stringify({ detection_id: "b" }))).status).toBe(200);
    limiter.above = true;
    // GET cannot carry data: it still gets its usual answer.
    expect((await send(s.url, undefined, {}, { method: "GET" })).status).toBe(405);
  });
});

describe("OTLP receiver under memory pressure", () => {
  it("OTLP/HTTP: 503 with Retry-After before reading the body", async () => {
    const s = await startOtlp({ http: { endpoint: "127.0.0.1:0" } });
    stops.push(() => s.receiver.shutdown());
    underPressure();
    const res = await fetch(`${s.httpUrl}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: encodeLogsProto(logRecords(2)),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(((await res.json()) as { error: string }).error).toMatch(/80 MiB/);
    expect(s.logs.entered).toBe(0);

    const port = Number(new URL(s.httpUrl).port);
    const { head, closed } = await headOnly(port, "/v1/logs");
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(closed).toBe(true);
  });

  it("OTLP/gRPC: RESOURCE_EXHAUSTED with RetryInfo, the handler never runs", async () => {
    const s = await startOtlp({ grpc: { endpoint: "127.0.0.1:0" } });
    stops.push(() => s.receiver.shutdown());
    underPressure();
    const { error } = await grpcExport(s.grpcAddress, encodeLogsProto(logRecords(3)));
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const details = error?.metadata.get("grpc-status-details-bin")[0] as Buffer;
    const decoded = decodeStatus(details);
    expect(decoded.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decoded.retryDelayMs).toBe(1_500);
    expect(decoded.message).toMatch(/above the soft limit of 80 MiB/);
    expect(s.logs.entered).toBe(0);

    // Pressure gone: the next call goes through on the same server.
    limiter.above = false;
    const ok = await grpcExport(s.grpcAddress, encodeLogsProto(logRecords(3)));
    expect(ok.error).toBeUndefined();
    expect(s.logs.batches.map((b) => b.length)).toEqual([3]);
  });
});

function grpcExport(address: string, body: Uint8Array): Promise<{ error?: ServiceError }> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      new Metadata(),
      (error) => {
        client.close();
        resolve(error ? { error } : {});
      },
    );
  });
}
