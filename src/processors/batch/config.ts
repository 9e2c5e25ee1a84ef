import { z } from "zod";
import { duration } from "../../config/duration.js";

export const batchConfigSchema = z
  .strictObject({
    send_batch_size: z
      .number()
      .int()
      .min(1)
      .default(8192)
      .describe("Number of items (log records or metric data points) that triggers a send."),
    timeout: duration
      .prefault("200ms")
      .describe("Time after which a partial batch is sent, counted from its first item."),
    send_batch_max_size: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "Upper limit on items per send; larger batches are split. 0 means no limit. " +
          "Must be >= send_batch_size when set.",
      ),
  })
  .refine((c) => c.send_batch_max_size === 0 || c.send_batch_max_size >= c.send_batch_size, {
    path: ["send_batch_max_size"],
    message: "must be 0 (no limit) or >= send_batch_size",
  });

export type BatchConfig = z.output<typeof batchConfigSchema>;
