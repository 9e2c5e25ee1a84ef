import type { Consumer, ReceiverFactory } from "../../component/component.js";
import type { LogBatch } from "../../pdata/logs.js";
import { detectionsConfigSchema } from "./config.js";
import { DetectionsReceiver } from "./receiver.js";

export const detectionsFactory: ReceiverFactory<typeof detectionsConfigSchema> = {
  type: "detections",
  kind: "receiver",
  description: "HTTP webhook for security detections: POST a JSON object, a JSON array or NDJSON",
  signals: ["logs"],
  configSchema: detectionsConfigSchema,
  create: (ctx, config, next) =>
    new DetectionsReceiver(ctx, config, next.logs as Consumer<LogBatch>),
};
