import type { ProcessorFactory } from "../../component/component.js";
import { memoryLimiterConfigSchema } from "./config.js";
import { MemoryLimiterProcessor } from "./processor.js";

export const memoryLimiterFactory: ProcessorFactory<typeof memoryLimiterConfigSchema> = {
  type: "memory_limiter",
  kind: "processor",
  description: "Refuses data with a retryable error while process memory is above a limit.",
  signals: ["logs", "metrics"],
  configSchema: memoryLimiterConfigSchema,
  create: (ctx, config, next) => new MemoryLimiterProcessor(ctx, config, next),
};
