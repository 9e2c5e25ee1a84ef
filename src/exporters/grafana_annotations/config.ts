import { z } from "zod";
import { duration } from "../../config/duration.js";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { DETECTION_SEVERITIES } from "../../pdata/detection.js";
import { templateError } from "../datadog_events/template.js";
import { headersSchema, httpUrl, tlsClientSchema } from "../internal/http-config.js";

const template = (fallback: string, what: string) =>
  z
    .string()
    .min(1)
    .default(fallback)
    .superRefine((source, ctx) => {
      const error = templateError(source);
      if (error) ctx.addIssue({ code: "custom", message: error });
    })
    .describe(what);

export const grafanaAnnotationsConfigSchema = z
  .strictObject({
    ...exporterHelperFields,
    endpoint: httpUrl.describe("Grafana base URL, e.g. https://grafana.example.com"),
    token: z
      .string()
      .min(1)
      .describe("service account token (glsa_…), sent as Authorization: Bearer (a secret)"),
    headers: headersSchema,
    tls: tlsClientSchema.optional(),
    min_severity: z
      .enum(DETECTION_SEVERITIES)
      .default("high")
      .describe("lowest detection severity that becomes an annotation"),
    text: template(
      '{{attributes["detection.category"] ?? "detection"}} {{attributes["detection.action"]}} on ' +
        '{{resource.attributes["service.name"] ?? "unknown service"}}: {{body}}',
      'annotation text template: {{attributes["x"]}}, {{resource.attributes["x"]}}, {{body}}, … with ?? fallbacks',
    ),
    tags: z
      .record(
        z.string().regex(/^[^\s:]+$/, "expected a tag key without spaces or colons"),
        z.string().min(1),
      )
      .default({
        severity: "detection.severity",
        category: "detection.category",
        action: "detection.action",
        service: "service.name",
      })
      .describe('tags as "key:value": tag key → attribute (record, then resource)'),
    static_tags: z
      .array(z.string().min(1))
      .default(["tripline"])
      .describe("tags added to every annotation (filter Grafana's annotation queries by them)"),
    dashboard_uid: z
      .string()
      .min(1)
      .optional()
      .describe(
        "dashboard to annotate; unset: an organization annotation, shown where queried by tags",
      ),
    panel_id: z.number().int().min(1).optional().describe("panel of dashboard_uid to annotate"),
    max_per_minute: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe(
        "new annotations per minute (a token bucket); beyond it records are counted and skipped",
      ),
    dedup_key: template(
      '{{attributes["detection.category"]}}|{{attributes["detection.action"]}}|{{resource.attributes["service.name"]}}',
      "template of the key that makes two records the same annotation",
    ),
    dedup_window: duration
      .prefault("5m")
      .describe(
        "records with the key of an annotation posted less than this ago are counted into it; " +
          "when the window closes the annotation's text gets the count and it spans first → last",
      ),
  })
  .refine((c) => c.panel_id === undefined || c.dashboard_uid !== undefined, {
    path: ["panel_id"],
    message: "panel_id needs dashboard_uid",
  })
  .describe(
    "Posts high-severity detections as Grafana annotations, deduplicated and rate-limited.",
  );

export type GrafanaAnnotationsConfig = z.output<typeof grafanaAnnotationsConfigSchema>;
