/**
 * Metric temporality for the OTLP exporters: the `temporality` option and the conversion
 * applied to a metrics batch before it is queued. Converting before the queue means a retried
 * or persisted batch carries the values it was converted to and is never converted twice.
 */
import type { Counter } from "@opentelemetry/api";
import { z } from "zod";
import type { Consumer, CreateContext, Exporter } from "../../component/component.js";
import { duration } from "../../config/duration.js";
import type { MetricBatch, Temporality } from "../../pdata/metrics.js";
import { CumulativeToDelta, DeltaToCumulative } from "../../pdata/temporality.js";

export const temporalityFields = {
  temporality: z
    .enum(["cumulative", "delta"])
    .optional()
    .describe(
      "temporality of the sums and histograms sent: cumulative (default; Prometheus, Mimir) or " +
        "delta (Datadog). Points in the other temporality are converted; preset datadog implies delta",
    ),
  temporality_conversion: z
    .strictObject({
      initial_value: z
        .enum(["auto", "keep", "drop"])
        .default("auto")
        .describe(
          "cumulative → delta, the first point of a series: auto sends it only if the series " +
            "started after Tripline did, keep sends it, drop only remembers it",
        ),
      max_series: z
        .number()
        .int()
        .min(1)
        .default(10_000)
        .describe("series whose last value is kept; the least recently updated is forgotten"),
      max_staleness: duration
        .prefault("1h")
        .describe("forget a series not updated for this long; 0 keeps it until max_series"),
    })
    .prefault({})
    .describe("state of the temporality conversion (cumulativetodelta / deltatocumulative)"),
};

export type TemporalityConfig = {
  temporality?: Temporality;
  temporality_conversion: {
    initial_value: "auto" | "keep" | "drop";
    max_series: number;
    max_staleness: number;
  };
};

/**
 * Converts metrics to `target` before they reach the exporter's queue. Conversions run one at
 * a time with their enqueue, and a refused enqueue is undone, so the sender's resend of the
 * same points converts to the same values instead of being taken for a duplicate.
 */
export function convertMetricsBefore(
  exporter: Exporter,
  ctx: CreateContext,
  target: Temporality,
  config: TemporalityConfig["temporality_conversion"],
): void {
  const inner = exporter.consumers.metrics;
  if (!inner) return;
  const options = { maxSeries: config.max_series, maxStalenessMs: config.max_staleness };
  const converter =
    target === "delta"
      ? new CumulativeToDelta({ ...options, initialValue: config.initial_value })
      : new DeltaToCumulative(options);
  const dropped: Counter = ctx.telemetry.meter.createCounter(
    "tripline_exporter_temporality_dropped_metric_points",
    {
      description:
        "Points the temporality conversion did not send: duplicates, out of order, first points.",
    },
  );
  let tail: Promise<unknown> = Promise.resolve();
  const consumer: Consumer<MetricBatch> = {
    consume(batch) {
      const run = tail.then(async () => {
        const before = converter.stats.dropped;
        const { batch: converted, undo } = converter.convertWithUndo(batch);
        const n = converter.stats.dropped - before;
        if (n > 0) dropped.add(n, { exporter: ctx.id });
        if (converted.length === 0) return;
        try {
          await inner.consume(converted);
        } catch (error) {
          undo();
          throw error;
        }
      });
      tail = run.catch(() => {});
      return run;
    },
  };
  (exporter.consumers as { metrics?: Consumer<MetricBatch> }).metrics = consumer;
}
