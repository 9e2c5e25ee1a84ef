/**
 * Stateful conversion between cumulative and delta temporality for sums and histograms, for
 * exporters whose backend wants the other one (Datadog's OTLP intake wants delta, Prometheus
 * and Mimir want cumulative). Gauges, and sums or histograms already in the target
 * temporality, pass through untouched.
 *
 * A series is the metric (resource attributes, scope, name, unit, type, monotonicity) plus the
 * point attributes. State is bounded: at most `maxSeries` series, the least recently updated
 * evicted first, and series idle for longer than `maxStalenessMs` are forgotten.
 *
 * `convertWithUndo` lets a caller take back a conversion whose result it could not hand on (a
 * full queue): the sender keeps its data and resends it, and without the undo the resent
 * points would look like duplicates and their increments would be lost.
 */
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  NumberDataPoint,
  Temporality,
} from "./metrics.js";
import type { Resource } from "./resource.js";
import type { Attributes } from "./value.js";

export type InitialValue = "auto" | "keep" | "drop";

export interface TemporalityOptions {
  /** Upper limit on tracked series; the least recently updated is evicted beyond it. */
  maxSeries?: number;
  /** Series not updated for this long are forgotten; 0 keeps them until evicted. */
  maxStalenessMs?: number;
  /** Wall clock in ms (tests pin it). */
  now?: () => number;
}

export interface ConversionStats {
  /** Points not emitted: out of order, duplicates, first points (cumulative → delta), bad shape. */
  dropped: number;
  /** Series forgotten because maxSeries was reached. */
  evicted: number;
  /** Series forgotten because they were idle longer than maxStalenessMs. */
  expired: number;
}

export interface Conversion {
  batch: MetricBatch;
  /** Restores the state the conversion changed, unless a later conversion changed it again. */
  undo: () => void;
}

interface HistogramState {
  count: number;
  sum: number;
  bounds: number[];
  bucketCounts: number[];
}

interface SeriesState {
  startTime: bigint;
  time: bigint;
  value: number;
  histogram?: HistogramState;
  lastSeen: number;
}

const DEFAULT_MAX_SERIES = 10_000;

