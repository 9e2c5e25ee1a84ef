import type { ProcessorFactory } from "../../component/component.js";
import { throttleConfigSchema } from "./config.js";
import { ThrottleProcessor } from "./processor.js";

export const throttleFactory: ProcessorFactory<typeof throttleConfigSchema> = {
  type: "throttle",
  kind: "processor",
  description: "Caps records per key with a token bucket; drops the excess and summarises it.",
  signals: ["logs"],
  configSchema: throttleConfigSchema,
  create: (ctx, config, next) => new ThrottleProcessor(ctx, config, next),
};
