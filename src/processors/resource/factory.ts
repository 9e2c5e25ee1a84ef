import type { ProcessorFactory } from "../../component/component.js";
import { resourceConfigSchema } from "./config.js";
import { ResourceProcessor } from "./processor.js";

export const resourceFactory: ProcessorFactory<typeof resourceConfigSchema> = {
  type: "resource",
  kind: "processor",
  description:
    "Applies attribute actions to resource attributes without touching shared resources.",
  signals: ["logs", "metrics"],
  configSchema: resourceConfigSchema,
  create: (ctx, config, next) => new ResourceProcessor(ctx, config, next),
};
