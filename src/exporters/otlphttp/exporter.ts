import { VERSION } from "../../cli/version.js";
import type { CreateContext, Exporter } from "../../component/component.js";
import { PermanentError, RetryableError } from "../../component/errors.js";
import { BodyPool, type PooledBody } from "../../exporterhelper/body-pool.js";
import { createNetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import type { Signal } from "../../pdata/signal.js";
import { type Compressor, createCompressor } from "../internal/compress.js";
import {
  describeBody,
  firstHeader,
  HttpClient,
  type HttpResponse,
  parseRetryAfter,
} from "../internal/http.js";
import { PartialSuccessReporter } from "../internal/otlp-partial.js";
import { convertMetricsBefore } from "../internal/temporality.js";
import type { OtlpHttpConfig } from "./config.js";
import { CONTENT_TYPE, decodePartialSuccess, encodeRequest, statusMessage } from "./encode.js";
import { resolveTargets, type Targets } from "./presets.js";

/** The only statuses the OTLP spec lets a client retry; everything else is the data's fault. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** An Export*ServiceRequest, encoded, uncompressed. */
export interface OtlpHttpRequest {
  body: Uint8Array;
  /** The batch's length (log records, or metrics), for the refusal message. */
  records: number;
  /** Set when the body lives in the pool (a queued request), to hand back in recycle. */
  pooled?: PooledBody;
}

/**
 * What an exporter's pool keeps for reuse at most. It bounds the memory kept after a burst, not
 * the queue: a queue holding more than this allocates the rest and leaves it to the GC.
 */
const POOL_MAX_FREE_BYTES = 64 * 1024 * 1024;

/**
 * Sends one batch of one signal as one Export*ServiceRequest. The request is encoded when the
 * batch is queued (`prepare`) and compressed on each attempt, as it was before encoding moved:
 * compressing is asynchronous, and an asynchronous step on the way into the queue could let
 * one batch overtake another.
 */
export class OtlpHttpSender implements Sender<LogBatch | MetricBatch, OtlpHttpRequest> {
  private readonly compressor: Compressor | undefined;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: OtlpHttpConfig,
    private readonly url: string,
    private readonly client: HttpClient,
    private readonly partial: PartialSuccessReporter,
    private readonly pool: BodyPool = new BodyPool(POOL_MAX_FREE_BYTES),
  ) {
    this.compressor = createCompressor(config.compression, config.compression_params);
  }

  async send(batch: LogBatch | MetricBatch, signal: Signal, abort: AbortSignal): Promise<void> {
    if (batch.length === 0) return;
    const body = encodeRequest(signal, this.config.encoding, batch);
    return this.sendPrepared({ body, records: batch.length }, signal, abort);
  }

  /** For the memory queue: the body is copied into a pooled block, reused once recycled. */
  prepare(batch: LogBatch | MetricBatch, signal: Signal): OtlpHttpRequest {
    const pooled = this.pool.copy(encodeRequest(signal, this.config.encoding, batch));
    return { body: pooled.body, records: batch.length, pooled };
  }

  recycle(request: OtlpHttpRequest): void {
    if (request.pooled) this.pool.give(request.pooled);
  }

  async sendPrepared(request: OtlpHttpRequest, signal: Signal, abort: AbortSignal): Promise<void> {
    if (request.records === 0) return;
    const { encoding } = this.config;
    const encoded = request.body;
    const body = this.compressor ? await this.compressor.compress(encoded) : encoded;
    const headers: Record<string, string> = { "content-type": CONTENT_TYPE[encoding] };
    if (this.compressor) headers["content-encoding"] = this.compressor.encoding;
    const response: HttpResponse<Buffer> = await this.client.requestBytes("POST", this.url, {
      body,
      headers,
      signal: abort,
    });
    const contentType = firstHeader(response, "content-type");
    if (response.status >= 200 && response.status < 300) {
      let partial: ReturnType<typeof decodePartialSuccess>;
      try {
        partial = decodePartialSuccess(signal, encoding, contentType, response.body);
      } catch (error) {
        // The backend took the data; an answer we cannot read does not change that.
        this.ctx.logger.debug(
          { exporter: this.ctx.id, endpoint: this.url, err: (error as Error).message },
          "could not decode the OTLP response body",
        );
        return;
      }
      this.partial.report(signal, partial, this.url);
      return;
    }
    const detail =
      statusMessage(encoding, contentType, response.body) ??
      describeBody(response.body.toString("utf8"));
    const message = `${this.url} refused ${request.records} ${signal === "logs" ? "log records" : "metrics"}: HTTP ${response.status}${detail ? ` (${detail})` : ""}`;
    if (RETRYABLE_STATUSES.has(response.status)) {
      throw new RetryableError(message, parseRetryAfter(response.headers["retry-after"]));
    }
    throw new PermanentError(message);
  }
}

export interface OtlpHttpParts {
  targets: Targets;
  senders: { [S in Signal]?: OtlpHttpSender };
  client: HttpClient;
  partial: PartialSuccessReporter;
}

/** Checks what the schema cannot (it does not know the pipelines) and builds the senders. */
export function buildOtlpHttp(
  ctx: CreateContext,
  config: OtlpHttpConfig,
  signals: readonly Signal[],
): OtlpHttpParts {
  const targets = resolveTargets(config);
  for (const signal of signals) {
    if (targets.urls[signal]) continue;
    if (config.preset === "loki" && signal === "metrics") {
      throw new Error(
        `${ctx.id}: preset loki sends logs only (Loki has no OTLP metrics endpoint); send ` +
          "metrics with prometheusremotewrite, or otlphttp with preset grafana_cloud",
      );
    }
    throw new Error(
      `${ctx.id}: no URL for ${signal}: set endpoint or ${signal}_endpoint, or take ${ctx.id} ` +
        `out of the ${signal} pipelines`,
    );
  }
  if (config.preset === "datadog" && config.encoding === "json" && signals.includes("logs")) {
    throw new Error(
      `${ctx.id}: Datadog's OTLP logs intake takes protobuf only; remove encoding: json`,
    );
  }
  const client = new HttpClient({
    headers: { ...config.headers, ...targets.headers },
    tls: config.tls,
    userAgent: `tripline/${VERSION}`,
    configDir: ctx.configDir,
  });
  const partial = new PartialSuccessReporter(ctx);
  const pool = new BodyPool(POOL_MAX_FREE_BYTES);
  const senders: OtlpHttpParts["senders"] = {};
  for (const signal of signals) {
    senders[signal] = new OtlpHttpSender(ctx, config, targets.urls[signal]!, client, partial, pool);
  }
  return { targets, senders, client, partial };
}

export function createOtlpHttpExporter(
  ctx: CreateContext,
  config: OtlpHttpConfig,
  signals: readonly Signal[],
): Exporter {
  const { targets, senders, client } = buildOtlpHttp(ctx, config, signals);
  const exporter = createNetworkExporter({
    ctx,
    config,
    signals,
    senders: senders as never,
    start: async () => {
      await client.open();
      ctx.logger.info(
        { exporter: ctx.id, ...targets.urls, encoding: config.encoding, preset: config.preset },
        "OTLP/HTTP exporter ready",
      );
    },
    shutdown: () => client.close(),
  });
  convertMetricsBefore(exporter, ctx, targets.temporality, config.temporality_conversion);
  return exporter;
}
