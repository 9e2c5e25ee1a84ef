import { afterEach, describe, expect, it } from "vitest";
import { prometheusConfigSchema } from "../../../src/exporters/prometheus/config.js";
import { negotiate } from "../../../src/exporters/prometheus/encode.js";
import { PrometheusExporter } from "../../../src/exporters/prometheus/exporter.js";
import { metricName } from "../../../src/exporters/prometheus/naming.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { detections, gauge, histogramPoint, latency, ms, point, resource } from "./metrics.js";

const res = resource("support-bot", { "k8s.cluster.name": "eu-1" });
const high = { severity: "high", category: "prompt_injection", action: "blocked" };

describe("prometheus naming", () => {
  it.each([
    [detections(res, "cumulative", []), "detections_total"],
    [latency(res, "delta", []), "detection_latency_seconds"],
    [gauge(res, "queue.size", "By", []), "queue_size_bytes"],
    [gauge(res, "cpu.utilization", "1", []), "cpu_utilization_ratio"],
    [gauge(res, "requests.rate", "{request}/s", []), "requests_rate_per_second"],
    [gauge(res, "request.duration_seconds", "s", []), "request_duration_seconds"],
    [{ ...detections(res, "cumulative", []), name: "detections.total" }, "detections_total"],
  ])("%# names %o as %s", (metric, name) => {
    expect(metricName(metric, { addMetricSuffixes: true })).toBe(name);
  });

  it("adds the namespace, and only sanitizes without suffixes", () => {
    const metric = latency(res, "delta", []);
    expect(metricName(metric, { addMetricSuffixes: true, namespace: "tripline" })).toBe(
      "tripline_detection_latency_seconds",
    );
    expect(metricName(metric, { addMetricSuffixes: false })).toBe("detection_latency");
  });
});

