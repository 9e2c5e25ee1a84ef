import type { ProcessorFactory } from "../../component/component.js";
import { attributesConfigSchema } from "./config.js";
import { AttributesProcessor } from "./processor.js";

export const attributesFactory: ProcessorFactory<typeof attributesConfigSchema> = {
  type: "attributes",
  kind: "processor",
  description: "Inserts, updates, deletes, hashes, extracts, converts or renames attributes.",
  signals: ["logs", "metrics"],
  configSchema: attributesConfigSchema,
  create: (ctx, config, next) => new AttributesProcessor(ctx, config, next),
};
