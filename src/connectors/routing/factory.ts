import type { ConnectorFactory } from "../../component/component.js";
import { routingConfigSchema } from "./config.js";
import { RoutingConnector } from "./connector.js";

export const routingFactory: ConnectorFactory<typeof routingConfigSchema> = {
  type: "routing",
  kind: "connector",
  description: "Sends log records to pipelines chosen by OTTL conditions, with a default.",
  routes: [["logs", "logs"]],
  configSchema: routingConfigSchema,
  create: (ctx, config) => new RoutingConnector(ctx, config),
};
