/**
 * The OpenTelemetry SDK records one stream and exports it both as delta and as cumulative
 * (two readers on one MeterProvider). Converting either side must give the other, interval
 * after interval, including across a restart of the instrumented process.
 */
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import type {
  HistogramDataPoint,
  Metric,
  MetricBatch,
  NumberDataPoint,
} from "../../src/pdata/metrics.js";
import type { Resource, Scope } from "../../src/pdata/resource.js";
import { CumulativeToDelta, DeltaToCumulative } from "../../src/pdata/temporality.js";
import { expectedMetrics } from "../helpers/otlp-sdk.js";

class ManualReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const resource: Resource = { attributes: { "service.name": "support-bot" } };
const scope: Scope = { name: "tripline-test" };

function toBatch(rm: ResourceMetrics): MetricBatch {
  return expectedMetrics(rm).map((m) => ({ ...m, resource, scope }));
}

async function collect(reader: ManualReader): Promise<MetricBatch> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return toBatch(resourceMetrics);
}

/** One instrumented process: a counter and a histogram, read as delta and as cumulative. */
function process() {
  const delta = new ManualReader(AggregationTemporality.DELTA);
  const cumulative = new ManualReader(AggregationTemporality.CUMULATIVE);
  const provider = new MeterProvider({
    resource: resourceFromAttributes(resource.attributes as Record<string, string>),
    readers: [delta, cumulative],
  });
  const meter = provider.getMeter(scope.name);
  const counter = meter.createCounter("tripline.detections");
  const latency = meter.createHistogram("tripline.latency", {
    advice: { explicitBucketBoundaries: [10, 100] },
  });
  return {
    record(i: number) {
      counter.add(3 + i, { category: "prompt_injection" });
      counter.add(10 * (i + 1), { category: "jailbreak" });
      for (const v of [i, 50 + i, 500 * (i + 1)]) latency.record(v, { route: "/v1/logs" });
    },
    async read() {
      // The SDK's clock has millisecond steps: two reads in one millisecond would carry the
      // same time, which a converter rightly treats as a duplicate.
      await new Promise((resolve) => setTimeout(resolve, 2));
      const d = await collect(delta);
      const c = await collect(cumulative);
      return { delta: d, cumulative: c };
    },
    shutdown: () => provider.shutdown(),
  };
}

interface Value {
  series: string;
  value?: number;
  count?: number;
  sum?: number;
  buckets?: number[];
}

/** Every point's value, keyed by series, sorted: what the two temporalities must agree on. */
function values(batch: MetricBatch): Value[] {
  const out: Value[] = [];
  for (const m of batch) {
    for (const p of m.data.points) {
      const series = `${m.name}${JSON.stringify(p.attributes)}`;
      if (m.data.type === "histogram") {
        const h = p as HistogramDataPoint;
        out.push({ series, count: h.count, sum: h.sum, buckets: h.bucketCounts });
      } else {
        out.push({ series, value: (p as NumberDataPoint).value });
      }
    }
  }
  return out.sort((a, b) => a.series.localeCompare(b.series));
}

function temporalities(batch: MetricBatch): string[] {
  return batch.map((m) => (m.data.type === "gauge" ? "gauge" : m.data.temporality));
}

function pointsBySeries(batch: MetricBatch): Map<string, { startTime: bigint; time: bigint }> {
  const out = new Map<string, { startTime: bigint; time: bigint }>();
  for (const m of batch) {
    for (const p of m.data.points) out.set(`${m.name}${JSON.stringify(p.attributes)}`, p);
  }
  return out;
}

/** Adds a per-series offset to cumulative values (what the deltas before a restart added up to). */
function plus(a: Value[], offset: Map<string, Value>): Value[] {
  return a.map((v) => {
    const o = offset.get(v.series);
    if (!o) return v;
    if (v.value !== undefined) return { ...v, value: v.value + o.value! };
    return {
      ...v,
      count: v.count! + o.count!,
      sum: v.sum! + o.sum!,
      buckets: v.buckets!.map((c, i) => c + o.buckets![i]!),
    };
  });
}

