/**
 * Tripline's Prometheus exporters against a real Prometheus (/usr/bin/prometheus; CI installs
 * the Debian package): Prometheus scrapes the `prometheus` exporter, receives the
 * `prometheusremotewrite` exporter's writes, and PromQL over its HTTP API must return the
 * values that were fed in. `promtool check metrics` must accept the scrape output.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exporter } from "../../src/component/component.js";
import { prometheusFactory } from "../../src/exporters/prometheus/factory.js";
import { prometheusRemoteWriteFactory } from "../../src/exporters/prometheusremotewrite/factory.js";
import type { MetricBatch } from "../../src/pdata/metrics.js";
import {
  detections,
  histogramPoint,
  latency,
  ms,
  point,
  resource,
} from "../exporters/prometheus/metrics.js";
import { noopHost, testContext } from "../helpers/context.js";
import {
  byLabel,
  eventually,
  PROMTOOL,
  type Prometheus,
  type PromResult,
  query,
  startPrometheus,
} from "../helpers/prometheus.js";

const WANT = {
  "prompt_injection|blocked": 5,
  "jailbreak|flagged_for_review": 2,
  "data_exfiltration|blocked": 1,
};

function sumByCategoryAction(results: PromResult[]): Record<string, number> {
  return Object.fromEntries(
    results.map((r) => [`${r.metric.category}|${r.metric.action}`, Number(r.value[1])]),
  );
}

describe("Prometheus exporters against a real Prometheus", () => {
  let prometheus: Prometheus | undefined;
  let base = "";
  let scrapeExporter: Exporter & { address?: { port: number } };
  let remoteWrite: Exporter;
  const now = Date.now();
  const start = ms(now - 60_000);

  beforeAll(async () => {
    scrapeExporter = prometheusFactory.create(
      testContext("prometheus"),
      prometheusFactory.configSchema.parse({ endpoint: "127.0.0.1:0" }),
      ["metrics"],
    ) as Exporter & { address?: { port: number } };
    await scrapeExporter.start(noopHost);

    prometheus = await startPrometheus([`127.0.0.1:${scrapeExporter.address!.port}`], {
      remoteWrite: true,
    });
    base = prometheus.base;
    remoteWrite = prometheusRemoteWriteFactory.create(
      testContext("prometheusremotewrite"),
      prometheusRemoteWriteFactory.configSchema.parse({
        endpoint: `${base}/api/v1/write`,
        sending_queue: { enabled: false },
        retry_on_failure: {
          initial_interval: "100ms",
          max_interval: "500ms",
          max_elapsed_time: "10s",
        },
        external_labels: { source: "remote_write" },
      }),
      ["metrics"],
    );
    await remoteWrite.start(noopHost);
  }, 30_000);

  afterAll(async () => {
    await scrapeExporter?.shutdown();
    await remoteWrite?.shutdown();
    await prometheus?.stop();
  });

  /**
   * The same detections as deltas in two batches, with short attribute names of this test's own
   * (severity, category, action; the detection_metrics connector's are detection.severity, …,
   * covered by detection-metrics-prometheus.test.ts): prompt_injection 3 + 2, the rest once.
   */
  function deltaBatches(service: string): MetricBatch[] {
    const res = resource(service, { "k8s.cluster.name": "eu-1" });
    const t1 = ms(now - 2_000);
    const t2 = ms(now - 1_000);
    const high = { severity: "high" };
    return [
      [
        detections(res, "delta", [
          point({ ...high, category: "prompt_injection", action: "blocked" }, 3, start, t1),
          point(
            { severity: "medium", category: "jailbreak", action: "flagged_for_review" },
            2,
            start,
            t1,
          ),
        ]),
        latency(res, "delta", [histogramPoint(high, [1, 2, 0, 0], 0.9, start, t1)]),
      ],
      [
        detections(res, "delta", [
          point({ ...high, category: "prompt_injection", action: "blocked" }, 2, t1, t2),
          point(
            { severity: "critical", category: "data_exfiltration", action: "blocked" },
            1,
            t1,
            t2,
          ),
        ]),
        latency(res, "delta", [histogramPoint(high, [0, 1, 1, 1], 2.5, t1, t2)]),
      ],
    ];
  }

  it("scrapes the prometheus exporter; PromQL returns the accumulated counts by label", async () => {
    for (const batch of deltaBatches("support-bot")) {
      await scrapeExporter.consumers.metrics!.consume(batch);
    }
    const results = await eventually(
      base,
      'sum by (category, action) (detections_total{job="tripline"})',
      (r) => sameCounts(sumByCategoryAction(r), WANT),
    );
    expect(sumByCategoryAction(results)).toEqual(WANT);

    const severity = await query(base, 'sum by (severity) (detections_total{job="tripline"})');
    expect(byLabel(severity, "severity")).toEqual({ high: 5, medium: 2, critical: 1 });
    // The series' own job (from service.name) is kept as exported_job by Prometheus.
    const exported = await query(
      base,
      'count by (exported_job) (detections_total{job="tripline"})',
    );
    expect(byLabel(exported, "exported_job")).toEqual({ "support-bot": 3 });

    const buckets = await query(base, 'detection_latency_seconds_bucket{job="tripline"}');
    expect(byLabel(buckets, "le")).toEqual({ "0.1": 1, "0.5": 4, "1": 5, "+Inf": 6 });
    const count = await query(base, 'detection_latency_seconds_count{job="tripline"}');
    expect(count.map((r) => Number(r.value[1]))).toEqual([6]);
    const sum = await query(base, 'detection_latency_seconds_sum{job="tripline"}');
    expect(Number(sum[0]?.value[1])).toBeCloseTo(3.4);

    const info = await query(base, 'target_info{job="tripline"}');
    expect(info.map((r) => r.metric.k8s_cluster_name)).toEqual(["eu-1"]);
  }, 30_000);

  it("promtool check metrics accepts the text exposition", async () => {
    const response = await fetch(`http://127.0.0.1:${scrapeExporter.address!.port}/metrics`, {
      headers: { accept: "text/plain; version=0.0.4" },
    });
    const text = await response.text();
    expect(text).toContain("detections_total{");
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      const child = execFile(PROMTOOL, ["check", "metrics"], (error, stdout, stderr) => {
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          output: stdout + stderr,
        });
      });
      child.stdin!.end(text);
    });
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("remote write lands in Prometheus; the same query matches", async () => {
    for (const batch of deltaBatches("support-bot-rw")) {
      await remoteWrite.consumers.metrics!.consume(batch);
    }
    const results = await eventually(
      base,
      'sum by (category, action) (detections_total{job="support-bot-rw"})',
      (r) => sameCounts(sumByCategoryAction(r), WANT),
    );
    expect(sumByCategoryAction(results)).toEqual(WANT);
    const external = await query(
      base,
      'count(detections_total{job="support-bot-rw", source="remote_write"})',
    );
    expect(Number(external[0]?.value[1])).toBe(3);
    const count = await query(base, 'detection_latency_seconds_count{job="support-bot-rw"}');
    expect(count.map((r) => Number(r.value[1]))).toEqual([6]);
    const info = await query(base, 'target_info{job="support-bot-rw"}');
    expect(info.map((r) => [r.metric.instance, r.metric.k8s_cluster_name])).toEqual([
      ["support-bot-rw-0", "eu-1"],
    ]);
  }, 30_000);
});

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
