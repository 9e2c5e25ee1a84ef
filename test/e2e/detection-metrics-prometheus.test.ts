/**
 * Detections to PromQL through a real Prometheus (/usr/bin/prometheus; CI installs the Debian
 * package): operant detections are POSTed to the detections receiver, mapped by the detection
 * processor, counted by detection_metrics and served by the prometheus exporter, which
 * Prometheus scrapes. The per-severity totals PromQL returns must be exactly what was sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registry } from "../../src/components.js";
import { loadConfig } from "../../src/config/load.js";
import { planGraph } from "../../src/service/graph.js";
import { Service } from "../../src/service/service.js";
import { generate } from "../connectors/detection_metrics/fixtures.js";
import { noopHost, RecordingTelemetry } from "../helpers/context.js";
import { freePort, type Prometheus, query, startPrometheus } from "../helpers/prometheus.js";

let dir = "";
let prometheus: Prometheus | undefined;
let base = "";
let service: Service | undefined;
let detectionsPort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tripline-dm-prom-"));
  detectionsPort = await freePort();
  const exporterPort = await freePort();
  writeFileSync(
    join(dir, "tripline.yaml"),
    `
receivers:
  detections: { endpoint: "127.0.0.1:${detectionsPort}" }
processors:
  detection: { preset: operant }
connectors:
  detection_metrics: { interval: 200ms }
exporters:
  prometheus: { endpoint: "127.0.0.1:${exporterPort}" }
service:
  pipelines:
    logs: { receivers: [detections], processors: [detection], exporters: [detection_metrics] }
    metrics: { receivers: [detection_metrics], exporters: [prometheus] }
`,
  );
  const loaded = loadConfig([join(dir, "tripline.yaml")], registry, {});
  if (!loaded.config) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
  const { plan, diagnostics } = planGraph(loaded.config);
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  service = new Service({
    config: loaded.config,
    plan,
    logger: pino({ level: "silent" }),
    telemetry: new RecordingTelemetry(),
    configDir: dir,
  });
  await service.start(noopHost);

  prometheus = await startPrometheus([`127.0.0.1:${exporterPort}`]);
  base = prometheus.base;
}, 30_000);

afterAll(async () => {
  await service?.shutdown();
  await prometheus?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("returns the exact detections_total per severity for what was POSTed", async () => {
  const payloads = generate("operant", 800, 5);
  const want: Record<string, number> = {};
  for (const p of payloads) want[p.severity as string] = (want[p.severity as string] ?? 0) + 1;

  const response = await fetch(`http://127.0.0.1:${detectionsPort}/v1/detections`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: payloads.map((p) => JSON.stringify(p)).join("\n"),
  });
  expect(await response.json()).toEqual({ accepted: 800 });

  const promql = "sum by (detection_severity) (detections_total)";
  const deadline = Date.now() + 20_000;
  let got: Record<string, number> = {};
  while (Date.now() < deadline) {
    const results = await query(base, promql).catch(() => []);
    got = Object.fromEntries(
      results.map((r) => [r.metric.detection_severity ?? "", Number(r.value[1])]),
    );
    if (JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort()))
      break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(got).toEqual(want);
  expect(Object.keys(want).sort()).toEqual(["critical", "high", "info", "low", "medium"]);

  // The README's burst alert, per agent service: every series carries the OTel names, sanitized.
  const burst = await query(
    base,
    'sum by (service_name) (detections_total{detection_category="prompt_injection"})',
  );
  const wantBurst: Record<string, number> = {};
  for (const p of payloads)
    if (p.category === "prompt_injection") {
      const svc = (p.workload as { service: string }).service;
      wantBurst[svc] = (wantBurst[svc] ?? 0) + 1;
    }
  expect(Object.fromEntries(burst.map((r) => [r.metric.service_name, Number(r.value[1])]))).toEqual(
    wantBurst,
  );
}, 40_000);
