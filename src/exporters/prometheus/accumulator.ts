/**
 * Metric state per Prometheus series, rendered by each scrape. Prometheus wants cumulative
 * values, so delta sums and histograms are added up here (like the Collector's
 * deltatocumulative processor), cumulative input replaces the state (a new start time or a
 * smaller value is a reset), and gauges keep their latest value.
 *
 * The deltas are added per Prometheus series (name and labels), not per OTel series as in the
 * shared converter (src/pdata/temporality.ts): scope and non-identifying resource attributes
 * are not labels, so several OTel series can feed one Prometheus series, and their deltas must
 * add up into one counter rather than each keep a cumulative value of its own.
 */
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  NumberDataPoint,
} from "../../pdata/metrics.js";
import type { Attributes } from "../../pdata/value.js";
import type { Labels } from "./labels.js";
import { labelsKey } from "./labels.js";

export type SeriesKind = "counter" | "gauge" | "histogram";

export interface HistogramValue {
  count: number;
  sum: number;
  /** Upper bounds; `bucketCounts` has one more entry (+Inf). Per bucket, not cumulative. */
  bounds: number[];
  bucketCounts: number[];
}

export interface Series {
  kind: SeriesKind;
  /** The Prometheus metric name (for counters, with `_total` when suffixes are on). */
  name: string;
  help: string;
  labels: Labels;
  startTime: bigint;
  time: bigint;
  value: number;
  histogram?: HistogramValue;
  /** Wall clock (ms) of the last update, for expiry. */
  lastSeen: number;
}

/** One value a batch produced for a series, at the point's time. */
export type Sample = Omit<Series, "lastSeen">;

export type Identify = (metric: Metric, attributes: Attributes) => { name: string; labels: Labels };

export interface AddResult {
  samples: Sample[];
  /** Points refused: older than the series' state (out of order) or bad histogram shape. */
  dropped: number;
}

export class Accumulator {
  private readonly state = new Map<string, Series>();

  constructor(
    private readonly identify: Identify,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.state.size;
  }

  series(): IterableIterator<Series> {
    return this.state.values();
  }

  add(batch: MetricBatch): AddResult {
    const result: AddResult = { samples: [], dropped: 0 };
    for (const metric of batch) {
      const { data } = metric;
      // Points in time order, so several deltas of one series in a batch add up in sequence.
      const points = [...data.points].sort((a, b) =>
        a.time < b.time ? -1 : a.time > b.time ? 1 : 0,
      );
      for (const point of points) {
        const sample =
          data.type === "histogram"
            ? this.addHistogram(metric, point as HistogramDataPoint, data.temporality)
            : this.addNumber(metric, point as NumberDataPoint);
        if (sample) result.samples.push(sample);
        else result.dropped++;
      }
    }
    return result;
  }

  /** Drops series not updated for `ttlMs`; returns how many. 0 keeps everything. */
  expire(ttlMs: number): number {
    if (ttlMs <= 0) return 0;
    const cutoff = this.now() - ttlMs;
    let n = 0;
    for (const [key, series] of this.state) {
      if (series.lastSeen < cutoff) {
        this.state.delete(key);
        n++;
      }
    }
    return n;
  }

  private lookup(metric: Metric, attributes: Attributes, kind: SeriesKind) {
    const { name, labels } = this.identify(metric, attributes);
    const key = `${kind}\u0000${name}\u0000${labelsKey(labels)}`;
    return { key, name, labels, existing: this.state.get(key) };
  }

  private addNumber(metric: Metric, point: NumberDataPoint): Sample | undefined {
    const data = metric.data;
    if (data.type === "histogram") return undefined;
    const kind: SeriesKind = data.type === "sum" && data.monotonic ? "counter" : "gauge";
    const { key, name, labels, existing } = this.lookup(metric, point.attributes, kind);
    if (existing && point.time < existing.time) return undefined;
    let startTime = point.startTime;
    let value = point.value;
    if (data.type === "sum" && data.temporality === "delta") {
      if (existing) {
        // A delta that overlaps what was already added would be counted twice.
        if (point.time === existing.time) return undefined;
        startTime = existing.startTime;
        value = existing.value + point.value;
      }
    } else if (data.type === "gauge" && existing && point.time === existing.time) {
      startTime = existing.startTime;
    }
    return this.store(key, {
      kind,
      name,
      help: metric.description ?? "",
      labels,
      startTime,
      time: point.time,
      value,
    });
  }

  private addHistogram(
    metric: Metric,
    point: HistogramDataPoint,
    temporality: "delta" | "cumulative",
  ): Sample | undefined {
    if (point.bucketCounts.length !== point.explicitBounds.length + 1) return undefined;
    const { key, name, labels, existing } = this.lookup(metric, point.attributes, "histogram");
    if (existing && point.time < existing.time) return undefined;
    let histogram: HistogramValue = {
      count: point.count,
      sum: point.sum ?? 0,
      bounds: [...point.explicitBounds],
      bucketCounts: [...point.bucketCounts],
    };
    let startTime = point.startTime;
    const previous = existing?.histogram;
    if (temporality === "delta" && existing && previous) {
      if (point.time === existing.time) return undefined;
      // Different bounds cannot be added bucket by bucket: the series restarts from this point.
      if (sameBounds(previous.bounds, point.explicitBounds)) {
        startTime = existing.startTime;
        histogram = {
          count: previous.count + point.count,
          sum: previous.sum + (point.sum ?? 0),
          bounds: previous.bounds,
          bucketCounts: previous.bucketCounts.map((c, i) => c + point.bucketCounts[i]!),
        };
      }
    }
    return this.store(key, {
      kind: "histogram",
      name,
      help: metric.description ?? "",
      labels,
      startTime,
      time: point.time,
      value: histogram.count,
      histogram,
    });
  }

  private store(key: string, sample: Sample): Sample {
    this.state.set(key, { ...sample, lastSeen: this.now() });
    return sample;
  }
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
