import { z } from "zod";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { checkCompressionParams, compressionParamsSchema } from "../internal/compress.js";
import { authSchema, headersSchema, httpUrl, tlsClientSchema } from "../internal/http-config.js";

/** Loki's defaults (limits_config): 256 KB lines, 15 label names per stream. */
export const LOKI_LIMITS = {
  maxLineBytes: 256 * 1024,
  maxLabelNames: 15,
  maxLabelValueBytes: 2048,
};

export const DEFAULT_LABELS: Record<string, string> = {
  service_name: "service.name",
  env: "deployment.environment.name",
  cluster: "k8s.cluster.name",
  severity: "detection.severity",
  category: "detection.category",
};

export const DEFAULT_STRUCTURED_METADATA = ["trace_id", "span_id", "detection.id"];

/**
 * Attributes that are unique (or nearly) per record, per request or per pod: as labels each
 * value would open a new stream, which Loki's index cannot afford.
 */
const HIGH_CARDINALITY = new Set([
  "trace_id",
  "span_id",
  "detection.id",
  "user.id",
  "user.name",
  "session.id",
  "gen_ai.agent.id",
  "gen_ai.conversation.id",
  "gen_ai.response.id",
  "gen_ai.tool.call.id",
  "k8s.pod.name",
  "k8s.pod.uid",
  "container.id",
  "service.instance.id",
  "url.path",
]);

export function isHighCardinality(attribute: string): boolean {
  return HIGH_CARDINALITY.has(attribute) || /(^|[._])(id|uid|uuid)$/.test(attribute);
}

/** Loki label names: `[a-zA-Z_][a-zA-Z0-9_]*`, never starting with `__` (reserved). */
export function isLokiLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) && !name.startsWith("__");
}

export const lokiConfigSchema = z
  .strictObject({
    ...exporterHelperFields,
    endpoint: httpUrl.describe(
      "Loki base URL, e.g. http://loki:3100; /loki/api/v1/push is appended",
    ),
    encoding: z
      .enum(["protobuf", "json"])
      .default("protobuf")
      .describe("push body: protobuf + snappy (Loki's native form) or JSON + gzip"),
    compression_params: compressionParamsSchema
      .optional()
      .describe("encoding json: the gzip level, as in the Collector's confighttp"),
    tenant_id: z
      .string()
      .min(1)
      .optional()
      .describe("tenant, sent as X-Scope-OrgID (multi-tenant Loki)"),
    headers: headersSchema,
    auth: authSchema.optional(),
    tls: tlsClientSchema.optional(),
    labels: z
      .record(z.string(), z.string().min(1))
      .default(DEFAULT_LABELS)
      .describe(
        "stream labels: Loki label → attribute, looked up on the record, then its resource. " +
          "Replaces the default set when given",
      ),
    allow_high_cardinality_labels: z
      .boolean()
      .default(false)
      .describe("allow ids (detection.id, trace_id, user.id, *.id…) as label sources"),
    max_streams: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe(
        'distinct label sets kept as streams; beyond it, records go to one stream labelled tripline_overflow="true"',
      ),
    structured_metadata: z
      .array(z.string().min(1))
      .default(DEFAULT_STRUCTURED_METADATA)
      .describe(
        "attributes sent as structured metadata (trace_id and span_id are the record's ids); " +
          "needs Loki 3 with allow_structured_metadata",
      ),
    line_format: z
      .enum(["json", "logfmt", "body"])
      .default("json")
      .describe(
        "the log line: json (message, level, every attribute not used as a label), logfmt (the same fields), or body (the body alone)",
      ),
    max_line_size: z
      .number()
      .int()
      .min(1024)
      .default(LOKI_LIMITS.maxLineBytes)
      .describe("bytes; a longer line is truncated (Loki refuses it otherwise) and marked"),
    max_request_bytes: z
      .number()
      .int()
      .min(1024)
      .max(6 * 1024 * 1024)
      .default(1024 * 1024)
      .describe(
        "upper limit on the line bytes of one push; bigger batches are split (Loki's default burst is 6 MB)",
      ),
  })
  .superRefine((config, ctx) => {
    checkCompressionParams(
      config.encoding === "json" ? "gzip" : "snappy",
      config.compression_params,
      ctx,
      `encoding ${config.encoding}`,
    );
    const names = Object.keys(config.labels);
    if (names.length > LOKI_LIMITS.maxLabelNames - 1) {
      ctx.addIssue({
        code: "custom",
        path: ["labels"],
        message: `at most ${LOKI_LIMITS.maxLabelNames - 1} labels (Loki allows ${LOKI_LIMITS.maxLabelNames} per stream; one is kept for tripline_overflow)`,
      });
    }
    for (const name of names) {
      if (!isLokiLabelName(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["labels", name],
          message: `expected a Loki label name matching [a-zA-Z_][a-zA-Z0-9_]*, not starting with __ (got ${JSON.stringify(name)})`,
        });
      }
    }
    if (names.includes("tripline_overflow")) {
      ctx.addIssue({
        code: "custom",
        path: ["labels", "tripline_overflow"],
        message: "tripline_overflow is reserved",
      });
    }
    if (config.allow_high_cardinality_labels) return;
    for (const [label, attribute] of Object.entries(config.labels)) {
      if (isHighCardinality(attribute)) {
        ctx.addIssue({
          code: "custom",
          path: ["labels", label],
          message:
            `${JSON.stringify(attribute)} is unique per record (high cardinality): every value ` +
            "would open a Loki stream. Send it as structured_metadata, or set " +
            "allow_high_cardinality_labels: true",
        });
      }
    }
  })
  .describe("Pushes log records to Grafana Loki (/loki/api/v1/push).");

export type LokiConfig = z.output<typeof lokiConfigSchema>;
