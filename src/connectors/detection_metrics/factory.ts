import type { ConnectorFactory } from "../../component/component.js";
import { detectionMetricsConfigSchema } from "./config.js";
import { DetectionMetricsConnector } from "./connector.js";

export const detectionMetricsFactory: ConnectorFactory<typeof detectionMetricsConfigSchema> = {
  type: "detection_metrics",
  kind: "connector",
  description:
    "Turns detections and agent traces into cumulative metrics (detections, tokens, cost, duration, custom).",
  routes: [["logs", "metrics"]],
  configSchema: detectionMetricsConfigSchema,
  create: (ctx, config, next) => new DetectionMetricsConnector(ctx, config, next),
};
