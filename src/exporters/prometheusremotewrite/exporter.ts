import type {
  Consumer,
  CreateContext,
  Exporter,
  Host,
  SignalConsumers,
} from "../../component/component.js";
import { createNetworkExporter, type NetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import type { Resource } from "../../pdata/resource.js";
import type { Signal } from "../../pdata/signal.js";
import { DeltaToCumulative } from "../../pdata/temporality.js";
import { errorForResponse, type HttpClient, httpClientFor } from "../internal/http.js";
import { snappyCompress } from "../internal/snappy.js";
import {
  type Labels,
  labelsKey,
  metricName,
  seriesLabels,
  targetInfoLabels,
} from "../prometheus/index.js";
import type { PrometheusRemoteWriteConfig } from "./config.js";
import {
  type Identify,
  packRequests,
  targetInfoSeries,
  toSamples,
  toTimeSeries,
} from "./encode.js";

/** Sends one cumulative batch as one or more WriteRequests. */
export class RemoteWriteSender implements Sender<MetricBatch> {
  private readonly identify: Identify;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: PrometheusRemoteWriteConfig,
    private readonly client: HttpClient,
  ) {
    const naming = { namespace: config.namespace, addMetricSuffixes: config.add_metric_suffixes };
    const labelOptions = {
      resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
      staticLabels: config.external_labels,
    };
    this.identify = (metric, attributes) => ({
      name: metricName(metric, naming),
      labels: seriesLabels(attributes, metric.resource, labelOptions),
    });
  }

  async send(batch: MetricBatch, _signal: Signal, abort: AbortSignal): Promise<void> {
    const { samples, invalid } = toSamples(batch, this.identify);
    if (invalid > 0) {
      this.ctx.logger.warn(
        { exporter: this.ctx.id, points: invalid },
        "histogram points whose bucket counts do not match their bounds were not sent",
      );
    }
    const series = toTimeSeries(samples);
    if (this.config.target_info.enabled) series.push(...this.targetInfo(batch));
    const requests = packRequests(series, {
      maxBytes: this.config.max_batch_size_bytes,
      maxSamples: this.config.max_samples_per_send,
    });
    // In order, one at a time: a later request may carry newer samples of the same series.
    for (const body of requests) await this.post(body, abort);
  }

  /** One target_info per resource of the batch, at the newest time of its points. */
  private targetInfo(batch: MetricBatch) {
    const newest = new Map<Resource, bigint>();
    for (const metric of batch) {
      for (const point of metric.data.points) {
        const t = newest.get(metric.resource);
        if (t === undefined || point.time > t) newest.set(metric.resource, point.time);
      }
    }
    const byLabels = new Map<string, { labels: Labels; ms: number }>();
    for (const [resource, time] of newest) {
      const labels = targetInfoLabels(resource);
      if (!labels) continue;
      const key = labelsKey(labels);
      const ms = Number(time / 1_000_000n);
      const seen = byLabels.get(key);
      if (!seen || seen.ms < ms) byLabels.set(key, { labels, ms });
    }
    return [...byLabels.values()].flatMap(({ labels, ms }) => targetInfoSeries([labels], ms));
  }

  private async post(body: Buffer, abort: AbortSignal): Promise<void> {
    const response = await this.client.request("POST", this.config.endpoint, {
      body: snappyCompress(body),
      signal: abort,
      headers: {
        "content-type": "application/x-protobuf",
        "content-encoding": "snappy",
        "x-prometheus-remote-write-version": "0.1.0",
      },
    });
    if (response.status >= 200 && response.status < 300) return;
    throw errorForResponse("remote write refused the request", response);
  }
}

/**
 * The network exporter behind a delta → cumulative step: conversion happens once, as the batch
 * is accepted, so what the queue holds (and retries resend) is already cumulative. A batch the
 * queue refuses has its conversion undone, so the sender's resend adds up the same way.
 */
class PrometheusRemoteWriteExporter implements Exporter {
  readonly countsOwnTelemetry = true;
  readonly consumers: SignalConsumers;
  private readonly cumulative: DeltaToCumulative;

  constructor(
    private readonly ctx: CreateContext,
    config: PrometheusRemoteWriteConfig,
    private readonly inner: NetworkExporter,
  ) {
    // No series limit (remote write has no max_series option): metric_expiration bounds state.
    this.cumulative = new DeltaToCumulative({
      maxSeries: Number.POSITIVE_INFINITY,
      maxStalenessMs: config.metric_expiration,
    });
    const next = inner.consumers.metrics as Consumer<MetricBatch>;
    this.consumers = { metrics: { consume: (batch: MetricBatch) => this.consume(next, batch) } };
  }

  private async consume(next: Consumer<MetricBatch>, batch: MetricBatch): Promise<void> {
    const before = this.cumulative.stats.dropped;
    const { batch: converted, undo } = this.cumulative.convertWithUndo(batch);
    const dropped = this.cumulative.stats.dropped - before;
    if (dropped > 0) {
      this.ctx.logger.warn(
        { exporter: this.ctx.id, points: dropped },
        "delta points not newer than the series' last delta were dropped (they would count twice)",
      );
    }
    if (converted.length === 0) return;
    try {
      await next.consume(converted);
    } catch (error) {
      undo();
      throw error;
    }
  }

  start(host: Host): Promise<void> {
    return this.inner.start(host);
  }

  shutdown(deadline?: AbortSignal): Promise<void> {
    return this.inner.shutdown(deadline);
  }
}

export function createPrometheusRemoteWriteExporter(
  ctx: CreateContext,
  config: PrometheusRemoteWriteConfig,
  signals: readonly Signal[],
): Exporter {
  const client = httpClientFor(ctx, config);
  const inner = createNetworkExporter({
    ctx,
    config,
    signals,
    senders: { metrics: new RemoteWriteSender(ctx, config, client) },
    start: () => client.open(),
    shutdown: () => client.close(),
  });
  return new PrometheusRemoteWriteExporter(ctx, config, inner);
}
