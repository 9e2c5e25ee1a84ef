import type { ReceiverFactory } from "../../component/component.js";
import { otlpConfigSchema } from "./config.js";
import { OtlpReceiver } from "./receiver.js";

export const otlpFactory: ReceiverFactory<typeof otlpConfigSchema> = {
  type: "otlp",
  kind: "receiver",
  description: "OTLP logs and metrics over HTTP (protobuf, JSON) and gRPC, like the Collector's",
  signals: ["logs", "metrics"],
  configSchema: otlpConfigSchema,
  create: (ctx, config, next) => new OtlpReceiver(ctx, config, next),
};
