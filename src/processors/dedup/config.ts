import { z } from "zod";
import { duration } from "../../config/duration.js";
import { keyAttributes } from "../internal/record-key.js";

export const dedupConfigSchema = z.strictObject({
  keys: keyAttributes
    .default(["detection.id"])
    .describe("Attributes whose values identify a repeat; records with none of them pass through."),
  interval: duration
    .prefault("30s")
    .refine((ms) => ms > 0, "interval must be above 0")
    .describe("Window, from a key's first record, during which repeats are folded into a count."),
  max_keys: z
    .number()
    .int()
    .min(1)
    .default(100_000)
    .describe(
      "Keys tracked at once; the least recently seen is closed early (summary sent) to make room.",
    ),
});

export type DedupConfig = z.output<typeof dedupConfigSchema>;
