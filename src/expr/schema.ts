/**
 * Config schemas for OTTL strings: a condition or statement that does not compile is a config
 * error at its list index, so `tripline validate` points at the exact line and column.
 */
import { z } from "zod";
import { type CompileOptions, compileCondition, compileStatement } from "./compile.js";
import { OttlParseError } from "./errors.js";

function checked(kind: string, compile: (source: string) => unknown) {
  return z.string().superRefine((source, ctx) => {
    try {
      compile(source);
    } catch (error) {
      if (!(error instanceof OttlParseError)) throw error;
      ctx.addIssue({ code: "custom", message: `invalid OTTL ${kind}: ${error.summary}` });
    }
  });
}

export function ottlCondition(options: CompileOptions = {}) {
  return checked("condition", (source) => compileCondition(source, options));
}

export function ottlStatement(options: CompileOptions = {}) {
  return checked("statement", (source) => compileStatement(source, options));
}

export const errorMode = z
  .enum(["propagate", "ignore", "silent"])
  .default("propagate")
  .describe(
    "What a runtime error in a condition or statement does: propagate rejects the batch " +
      "(PermanentError); ignore logs it and carries on; silent carries on without logging.",
  );

export type ErrorMode = z.output<typeof errorMode>;
