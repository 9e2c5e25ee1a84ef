import type { ExporterFactory } from "../../component/component.js";
import { prometheusRemoteWriteConfigSchema } from "./config.js";
import { createPrometheusRemoteWriteExporter } from "./exporter.js";

export const prometheusRemoteWriteFactory: ExporterFactory<
  typeof prometheusRemoteWriteConfigSchema
> = {
  type: "prometheusremotewrite",
  kind: "exporter",
  description:
    "Sends metrics with Prometheus remote write 1.0 (protobuf + snappy); delta input becomes cumulative.",
  signals: ["metrics"],
  configSchema: prometheusRemoteWriteConfigSchema,
  create: (ctx, config, signals) => createPrometheusRemoteWriteExporter(ctx, config, signals),
};
