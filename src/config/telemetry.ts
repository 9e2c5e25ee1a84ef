import { z } from "zod";
import { hostPort } from "./endpoint.js";

export const telemetryConfigSchema = z
  .strictObject({
    logs: z
      .strictObject({
        level: z
          .enum(["debug", "info", "warn", "error"])
          .default("info")
          .describe("minimum level of Tripline's own JSON logs (stderr)"),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        level: z
          .enum(["none", "basic", "normal", "detailed"])
          .default("normal")
          .describe('"none" turns the self-telemetry endpoint off'),
        address: hostPort
          .default("localhost:9464")
          .describe("serves /metrics (Prometheus), /healthz and /readyz"),
      })
      .prefault({}),
  })
  .prefault({});

export type TelemetryConfig = z.output<typeof telemetryConfigSchema>;
