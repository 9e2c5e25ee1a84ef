/**
 * Delta → cumulative for remote write, applied once per batch before it is queued, so a
 * retried or persisted batch carries the same cumulative values and is never added twice.
 * State is kept per OTel series (resource, scope, metric, attributes) with the start time of
 * the first delta; cumulative input passes through untouched. Like the Collector's
 * deltatocumulative processor, a delta not newer than the state is dropped (it would be
 * counted twice), and histograms whose bounds change restart from that point.
 */
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  NumberDataPoint,
} from "../../pdata/metrics.js";
import type { Resource } from "../../pdata/resource.js";
import type { Attributes } from "../../pdata/value.js";

interface State {
  startTime: bigint;
  time: bigint;
  value: number;
  histogram?: { count: number; sum: number; bounds: number[]; bucketCounts: number[] };
  lastSeen: number;
}

function stableJson(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
    (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? [...v] : v),
  );
}

function byTime<T extends { time: bigint }>(a: T, b: T): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

export class DeltaToCumulative {
  private readonly state = new Map<string, State>();
  private readonly resourceKeys = new WeakMap<Resource, string>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.state.size;
  }

  /** The batch with every delta sum and histogram made cumulative; counts dropped points. */
  convert(batch: MetricBatch): { batch: MetricBatch; dropped: number } {
    let dropped = 0;
    const out: MetricBatch = [];
    for (const metric of batch) {
      const data = metric.data;
      if (data.type === "gauge" || data.temporality === "cumulative") {
        out.push(metric);
        continue;
      }
      const prefix = this.metricKey(metric);
      if (data.type === "sum") {
        const points: NumberDataPoint[] = [];
        for (const point of [...data.points].sort(byTime)) {
          const next = this.addSum(`${prefix}\u0000${stableJson(point.attributes)}`, point);
          if (next) points.push(next);
          else dropped++;
        }
        if (points.length > 0) {
          out.push({ ...metric, data: { ...data, temporality: "cumulative", points } });
        }
      } else {
        const points: HistogramDataPoint[] = [];
        for (const point of [...data.points].sort(byTime)) {
          const next = this.addHistogram(`${prefix}\u0000${stableJson(point.attributes)}`, point);
          if (next) points.push(next);
          else dropped++;
        }
        if (points.length > 0) {
          out.push({ ...metric, data: { ...data, temporality: "cumulative", points } });
        }
      }
    }
    return { batch: out, dropped };
  }

  /** Forgets series without a delta for `ttlMs` (their next delta starts a new series). */
  expire(ttlMs: number): number {
    if (ttlMs <= 0) return 0;
    const cutoff = this.now() - ttlMs;
    let n = 0;
    for (const [key, s] of this.state) {
      if (s.lastSeen < cutoff) {
        this.state.delete(key);
        n++;
      }
    }
    return n;
  }

  private metricKey(metric: Metric): string {
    let resourceKey = this.resourceKeys.get(metric.resource);
    if (resourceKey === undefined) {
      resourceKey = stableJson(metric.resource.attributes);
      this.resourceKeys.set(metric.resource, resourceKey);
    }
    const data = metric.data;
    const monotonic = data.type === "sum" ? data.monotonic : false;
    return [
      resourceKey,
      metric.scope.name,
      metric.name,
      metric.unit ?? "",
      data.type,
      monotonic,
    ].join("\u0000");
  }

  private addSum(key: string, point: NumberDataPoint): NumberDataPoint | undefined {
    const existing = this.state.get(key);
    if (existing && point.time <= existing.time) return undefined;
    const startTime = existing ? existing.startTime : point.startTime;
    const value = (existing?.value ?? 0) + point.value;
    this.state.set(key, { startTime, time: point.time, value, lastSeen: this.now() });
    return { ...point, startTime, value };
  }

  private addHistogram(key: string, point: HistogramDataPoint): HistogramDataPoint | undefined {
    if (point.bucketCounts.length !== point.explicitBounds.length + 1) return undefined;
    const existing = this.state.get(key);
    if (existing && point.time <= existing.time) return undefined;
    const previous = existing?.histogram;
    const same =
      previous !== undefined &&
      previous.bounds.length === point.explicitBounds.length &&
      previous.bounds.every((b, i) => b === point.explicitBounds[i]);
    const histogram = same
      ? {
          count: previous.count + point.count,
          sum: previous.sum + (point.sum ?? 0),
          bounds: previous.bounds,
          bucketCounts: previous.bucketCounts.map((c, i) => c + point.bucketCounts[i]!),
        }
      : {
          count: point.count,
          sum: point.sum ?? 0,
          bounds: [...point.explicitBounds],
          bucketCounts: [...point.bucketCounts],
        };
    const startTime = same && existing ? existing.startTime : point.startTime;
    this.state.set(key, {
      startTime,
      time: point.time,
      value: histogram.count,
      histogram,
      lastSeen: this.now(),
    });
    return {
      ...point,
      startTime,
      count: histogram.count,
      sum: histogram.sum,
      explicitBounds: histogram.bounds,
      bucketCounts: histogram.bucketCounts,
      min: undefined,
      max: undefined,
    };
  }
}
