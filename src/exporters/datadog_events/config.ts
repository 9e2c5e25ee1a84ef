import { z } from "zod";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { DEFAULT_TAG_ATTRIBUTES } from "../datadog_logs/config.js";
import { datadogConnectionFields } from "../datadog_logs/site.js";
import { templateError } from "./template.js";

const template = (what: string, fallback: string) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const error = templateError(value);
      if (error) ctx.addIssue({ code: "custom", message: error });
    })
    .default(fallback)
    .describe(
      `${what}: text with {{…}} placeholders (attributes["name"], resource.attributes["name"], ` +
        'body, severity_text, event_name; "a ?? b" falls back).',
    );

export const DEFAULT_TITLE =
  '{{attributes["detection.severity"] ?? severity_text}} {{attributes["detection.category"] ?? event_name}} ' +
  '{{attributes["detection.action"]}} on {{attributes["gen_ai.agent.id"] ?? resource.attributes["service.name"] ?? "unknown"}}';
export const DEFAULT_TEXT =
  "{{body}}\n\n" +
  'rule: {{attributes["security_rule.name"] ?? "-"}} · policy: {{attributes["detection.policy.name"] ?? "-"}} · ' +
  'source: {{attributes["detection.source.product"] ?? "-"}} · id: {{attributes["detection.id"] ?? "-"}}';
export const DEFAULT_AGGREGATION_KEY =
  '{{attributes["detection.category"] ?? event_name}}/{{attributes["gen_ai.agent.id"] ?? resource.attributes["service.name"]}}';

export const datadogEventsConfigSchema = z
  .strictObject({
    ...datadogConnectionFields,
    ...exporterHelperFields,
    title: template("Event title", DEFAULT_TITLE),
    text: template("Event text (Datadog keeps the first 4000 characters)", DEFAULT_TEXT),
    aggregation_key: template(
      "Groups related events in Datadog (at most 100 characters; longer keys are cut)",
      DEFAULT_AGGREGATION_KEY,
    ),
    tags: z
      .array(z.string().regex(/^[^,\s][^,]*$/, 'expected a tag such as "team:platform"'))
      .default([])
      .describe('Static tags added to every event, each "key:value".'),
    tag_attributes: z
      .record(
        z.string().regex(/^[A-Za-z][\w./-]*$/, "expected a tag name such as env or team"),
        z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
      )
      .default(DEFAULT_TAG_ATTRIBUTES)
      .describe(
        "Tags taken from attributes, as in datadog_logs: tag name → attribute name (or a list).",
      ),
    source_type_name: z
      .string()
      .min(1)
      .optional()
      .describe("Datadog source type of the events (an integration name); unset by default."),
    priority: z.enum(["normal", "low"]).default("normal").describe("Datadog event priority."),
    max_events_per_minute: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe(
        "Events posted per minute at most (token bucket); beyond it events are dropped, logged and counted.",
      ),
  })
  .describe("Posts one Datadog Event (v1 Events API) per log record, rate-limited.");

export type DatadogEventsConfig = z.output<typeof datadogEventsConfigSchema>;
