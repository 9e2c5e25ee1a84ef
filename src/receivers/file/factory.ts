import type { Consumer, ReceiverFactory } from "../../component/component.js";
import type { LogBatch } from "../../pdata/logs.js";
import { fileReceiverConfigSchema } from "./config.js";
import { FileReceiver } from "./receiver.js";

export const fileReceiverFactory: ReceiverFactory<typeof fileReceiverConfigSchema> = {
  type: "file",
  kind: "receiver",
  description: "Tails NDJSON files by glob; one log record per line, checkpointed, at-least-once",
  signals: ["logs"],
  configSchema: fileReceiverConfigSchema,
  create: (ctx, config, next) => new FileReceiver(ctx, config, next.logs as Consumer<LogBatch>),
};
