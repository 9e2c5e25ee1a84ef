import type { ExporterFactory } from "../../component/component.js";
import { check } from "../datadog_logs/check.js";
import { datadogEventsConfigSchema } from "./config.js";
import { createDatadogEventsExporter } from "./exporter.js";

export const datadogEventsFactory: ExporterFactory<typeof datadogEventsConfigSchema> = {
  type: "datadog_events",
  kind: "exporter",
  description: "Posts one Datadog Event per log record (v1 Events API), rate-limited.",
  signals: ["logs"],
  configSchema: datadogEventsConfigSchema,
  create: (ctx, config, signals) => createDatadogEventsExporter(ctx, config, signals),
  check: (config) => check(config),
};
