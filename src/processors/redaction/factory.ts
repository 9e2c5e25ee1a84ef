import type { ProcessorFactory } from "../../component/component.js";
import { redactionConfigSchema } from "./config.js";
import { RedactionProcessor } from "./processor.js";

export const redactionFactory: ProcessorFactory<typeof redactionConfigSchema> = {
  type: "redaction",
  kind: "processor",
  description: "Masks API keys, tokens, emails, card numbers and IBANs in attributes and bodies.",
  signals: ["logs"],
  configSchema: redactionConfigSchema,
  create: (ctx, config, next) => new RedactionProcessor(ctx, config, next),
};
