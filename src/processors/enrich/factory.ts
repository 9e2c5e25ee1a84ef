import type { ProcessorFactory } from "../../component/component.js";
import { enrichConfigSchema } from "./config.js";
import { EnrichProcessor } from "./processor.js";

export const enrichFactory: ProcessorFactory<typeof enrichConfigSchema> = {
  type: "enrich",
  kind: "processor",
  description: "Adds static tags, environment values and columns from CSV/YAML lookup tables.",
  signals: ["logs"],
  configSchema: enrichConfigSchema,
  create: (ctx, config, next) => new EnrichProcessor(ctx, config, next),
};
