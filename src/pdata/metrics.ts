import type { Resource, Scope } from "./resource.js";
import type { Attributes } from "./value.js";

export type Temporality = "delta" | "cumulative";

export interface NumberDataPoint {
  attributes: Attributes;
  startTime: bigint;
  time: bigint;
  value: number;
}

export interface HistogramDataPoint {
  attributes: Attributes;
  startTime: bigint;
  time: bigint;
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Upper bounds; `bucketCounts` has one more entry (the +Inf bucket). */
  explicitBounds: number[];
  bucketCounts: number[];
}

export type MetricData =
  | { type: "sum"; temporality: Temporality; monotonic: boolean; points: NumberDataPoint[] }
  | { type: "gauge"; points: NumberDataPoint[] }
  | { type: "histogram"; temporality: Temporality; points: HistogramDataPoint[] };

/** One metric with its points, carrying references to a shared resource and scope. */
export interface Metric {
  name: string;
  description?: string;
  unit?: string;
  data: MetricData;
  resource: Resource;
  scope: Scope;
}

export type MetricBatch = Metric[];

export function countDataPoints(batch: MetricBatch): number {
  let n = 0;
  for (const metric of batch) n += metric.data.points.length;
  return n;
}
