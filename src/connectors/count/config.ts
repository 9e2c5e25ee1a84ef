import { z } from "zod";
import { errorMode, ottlCondition } from "../../expr/schema.js";

/** The Collector's default metric when no `logs` metrics are configured. */
export const DEFAULT_METRIC = "log.record.count";
export const DEFAULT_DESCRIPTION = "The number of log records observed.";

const attribute = z.strictObject({
  key: z
    .string()
    .min(1)
    .describe("Attribute looked up on the log record, then its scope, then its resource."),
  default_value: z
    .union([z.string(), z.number(), z.boolean()])
    .optional()
    .describe("Value for records without the attribute; without it such records are not counted."),
});

const metric = z
  .strictObject({
    description: z.string().default("").describe("Metric description."),
    conditions: z
      .array(ottlCondition())
      .default([])
      .describe("OTTL conditions (log context), ORed; none: every record is counted."),
    attributes: z
      .array(attribute)
      .default([])
      .describe("Attributes that split the count: one data point per distinct set of values."),
  })
  .nullable()
  .transform((m) => m ?? { description: "", conditions: [], attributes: [] });

export type CountMetricConfig = z.output<typeof metric>;

const otherSignal = (key: string) =>
  z
    .unknown()
    .optional()
    .superRefine((value, ctx) => {
      if (value !== undefined)
        ctx.addIssue({
          code: "custom",
          message: `count connects logs to metrics only here; "${key}" (a Collector section for other signals) is not supported`,
        });
    })
    .describe(`Not supported: the count connector counts log records only.`);

export const countConfigSchema = z.strictObject({
  logs: z
    .record(z.string().min(1), metric)
    .default({})
    .describe(
      `Metric name → {description, conditions, attributes}. Empty: one metric, ${DEFAULT_METRIC}, counting every record.`,
    ),
  error_mode: errorMode,
  spans: otherSignal("spans"),
  spanevents: otherSignal("spanevents"),
  metrics: otherSignal("metrics"),
  datapoints: otherSignal("datapoints"),
  profiles: otherSignal("profiles"),
});

export type CountConfig = z.output<typeof countConfigSchema>;
