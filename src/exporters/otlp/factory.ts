import type { ExporterFactory } from "../../component/component.js";
import { otlpGrpcExporterConfigSchema } from "./config.js";
import { createOtlpGrpcExporter } from "./exporter.js";

export const otlpGrpcExporterFactory: ExporterFactory<typeof otlpGrpcExporterConfigSchema> = {
  type: "otlp",
  kind: "exporter",
  description: "Sends logs and metrics over OTLP/gRPC (TLS by default), like the Collector's.",
  signals: ["logs", "metrics"],
  configSchema: otlpGrpcExporterConfigSchema,
  create: (ctx, config, signals) => createOtlpGrpcExporter(ctx, config, signals),
};

/** The name the Collector is moving `otlp` to; same options, same behaviour. */
export const otlpGrpcRenamedExporterFactory: ExporterFactory<typeof otlpGrpcExporterConfigSchema> =
  {
    ...otlpGrpcExporterFactory,
    type: "otlp_grpc",
    description: "Same as the otlp exporter (the Collector's new name for it).",
  };
