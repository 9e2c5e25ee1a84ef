import type { Temporality } from "../../pdata/metrics.js";
import type { Signal } from "../../pdata/signal.js";
import type { OtlpHttpConfig } from "./config.js";

/** Where each signal goes and what every request carries, once the preset is applied. */
export interface Targets {
  urls: { [S in Signal]?: string };
  /** Headers the preset sets (credentials among them); the user's `headers` come first. */
  headers: Record<string, string>;
  temporality: Temporality;
}

/** Grafana Alloy's otelcol.receiver.otlp HTTP port, under the service name Alloy's charts use. */
export const ALLOY_DEFAULT_ENDPOINT = "http://alloy:4318";

const trim = (url: string) => url.replace(/\/+$/, "");

/** Datadog's agentless OTLP intake: `https://otlp.<site>` + /v1/logs, /v1/metrics. */
export function datadogOtlpBase(site: string): string {
  return `https://otlp.${site}`;
}

export function resolveTargets(config: OtlpHttpConfig): Targets {
  const headers: Record<string, string> = {};
  let base = config.endpoint;
  let logsPath = "/v1/logs";
  let metrics = true;
  let temporality: Temporality = config.temporality ?? "cumulative";
  switch (config.preset) {
    case "datadog":
      base ??= datadogOtlpBase(config.site ?? "datadoghq.com");
      headers["dd-api-key"] = config.api_key ?? "";
      // Sent by Datadog's own examples for the logs intake; harmless for metrics.
      headers["dd-protocol"] = "otlp";
      temporality = "delta";
      break;
    case "grafana_cloud": {
      const credentials = `${config.instance_id}:${config.api_token}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
      break;
    }
    case "loki":
      logsPath = "/otlp/v1/logs";
      metrics = false;
      if (config.tenant_id) headers["x-scope-orgid"] = config.tenant_id;
      break;
    case "alloy":
      base ??= ALLOY_DEFAULT_ENDPOINT;
      break;
  }
  const urls: Targets["urls"] = {};
  const logs = config.logs_endpoint ?? (base ? `${trim(base)}${logsPath}` : undefined);
  if (logs) urls.logs = logs;
  if (metrics) {
    const url = config.metrics_endpoint ?? (base ? `${trim(base)}/v1/metrics` : undefined);
    if (url) urls.metrics = url;
  }
  return { urls, headers, temporality };
}
