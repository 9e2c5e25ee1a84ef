/**
 * pipelines/grafana.yaml run for real: the built CLI on the shipped file, with only the
 * endpoints (env vars the pipeline exposes), the connector interval and the self-telemetry port
 * overridden. A mix of operant detections is POSTed to the webhook; a Loki contract server must
 * receive every one in streams labelled as the exporter documents, a Grafana annotations
 * contract server one annotation per high/critical storm, and a real Prometheus scraping the
 * prometheus exporter must answer `sum by (detection_severity) (detections_total)` with exactly
 * the POSTed counts.
 */
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../connectors/detection_metrics/fixtures.js";
import { type Gateway, startGateway } from "../e2e/gateway.js";
import { GrafanaContractServer } from "../exporters/grafana_annotations/contract-server.js";
import { LokiContractServer } from "../exporters/loki/contract-server.js";
import {
  byLabel,
  eventually,
  freePort,
  type Prometheus,
  query,
  startPrometheus,
} from "../helpers/prometheus.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "glsa_e2e_token_0123456789";

interface Operant {
  detection_id: string;
  severity: string;
  category: string;
  action: string;
  environment: string;
  workload: { cluster: string; service: string };
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("pipelines/grafana.yaml end to end", () => {
  const loki = new LokiContractServer();
  const grafana = new GrafanaContractServer(TOKEN);
  let gateway: Gateway | undefined;
  let prometheus: Prometheus | undefined;
  // Sent once, checked by each test below.
  const payloads = generate("operant", 200, 3) as unknown as Operant[];
  const high = payloads.filter((p) => p.severity === "high" || p.severity === "critical");

  beforeAll(async () => {
    await loki.start();
    await grafana.start();
    const scrapePort = await freePort();
    gateway = await startGateway(
      `
connectors:
  detection_metrics: { interval: 200ms }
service:
  telemetry: { metrics: { address: "127.0.0.1:0" } }
`,
      {
        GRAFANA_TOKEN: TOKEN,
        GRAFANA_URL: grafana.url,
        LOKI_URL: loki.url,
        TRIPLINE_PROMETHEUS_ENDPOINT: `127.0.0.1:${scrapePort}`,
        TRIPLINE_DETECTIONS_ENDPOINT: "127.0.0.1:0",
        TRIPLINE_OTLP_HTTP_ENDPOINT: "127.0.0.1:0",
      },
      { configFiles: [join(ROOT, "pipelines/grafana.yaml")] },
    );
    prometheus = await startPrometheus([`127.0.0.1:${scrapePort}`]);

    const response = await fetch(`${gateway.receiverUrl}/v1/detections`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: payloads.map((p) => JSON.stringify(p)).join("\n"),
    });
    expect(await response.json()).toEqual({ accepted: payloads.length });
  }, 40_000);

  afterAll(async () => {
    await gateway?.stop();
    await prometheus?.stop();
    await loki.stop();
    await grafana.stop();
  });

  const entries = () => loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.entries));

  it("every detection reaches Loki, in streams labelled service_name, env, cluster, severity, category", async () => {
    await until(() => entries().length >= payloads.length, `${payloads.length} Loki entries`);
    expect(entries()).toHaveLength(payloads.length);
    expect(loki.pushes.every((p) => p.status === 204 || p.status === 200)).toBe(true);

    const streams = loki.pushes.flatMap((p) => p.streams);
    for (const stream of streams) {
      expect(Object.keys(stream.labels).sort()).toEqual(
        ["category", "cluster", "env", "service_name", "severity"].sort(),
      );
    }
    // Per-severity counts from the stream labels match what was sent.
    const bySeverity: Record<string, number> = {};
    for (const s of streams)
      bySeverity[s.labels.severity!] = (bySeverity[s.labels.severity!] ?? 0) + s.entries.length;
    expect(bySeverity).toEqual(tally(payloads.map((p) => p.severity)));

    // Ids are structured metadata (detection_id), not labels; the rest is in the JSON line,
    // where LogQL's `| json` reads detection.action as detection_action.
    expect(
      entries()
        .map((e) => e.metadata.detection_id)
        .sort(),
    ).toEqual(payloads.map((p) => p.detection_id).sort());
    const line = JSON.parse(entries()[0]!.line) as Record<string, unknown>;
    expect(line).toHaveProperty("detection.action");
    expect(line).toHaveProperty("level");
  }, 30_000);

  it("high and critical detections become one annotation per category/action/service", async () => {
    const keys = new Set(high.map((p) => `${p.category}|${p.action}|${p.workload.service}`));
    // Below the exporter's default max_per_minute (30), so none is rate-limited away.
    expect(keys.size).toBeGreaterThan(3);
    expect(keys.size).toBeLessThanOrEqual(30);
    await until(() => grafana.annotations.size >= keys.size, `${keys.size} annotations`);
    const annotations = [...grafana.annotations.values()];
    expect(annotations).toHaveLength(keys.size);
    const tagged = annotations.map((a) => {
      const tag = (k: string) => a.tags.find((t) => t.startsWith(`${k}:`))?.slice(k.length + 1);
      expect(["high", "critical"]).toContain(tag("severity"));
      expect(a.tags).toContain("tripline");
      return `${tag("category")}|${tag("action")}|${tag("service")}`;
    });
    expect(new Set(tagged)).toEqual(keys);
  }, 30_000);

  it("PromQL sum by (detection_severity) (detections_total) returns exactly the POSTed counts", async () => {
    const want = tally(payloads.map((p) => p.severity));
    expect(Object.keys(want).sort()).toEqual(["critical", "high", "info", "low", "medium"]);
    const promql = "sum by (detection_severity) (detections_total)";
    const results = await eventually(
      prometheus!.base,
      promql,
      (r) =>
        JSON.stringify(sorted(byLabel(r, "detection_severity"))) === JSON.stringify(sorted(want)),
      20_000,
    );
    expect(byLabel(results, "detection_severity")).toEqual(want);

    // The pipeline's documented per-category query for high and critical.
    const highByCategory = await query(
      prometheus!.base,
      'sum by (detection_category) (detections_total{detection_severity=~"high|critical"})',
    );
    expect(byLabel(highByCategory, "detection_category")).toEqual(
      tally(high.map((p) => p.category)),
    );
  }, 40_000);
});

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
