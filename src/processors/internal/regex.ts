import { z } from "zod";

/**
 * Compiles a pattern written for the Collector (Go RE2) or for JavaScript. Go spells a named
 * group `(?P<name>…)`; JavaScript only knows `(?<name>…)`, so configs copied from a Collector
 * would otherwise fail to compile.
 */
export function compileRegex(pattern: string, flags = ""): RegExp {
  return new RegExp(pattern.replaceAll("(?P<", "(?<"), flags);
}

/** A pattern that matches `literal` and nothing else. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** A regular expression option: checked at validation so a bad pattern never reaches start. */
export const regexString = z.string().superRefine((pattern, ctx) => {
  try {
    compileRegex(pattern);
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: `invalid regular expression: ${(error as Error).message}`,
    });
  }
});
