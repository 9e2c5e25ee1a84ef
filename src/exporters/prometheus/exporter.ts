import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { CreateContext, Exporter, Host, SignalConsumers } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import { parseHostPort } from "../../config/endpoint.js";
import type { Metric, MetricBatch } from "../../pdata/metrics.js";
import type { Resource } from "../../pdata/resource.js";
import type { Attributes } from "../../pdata/value.js";
import { Accumulator } from "./accumulator.js";
import type { PrometheusConfig } from "./config.js";
import { CONTENT_TYPE, groupFamilies, negotiate, render, targetInfoFamily } from "./encode.js";
import { type Labels, labelsKey, seriesLabels, targetInfoLabels } from "./labels.js";
import { metricName } from "./naming.js";

/**
 * Pull exporter: `consume` folds each batch into per-series state at once (nothing is queued,
 * so it never refuses for lack of room), and every scrape renders the current state.
 */
export class PrometheusExporter implements Exporter {
  readonly consumers: SignalConsumers;
  private readonly accumulator: Accumulator;
  /** Resources seen per series label set, for target_info; expire with their series. */
  private readonly resources = new Map<string, { labels: Labels; lastSeen: number }>();
  private server: Server | undefined;
  private running = false;
  /** Where the server listens once started (port 0 resolves to the real port). */
  address: { host: string; port: number } | undefined;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: PrometheusConfig,
    private readonly now: () => number = Date.now,
  ) {
    const naming = { namespace: config.namespace, addMetricSuffixes: config.add_metric_suffixes };
    const labelOptions = {
      resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
      staticLabels: config.const_labels,
    };
    this.accumulator = new Accumulator(
      (metric: Metric, attributes: Attributes) => ({
        name: metricName(metric, naming),
        labels: seriesLabels(attributes, metric.resource, labelOptions),
      }),
      now,
    );
    this.consumers = { metrics: { consume: (batch: MetricBatch) => this.consume(batch) } };
  }

  async start(host: Host): Promise<void> {
    const { host: hostname, port } = parseHostPort(this.config.endpoint)!;
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => host.reportFatal(this.ctx.id, error));
    const address = server.address();
    if (address && typeof address === "object") {
      this.address = { host: address.address, port: address.port };
    }
    this.server = server;
    this.running = true;
    this.ctx.logger.info(
      { exporter: this.ctx.id, endpoint: this.config.endpoint },
      "serving /metrics",
    );
  }

  async shutdown(): Promise<void> {
    this.running = false;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async consume(batch: MetricBatch): Promise<void> {
    if (!this.running) throw new RetryableError(`exporter "${this.ctx.id}" is not running`);
    const { dropped } = this.accumulator.add(batch);
    if (dropped > 0) {
      this.ctx.logger.debug(
        { exporter: this.ctx.id, points: dropped },
        "dropped points older than the series' current state, or histograms with bad buckets",
      );
    }
    if (!this.config.resource_to_telemetry_conversion.enabled) this.noteResources(batch);
  }

  private noteResources(batch: MetricBatch): void {
    let last: Resource | undefined;
    for (const metric of batch) {
      if (metric.resource === last) continue;
      last = metric.resource;
      const labels = targetInfoLabels(metric.resource);
      if (labels) this.resources.set(labelsKey(labels), { labels, lastSeen: this.now() });
    }
  }

  /** The current exposition text in the given format (what a scrape returns). */
  scrape(format: "text" | "openmetrics"): string {
    const ttl = this.config.metric_expiration;
    this.accumulator.expire(ttl);
    if (ttl > 0) {
      const cutoff = this.now() - ttl;
      for (const [key, entry] of this.resources)
        if (entry.lastSeen < cutoff) this.resources.delete(key);
    }
    const { families, conflicts } = groupFamilies(this.accumulator.series());
    if (conflicts.length > 0) {
      this.ctx.logger.warn(
        { exporter: this.ctx.id, metrics: [...new Set(conflicts)] },
        "metric names used with two different types; only the first type is exposed",
      );
    }
    if (this.resources.size > 0) {
      families.push(targetInfoFamily([...this.resources.values()].map((r) => r.labels)));
    }
    return render(families, format);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found; metrics are on /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const format = negotiate(req.headers.accept);
    const text = this.scrape(format);
    const headers: Record<string, string> = { "content-type": CONTENT_TYPE[format] };
    let body: Buffer = Buffer.from(text);
    if (/\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
      body = gzipSync(body);
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = String(body.length);
    res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : body);
  }
}
