import type { ProcessorFactory } from "../../component/component.js";
import { dedupConfigSchema } from "./config.js";
import { DedupProcessor } from "./processor.js";

export const dedupFactory: ProcessorFactory<typeof dedupConfigSchema> = {
  type: "dedup",
  kind: "processor",
  description: "Folds repeated detections within an interval into one summary with a count.",
  signals: ["logs"],
  configSchema: dedupConfigSchema,
  create: (ctx, config, next) => new DedupProcessor(ctx, config, next),
};
