import { z } from "zod";

export const VERBOSITIES = ["basic", "normal", "detailed"] as const;
export type Verbosity = (typeof VERBOSITIES)[number];

export const debugConfigSchema = z
  .strictObject({
    verbosity: z
      .enum(VERBOSITIES)
      .default("basic")
      .describe(
        "basic: one summary line per batch; normal: also one line per log record or data point; detailed: also a full dump of every record with its resource and scope",
      ),
  })
  .describe("Prints batches to stdout, like the Collector's debug exporter.");

export type DebugConfig = z.output<typeof debugConfigSchema>;
