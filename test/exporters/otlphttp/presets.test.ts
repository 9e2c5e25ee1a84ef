/** Presets: Datadog's agentless intake (a contract server enforcing it), Grafana Cloud, Loki, Alloy. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otlpHttpConfigSchema } from "../../../src/exporters/otlphttp/config.js";
import { otlpHttpExporterFactory } from "../../../src/exporters/otlphttp/factory.js";
import { resolveTargets } from "../../../src/exporters/otlphttp/presets.js";
import type { MetricBatch, NumberDataPoint } from "../../../src/pdata/metrics.js";
import { decodeMetricsProto } from "../../../src/pdata/otlp-proto.js";
import { Rejections } from "../../../src/pdata/rejections.js";
import { testContext } from "../../helpers/context.js";
import { type Answer, ContractServer, type Received } from "./contract-server.js";
import { direct, host, sampleLogs, sampleMetrics } from "./fixtures.js";

function issues(input: Record<string, unknown>): string[] {
  const result = otlpHttpConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

/**
 * Datadog's OTLP intake as the fact sheet (§2) describes it: POST /v1/logs and /v1/metrics,
 * dd-api-key required (403 otherwise), protobuf for logs, delta-only metrics.
 */
function datadogCheck(key: string) {
  return (request: Received): Answer | undefined => {
    if (request.method !== "POST") return { status: 405 };
    if (request.path !== "/v1/logs" && request.path !== "/v1/metrics") return { status: 404 };
    if (request.headers["dd-api-key"] !== key) return { status: 403, body: "invalid API key" };
    if (
      request.path === "/v1/logs" &&
      request.headers["content-type"] !== "application/x-protobuf"
    ) {
      return { status: 415 };
    }
    if (request.path === "/v1/metrics") {
      const batch = decodeMetricsProto(request.body, new Rejections());
      const cumulative = batch.some(
        (m) => m.data.type !== "gauge" && m.data.temporality !== "delta",
      );
      if (cumulative) return { status: 400, body: "only delta temporality is accepted" };
    }
    return undefined;
  };
}

