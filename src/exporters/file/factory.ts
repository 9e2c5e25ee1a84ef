import type { ExporterFactory } from "../../component/component.js";
import { fileConfigSchema } from "./config.js";
import { FileExporter } from "./exporter.js";

export const fileFactory: ExporterFactory<typeof fileConfigSchema> = {
  type: "file",
  kind: "exporter",
  description: "Appends logs and metrics to a file as OTLP/JSON lines, with size-based rotation.",
  signals: ["logs", "metrics"],
  configSchema: fileConfigSchema,
  create: (ctx, config, signals) => new FileExporter(ctx, config, signals),
};
