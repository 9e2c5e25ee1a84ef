import type { ProcessorFactory } from "../../component/component.js";
import { detectionConfigSchema } from "./config.js";
import { DetectionProcessor } from "./processor.js";

export const detectionFactory: ProcessorFactory<typeof detectionConfigSchema> = {
  type: "detection",
  kind: "processor",
  description:
    "Maps vendor detection payloads (operant, execlave, falco, ocsf, generic) into the detection model.",
  signals: ["logs"],
  configSchema: detectionConfigSchema,
  create: (ctx, config, next) => new DetectionProcessor(ctx, config, next),
};
