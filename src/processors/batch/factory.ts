import type { ProcessorFactory } from "../../component/component.js";
import { batchConfigSchema } from "./config.js";
import { BatchProcessor } from "./processor.js";

export const batchFactory: ProcessorFactory<typeof batchConfigSchema> = {
  type: "batch",
  kind: "processor",
  description: "Groups items into batches by size and time; acknowledges only once sent.",
  signals: ["logs", "metrics"],
  configSchema: batchConfigSchema,
  create: (ctx, config, next) => new BatchProcessor(ctx, config, next),
};
