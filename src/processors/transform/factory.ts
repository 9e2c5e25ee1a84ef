import type { ProcessorFactory } from "../../component/component.js";
import { transformConfigSchema } from "./config.js";
import { TransformProcessor } from "./processor.js";

export const transformFactory: ProcessorFactory<typeof transformConfigSchema> = {
  type: "transform",
  kind: "processor",
  description: "Changes log records with OTTL statements (set, delete_key, replace_pattern, …).",
  signals: ["logs"],
  configSchema: transformConfigSchema,
  create: (ctx, config, next) => new TransformProcessor(ctx, config, next),
};
