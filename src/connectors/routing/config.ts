import { z } from "zod";
import { compileCondition, OttlParseError } from "../../expr/index.js";
import { errorMode } from "../../expr/schema.js";
import { routeCondition } from "./statement.js";

const pipelineId = z
  .string()
  .regex(/^logs(\/[^/\s]+)?$/, 'expected a logs pipeline ID, "logs" or "logs/NAME"');

const route = z.strictObject({
  context: z
    .enum(["resource", "log"])
    .default("resource")
    .describe(
      'The OTTL context of the condition: resource (the Collector\'s default; attributes["k"] ' +
        "means resource attributes) or log (record fields and attributes).",
    ),
  condition: z
    .string()
    .optional()
    .describe("An OTTL condition; records matching it take this route."),
  statement: z
    .string()
    .optional()
    .describe(
      "The Collector's statement form, `route() where <condition>`; give this or condition.",
    ),
  pipelines: z
    .array(pipelineId)
    .min(1)
    .describe(
      "The pipelines (which list this connector as a receiver) that matching records go to.",
    ),
});

export const routingConfigSchema = z.strictObject({
  table: z
    .array(route)
    .min(1)
    .describe("Routes, tried in order.")
    // Compiled here, not in the route's schema, so each error lands on its own field.
    .superRefine((routes, ctx) => {
      routes.forEach((r, i) => {
        if ((r.condition === undefined) === (r.statement === undefined)) {
          ctx.addIssue({
            code: "custom",
            path: [i],
            message: "give exactly one of condition or statement",
          });
          return;
        }
        const field = r.condition !== undefined ? "condition" : "statement";
        const source = (r.condition ?? r.statement)!;
        try {
          if (r.condition !== undefined) compileCondition(source, { context: r.context });
          else routeCondition(source, { context: r.context });
        } catch (error) {
          if (!(error instanceof OttlParseError)) throw error;
          ctx.addIssue({
            code: "custom",
            path: [i, field],
            input: source,
            message: `invalid OTTL ${field}: ${error.summary}`,
          });
        }
      });
    }),
  default_pipelines: z
    .array(pipelineId)
    .default([])
    .describe("Where records that match no route go. Empty: such records are dropped."),
  match_once: z
    .boolean()
    .default(true)
    .describe("true: a record takes the first matching route only; false: every matching route."),
  error_mode: errorMode,
});

export type RoutingConfig = z.output<typeof routingConfigSchema>;

/** Every pipeline a routing config can send to, for checking the pipeline graph. */
export function routedPipelines(config: RoutingConfig): string[] {
  return [...new Set([...config.table.flatMap((r) => r.pipelines), ...config.default_pipelines])];
}
