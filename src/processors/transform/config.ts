import { z } from "zod";
import { compileCondition, compileStatement, OttlParseError } from "../../expr/index.js";
import { errorMode } from "../../expr/schema.js";

const group = z.strictObject({
  context: z
    .enum(["log"])
    .default("log")
    .describe("The OTTL context the paths resolve in; Tripline transforms log records."),
  conditions: z
    .array(z.string())
    .default([])
    .describe("OTTL conditions; the statements run on a record only if any of them matches."),
  statements: z.array(z.string()).min(1).describe("OTTL statements, run in order."),
  error_mode: z
    .enum(["propagate", "ignore", "silent"])
    .optional()
    .describe("Overrides the processor's error_mode for this group."),
});

export const transformConfigSchema = z.strictObject({
  error_mode: errorMode,
  log_statements: z
    .array(z.union([z.string(), group]))
    .default([])
    .describe(
      "Statements on log records: each entry is a statement string (the Collector's flat " +
        "form, `editor(...) where ...`) or a group {context, conditions, statements, error_mode}.",
    )
    // Compiled here rather than inside the union, so a bad statement is reported at its own
    // index instead of as "matched no branch of the union".
    .superRefine((entries, ctx) => {
      const check = (
        source: string,
        path: (string | number)[],
        kind: string,
        compile: (s: string) => unknown,
      ) => {
        try {
          compile(source);
        } catch (error) {
          if (!(error instanceof OttlParseError)) throw error;
          ctx.addIssue({
            code: "custom",
            path,
            input: source,
            message: `invalid OTTL ${kind}: ${error.summary}`,
          });
        }
      };
      entries.forEach((entry, i) => {
        if (typeof entry === "string") {
          check(entry, [i], "statement", compileStatement);
          return;
        }
        for (const [j, c] of entry.conditions.entries()) {
          check(c, [i, "conditions", j], "condition", compileCondition);
        }
        for (const [j, st] of entry.statements.entries()) {
          check(st, [i, "statements", j], "statement", compileStatement);
        }
      });
    }),
});

export type TransformConfig = z.output<typeof transformConfigSchema>;
