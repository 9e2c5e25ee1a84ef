import type { ProcessorFactory } from "../../component/component.js";
import { filterConfigSchema } from "./config.js";
import { FilterProcessor } from "./processor.js";

export const filterFactory: ProcessorFactory<typeof filterConfigSchema> = {
  type: "filter",
  kind: "processor",
  description: "Drops log records matching OTTL conditions or below a detection severity.",
  signals: ["logs"],
  configSchema: filterConfigSchema,
  create: (ctx, config, next) => new FilterProcessor(ctx, config, next),
};