describe("temporality conversion against the OpenTelemetry SDK", () => {
  it("cumulative → delta equals the SDK's delta, and delta → cumulative its cumulative, across a restart", async () => {
    const toDelta = new CumulativeToDelta();
    const toCumulative = new DeltaToCumulative();
    let previous = new Map<string, { startTime: bigint; time: bigint }>();
    let firstDeltaStart: Map<string, bigint> | undefined;
    let offset = new Map<string, Value>();
    let lastCumulative: Value[] = [];
    let intervals = 0;

    for (const life of [0, 1]) {
      const app = process();
      for (let i = 0; i < 3; i++) {
        app.record(i + life * 10);
        const { delta, cumulative } = await app.read();
        expect(temporalities(delta)).toEqual(["delta", "delta"]);
        expect(temporalities(cumulative)).toEqual(["cumulative", "cumulative"]);

        const converted = toDelta.convert(cumulative);
        expect(temporalities(converted)).toEqual(["delta", "delta"]);
        expect(values(converted)).toEqual(values(delta));
        // Each delta covers (previous time, time]; the first, and the first after the restart
        // (a new start time), cover the whole cumulative window.
        const now = pointsBySeries(cumulative);
        for (const [series, p] of pointsBySeries(converted)) {
          expect(p.time).toBe(now.get(series)!.time);
          const before = previous.get(series);
          expect(p.startTime).toBe(i === 0 ? now.get(series)!.startTime : before!.time);
        }
        previous = now;

        const summed = toCumulative.convert(delta);
        expect(temporalities(summed)).toEqual(["cumulative", "cumulative"]);
        // A delta stream has no restarts: after one, the sums go on from where they were.
        expect(values(summed)).toEqual(plus(values(cumulative), offset));
        const starts = new Map(
          [...pointsBySeries(summed)].map(([series, p]) => [series, p.startTime]),
        );
        firstDeltaStart ??= starts;
        expect(starts).toEqual(firstDeltaStart);
        lastCumulative = values(summed);
        intervals++;
      }
      offset = new Map(lastCumulative.map((v) => [v.series, v]));
      await app.shutdown();
    }
    expect(intervals).toBe(6);
    expect(toDelta.stats.dropped).toBe(0);
    expect(toCumulative.stats.dropped).toBe(0);
  });

  it("initial_value auto drops the first point of a series that started before the converter", async () => {
    const app = process();
    app.record(0);
    await app.read();
    app.record(1);
    const late = new CumulativeToDelta({ startedAt: BigInt(Date.now() + 1000) * 1_000_000n });
    const { cumulative } = await app.read();
    expect(late.convert(cumulative)).toEqual([]);
    expect(late.stats.dropped).toBe(3);
    app.record(2);
    const second = await app.read();
    expect(values(late.convert(second.cumulative))).toEqual(values(second.delta));
    await app.shutdown();
  });
});

const r1: Resource = { attributes: { "service.name": "a" } };
const r2: Resource = { attributes: { "service.name": "b" } };

function sum(
  points: [start: bigint, time: bigint, value: number][],
  options: { temporality?: "delta" | "cumulative"; monotonic?: boolean; res?: Resource } = {},
): Metric {
  return {
    name: "detections",
    resource: options.res ?? r1,
    scope,
    data: {
      type: "sum",
      temporality: options.temporality ?? "cumulative",
      monotonic: options.monotonic ?? true,
      points: points.map(([startTime, time, value]) => ({
        attributes: {},
        startTime,
        time,
        value,
      })),
    },
  };
}

function sumPoints(batch: MetricBatch): [bigint, bigint, number][] {
  return batch.flatMap((m) =>
    (m.data.points as NumberDataPoint[]).map((p) => [p.startTime, p.time, p.value] as const),
  ) as [bigint, bigint, number][];
}

