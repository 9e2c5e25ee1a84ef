import type { Counter } from "@opentelemetry/api";
import type {
  Connector,
  ConnectorContext,
  Consumer,
  Host,
  SignalConsumers,
} from "../../component/component.js";
import { errorMessage, RetryableError } from "../../component/errors.js";
import { type Guard, guarded } from "../../expr/index.js";
import { type LogBatch, nowNanos } from "../../pdata/logs.js";
import type { Metric, MetricBatch } from "../../pdata/metrics.js";
import type { Scope } from "../../pdata/resource.js";
import type { DetectionMetricsConfig } from "./config.js";
import { buildMeasures, type Measure } from "./measures.js";

export const SCOPE: Scope = { name: "tripline/connector/detection_metrics" };

type SkipReason = "not_a_number" | "negative" | "error";

/**
 * Turns detections and agent traces into cumulative metrics, like the Collector's spanmetrics
 * connector: records are aggregated as they arrive, and every series is emitted on `interval`
 * and once more at shutdown. The metrics are derived data, so `consume` resolves as soon as the
 * batch is aggregated; a metrics pipeline that refuses a flush loses nothing either, since the
 * next flush carries the same cumulative totals.
 */
export class DetectionMetricsConnector implements Connector, Consumer<LogBatch> {
  readonly consumers: SignalConsumers;
  readonly measures: Measure[];
  private readonly next: Consumer<MetricBatch>;
  private readonly overflowCounter: Counter;
  private readonly skippedCounter: Counter;
  private readonly guard: Guard;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly config: DetectionMetricsConfig,
    next: SignalConsumers,
  ) {
    if (!next.metrics) throw new Error(`${ctx.id}: no metrics pipeline receives from it`);
    this.next = next.metrics;
    this.measures = buildMeasures(config);
    this.guard = { id: ctx.id, logger: ctx.logger, mode: config.error_mode };
    const meter = ctx.telemetry.meter;
    this.overflowCounter = meter.createCounter("tripline_connector_metric_overflow", {
      description: "Measurements folded into the otel.metric.overflow series (max_series reached).",
    });
    this.skippedCounter = meter.createCounter("tripline_connector_metric_skipped_measurements", {
      description:
        "Measurements left out: a value that is not a number, a negative value for a counter, " +
        "or an expression that failed.",
    });
    this.consumers = { logs: this };
  }

  async start(_host: Host): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.config.interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
  }

  async consume(batch: LogBatch): Promise<void> {
    if (this.closed) throw new RetryableError(`${this.ctx.id} is shut down`);
    const now = nowNanos();
    for (const record of batch) {
      for (const m of this.measures) {
        const name = m.instrument.spec.name;
        const measurements = guarded(
          this.guard,
          `metric "${name}"`,
          () => m.measure(record),
          null,
          {
            metric: name,
          },
        );
        if (measurements === null) {
          this.skip(m, "error");
          continue;
        }
        for (const { value, extra } of measurements) {
          const n = typeof value === "bigint" ? Number(value) : value;
          if (typeof n !== "number" || !Number.isFinite(n)) {
            this.skip(m, "not_a_number");
            continue;
          }
          const spec = m.instrument.spec;
          if (n < 0 && (spec.kind === "counter" || (spec.kind === "sum" && spec.monotonic))) {
            this.skip(m, "negative");
            continue;
          }
          if (m.instrument.record(n, record, now, extra) === "overflow") {
            this.overflowCounter.add(1, { connector: this.ctx.id, metric: spec.name });
          }
        }
      }
    }
  }

  /** The cumulative state of every instrument as of now. */
  collect(): MetricBatch {
    const time = nowNanos();
    // A fresh resource per flush: downstream processors may change it in place.
    const resource = { attributes: {} };
    const out: Metric[] = [];
    for (const { instrument } of this.measures) {
      const data = instrument.snapshot(time);
      if (!data) continue;
      const { name, description, unit } = instrument.spec;
      out.push({
        name,
        ...(description ? { description } : {}),
        ...(unit ? { unit } : {}),
        data,
        resource,
        scope: SCOPE,
      });
    }
    return out;
  }

  /** Emits every series; a tick that finds the previous flush still running is skipped. */
  flush(): Promise<void> {
    if (this.flushing) return this.closed ? this.flushing.then(() => this.flush()) : this.flushing;
    const batch = this.collect();
    if (batch.length === 0) return Promise.resolve();
    this.flushing = this.next
      .consume(batch)
      .catch((error: unknown) => {
        this.ctx.logger.warn(
          { err: errorMessage(error) },
          "metrics pipeline refused the flush; the next flush carries the same totals",
        );
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  private skip(m: Measure, reason: SkipReason): void {
    this.skippedCounter.add(1, { connector: this.ctx.id, metric: m.instrument.spec.name, reason });
  }
}