describe("preset datadog", () => {
  const server = new ContractServer();
  beforeAll(async () => {
    await server.start();
    server.check = datadogCheck("dd-test-key");
  });
  afterAll(() => server.stop());

  it("targets https://otlp.<site>/v1/{logs,metrics} with dd-api-key and delta temporality", () => {
    const targets = resolveTargets(
      otlpHttpConfigSchema.parse({ preset: "datadog", site: "datadoghq.eu", api_key: "k" }),
    );
    expect(targets.urls).toEqual({
      logs: "https://otlp.datadoghq.eu/v1/logs",
      metrics: "https://otlp.datadoghq.eu/v1/metrics",
    });
    expect(targets.headers).toEqual({ "dd-api-key": "k", "dd-protocol": "otlp" });
    expect(targets.temporality).toBe("delta");
    expect(
      resolveTargets(otlpHttpConfigSchema.parse({ preset: "datadog", api_key: "k" })).urls.logs,
    ).toBe("https://otlp.datadoghq.com/v1/logs");
  });

  it("logs and metrics pass the intake's checks; cumulative counters arrive as deltas", async () => {
    const ctx = testContext("otlphttp/datadog");
    const config = otlpHttpConfigSchema.parse({
      preset: "datadog",
      api_key: "dd-test-key",
      endpoint: server.url,
      ...direct,
    });
    const e = otlpHttpExporterFactory.create(ctx, config, ["logs", "metrics"]);
    await e.start(host);
    await e.consumers.logs!.consume(sampleLogs());
    const start = BigInt(Date.now()) * 1_000_000n + 1_000_000n;
    for (const [i, value] of [4, 9, 15].entries()) {
      await e.consumers.metrics!.consume(
        sampleMetrics(start, start + BigInt(i + 1) * 1000n, value),
      );
    }
    await e.shutdown();
    const metrics = server.requests.filter((r) => r.path === "/v1/metrics");
    expect(metrics).toHaveLength(3);
    const sums = metrics.map((r) => {
      const batch: MetricBatch = decodeMetricsProto(r.body, new Rejections());
      return (batch[0]!.data.points[0] as NumberDataPoint).value;
    });
    expect(sums).toEqual([4, 5, 6]);
    expect(ctx.telemetry.get("exporter/otlphttp/datadog/send_failed/metrics")).toBe(0);
    expect(ctx.telemetry.get("exporter/otlphttp/datadog/sent/logs")).toBe(7);
  });

  it("a wrong key is refused permanently (403)", async () => {
    const config = otlpHttpConfigSchema.parse({
      preset: "datadog",
      api_key: "wrong",
      endpoint: server.url,
      ...direct,
    });
    const e = otlpHttpExporterFactory.create(testContext("otlphttp"), config, ["logs"]);
    await e.start(host);
    await expect(e.consumers.logs!.consume(sampleLogs())).rejects.toThrow(/HTTP 403/);
    await e.shutdown();
  });

  it("refuses what the intake refuses: no key, cumulative temporality, JSON logs", () => {
    expect(issues({ preset: "datadog" })).toEqual([
      expect.stringMatching(/^api_key: preset datadog needs api_key/),
    ]);
    expect(issues({ preset: "datadog", api_key: "k", temporality: "cumulative" })).toEqual([
      expect.stringMatching(/^temporality: Datadog's OTLP intake takes delta/),
    ]);
    const json = otlpHttpConfigSchema.parse({ preset: "datadog", api_key: "k", encoding: "json" });
    expect(() => otlpHttpExporterFactory.create(testContext("x"), json, ["logs"])).toThrow(
      /protobuf only/,
    );
    expect(() => otlpHttpExporterFactory.create(testContext("x"), json, ["metrics"])).not.toThrow();
  });
});

describe("preset grafana_cloud, loki, alloy", () => {
  const server = new ContractServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it("grafana_cloud: basic auth from instance_id and api_token under the gateway's /otlp", async () => {
    const config = otlpHttpConfigSchema.parse({
      preset: "grafana_cloud",
      endpoint: `${server.url}/otlp`,
      instance_id: "123456",
      api_token: "glc_token",
      ...direct,
    });
    const e = otlpHttpExporterFactory.create(testContext("otlphttp"), config, ["logs", "metrics"]);
    await e.start(host);
    await e.consumers.logs!.consume(sampleLogs());
    await e.consumers.metrics!.consume(sampleMetrics(1n, 2n, 3));
    await e.shutdown();
    const [logs, metrics] = server.requests.slice(-2);
    expect(logs!.path).toBe("/otlp/v1/logs");
    expect(metrics!.path).toBe("/otlp/v1/metrics");
    const expected = `Basic ${Buffer.from("123456:glc_token").toString("base64")}`;
    expect(logs!.headers.authorization).toBe(expected);
    // Mimir wants cumulative: the default, unchanged.
    const batch = decodeMetricsProto(metrics!.body, new Rejections());
    expect(batch[0]!.data).toMatchObject({ temporality: "cumulative" });
  });

  it("loki: /otlp/v1/logs under the base URL with X-Scope-OrgID; metrics refused at create", async () => {
    const config = otlpHttpConfigSchema.parse({
      preset: "loki",
      endpoint: server.url,
      tenant_id: "security",
      ...direct,
    });
    expect(() =>
      otlpHttpExporterFactory.create(testContext("otlphttp/loki"), config, ["metrics"]),
    ).toThrow("otlphttp/loki: preset loki sends logs only");
    const e = otlpHttpExporterFactory.create(testContext("otlphttp/loki"), config, ["logs"]);
    await e.start(host);
    await e.consumers.logs!.consume(sampleLogs());
    await e.shutdown();
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/otlp/v1/logs");
    expect(request.headers["x-scope-orgid"]).toBe("security");
  });

  it("alloy: plain OTLP to http://alloy:4318 unless endpoint says otherwise", () => {
    expect(resolveTargets(otlpHttpConfigSchema.parse({ preset: "alloy" })).urls).toEqual({
      logs: "http://alloy:4318/v1/logs",
      metrics: "http://alloy:4318/v1/metrics",
    });
  });

  it("reports misplaced and missing preset options, all at once", () => {
    expect(issues({ endpoint: "http://x", api_key: "k", tenant_id: "t" })).toEqual([
      "api_key: api_key belongs to preset: datadog",
      "tenant_id: tenant_id belongs to preset: loki",
    ]);
    expect(issues({ preset: "grafana_cloud" })).toEqual([
      expect.stringMatching(/^endpoint: preset grafana_cloud needs the stack's OTLP endpoint/),
      "instance_id: preset grafana_cloud needs it",
      "api_token: preset grafana_cloud needs it",
    ]);
    expect(
      issues({ preset: "loki", endpoint: "http://loki:3100", metrics_endpoint: "http://m" }),
    ).toEqual(["metrics_endpoint: Loki takes logs only; send metrics to Mimir or Prometheus"]);
    expect(issues({})).toEqual([
      "endpoint: set endpoint (or logs_endpoint / metrics_endpoint), or a preset",
    ]);
    expect(issues({ endpoint: "http://x", tls: { cert_file: "c.pem" } })).toEqual([
      "tls: set cert_file and key_file together",
    ]);
  });

  it("a pipeline signal without a URL is an error at create", () => {
    const config = otlpHttpConfigSchema.parse({ logs_endpoint: "http://x/v1/logs" });
    expect(() =>
      otlpHttpExporterFactory.create(testContext("otlphttp"), config, ["metrics"]),
    ).toThrow("otlphttp: no URL for metrics");
  });
});