describe("CumulativeToDelta", () => {
  it("restarts on a lower value or a new start time, and drops duplicates", () => {
    const c = new CumulativeToDelta({ initialValue: "keep" });
    expect(sumPoints(c.convert([sum([[100n, 110n, 5]])]))).toEqual([[100n, 110n, 5]]);
    expect(sumPoints(c.convert([sum([[100n, 120n, 12]])]))).toEqual([[110n, 120n, 7]]);
    // The same point again (a resend): nothing new.
    expect(sumPoints(c.convert([sum([[100n, 120n, 12]])]))).toEqual([]);
    // Lower value, same start: a reset the source did not mark.
    expect(sumPoints(c.convert([sum([[100n, 130n, 4]])]))).toEqual([[120n, 130n, 4]]);
    // New start time: the process restarted; all of the value is new.
    expect(sumPoints(c.convert([sum([[125n, 140n, 9]])]))).toEqual([[125n, 140n, 9]]);
    expect(sumPoints(c.convert([sum([[125n, 150n, 10]])]))).toEqual([[140n, 150n, 1]]);
    expect(c.stats.dropped).toBe(1);
  });

  it("applies several points of a series in one batch in time order", () => {
    const c = new CumulativeToDelta({ initialValue: "keep" });
    const out = c.convert([
      sum(
        [
          [0n, 30n, 9],
          [0n, 10n, 2],
          [0n, 20n, 5],
        ].map((p) => p as never),
      ),
    ]);
    expect(sumPoints(out)).toEqual([
      [0n, 10n, 2],
      [10n, 20n, 3],
      [20n, 30n, 4],
    ]);
  });

  it("keeps series of different resources apart, and passes gauges, deltas and up-down sums through", () => {
    const c = new CumulativeToDelta({ initialValue: "drop" });
    c.convert([sum([[0n, 10n, 1]]), sum([[0n, 10n, 100]], { res: r2 })]);
    const out = c.convert([sum([[0n, 20n, 3]]), sum([[0n, 20n, 150]], { res: r2 })]);
    expect(sumPoints(out)).toEqual([
      [10n, 20n, 2],
      [10n, 20n, 50],
    ]);
    const upDown = sum([[0n, 20n, -3]], { monotonic: false });
    const delta = sum([[10n, 20n, 3]], { temporality: "delta" });
    const gauge: Metric = { ...upDown, data: { type: "gauge", points: [] } };
    const passed = c.convert([upDown, delta, gauge]);
    expect(passed[0]).toBe(upDown);
    expect(passed[1]).toBe(delta);
    expect(passed[2]).toBe(gauge);
  });

  it("converts histograms bucket by bucket and keeps min/max only on whole-window points", () => {
    const c = new CumulativeToDelta({ initialValue: "keep" });
    const h = (time: bigint, count: number, s: number, buckets: number[]): Metric => ({
      name: "latency",
      resource: r1,
      scope,
      data: {
        type: "histogram",
        temporality: "cumulative",
        points: [
          {
            attributes: {},
            startTime: 0n,
            time,
            count,
            sum: s,
            min: 1,
            max: 90,
            explicitBounds: [10, 100],
            bucketCounts: buckets,
          },
        ],
      },
    });
    const first = c.convert([h(10n, 3, 60, [1, 2, 0])])[0]!.data.points[0] as HistogramDataPoint;
    expect(first).toMatchObject({ count: 3, sum: 60, min: 1, max: 90, bucketCounts: [1, 2, 0] });
    const next = c.convert([h(20n, 7, 560, [2, 3, 2])])[0]!.data.points[0] as HistogramDataPoint;
    expect(next).toEqual({
      attributes: {},
      startTime: 10n,
      time: 20n,
      count: 4,
      sum: 500,
      explicitBounds: [10, 100],
      bucketCounts: [1, 1, 2],
    });
  });

  it("bounds its state: least recently updated series evicted, idle series expired", () => {
    let clock = 0;
    const c = new CumulativeToDelta({
      initialValue: "keep",
      maxSeries: 2,
      maxStalenessMs: 1000,
      now: () => clock,
    });
    const one = (res: Resource, time: bigint, value: number) => sum([[0n, time, value]], { res });
    const r3: Resource = { attributes: { "service.name": "c" } };
    c.convert([one(r1, 10n, 1), one(r2, 10n, 1)]);
    c.convert([one(r1, 20n, 2)]); // r1 is now the most recent
    c.convert([one(r3, 20n, 5)]); // evicts r2
    expect(c.size).toBe(2);
    expect(c.stats.evicted).toBe(1);
    // r2 starts over: its value is the first point again.
    expect(sumPoints(c.convert([one(r2, 30n, 4)]))).toEqual([[0n, 30n, 4]]);
    clock = 5000;
    c.convert([]);
    expect(c.size).toBe(0);
    expect(c.stats.expired).toBe(2);
  });

  it("undo restores the state, so a refused batch converts the same when resent", () => {
    const c = new CumulativeToDelta({ initialValue: "keep" });
    c.convert([sum([[0n, 10n, 5]])]);
    const refused = c.convertWithUndo([sum([[0n, 20n, 8]])]);
    expect(sumPoints(refused.batch)).toEqual([[10n, 20n, 3]]);
    refused.undo();
    expect(sumPoints(c.convert([sum([[0n, 20n, 8]])]))).toEqual([[10n, 20n, 3]]);
    // An undo after a later conversion moved the series on leaves that conversion standing.
    const stale = c.convertWithUndo([sum([[0n, 30n, 9]])]);
    c.convert([sum([[0n, 40n, 12]])]);
    stale.undo();
    expect(sumPoints(c.convert([sum([[0n, 50n, 20]])]))).toEqual([[40n, 50n, 8]]);
  });
});

