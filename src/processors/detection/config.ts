import { z } from "zod";
import { DETECTION_SEVERITIES, isDetectionSeverity } from "../../pdata/detection.js";
import { parsePath } from "./jsonpath.js";
import { TIME_UNITS } from "./time.js";

export const PRESET_NAMES = ["operant", "execlave", "falco", "ocsf", "generic"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const severity = z.enum(DETECTION_SEVERITIES);

const jsonPath = z.string().superRefine((path, ctx) => {
  try {
    parsePath(path);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const path = (meaning: string) => jsonPath.optional().describe(`JSONPath of ${meaning}`);

export const genericFieldsSchema = z
  .strictObject({
    id: path("the stable detection id (detection.id)"),
    severity: path("the source severity (severityText; mapped to detection.severity)"),
    category: path("the category (detection.category)"),
    action: path("the action the source took (detection.action)"),
    time: path("when it happened: ISO 8601, or epoch s/ms/µs/ns"),
    body: path("the human-readable message (the record body)"),
    trace_id: path("a W3C trace id (32 hex), set as the record's traceId"),
    span_id: path("a W3C span id (16 hex), set as the record's spanId"),
    attributes: z
      .record(z.string().min(1), jsonPath)
      .default({})
      .describe('record attributes to set, name → JSONPath, e.g. {"user.id": "$.actor.id"}'),
    resource: z
      .record(z.string().min(1), jsonPath)
      .default({})
      .describe('resource attributes to set, name → JSONPath, e.g. {"service.name": "$.svc"}'),
  })
  .describe("generic preset: where each model field is in the payload");

export const detectionConfigSchema = z
  .strictObject({
    preset: z
      .enum(PRESET_NAMES)
      .describe("the payload format: operant, execlave, falco, ocsf, or generic (with fields)"),
    default_severity: severity
      .default("info")
      .describe(
        "level for a record whose source severity is missing or not on the scale; such records " +
          "get detection.severity_defaulted: true and are counted",
      ),
    severity_map: z
      .record(z.string().min(1), severity)
      .default({})
      .describe(
        "source severity value (case-insensitive) → info|low|medium|high|critical; overrides " +
          'and extends the preset\'s scale, e.g. {"notice": medium, "99": high}',
      ),
    keep_raw: z
      .enum(["none", "body", "attribute"])
      .default("none")
      .describe(
        "none: the body becomes a one-line summary; body: the raw payload stays the body; " +
          "attribute: summary body, raw JSON string in detection.raw",
      ),
    detect_statuses: z
      .array(z.string().min(1))
      .min(1)
      .default(["policy_blocked", "flagged_for_review", "limit_exceeded"])
      .describe("execlave: trace statuses that make a trace a detection (security.detection)"),
    include_non_detections: z
      .boolean()
      .default(true)
      .describe(
        "execlave: also pass the other traces, as gen_ai.agent.trace records, so usage and cost " +
          "metrics see every trace; false drops them (counted)",
      ),
    fields: genericFieldsSchema
      .optional()
      .describe("generic: where each model field is in the payload, as JSONPaths"),
    value_maps: z
      .record(z.string().min(1), z.record(z.string(), z.string()))
      .optional()
      .describe(
        'generic: per field (severity, category, action, or an attribute name), source value → value, e.g. {severity: {"1": low, "5": critical}}',
      ),
    time_unit: z
      .enum(TIME_UNITS)
      .optional()
      .describe("generic: unit of a numeric time; guessed from its size when unset"),
    source_product: z
      .string()
      .min(1)
      .optional()
      .describe("generic: value of detection.source.product (Datadog ddsource), e.g. my-waf"),
  })
  .superRefine((config, ctx) => {
    const genericOnly = ["fields", "value_maps", "time_unit", "source_product"] as const;
    if (config.preset === "generic") {
      if (!config.fields)
        ctx.addIssue({
          code: "custom",
          path: ["fields"],
          message: 'fields is required with preset "generic"',
        });
    } else {
      for (const key of genericOnly)
        if (config[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `${key} is only used with preset "generic" (preset is "${config.preset}")`,
          });
    }
    for (const [value, level] of Object.entries(config.value_maps?.severity ?? {}))
      if (!isDetectionSeverity(level))
        ctx.addIssue({
          code: "custom",
          path: ["value_maps", "severity", value],
          message: `expected one of ${DETECTION_SEVERITIES.join(", ")} (got ${JSON.stringify(level)})`,
        });
  });

export type DetectionConfig = z.output<typeof detectionConfigSchema>;
export type GenericFields = z.output<typeof genericFieldsSchema>;
