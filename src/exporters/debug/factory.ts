import type { ExporterFactory } from "../../component/component.js";
import { debugConfigSchema } from "./config.js";
import { DebugExporter } from "./exporter.js";

export const debugFactory: ExporterFactory<typeof debugConfigSchema> = {
  type: "debug",
  kind: "exporter",
  description: "Prints logs and metrics to stdout (summary, one line per item, or a full dump).",
  signals: ["logs", "metrics"],
  configSchema: debugConfigSchema,
  create: (ctx, config, signals) => new DebugExporter(ctx, config, signals),
};