/** Attribute maps as a key independent of insertion order. */
function attributesKey(attributes: Attributes): string {
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

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The series state store shared by both directions: LRU order, staleness, undo journal. */
abstract class SeriesConverter {
  readonly stats: ConversionStats = { dropped: 0, evicted: 0, expired: 0 };
  /** Insertion order is recency order: an update deletes and re-inserts its key. */
  private readonly state = new Map<string, SeriesState>();
  private readonly resourceKeys = new WeakMap<Resource, string>();
  private readonly maxSeries: number;
  private readonly maxStalenessMs: number;
  protected readonly now: () => number;
  private journal: [string, SeriesState | undefined, SeriesState][] | undefined;

  constructor(options: TemporalityOptions = {}) {
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    this.maxStalenessMs = options.maxStalenessMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.state.size;
  }

  convert(batch: MetricBatch): MetricBatch {
    return this.convertWithUndo(batch).batch;
  }

  convertWithUndo(batch: MetricBatch): Conversion {
    this.expire();
    const journal: [string, SeriesState | undefined, SeriesState][] = [];
    this.journal = journal;
    const out: MetricBatch = [];
    try {
      for (const metric of batch) {
        const converted = this.convertMetric(metric);
        if (converted) out.push(converted);
      }
    } finally {
      this.journal = undefined;
    }
    return { batch: out, undo: () => this.rollback(journal) };
  }

  /** The converted metric, the metric itself when it passes through, undefined if no point is left. */
  protected abstract convertMetric(metric: Metric): Metric | undefined;

  protected seriesKey(metric: Metric, attributes: Attributes): string {
    let resourceKey = this.resourceKeys.get(metric.resource);
    if (resourceKey === undefined) {
      resourceKey = attributesKey(metric.resource.attributes);
      this.resourceKeys.set(metric.resource, resourceKey);
    }
    const data = metric.data;
    return [
      resourceKey,
      metric.scope.name,
      metric.scope.version ?? "",
      metric.name,
      metric.unit ?? "",
      data.type,
      data.type === "sum" ? data.monotonic : "",
      attributesKey(attributes),
    ].join("\u0000");
  }

  protected get(key: string): SeriesState | undefined {
    return this.state.get(key);
  }

  protected set(key: string, next: Omit<SeriesState, "lastSeen">): void {
    const previous = this.state.get(key);
    const entry: SeriesState = { ...next, lastSeen: this.now() };
    this.state.delete(key);
    this.state.set(key, entry);
    this.journal?.push([key, previous, entry]);
    if (this.state.size > this.maxSeries) {
      const oldest = this.state.keys().next().value as string;
      this.state.delete(oldest);
      this.stats.evicted++;
    }
  }

  private rollback(journal: [string, SeriesState | undefined, SeriesState][]): void {
    for (let i = journal.length - 1; i >= 0; i--) {
      const [key, previous, written] = journal[i]!;
      // A later conversion moved the series on; its result was handed on and stands.
      if (this.state.get(key) !== written) continue;
      if (previous) this.state.set(key, previous);
      else this.state.delete(key);
    }
  }

  /** Oldest first, so the scan stops at the first series still fresh. */
  private expire(): void {
    if (this.maxStalenessMs <= 0) return;
    const cutoff = this.now() - this.maxStalenessMs;
    for (const [key, entry] of this.state) {
      if (entry.lastSeen >= cutoff) break;
      this.state.delete(key);
      this.stats.expired++;
    }
  }

  /** Points sorted by time, so several points of one series in a batch apply in order. */
  protected convertPoints<P extends { time: bigint; attributes: Attributes }>(
    metric: Metric,
    points: readonly P[],
    one: (key: string, point: P) => P | undefined,
  ): P[] {
    const out: P[] = [];
    for (const point of [...points].sort(byTime)) {
      const converted = one(this.seriesKey(metric, point.attributes), point);
      if (converted) out.push(converted);
      else this.stats.dropped++;
    }
    return out;
  }
}

/** A histogram point's own values as state, copied so later changes to the point do not leak in. */
function histogramState(point: HistogramDataPoint): HistogramState {
  return {
    count: point.count,
    sum: point.sum ?? 0,
    bounds: [...point.explicitBounds],
    bucketCounts: [...point.bucketCounts],
  };
}

function withPoints(
  metric: Metric,
  temporality: Temporality,
  points: NumberDataPoint[] | HistogramDataPoint[],
): Metric | undefined {
  if (points.length === 0) return undefined;
  const data = metric.data;
  if (data.type === "sum") {
    return { ...metric, data: { ...data, temporality, points: points as NumberDataPoint[] } };
  }
  if (data.type === "histogram") {
    return { ...metric, data: { ...data, temporality, points: points as HistogramDataPoint[] } };
  }
  return metric;
}

export interface CumulativeToDeltaOptions extends TemporalityOptions {
  /**
   * What to do with the first point of a series, whose earlier increments may already have
   * been reported (before a restart of this process): the Collector's `initial_value`.
   * `auto` (default) sends it only if the series started after this converter was created
   * (and start time ≠ time); `keep` sends its value as the first delta; `drop` only
   * remembers it.
   */
  initialValue?: InitialValue;
  /** When this converter started, in ns since the epoch (default: construction time). */
  startedAt?: bigint;
}

/**
 * Cumulative → delta with the semantics of the Collector's cumulativetodelta processor:
 * monotonic sums and histograms are converted; non-monotonic sums pass through (a delta of an
 * up-down counter cannot be told from a reset). Each delta covers (previous time, time]. A
 * reset — a new start time, or a value (histogram count) lower than the last — starts the
 * series over and its value is sent as the delta since the new start. Points not newer than
 * the last one of their series are dropped as duplicates. Histogram min/max describe the
 * whole cumulative window, so they are kept only on points that cover it.
 */
export class CumulativeToDelta extends SeriesConverter {
  private readonly initialValue: InitialValue;
  private readonly startedAt: bigint;

  constructor(options: CumulativeToDeltaOptions = {}) {
    super(options);
    this.initialValue = options.initialValue ?? "auto";
    this.startedAt = options.startedAt ?? BigInt(this.now()) * 1_000_000n;
  }

  protected convertMetric(metric: Metric): Metric | undefined {
    const data = metric.data;
    if (data.type === "gauge" || data.temporality === "delta") return metric;
    if (data.type === "sum") {
      if (!data.monotonic) return metric;
      return withPoints(metric, "delta", this.convertPoints(metric, data.points, this.sum));
    }
    return withPoints(metric, "delta", this.convertPoints(metric, data.points, this.histogram));
  }

  private first(point: { startTime: bigint; time: bigint }): boolean {
    if (this.initialValue === "keep") return true;
    if (this.initialValue === "drop") return false;
    return (
      point.startTime !== 0n && point.startTime >= this.startedAt && point.startTime !== point.time
    );
  }

  private readonly sum = (key: string, point: NumberDataPoint): NumberDataPoint | undefined => {
    const last = this.get(key);
    if (last && point.time <= last.time) return undefined;
    this.set(key, { startTime: point.startTime, time: point.time, value: point.value });
    if (!last) return this.first(point) ? { ...point } : undefined;
    if (point.startTime !== last.startTime) return { ...point };
    if (point.value < last.value) return { ...point, startTime: last.time };
    return { ...point, startTime: last.time, value: point.value - last.value };
  };

  private readonly histogram = (
    key: string,
    point: HistogramDataPoint,
  ): HistogramDataPoint | undefined => {
    if (point.bucketCounts.length !== point.explicitBounds.length + 1) return undefined;
    const last = this.get(key);
    if (last && point.time <= last.time) return undefined;
    const histogram = histogramState(point);
    this.set(key, {
      startTime: point.startTime,
      time: point.time,
      value: point.count,
      histogram,
    });
    const copy = (): HistogramDataPoint => ({
      ...point,
      explicitBounds: [...point.explicitBounds],
      bucketCounts: [...point.bucketCounts],
    });
    if (!last) return this.first(point) ? copy() : undefined;
    const previous = last.histogram!;
    if (point.startTime !== last.startTime) return copy();
    const reset =
      point.count < previous.count ||
      !sameBounds(previous.bounds, point.explicitBounds) ||
      point.bucketCounts.some((c, i) => c < previous.bucketCounts[i]!);
    if (reset) return { ...copy(), startTime: last.time, min: undefined, max: undefined };
    const delta: HistogramDataPoint = {
      attributes: point.attributes,
      startTime: last.time,
      time: point.time,
      count: point.count - previous.count,
      explicitBounds: [...point.explicitBounds],
      bucketCounts: point.bucketCounts.map((c, i) => c - previous.bucketCounts[i]!),
    };
    if (point.sum !== undefined) delta.sum = point.sum - previous.sum;
    return delta;
  };
}

/**
 * Delta → cumulative, like the Collector's deltatocumulative processor: each series adds its
 * deltas up from the start time of the first delta it saw. A delta not newer than the state,
 * or one that starts before the state's time (it overlaps what was already added), is dropped
 * rather than counted twice. Histograms whose bounds change start over from that point.
 * Cumulative min/max cannot be derived from deltas beyond the first, so they are left out.
 */
export class DeltaToCumulative extends SeriesConverter {
  protected convertMetric(metric: Metric): Metric | undefined {
    const data = metric.data;
    if (data.type === "gauge" || data.temporality === "cumulative") return metric;
    if (data.type === "sum") {
      return withPoints(metric, "cumulative", this.convertPoints(metric, data.points, this.sum));
    }
    return withPoints(
      metric,
      "cumulative",
      this.convertPoints(metric, data.points, this.histogram),
    );
  }

  private overlaps(point: { startTime: bigint; time: bigint }, last: SeriesState): boolean {
    return point.time <= last.time || (point.startTime !== 0n && point.startTime < last.time);
  }

  private readonly sum = (key: string, point: NumberDataPoint): NumberDataPoint | undefined => {
    const last = this.get(key);
    if (last && this.overlaps(point, last)) return undefined;
    const startTime = last ? last.startTime : point.startTime;
    const value = (last?.value ?? 0) + point.value;
    this.set(key, { startTime, time: point.time, value });
    return { ...point, startTime, value };
  };

  private readonly histogram = (
    key: string,
    point: HistogramDataPoint,
  ): HistogramDataPoint | undefined => {
    if (point.bucketCounts.length !== point.explicitBounds.length + 1) return undefined;
    const last = this.get(key);
    if (last && this.overlaps(point, last)) return undefined;
    const previous = last?.histogram;
    const continues = previous !== undefined && sameBounds(previous.bounds, point.explicitBounds);
    const histogram: HistogramState = continues
      ? {
          count: previous.count + point.count,
          sum: previous.sum + (point.sum ?? 0),
          bounds: previous.bounds,
          bucketCounts: previous.bucketCounts.map((c, i) => c + point.bucketCounts[i]!),
        }
      : histogramState(point);
    const startTime = continues && last ? last.startTime : point.startTime;
    this.set(key, { startTime, time: point.time, value: histogram.count, histogram });
    const out: HistogramDataPoint = {
      attributes: point.attributes,
      startTime,
      time: point.time,
      count: histogram.count,
      explicitBounds: [...histogram.bounds],
      bucketCounts: [...histogram.bucketCounts],
    };
    if (point.sum !== undefined || continues) out.sum = histogram.sum;
    if (!continues) {
      if (point.min !== undefined) out.min = point.min;
      if (point.max !== undefined) out.max = point.max;
    }
    return out;
  };
}
