import { z } from "zod";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { DATADOG_SITES } from "../datadog_logs/site.js";
import { checkCompressionParams, compressionParamsSchema } from "../internal/compress.js";
import { headersSchema, httpUrl, tlsClientCertSchema } from "../internal/http-config.js";
import { temporalityFields } from "../internal/temporality.js";

export const PRESETS = ["datadog", "grafana_cloud", "loki", "alloy"] as const;
export type Preset = (typeof PRESETS)[number];

/** confighttp's client TLS with a client certificate for mutual TLS (shared with others). */
export const tlsWithClientCertSchema = tlsClientCertSchema;

/** Options that belong to one preset, and the preset they belong to. */
const PRESET_OPTIONS: Record<string, Preset> = {
  site: "datadog",
  api_key: "datadog",
  instance_id: "grafana_cloud",
  api_token: "grafana_cloud",
  tenant_id: "loki",
};

export const otlpHttpConfigSchema = z
  .strictObject({
    preset: z
      .enum(PRESETS)
      .optional()
      .describe(
        "fills endpoints and headers for a backend: datadog (agentless OTLP intake), " +
          "grafana_cloud (OTLP gateway), loki (Loki 3 native OTLP), alloy (Grafana Alloy)",
      ),
    endpoint: httpUrl
      .optional()
      .describe(
        "base URL; /v1/logs and /v1/metrics are appended (preset loki: /otlp/v1/logs). With " +
          "preset datadog it replaces https://otlp.<site> (a proxy)",
      ),
    logs_endpoint: httpUrl.optional().describe("full URL for logs, used as is; overrides endpoint"),
    metrics_endpoint: httpUrl
      .optional()
      .describe("full URL for metrics, used as is; overrides endpoint"),
    encoding: z
      .enum(["proto", "json"])
      .default("proto")
      .describe("request body: proto (application/x-protobuf) or json (OTLP/JSON)"),
    compression: z.enum(["gzip", "none"]).default("gzip").describe("Content-Encoding of requests"),
    compression_params: compressionParamsSchema.optional(),
    headers: headersSchema.describe(
      `extra HTTP headers sent with every request; reference secret values with \${env:…}, they ` +
        "are never logged",
    ),
    tls: tlsWithClientCertSchema.optional(),
    site: z
      .enum(DATADOG_SITES)
      .optional()
      .describe("preset datadog: the Datadog site (default datadoghq.com)"),
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe("preset datadog: the API key, sent as dd-api-key (a secret)"),
    instance_id: z
      .string()
      .min(1)
      .optional()
      .describe("preset grafana_cloud: the stack's OTLP instance ID (basic-auth user)"),
    api_token: z
      .string()
      .min(1)
      .optional()
      .describe("preset grafana_cloud: a Cloud access-policy token with write scopes (a secret)"),
    tenant_id: z
      .string()
      .min(1)
      .optional()
      .describe("preset loki: the tenant, sent as X-Scope-OrgID (multi-tenant Loki)"),
    ...temporalityFields,
    ...exporterHelperFields,
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    checkCompressionParams(c.compression, c.compression_params, ctx);
    for (const [option, preset] of Object.entries(PRESET_OPTIONS)) {
      if (c[option as keyof typeof c] !== undefined && c.preset !== preset) {
        issue(option, `${option} belongs to preset: ${preset}`);
      }
    }
    const headerNames = Object.keys(c.headers).map((h) => h.toLowerCase());
    switch (c.preset) {
      case "datadog":
        if (c.api_key === undefined) {
          issue("api_key", `preset datadog needs api_key; reference it, e.g. \${env:DD_API_KEY}`);
        }
        if (c.temporality === "cumulative") {
          issue("temporality", "Datadog's OTLP intake takes delta metrics only; leave it unset");
        }
        if (headerNames.includes("dd-api-key")) {
          issue("headers", "preset datadog sets dd-api-key from api_key");
        }
        return;
      case "grafana_cloud":
        if (c.endpoint === undefined && (!c.logs_endpoint || !c.metrics_endpoint)) {
          issue(
            "endpoint",
            "preset grafana_cloud needs the stack's OTLP endpoint, e.g. " +
              "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp",
          );
        }
        if (c.instance_id === undefined) issue("instance_id", "preset grafana_cloud needs it");
        if (c.api_token === undefined) issue("api_token", "preset grafana_cloud needs it");
        if (headerNames.includes("authorization")) {
          issue(
            "headers",
            "preset grafana_cloud sets Authorization from instance_id and api_token",
          );
        }
        return;
      case "loki":
        if (c.endpoint === undefined && c.logs_endpoint === undefined) {
          issue("endpoint", "preset loki needs Loki's base URL, e.g. http://loki:3100");
        }
        if (c.metrics_endpoint !== undefined) {
          issue("metrics_endpoint", "Loki takes logs only; send metrics to Mimir or Prometheus");
        }
        if (c.tenant_id !== undefined && headerNames.includes("x-scope-orgid")) {
          issue("headers", "X-Scope-OrgID is set from tenant_id");
        }
        return;
      case "alloy":
        return;
      default:
        if (c.endpoint === undefined && c.logs_endpoint === undefined && !c.metrics_endpoint) {
          issue("endpoint", "set endpoint (or logs_endpoint / metrics_endpoint), or a preset");
        }
    }
  })
  .describe("Sends logs and metrics over OTLP/HTTP (protobuf or JSON), like the Collector's.");

export type OtlpHttpConfig = z.output<typeof otlpHttpConfigSchema>;
