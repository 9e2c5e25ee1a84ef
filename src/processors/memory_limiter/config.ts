import { z } from "zod";
import { duration } from "../../config/duration.js";

const percentage = z.number().int().min(0).max(100);

export const memoryLimiterConfigSchema = z
  .strictObject({
    check_interval: duration
      .prefault("1s")
      .refine((ms) => ms > 0, "check_interval must be greater than 0")
      .describe("how often memory usage is measured"),
    limit_mib: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "hard limit in MiB of process memory (RSS); takes precedence over limit_percentage",
      ),
    spike_limit_mib: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "headroom in MiB for spikes between checks; the soft limit is limit_mib − spike_limit_mib. " +
          "0 means 20% of limit_mib",
      ),
    limit_percentage: percentage
      .default(0)
      .describe(
        "hard limit as a percentage of the container's memory limit (cgroup), or of total " +
          "memory when there is none",
      ),
    spike_limit_percentage: percentage
      .default(0)
      .describe("headroom for spikes, in the same percentage; 0 means 20% of limit_percentage"),
  })
  .superRefine((c, ctx) => {
    if (c.limit_mib === 0 && c.limit_percentage === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["limit_mib"],
        message: "set limit_mib or limit_percentage (both are 0)",
      });
    }
    if (c.limit_mib > 0 && c.spike_limit_mib >= c.limit_mib) {
      ctx.addIssue({
        code: "custom",
        path: ["spike_limit_mib"],
        message: "spike_limit_mib must be smaller than limit_mib",
      });
    }
    if (
      c.limit_mib === 0 &&
      c.limit_percentage > 0 &&
      c.spike_limit_percentage >= c.limit_percentage
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["spike_limit_percentage"],
        message: "spike_limit_percentage must be smaller than limit_percentage",
      });
    }
  });

export type MemoryLimiterConfig = z.output<typeof memoryLimiterConfigSchema>;