describe("DeltaToCumulative", () => {
  it("adds deltas up from the first start, dropping overlaps and duplicates", () => {
    const c = new DeltaToCumulative();
    const d = (start: bigint, time: bigint, value: number) =>
      sum([[start, time, value]], { temporality: "delta" });
    expect(sumPoints(c.convert([d(0n, 10n, 2)]))).toEqual([[0n, 10n, 2]]);
    expect(sumPoints(c.convert([d(10n, 20n, 3)]))).toEqual([[0n, 20n, 5]]);
    expect(sumPoints(c.convert([d(10n, 20n, 3)]))).toEqual([]); // resent
    expect(sumPoints(c.convert([d(15n, 25n, 1)]))).toEqual([]); // overlaps (10, 20]
    expect(sumPoints(c.convert([d(30n, 40n, 4)]))).toEqual([[0n, 40n, 9]]); // a gap is fine
    expect(c.stats.dropped).toBe(2);
  });

  it("restarts a histogram whose bounds change, and undo takes a refused batch back", () => {
    const c = new DeltaToCumulative();
    const h = (start: bigint, time: bigint, bounds: number[], buckets: number[]): Metric => ({
      name: "latency",
      resource: r1,
      scope,
      data: {
        type: "histogram",
        temporality: "delta",
        points: [
          {
            attributes: {},
            startTime: start,
            time,
            count: buckets.reduce((a, b) => a + b, 0),
            sum: 10,
            explicitBounds: bounds,
            bucketCounts: buckets,
          },
        ],
      },
    });
    const point = (batch: MetricBatch) => batch[0]!.data.points[0] as HistogramDataPoint;
    c.convert([h(0n, 10n, [1], [1, 1])]);
    const refused = c.convertWithUndo([h(10n, 20n, [1], [2, 0])]);
    expect(point(refused.batch)).toMatchObject({ startTime: 0n, count: 4, sum: 20 });
    refused.undo();
    expect(point(c.convert([h(10n, 20n, [1], [2, 0])]))).toMatchObject({
      startTime: 0n,
      count: 4,
      sum: 20,
      bucketCounts: [3, 1],
    });
    expect(point(c.convert([h(20n, 30n, [5], [0, 1])]))).toMatchObject({
      startTime: 20n,
      count: 1,
      sum: 10,
      explicitBounds: [5],
      bucketCounts: [0, 1],
    });
  });
});
