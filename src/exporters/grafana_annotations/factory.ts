import type { ExporterFactory } from "../../component/component.js";
import { grafanaAnnotationsConfigSchema } from "./config.js";
import { GrafanaAnnotationsExporter } from "./exporter.js";

export const grafanaAnnotationsFactory: ExporterFactory<typeof grafanaAnnotationsConfigSchema> = {
  type: "grafana_annotations",
  kind: "exporter",
  description:
    "Posts high-severity detections as Grafana annotations, deduplicated per window and rate-limited.",
  signals: ["logs"],
  configSchema: grafanaAnnotationsConfigSchema,
  create: (ctx, config, signals) => new GrafanaAnnotationsExporter(ctx, config, signals),
};
