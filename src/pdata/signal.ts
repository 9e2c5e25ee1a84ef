import type { LogBatch } from "./logs.js";
import type { MetricBatch } from "./metrics.js";
import { countDataPoints } from "./metrics.js";

export const SIGNALS = ["logs", "metrics"] as const;
export type Signal = (typeof SIGNALS)[number];

export interface BatchOf {
  logs: LogBatch;
  metrics: MetricBatch;
}

/** Items as the Collector counts them: log records, or metric data points. */
export function countItems(signal: Signal, batch: LogBatch | MetricBatch): number {
  return signal === "logs" ? batch.length : countDataPoints(batch as MetricBatch);
}

export const ITEM_NAME: Record<Signal, string> = {
  logs: "log_records",
  metrics: "metric_points",
};
