import type { Counter } from "@opentelemetry/api";
import type { CreateContext, Exporter } from "../../component/component.js";
import { combineErrors } from "../../component/errors.js";
import { createNetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import type { Signal } from "../../pdata/signal.js";
import { type Compressor, gzipCompressor } from "../internal/compress.js";
import {
  errorForResponse,
  type HttpClient,
  type HttpResponse,
  httpClientFor,
} from "../internal/http.js";
import { snappyCompress } from "../internal/snappy.js";
import type { LokiConfig } from "./config.js";
import {
  encodeJson,
  encodeProtobuf,
  entryTime,
  type LokiStream,
  OVERFLOW_LABELS,
  recordLabels,
  recordMetadata,
  sortStreams,
  splitPushes,
  wellFormed,
} from "./encode.js";
import { formatLine, truncateUtf8 } from "./line.js";
import { rejectionReason } from "./status.js";
import { StreamLimiter } from "./streams.js";

export interface LokiStats {
  overflowRecords: number;
  truncatedLines: number;
  /** Refused pushes (HTTP 400) by reason. */
  rejected: Record<string, number>;
}

/** Sends one batch of log records as one or more pushes to /loki/api/v1/push. */
export class LokiSender implements Sender<LogBatch> {
  readonly url: string;
  readonly stats: LokiStats = { overflowRecords: 0, truncatedLines: 0, rejected: {} };
  private readonly limiter: StreamLimiter;
  /** Attributes already carried as labels or structured metadata stay out of the line. */
  private readonly skip: ReadonlySet<string>;
  private readonly overflowCounter: Counter;
  private readonly truncatedCounter: Counter;
  /** JSON pushes are gzipped (protobuf ones are snappy, fixed by Loki's format). */
  private readonly gzip: Compressor;
  private readonly rejectedCounter: Counter;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: LokiConfig,
    private readonly client: HttpClient,
  ) {
    this.url = `${config.endpoint.replace(/\/+$/, "")}/loki/api/v1/push`;
    this.limiter = new StreamLimiter(config.max_streams);
    this.gzip = gzipCompressor(config.compression_params);
    this.skip = new Set([...Object.values(config.labels), ...config.structured_metadata]);
    const meter = ctx.telemetry.meter;
    this.overflowCounter = meter.createCounter("tripline_exporter_loki_overflow_log_records", {
      description:
        'Records sent to the tripline_overflow="true" stream because max_streams was reached.',
    });
    this.truncatedCounter = meter.createCounter("tripline_exporter_loki_truncated_lines", {
      description: "Lines cut to max_line_size.",
    });
    this.rejectedCounter = meter.createCounter("tripline_exporter_loki_rejected_requests", {
      description: "Pushes Loki refused with HTTP 400, by reason.",
    });
  }

  async send(batch: LogBatch, _signal: Signal, abort: AbortSignal): Promise<void> {
    const streams = this.toStreams(batch);
    const pushes = splitPushes(streams, this.config.max_request_bytes);
    const errors: unknown[] = [];
    // Every push is tried even when one fails, so one refused push does not hold back the rest.
    for (const push of pushes) {
      try {
        await this.post(push, abort);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw combineErrors(errors);
  }

  /** Groups records into streams by label set, under the stream cap, entries in time order. */
  toStreams(batch: LogBatch): LokiStream[] {
    const streams = new Map<string, LokiStream>();
    let overflow = 0;
    let truncated = 0;
    for (const record of batch) {
      let labels = recordLabels(record, this.config.labels);
      let key = JSON.stringify(labels);
      const metadata = recordMetadata(record, this.config.structured_metadata);
      if (!this.limiter.admit(key)) {
        // The labels it would have had travel as structured metadata: nothing is lost.
        for (const [name, value] of Object.entries(labels)) metadata.push([name, value]);
        labels = OVERFLOW_LABELS;
        key = JSON.stringify(labels);
        overflow++;
      }
      const cut = truncateUtf8(this.line(record), this.config.max_line_size);
      if (cut.truncated) {
        metadata.push(["tripline_truncated", "true"]);
        truncated++;
      }
      let stream = streams.get(key);
      if (!stream) {
        stream = { labels, entries: [] };
        streams.set(key, stream);
      }
      stream.entries.push({ time: entryTime(record), line: cut.line, metadata });
    }
    if (overflow > 0) {
      this.stats.overflowRecords += overflow;
      this.overflowCounter.add(overflow, { exporter: this.ctx.id });
      this.ctx.logger.warn(
        { exporter: this.ctx.id, records: overflow, max_streams: this.config.max_streams },
        'max_streams reached: records went to the tripline_overflow="true" stream',
      );
    }
    if (truncated > 0) {
      this.stats.truncatedLines += truncated;
      this.truncatedCounter.add(truncated, { exporter: this.ctx.id });
      this.ctx.logger.warn(
        { exporter: this.ctx.id, lines: truncated, max_line_size: this.config.max_line_size },
        "lines over max_line_size were truncated (structured metadata tripline_truncated=true)",
      );
    }
    return sortStreams([...streams.values()]);
  }

  private line(record: LogRecord): string {
    return wellFormed(formatLine(record, this.config.line_format, this.skip));
  }

  private async post(streams: LokiStream[], abort: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.config.tenant_id) headers["x-scope-orgid"] = this.config.tenant_id;
    let body: Uint8Array;
    if (this.config.encoding === "protobuf") {
      body = snappyCompress(encodeProtobuf(streams));
      headers["content-type"] = "application/x-protobuf";
    } else {
      body = await this.gzip.compress(encodeJson(streams));
      headers["content-type"] = "application/json";
      headers["content-encoding"] = this.gzip.encoding;
    }
    const response = await this.client.request("POST", this.url, { body, headers, signal: abort });
    if (response.status >= 200 && response.status < 300) return;
    if (response.status === 400) this.countRejection(response);
    const entries = streams.reduce((n, s) => n + s.entries.length, 0);
    throw errorForResponse(`Loki refused a push of ${entries} entries`, response);
  }

  private countRejection(response: HttpResponse): void {
    const reason = rejectionReason(response.body);
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    this.rejectedCounter.add(1, { exporter: this.ctx.id, reason });
  }
}

export function createLokiSender(ctx: CreateContext, config: LokiConfig) {
  const client = httpClientFor(ctx, config);
  return { sender: new LokiSender(ctx, config, client), client };
}

export function createLokiExporter(
  ctx: CreateContext,
  config: LokiConfig,
  signals: readonly Signal[],
): Exporter & { sender: LokiSender } {
  const { sender, client } = createLokiSender(ctx, config);
  const exporter = createNetworkExporter({
    ctx,
    config,
    signals,
    senders: { logs: sender },
    start: () => client.open(),
    shutdown: () => client.close(),
  });
  return Object.assign(exporter, { sender });
}
