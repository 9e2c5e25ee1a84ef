import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { errorMessage, isPermanent, RetryableError } from "../../component/errors.js";
import { memoryPressure, type Pressure, pressureMessage } from "../../component/memory-pressure.js";
import { encodeStatus } from "../../pdata/otlp-proto.js";
import { Rejections } from "../../pdata/rejections.js";
import type { Signal } from "../../pdata/signal.js";
import type { OtlpGrpcConfig } from "./config.js";
import { decodeRequest, encodeResponse } from "./encode.js";
import type { Ingest } from "./ingest.js";

/** How long stop() lets clients read their last answers before it closes their connections. */
const ANSWER_GRACE_MS = 1_000;

const SERVICE: Record<Signal, string> = {
  logs: "opentelemetry.proto.collector.logs.v1.LogsService",
  metrics: "opentelemetry.proto.collector.metrics.v1.MetricsService",
};

/**
 * Bytes in, bytes out: decoding happens in the handler rather than in grpc-js' deserializer,
 * so malformed input gets INVALID_ARGUMENT with a precise message instead of a generic error.
 */
function exportService(signal: Signal): ServiceDefinition {
  return {
    Export: {
      path: `/${SERVICE[signal]}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: Buffer) => value,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (value: Uint8Array) => Buffer.from(value),
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  };
}

/**
 * OTLP/gRPC: LogsService/Export and MetricsService/Export for the wired signals; any other
 * method gets UNIMPLEMENTED from grpc-js. Request compression (gzip, deflate) is grpc-js'.
 */
export class OtlpGrpcServer {
  private server?: Server;
  private port?: number;
  private inFlight = 0;
  private drained?: () => void;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly ingest: Ingest,
  ) {}

  async start(): Promise<number> {
    const options: Record<string, number> = {
      "grpc.max_receive_message_length": this.config.max_recv_msg_size_mib * 1024 * 1024,
    };
    if (this.config.max_concurrent_streams > 0) {
      options["grpc.max_concurrent_streams"] = this.config.max_concurrent_streams;
    }
    const server = new Server({ ...options, interceptors: [admission] });
    for (const signal of ["logs", "metrics"] as const) {
      if (!this.ingest.wired(signal)) continue;
      server.addService(exportService(signal), {
        Export: (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) =>
          void this.export(signal, call.request, callback),
      });
    }
    this.server = server;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.config.endpoint, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    return this.port;
  }

  /** The bound port (useful with port 0). */
  boundPort(): number | undefined {
    return this.port;
  }

  /**
   * Refuses new calls, lets the calls in flight finish (their data reaches downstream and they
   * get their answer), then drops whatever connections clients still hold open. The grace
   * after the last handler returns is for its answer to be written: grpc-js sends it after
   * the callback, and forceShutdown would cancel it.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    let grace: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      grace = setTimeout(() => resolve(true), ANSWER_GRACE_MS);
    });
    if (await Promise.race([closed.then(() => false), timedOut])) server.forceShutdown();
    clearTimeout(grace);
    await closed;
  }

  private async export(
    signal: Signal,
    body: Buffer,
    callback: sendUnaryData<Uint8Array>,
  ): Promise<void> {
    this.inFlight++;
    try {
      const rejections = new Rejections();
      const batch = decodeRequest(signal, "proto", body, rejections);
      const partial = await this.ingest.deliver(signal, batch, rejections);
      callback(null, encodeResponse(signal, "proto", partial) as Uint8Array);
    } catch (error) {
      callback(grpcError(error));
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }
}

/**
 * Admission control: under memory pressure a call is answered RESOURCE_EXHAUSTED with a
 * google.rpc.RetryInfo as soon as its headers arrive, and its message is never read (grpc-js
 * keeps the stream paused until the first read). OTLP clients retry RESOURCE_EXHAUSTED only
 * when RetryInfo says the server can recover, which it always says here.
 */
class AdmissionCall extends ServerInterceptingCall {
  private refused = false;

  constructor(next: ServerInterceptingCallInterface) {
    super(next, {
      start: (proceed) => {
        const pressure = memoryPressure.current();
        if (!pressure) return proceed();
        this.refused = true;
        next.sendStatus(pressureStatus(pressure));
      },
    });
  }

  override startRead(): void {
    if (!this.refused) super.startRead();
  }
}

const admission: ServerInterceptor = (_method, call) => new AdmissionCall(call);

function pressureStatus(pressure: Pressure) {
  const details = pressureMessage(pressure);
  const metadata = new Metadata();
  metadata.set(
    "grpc-status-details-bin",
    Buffer.from(
      encodeStatus({
        code: status.RESOURCE_EXHAUSTED,
        message: details,
        retryDelayMs: pressure.retryAfterMs,
      }),
    ),
  );
  return { code: status.RESOURCE_EXHAUSTED, details, metadata };
}

/**
 * Permanent → INVALID_ARGUMENT (do not retry). Anything else → UNAVAILABLE, which OTLP clients
 * retry, with a google.rpc.RetryInfo carrying downstream's delay hint (1 s when it gave none).
 */
function grpcError(error: unknown): ServerErrorResponse {
  const message = errorMessage(error);
  if (isPermanent(error)) {
    return Object.assign(new Error(message), { code: status.INVALID_ARGUMENT, details: message });
  }
  const retryDelayMs = (error instanceof RetryableError ? error.retryAfterMs : undefined) ?? 1000;
  const details = `temporarily unable to accept data: ${message}`;
  const metadata = new Metadata();
  metadata.set(
    "grpc-status-details-bin",
    Buffer.from(encodeStatus({ code: status.UNAVAILABLE, message: details, retryDelayMs })),
  );
  return Object.assign(new Error(details), { code: status.UNAVAILABLE, details, metadata });
}
