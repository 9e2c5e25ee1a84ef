import type { ExporterFactory } from "../../component/component.js";
import { prometheusConfigSchema } from "./config.js";
import { PrometheusExporter } from "./exporter.js";

export const prometheusFactory: ExporterFactory<typeof prometheusConfigSchema> = {
  type: "prometheus",
  kind: "exporter",
  description:
    "Serves metrics on /metrics for Prometheus to scrape (text 0.0.4 or OpenMetrics); delta input is accumulated.",
  signals: ["metrics"],
  configSchema: prometheusConfigSchema,
  create: (ctx, config) => new PrometheusExporter(ctx, config),
};
