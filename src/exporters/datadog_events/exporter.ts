import type { Counter } from "@opentelemetry/api";
import type { CreateContext, Exporter } from "../../component/component.js";
import { combineErrors } from "../../component/errors.js";
import { createNetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { Signal } from "../../pdata/signal.js";
import { AuthFailureReporter } from "../datadog_logs/auth.js";
import { DatadogHttpClient, errorForResponse, isAuthStatus } from "../datadog_logs/http.js";
import { apiUrl } from "../datadog_logs/site.js";
import { RateLimiter } from "../internal/rate-limit.js";
import type { DatadogEventsConfig } from "./config.js";
import { type DatadogEvent, EventEncoder } from "./encode.js";

const DROP_LOG_INTERVAL_MS = 60_000;

/** Posts one event per record, within `max_events_per_minute`. */
export class DatadogEventsSender implements Sender<LogBatch> {
  readonly url: string;
  private readonly encoder: EventEncoder;
  private readonly limiter: RateLimiter;
  private readonly dropped: Counter;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: DatadogEventsConfig,
    private readonly client: DatadogHttpClient,
    private readonly auth: AuthFailureReporter,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.url = apiUrl(config, "/api/v1/events");
    this.encoder = new EventEncoder(config);
    this.limiter = new RateLimiter(config.max_events_per_minute, now);
    this.dropped = ctx.telemetry.meter.createCounter("tripline_exporter_rate_limited_log_records", {
      description: "Log records an exporter dropped on purpose because of its rate limit.",
    });
  }

  async send(batch: LogBatch, _signal: Signal, abort: AbortSignal): Promise<void> {
    const errors: unknown[] = [];
    for (const record of batch) {
      if (!this.limiter.tryTake()) {
        this.drop();
        continue;
      }
      try {
        await this.post(this.encoder.encode(record), abort);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw combineErrors(errors);
  }

  private async post(event: DatadogEvent, abort: AbortSignal): Promise<void> {
    const response = await this.client.send("POST", this.url, {
      body: JSON.stringify(event),
      signal: abort,
      headers: { "content-type": "application/json" },
    });
    if (response.status >= 200 && response.status < 300) return;
    if (isAuthStatus(response.status)) this.auth.report(response.status, this.url);
    throw errorForResponse("Datadog Events API refused an event", response);
  }

  /** Counts every drop; logs the first at once, then a summary at most once a minute. */
  private drop(): void {
    this.dropped.add(1, { exporter: this.ctx.id });
    this.droppedSinceLog++;
    const now = this.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.ctx.logger.warn(
      {
        exporter: this.ctx.id,
        dropped: this.droppedSinceLog,
        max_events_per_minute: this.config.max_events_per_minute,
      },
      "events over max_events_per_minute were dropped",
    );
    this.droppedSinceLog = 0;
    this.lastDropLog = now;
  }
}

/** The sender with its own connection pool; `close` ends the pool. */
export function createDatadogEventsSender(
  ctx: CreateContext,
  config: DatadogEventsConfig,
  now?: () => number,
) {
  const client = new DatadogHttpClient(config.api_key);
  const auth = new AuthFailureReporter(ctx, config.site);
  return {
    sender: new DatadogEventsSender(ctx, config, client, auth, now),
    close: () => client.close(),
  };
}

export function createDatadogEventsExporter(
  ctx: CreateContext,
  config: DatadogEventsConfig,
  signals: readonly Signal[],
): Exporter {
  const { sender, close } = createDatadogEventsSender(ctx, config);
  return createNetworkExporter({
    ctx,
    config,
    signals,
    senders: { logs: sender },
    shutdown: close,
  });
}
