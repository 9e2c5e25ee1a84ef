import { z } from "zod";
import { errorMode, ottlCondition } from "../../expr/schema.js";
import { LEVELS } from "./severity.js";

export const filterConfigSchema = z
  .strictObject({
    error_mode: errorMode,
    logs: z
      .strictObject({
        log_record: z
          .array(ottlCondition())
          .default([])
          .describe("OTTL conditions on log records; a record matching any of them is dropped."),
      })
      .prefault({})
      .describe("Conditions by signal, as in the Collector's filter processor."),
    log_conditions: z
      .array(ottlCondition())
      .default([])
      .describe(
        "The Collector's flat form of logs.log_record (paths may carry the log. prefix); " +
          "both lists apply.",
      ),
    min_severity: z
      .enum(LEVELS)
      .optional()
      .describe(
        "Drops records below this detection level, read from the detection.severity " +
          "attribute or else mapped from severity_number. Records with no level are kept.",
      ),
    except: z
      .array(ottlCondition())
      .default([])
      .describe(
        "OTTL conditions that keep a record below min_severity when any of them matches " +
          '(e.g. attributes["detection.action"] != "blocked").',
      ),
  })
  .refine((c) => c.except.length === 0 || c.min_severity !== undefined, {
    path: ["except"],
    message: "except applies only together with min_severity",
  });

export type FilterConfig = z.output<typeof filterConfigSchema>;
