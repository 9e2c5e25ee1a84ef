import type { ExporterFactory } from "../../component/component.js";
import { otlpHttpConfigSchema } from "./config.js";
import { createOtlpHttpExporter } from "./exporter.js";

export const otlpHttpExporterFactory: ExporterFactory<typeof otlpHttpConfigSchema> = {
  type: "otlphttp",
  kind: "exporter",
  description:
    "Sends logs and metrics over OTLP/HTTP; presets for Datadog, Grafana Cloud, Loki and Alloy.",
  signals: ["logs", "metrics"],
  configSchema: otlpHttpConfigSchema,
  create: (ctx, config, signals) => createOtlpHttpExporter(ctx, config, signals),
};

/** The name the Collector is moving `otlphttp` to; same options, same behaviour. */
export const otlpHttpRenamedExporterFactory: ExporterFactory<typeof otlpHttpConfigSchema> = {
  ...otlpHttpExporterFactory,
  type: "otlp_http",
  description: "Same as otlphttp (the Collector's new name for it).",
};