describe("content negotiation", () => {
  it.each([
    [undefined, "text"],
    ["text/plain;version=0.0.4", "text"],
    [
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    ["text/plain;q=0.9, application/openmetrics-text;q=0.5", "text"],
    ["application/openmetrics-text;q=0", "text"],
  ])("Accept %s → %s", (accept, format) => {
    expect(negotiate(accept)).toBe(format);
  });
});

describe("prometheus exporter", () => {
  let exporter: PrometheusExporter | undefined;
  let clock = 1_000_000;
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
  });

  async function start(options: Record<string, unknown> = {}) {
    const config = prometheusConfigSchema.parse({ endpoint: "127.0.0.1:0", ...options });
    exporter = new PrometheusExporter(testContext("prometheus"), config, () => clock);
    await exporter.start(noopHost);
    return exporter;
  }

  async function scrape(accept?: string, encoding?: string) {
    const headers: Record<string, string> = {};
    if (accept) headers.accept = accept;
    if (encoding) headers["accept-encoding"] = encoding;
    const response = await fetch(`http://127.0.0.1:${exporter!.address!.port}/metrics`, {
      headers,
    });
    return response;
  }

  it("accumulates delta sums into counters with _total, labels sanitized, job/instance from the resource", async () => {
    await start();
    const t0 = ms(1_000);
    await exporter!.consumers.metrics!.consume([
      detections(res, "delta", [point(high, 3, t0, ms(2_000))]),
    ]);
    await exporter!.consumers.metrics!.consume([
      detections(res, "delta", [point(high, 2, ms(2_000), ms(3_000))]),
    ]);
    const text = await (await scrape("text/plain")).text();
    expect(text).toContain("# TYPE detections_total counter\n");
    expect(text).toContain(
      'detections_total{action="blocked",category="prompt_injection",instance="support-bot-0",job="support-bot",severity="high"} 5\n',
    );
    expect(text).toContain(
      'target_info{deployment_environment_name="prod",instance="support-bot-0",job="support-bot",k8s_cluster_name="eu-1"} 1\n',
    );
  });

  it("replaces cumulative values and ignores points older than the state", async () => {
    await start();
    const t0 = ms(1_000);
    const m = exporter!.consumers.metrics!;
    await m.consume([detections(res, "cumulative", [point(high, 7, t0, ms(5_000))])]);
    await m.consume([detections(res, "cumulative", [point(high, 4, t0, ms(4_000))])]);
    expect(await (await scrape()).text()).toMatch(/detections_total\{[^}]*\} 7\n/);
    await m.consume([detections(res, "cumulative", [point(high, 9, t0, ms(6_000))])]);
    expect(await (await scrape()).text()).toMatch(/detections_total\{[^}]*\} 9\n/);
  });

  it("renders histograms as cumulative _bucket{le}, _sum and _count", async () => {
    await start();
    const m = exporter!.consumers.metrics!;
    await m.consume([
      latency(res, "delta", [histogramPoint({}, [1, 2, 0, 0], 0.9, ms(0), ms(1_000))]),
    ]);
    await m.consume([
      latency(res, "delta", [histogramPoint({}, [0, 1, 1, 1], 2.5, ms(1_000), ms(2_000))]),
    ]);
    const text = await (await scrape()).text();
    const lines = text.split("\n").filter((l) => l.startsWith("detection_latency_seconds"));
    const labels = 'instance="support-bot-0",job="support-bot"';
    expect(lines).toEqual([
      `detection_latency_seconds_bucket{${labels},le="0.1"} 1`,
      `detection_latency_seconds_bucket{${labels},le="0.5"} 4`,
      `detection_latency_seconds_bucket{${labels},le="1"} 5`,
      `detection_latency_seconds_bucket{${labels},le="+Inf"} 6`,
      `detection_latency_seconds_sum{${labels}} 3.4`,
      `detection_latency_seconds_count{${labels}} 6`,
    ]);
  });

  it("serves OpenMetrics when asked, ending in # EOF, with counter and info families", async () => {
    await start({ namespace: "tripline" });
    await exporter!.consumers.metrics!.consume([
      detections(res, "cumulative", [point(high, 1, ms(0), ms(1))]),
    ]);
    const response = await scrape("application/openmetrics-text; version=1.0.0");
    expect(response.headers.get("content-type")).toBe(
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    const text = await response.text();
    expect(text).toContain("# TYPE tripline_detections counter\ntripline_detections_total{");
    expect(text).toContain("# TYPE target info\ntarget_info{");
    expect(text.endsWith("# EOF\n")).toBe(true);
  });

  it("promotes resource attributes with resource_to_telemetry_conversion (no target_info)", async () => {
    await start({
      resource_to_telemetry_conversion: { enabled: true },
      const_labels: { region: "eu" },
    });
    await exporter!.consumers.metrics!.consume([
      detections(res, "cumulative", [point(high, 1, ms(0), ms(1))]),
    ]);
    const text = await (await scrape()).text();
    expect(text).toContain('k8s_cluster_name="eu-1"');
    expect(text).toContain('region="eu"');
    expect(text).toContain('service_name="support-bot"');
    expect(text).not.toContain("target_info");
  });

  it("expires series not updated within metric_expiration", async () => {
    await start({ metric_expiration: "1m" });
    const m = exporter!.consumers.metrics!;
    await m.consume([detections(res, "cumulative", [point(high, 1, ms(0), ms(1))])]);
    clock += 30_000;
    await m.consume([gauge(res, "queue.size", "By", [point({}, 5, ms(0), ms(2))])]);
    clock += 40_000;
    const text = await (await scrape()).text();
    expect(text).not.toContain("detections_total");
    expect(text).toContain("queue_size_bytes");
  });

  it("gzips when the scraper accepts it, and answers 404 elsewhere", async () => {
    await start();
    await exporter!.consumers.metrics!.consume([
      detections(res, "cumulative", [point(high, 1, ms(0), ms(1))]),
    ]);
    const response = await fetch(`http://127.0.0.1:${exporter!.address!.port}/metrics`, {
      headers: { "accept-encoding": "gzip" },
    });
    // fetch decodes gzip itself; the header proves it was compressed on the wire.
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(await response.text()).toContain("detections_total");
    const missing = await fetch(`http://127.0.0.1:${exporter!.address!.port}/other`);
    expect(missing.status).toBe(404);
  });

  it("escapes label values and help text", async () => {
    await start();
    const metric = detections(res, "cumulative", [
      point({ note: 'a "quoted"\\path\nline' }, 1, ms(0), ms(1)),
    ]);
    metric.description = "multi\nline \\ help";
    await exporter!.consumers.metrics!.consume([metric]);
    const text = await (await scrape()).text();
    expect(text).toContain("# HELP detections_total multi\\nline \\\\ help\n");
    expect(text).toContain('note="a \\"quoted\\"\\\\path\\nline"');
  });
});
