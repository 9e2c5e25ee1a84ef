import type { Counter } from "@opentelemetry/api";
import { VERSION } from "../../cli/version.js";
import type {
  Consumer,
  CreateContext,
  Exporter,
  Host,
  SignalConsumers,
} from "../../component/component.js";
import { errorMessage } from "../../component/errors.js";
import { createNetworkExporter, type NetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import { DETECTION_SEVERITIES } from "../../pdata/detection.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import type { Signal } from "../../pdata/signal.js";
import { compileTemplate, type Template } from "../datadog_events/template.js";
import { errorForResponse, HttpClient } from "../internal/http.js";
import { RateLimiter } from "../internal/rate-limit.js";
import { detectionSeverityOf } from "../loki/line.js";
import type { GrafanaAnnotationsConfig } from "./config.js";
import { Deduper, type Window } from "./dedup.js";
import { type AnnotationRequest, countedText, recordTags, recordTimeMs } from "./encode.js";

export interface AnnotationStats {
  posted: number;
  deduplicated: number;
  rateLimited: number;
  updated: number;
}

/** Posts each record it is given as one annotation and remembers the id Grafana returns. */
class AnnotationSender implements Sender<LogBatch> {
  constructor(
    private readonly config: GrafanaAnnotationsConfig,
    private readonly client: HttpClient,
    private readonly text: Template,
    private readonly key: Template,
    private readonly deduper: Deduper,
    private readonly stats: AnnotationStats,
  ) {}

  async send(batch: LogBatch, _signal: Signal, abort: AbortSignal): Promise<void> {
    for (const record of batch) {
      const body: AnnotationRequest = {
        time: recordTimeMs(record),
        tags: recordTags(record, this.config.tags, this.config.static_tags),
        text: this.text(record),
      };
      if (this.config.dashboard_uid) body.dashboardUID = this.config.dashboard_uid;
      if (this.config.panel_id !== undefined) body.panelId = this.config.panel_id;
      const response = await this.client.request("POST", `${base(this.config)}/api/annotations`, {
        body: JSON.stringify(body),
        headers: { "content-type": "application/json", accept: "application/json" },
        signal: abort,
      });
      if (response.status < 200 || response.status >= 300) {
        throw errorForResponse("Grafana refused the annotation", response);
      }
      this.stats.posted++;
      const id = parseId(response.body);
      if (id !== undefined) this.deduper.setId(this.key(record), id);
    }
  }
}

function base(config: GrafanaAnnotationsConfig): string {
  return config.endpoint.replace(/\/+$/, "");
}

function parseId(body: string): number | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Selection, dedup and rate limiting happen as a batch is accepted, once, so a retried POST
 * never counts a record twice; only the first record of each window goes to the queue.
 */
export class GrafanaAnnotationsExporter implements Exporter {
  readonly countsOwnTelemetry = true;
  readonly consumers: SignalConsumers;
  readonly stats: AnnotationStats = { posted: 0, deduplicated: 0, rateLimited: 0, updated: 0 };
  private readonly deduper: Deduper;
  private readonly limiter: RateLimiter;
  private readonly text: Template;
  private readonly key: Template;
  private readonly minRank: number;
  private readonly client: HttpClient;
  private readonly inner: NetworkExporter;
  private readonly suppressed: Counter;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: GrafanaAnnotationsConfig,
    signals: readonly Signal[],
    now: () => number = Date.now,
  ) {
    this.deduper = new Deduper(config.dedup_window, now);
    this.limiter = new RateLimiter(config.max_per_minute, now);
    this.text = compileTemplate(config.text);
    this.key = compileTemplate(config.dedup_key);
    this.minRank = DETECTION_SEVERITIES.indexOf(config.min_severity);
    this.client = new HttpClient({
      auth: { bearer_token: config.token },
      headers: config.headers,
      tls: config.tls,
      userAgent: `Tripline/${VERSION}`,
      configDir: ctx.configDir,
    });
    const sender = new AnnotationSender(
      config,
      this.client,
      this.text,
      this.key,
      this.deduper,
      this.stats,
    );
    this.inner = createNetworkExporter({ ctx, config, signals, senders: { logs: sender } });
    this.suppressed = ctx.telemetry.meter.createCounter(
      "tripline_exporter_annotations_suppressed",
      {
        description:
          "Records not posted as annotations: counted into an open dedup window, or over max_per_minute.",
      },
    );
    const next = this.inner.consumers.logs as Consumer<LogBatch>;
    this.consumers = { logs: { consume: (batch: LogBatch) => this.consume(next, batch) } };
  }

  async start(host: Host): Promise<void> {
    await this.client.open();
    await this.inner.start(host);
    const every = Math.max(100, Math.min(this.config.dedup_window, 10_000));
    this.timer = setInterval(() => this.closeWindows(false), every);
    this.timer.unref();
  }

  async shutdown(deadline?: AbortSignal): Promise<void> {
    clearInterval(this.timer);
    // Queued posts go first, so the windows they opened know their annotation ids.
    await this.inner.shutdown(deadline);
    this.closeWindows(true);
    await this.closing;
    await this.client.close();
  }

  private isHighImpact(record: LogRecord): boolean {
    const severity = detectionSeverityOf(record);
    if (severity === undefined) return false;
    return (
      DETECTION_SEVERITIES.indexOf(severity as (typeof DETECTION_SEVERITIES)[number]) >=
      this.minRank
    );
  }

  private consume(next: Consumer<LogBatch>, batch: LogBatch): Promise<void> {
    const post: LogBatch = [];
    let deduplicated = 0;
    let rateLimited = 0;
    for (const record of batch) {
      if (!this.isHighImpact(record)) continue;
      const key = this.key(record);
      const time = recordTimeMs(record);
      if (this.deduper.absorb(key, time)) deduplicated++;
      else if (!this.limiter.tryTake()) rateLimited++;
      else {
        this.deduper.open(key, time, this.text(record));
        post.push(record);
      }
    }
    this.stats.deduplicated += deduplicated;
    this.stats.rateLimited += rateLimited;
    if (deduplicated > 0)
      this.suppressed.add(deduplicated, { exporter: this.ctx.id, reason: "deduplicated" });
    if (rateLimited > 0) {
      this.suppressed.add(rateLimited, { exporter: this.ctx.id, reason: "rate_limited" });
      this.ctx.logger.warn(
        { exporter: this.ctx.id, records: rateLimited, max_per_minute: this.config.max_per_minute },
        "annotation rate limit reached; records skipped",
      );
    }
    return post.length === 0 ? Promise.resolve() : next.consume(post);
  }

  /** Ended windows with more than one record get their count and span written back. */
  private closeWindows(all: boolean): void {
    const ended = this.deduper.close(all).filter((w) => w.count > 1);
    if (ended.length === 0) return;
    this.closing = this.closing.then(() => this.update(ended));
  }

  private async update(windows: Window[]): Promise<void> {
    for (const window of windows) {
      if (window.id === undefined) {
        this.ctx.logger.warn(
          { exporter: this.ctx.id, count: window.count },
          "dedup window closed before its annotation was created; the count is not written",
        );
        continue;
      }
      try {
        const response = await this.client.request(
          "PATCH",
          `${base(this.config)}/api/annotations/${window.id}`,
          {
            body: JSON.stringify({
              text: countedText(window.text, window.count, this.config.dedup_window),
              time: window.firstTime,
              timeEnd: window.lastTime,
            }),
            headers: { "content-type": "application/json", accept: "application/json" },
            signal: AbortSignal.timeout(this.config.timeout),
          },
        );
        if (response.status < 200 || response.status >= 300) {
          throw errorForResponse(`Grafana refused the update of annotation ${window.id}`, response);
        }
        this.stats.updated++;
      } catch (error) {
        this.ctx.logger.error(
          { exporter: this.ctx.id, err: errorMessage(error) },
          "annotation update failed",
        );
      }
    }
  }
}
