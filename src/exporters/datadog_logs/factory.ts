import type { ExporterFactory } from "../../component/component.js";
import { check } from "./check.js";
import { datadogLogsConfigSchema } from "./config.js";
import { createDatadogLogsExporter } from "./exporter.js";

export const datadogLogsFactory: ExporterFactory<typeof datadogLogsConfigSchema> = {
  type: "datadog_logs",
  kind: "exporter",
  description:
    "Sends log records to the Datadog Logs intake (HTTP v2): gzip, batches within Datadog's limits.",
  signals: ["logs"],
  configSchema: datadogLogsConfigSchema,
  create: (ctx, config, signals) => createDatadogLogsExporter(ctx, config, signals),
  check: (config) => check(config),
};
