import {
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { VERSION } from "../../cli/version.js";
import type { CreateContext, Exporter } from "../../component/component.js";
import { PermanentError, RetryableError } from "../../component/errors.js";
import { createNetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import {
  decodeLogsResponse,
  decodeMetricsResponse,
  decodeStatus,
  encodeLogsProto,
  encodeMetricsProto,
} from "../../pdata/otlp-proto.js";
import type { Signal } from "../../pdata/signal.js";
import { readPem } from "../internal/http.js";
import { PartialSuccessReporter } from "../internal/otlp-partial.js";
import { convertMetricsBefore } from "../internal/temporality.js";
import type { OtlpGrpcExporterConfig } from "./config.js";

const METHOD: Record<Signal, string> = {
  logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
};

/** Codes the OTLP spec lists as retryable; RESOURCE_EXHAUSTED only with a RetryInfo. */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/** google.rpc.RetryInfo's delay from the trailers, if the server sent one. */
export function retryDelayMs(error: ServiceError): number | undefined {
  const details = error.metadata?.get("grpc-status-details-bin")[0];
  if (!(details instanceof Buffer)) return undefined;
  try {
    return decodeStatus(details).retryDelayMs;
  } catch {
    return undefined;
  }
}

/** The typed error for a failed call, per the OTLP/gRPC spec's table. */
export function errorForStatus(what: string, error: ServiceError): Error {
  const name = status[error.code] ?? String(error.code);
  const message = `${what}: ${name}${error.details ? ` (${error.details})` : ""}`;
  const delay = retryDelayMs(error);
  if (RETRYABLE_CODES.has(error.code)) return new RetryableError(message, delay);
  if (error.code === status.RESOURCE_EXHAUSTED && delay !== undefined) {
    return new RetryableError(message, delay);
  }
  return new PermanentError(message);
}

/** grpc-js takes null for a file that is not configured. */
function readPemOrNull(configDir: string, option: string, file: string | undefined) {
  return file === undefined ? Promise.resolve(null) : readPem(configDir, option, file);
}

async function channelCredentials(
  config: OtlpGrpcExporterConfig,
  configDir: string,
): Promise<ChannelCredentials> {
  const tls = config.tls;
  if (tls.insecure) return credentials.createInsecure();
  return credentials.createSsl(
    await readPemOrNull(configDir, "ca_file", tls.ca_file),
    await readPemOrNull(configDir, "key_file", tls.key_file),
    await readPemOrNull(configDir, "cert_file", tls.cert_file),
    { rejectUnauthorized: !tls.insecure_skip_verify },
  );
}

/** One channel per exporter, opened at start and closed at shutdown. */
export class OtlpGrpcSender implements Sender<LogBatch | MetricBatch> {
  private client: Client | undefined;
  private readonly metadata = new Metadata();
  readonly partial: PartialSuccessReporter;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: OtlpGrpcExporterConfig,
  ) {
    for (const [key, value] of Object.entries(config.headers)) this.metadata.set(key, value);
    this.partial = new PartialSuccessReporter(ctx);
  }

  async open(): Promise<void> {
    const creds = await channelCredentials(this.config, this.ctx.configDir);
    this.client = new Client(this.config.endpoint, creds, {
      "grpc.primary_user_agent": `tripline/${VERSION}`,
      // 0 none, 2 gzip: grpc-js compresses every message of the channel.
      "grpc.default_compression_algorithm": this.config.compression === "gzip" ? 2 : 0,
    });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  send(batch: LogBatch | MetricBatch, signal: Signal, abort: AbortSignal): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new RetryableError("gRPC channel is not open"));
    if (batch.length === 0) return Promise.resolve();
    const body =
      signal === "logs"
        ? encodeLogsProto(batch as LogBatch)
        : encodeMetricsProto(batch as MetricBatch);
    const what = `${this.config.endpoint} refused ${batch.length} ${signal === "logs" ? "log records" : "metrics"}`;
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(
        METHOD[signal],
        (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        (bytes: Buffer) => bytes,
        body,
        this.metadata,
        {},
        (error, response) => {
          abort.removeEventListener("abort", cancel);
          if (error) {
            reject(errorForStatus(what, error));
            return;
          }
          try {
            const bytes = response ?? Buffer.alloc(0);
            const partial =
              signal === "logs" ? decodeLogsResponse(bytes) : decodeMetricsResponse(bytes);
            this.partial.report(signal, partial, this.config.endpoint);
          } catch (decodeError) {
            this.ctx.logger.debug(
              { exporter: this.ctx.id, err: (decodeError as Error).message },
              "could not decode the OTLP response",
            );
          }
          resolve();
        },
      );
      const cancel = () => call.cancel();
      if (abort.aborted) cancel();
      else abort.addEventListener("abort", cancel, { once: true });
    });
  }
}

export function createOtlpGrpcExporter(
  ctx: CreateContext,
  config: OtlpGrpcExporterConfig,
  signals: readonly Signal[],
): Exporter {
  const sender = new OtlpGrpcSender(ctx, config);
  const senders: { [S in Signal]?: Sender<never> } = {};
  for (const signal of signals) senders[signal] = sender;
  const exporter = createNetworkExporter({
    ctx,
    config,
    signals,
    senders,
    start: () => sender.open(),
    shutdown: async () => sender.close(),
  });
  convertMetricsBefore(
    exporter,
    ctx,
    config.temporality ?? "cumulative",
    config.temporality_conversion,
  );
  return exporter;
}
