/**
 * pipelines/datadog.yaml run for real: the built CLI on the shipped file, with only the
 * Datadog endpoints, listen ports, queue directory and connector interval overridden through
 * a second -c file and the env vars the pipeline exposes. A mix of operant detections is POSTed
 * to the webhook; a Datadog Logs contract server must receive exactly the high and critical
 * ones with the right ddtags and status, and a Datadog OTLP contract server (delta only,
 * dd-api-key, protobuf) must receive detection counts for every detection as deltas that add up
 * to what was sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../connectors/detection_metrics/fixtures.js";
import { type Gateway, startGateway } from "../e2e/gateway.js";
import { DatadogContractServer } from "../exporters/datadog/contract-server.js";
import {
  ContractServer,
  decodeUpstream,
  MetricsRequest,
  type Received,
} from "../exporters/otlphttp/contract-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const API_KEY = "dd-e2e-key-0123456789abcdef";
const DELTA = 1;

interface KeyValue {
  key: string;
  value: { stringValue?: string };
}
interface NumberPoint {
  attributes?: KeyValue[];
  asInt?: string;
  asDouble?: number;
}
interface Metric {
  name: string;
  sum?: { dataPoints?: NumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
}
interface MetricsBody {
  resourceMetrics?: { scopeMetrics?: { metrics?: Metric[] }[] }[];
}

function metricsOf(request: Received): Metric[] {
  const body = decodeUpstream(MetricsRequest, request.body) as MetricsBody;
  return (body.resourceMetrics ?? []).flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) => sm.metrics ?? []),
  );
}

/** Datadog's OTLP intake as the fact sheet describes it: refuses what it would refuse. */
function datadogIntake(request: Received) {
  if (request.method !== "POST") return { status: 405 };
  if (request.path !== "/v1/metrics" && request.path !== "/v1/logs") return { status: 404 };
  if (request.headers["dd-api-key"] !== API_KEY) return { status: 403, body: "invalid API key" };
  if (request.headers["content-type"] !== "application/x-protobuf") return { status: 415 };
  if (request.path === "/v1/metrics") {
    const cumulative = metricsOf(request).some(
      (m) => m.sum && m.sum.aggregationTemporality !== DELTA,
    );
    if (cumulative) return { status: 400, body: "only delta temporality is accepted" };
  }
  return undefined;
}

/** Sum of every delta of `detections`, by detection.severity, over all accepted requests. */
function detectionDeltasBySeverity(server: ContractServer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const request of server.requests.filter((r) => r.path === "/v1/metrics")) {
    for (const metric of metricsOf(request)) {
      if (metric.name !== "detections") continue;
      for (const point of metric.sum?.dataPoints ?? []) {
        const severity =
          point.attributes?.find((a) => a.key === "detection.severity")?.value.stringValue ?? "";
        out[severity] = (out[severity] ?? 0) + Number(point.asInt ?? point.asDouble ?? 0);
      }
    }
  }
  return out;
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

describe("pipelines/datadog.yaml end to end", () => {
  const logs = new DatadogContractServer(API_KEY);
  const otlp = new ContractServer();
  let gateway: Gateway | undefined;
  let queueDir = "";

  beforeAll(async () => {
    await logs.start();
    await otlp.start();
    otlp.check = datadogIntake;
    queueDir = mkdtempSync(join(tmpdir(), "tripline-dd-queue-"));
    // Only what a test must change: where Datadog is, where to listen, how often to flush.
    const override = `
exporters:
  datadog_logs: { endpoint: "${logs.url}" }
  otlphttp/datadog: { endpoint: "${otlp.url}" }
connectors:
  detection_metrics: { interval: 200ms }
service:
  telemetry: { metrics: { address: "127.0.0.1:0" } }
`;
    gateway = await startGateway(
      override,
      {
        DD_API_KEY: API_KEY,
        TRIPLINE_DETECTIONS_ENDPOINT: "127.0.0.1:0",
        TRIPLINE_OTLP_HTTP_ENDPOINT: "127.0.0.1:0",
        TRIPLINE_QUEUE_DIR: queueDir,
      },
      { configFiles: [join(ROOT, "pipelines/datadog.yaml")] },
    );
  }, 20_000);

  afterAll(async () => {
    await gateway?.stop();
    await logs.stop();
    await otlp.stop();
    if (queueDir) rmSync(queueDir, { recursive: true, force: true });
  });

  it("sends exactly the high and critical detections to the Logs intake, and counts all as deltas", async () => {
    const payloads = generate("operant", 400, 11);
    const response = await fetch(`${gateway!.receiverUrl}/v1/detections`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: payloads.map((p) => JSON.stringify(p)).join("\n"),
    });
    expect(await response.json()).toEqual({ accepted: 400 });

    const paged = payloads.filter((p) => p.severity === "high" || p.severity === "critical");
    const all = tally(payloads.map((p) => String(p.severity)));
    expect(Object.keys(all).sort()).toEqual(["critical", "high", "info", "low", "medium"]);

    await until(() => logs.logs.length >= paged.length, `${paged.length} Datadog logs`);
    await until(
      () =>
        JSON.stringify(sortKeys(detectionDeltasBySeverity(otlp))) === JSON.stringify(sortKeys(all)),
      "detection deltas adding up to the POSTed mix",
    );

    // Logs: exactly the paged ids, each with its severity as status and tags.
    expect(logs.logs.map((l) => l["detection.id"]).sort()).toEqual(
      paged.map((p) => p.detection_id).sort(),
    );
    const byId = new Map(paged.map((p) => [p.detection_id, p]));
    for (const log of logs.logs) {
      const source = byId.get(log["detection.id"] as string)!;
      expect(log.status).toBe(source.severity === "critical" ? "critical" : "error");
      expect(log.ddsource).toBe("operant");
      const tags = String(log.ddtags).split(",");
      expect(tags).toEqual(
        expect.arrayContaining([
          `severity:${source.severity}`,
          `category:${source.category}`,
          `action:${source.action}`,
          `env:${source.environment}`,
          `team:${log.team}`,
        ]),
      );
    }
    expect(logs.requests.every((r) => r.status === 202)).toBe(true);

    // Metrics: every request passed the intake's checks (delta only) and sums are monotonic.
    const metricRequests = otlp.requests.filter((r) => r.path === "/v1/metrics");
    expect(metricRequests.length).toBeGreaterThan(0);
    expect(metricRequests.every((r) => datadogIntake(r) === undefined)).toBe(true);
    const sums = metricRequests.flatMap(metricsOf).filter((m) => m.name === "detections");
    expect(sums.every((m) => m.sum?.aggregationTemporality === DELTA && m.sum.isMonotonic)).toBe(
      true,
    );
  }, 40_000);
});

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
