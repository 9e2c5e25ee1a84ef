import { z } from "zod";
import { duration } from "../../config/duration.js";
import { keyAttributes } from "../internal/record-key.js";

export const throttleConfigSchema = z
  .strictObject({
    keys: keyAttributes.describe(
      "Attributes whose values make a key, each with its own budget; records with none pass.",
    ),
    rate: z
      .number()
      .positive()
      .finite()
      .describe("Records per second allowed per key (the bucket's refill rate)."),
    burst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Records a key may send at once (bucket size). Default: rate rounded up."),
    max_keys: z
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe("Keys tracked at once; the least recently seen is forgotten to make room."),
    summary: z
      .boolean()
      .default(true)
      .describe("Emit one record per throttled key every summary_interval with the dropped count."),
    summary_interval: duration
      .prefault("1m")
      .refine((ms) => ms > 0, "summary_interval must be above 0")
      .describe("How often throttled keys are summarised."),
  })
  .transform((c) => ({ ...c, burst: c.burst ?? Math.max(1, Math.ceil(c.rate)) }));

export type ThrottleConfig = z.output<typeof throttleConfigSchema>;
