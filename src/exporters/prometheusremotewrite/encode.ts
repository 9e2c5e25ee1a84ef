/**
 * Accumulated samples → remote write 1.0 TimeSeries, and TimeSeries → request bodies within
 * the configured size. Each series is encoded once; a WriteRequest is just its series framed
 * as field 1, so requests are packed from exact sizes instead of estimates.
 */
import type { Metric, MetricBatch } from "../../pdata/metrics.js";
import type { Attributes } from "../../pdata/value.js";
import { formatValue, type Labels, type Sample } from "../prometheus/index.js";
import { type PbTimeSeries, TimeSeriesType } from "./proto.js";

function nanosToMillis(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** Labels with __name__, sorted by name as the spec requires. */
function seriesLabelList(name: string, labels: Labels, extra?: [string, string]) {
  const list = [{ name: "__name__", value: name }];
  for (const [n, value] of Object.entries(labels)) list.push({ name: n, value });
  if (extra) list.push({ name: extra[0], value: extra[1] });
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export type Identify = (metric: Metric, attributes: Attributes) => { name: string; labels: Labels };

/**
 * The samples of a cumulative batch (see cumulative.ts), named and labelled like the scrape
 * exporter names them. Histograms with a bucket count that does not match their bounds are
 * left out and counted.
 */
export function toSamples(
  batch: MetricBatch,
  identify: Identify,
): { samples: Sample[]; invalid: number } {
  const samples: Sample[] = [];
  let invalid = 0;
  for (const metric of batch) {
    const data = metric.data;
    const help = metric.description ?? "";
    if (data.type === "histogram") {
      for (const p of data.points) {
        if (p.bucketCounts.length !== p.explicitBounds.length + 1) {
          invalid++;
          continue;
        }
        const { name, labels } = identify(metric, p.attributes);
        const histogram = {
          count: p.count,
          sum: p.sum ?? 0,
          bounds: p.explicitBounds,
          bucketCounts: p.bucketCounts,
        };
        samples.push({
          kind: "histogram",
          name,
          help,
          labels,
          startTime: p.startTime,
          time: p.time,
          value: p.count,
          histogram,
        });
      }
      continue;
    }
    const kind = data.type === "sum" && data.monotonic ? "counter" : "gauge";
    for (const p of data.points) {
      const { name, labels } = identify(metric, p.attributes);
      samples.push({
        kind,
        name,
        help,
        labels,
        startTime: p.startTime,
        time: p.time,
        value: p.value,
      });
    }
  }
  return { samples, invalid };
}

/**
 * One TimeSeries per Prometheus series; histograms become _bucket{le} (cumulative), _sum and
 * _count. Samples of the same series merge into one TimeSeries, in timestamp order.
 */
export function toTimeSeries(samples: Sample[]): PbTimeSeries[] {
  const byKey = new Map<string, PbTimeSeries>();
  const add = (
    name: string,
    labels: Labels,
    value: number,
    ms: number,
    extra?: [string, string],
  ) => {
    const list = seriesLabelList(name, labels, extra);
    const key = JSON.stringify(list);
    let series = byKey.get(key);
    if (!series) {
      series = { labels: list, samples: [] };
      byKey.set(key, series);
    }
    series.samples.push({ value, timestamp: ms });
  };
  for (const sample of samples) {
    const ms = nanosToMillis(sample.time);
    const h = sample.histogram;
    if (sample.kind !== "histogram" || !h) {
      add(sample.name, sample.labels, sample.value, ms);
      continue;
    }
    let cumulative = 0;
    for (let i = 0; i < h.bucketCounts.length; i++) {
      cumulative += h.bucketCounts[i]!;
      const le = i < h.bounds.length ? formatValue(h.bounds[i]!) : "+Inf";
      add(`${sample.name}_bucket`, sample.labels, cumulative, ms, ["le", le]);
    }
    add(`${sample.name}_sum`, sample.labels, h.sum, ms);
    add(`${sample.name}_count`, sample.labels, h.count, ms);
  }
  const out = [...byKey.values()];
  for (const series of out) {
    series.samples.sort((a, b) => a.timestamp - b.timestamp);
    // Two values for one millisecond: the later one (the state after both) is kept.
    series.samples = series.samples.filter(
      (s, i, all) => i === all.length - 1 || all[i + 1]!.timestamp !== s.timestamp,
    );
  }
  return out;
}

/** target_info series at `ms`, one per resource, value 1. */
export function targetInfoSeries(labelSets: Labels[], ms: number): PbTimeSeries[] {
  return labelSets.map((labels) => ({
    labels: seriesLabelList("target_info", labels),
    samples: [{ value: 1, timestamp: ms }],
  }));
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** A TimeSeries framed as WriteRequest field 1 (tag 0x0a, length, bytes). */
export function frameSeries(series: PbTimeSeries): Buffer {
  const bytes = TimeSeriesType.encode(TimeSeriesType.fromObject(series)).finish();
  return Buffer.concat([Buffer.from([0x0a, ...varint(bytes.length)]), bytes]);
}

export interface PackLimits {
  maxBytes: number;
  maxSamples: number;
}

/**
 * Uncompressed WriteRequest bodies, each at most `maxBytes` and `maxSamples` (a single series
 * larger than that still goes alone: splitting it would break per-series sample order across
 * requests sent in parallel).
 */
export function packRequests(series: PbTimeSeries[], limits: PackLimits): Buffer[] {
  const requests: Buffer[] = [];
  let frames: Buffer[] = [];
  let bytes = 0;
  let samples = 0;
  for (const s of series) {
    const frame = frameSeries(s);
    if (
      frames.length > 0 &&
      (bytes + frame.length > limits.maxBytes || samples + s.samples.length > limits.maxSamples)
    ) {
      requests.push(Buffer.concat(frames));
      frames = [];
      bytes = 0;
      samples = 0;
    }
    frames.push(frame);
    bytes += frame.length;
    samples += s.samples.length;
  }
  if (frames.length > 0) requests.push(Buffer.concat(frames));
  return requests;
}
