import type { ExporterFactory } from "../../component/component.js";
import { lokiConfigSchema } from "./config.js";
import { createLokiExporter } from "./exporter.js";

export const lokiFactory: ExporterFactory<typeof lokiConfigSchema> = {
  type: "loki",
  kind: "exporter",
  description:
    "Pushes log records to Grafana Loki: a small label set, structured metadata, protobuf + snappy.",
  signals: ["logs"],
  configSchema: lokiConfigSchema,
  create: (ctx, config, signals) => createLokiExporter(ctx, config, signals),
};
