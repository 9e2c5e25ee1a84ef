/**
 * Detections to PromQL through a real Prometheus (/usr/bin/prometheus; CI installs the Debian
 * package): operant detections are POSTed to the detections receiver, mapped by the detection
 * processor, counted by detection_metrics and served by the prometheus exporter, which
 * Prometheus scrapes. The per-severity totals PromQL returns must be exactly what was sent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
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

const PROMETHEUS = "/usr/bin/prometheus";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<PromResult[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const json = (await response.json()) as { status: string; data: { result: PromResult[] } };
  if (json.status !== "success") throw new Error(`query failed: ${JSON.stringify(json)}`);
  return json.data.result;
}

let dir = "";
let prometheus: ChildProcess | undefined;
let promLog = "";
let base = "";
let service: Service | undefined;
let detectionsPort = 0;

beforeAll(async () => {
  if (!existsSync(PROMETHEUS))
    throw new Error("install Prometheus to run this test (CI does): apt-get install -y prometheus");
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

  const promPort = await freePort();
  base = `http://127.0.0.1:${promPort}`;
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: tripline",
      "    scrape_interval: 1s",
      `    static_configs: [{ targets: ["127.0.0.1:${exporterPort}"] }]`,
      "",
    ].join("\n"),
  );
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  prometheus.stderr!.on("data", (d: Buffer) => (promLog += d.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
    const ready = await fetch(`${base}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus not ready in 15s:\n${promLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  await service?.shutdown();
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once("exit", r));
    prometheus.kill("SIGTERM");
    await exited;
  }
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
