import type { ConnectorFactory } from "../../component/component.js";
import { countConfigSchema } from "./config.js";
import { CountConnector } from "./connector.js";

export const countFactory: ConnectorFactory<typeof countConfigSchema> = {
  type: "count",
  kind: "connector",
  description:
    "Counts log records into metrics (the Collector's count connector: log.record.count).",
  routes: [["logs", "metrics"]],
  configSchema: countConfigSchema,
  create: (ctx, config, next) => new CountConnector(ctx, config, next),
};
