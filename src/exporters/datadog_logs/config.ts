import { z } from "zod";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { checkCompressionParams, compressionParamsSchema } from "../internal/compress.js";
import { datadogConnectionFields } from "./site.js";

const MB = 1_000_000;

/** Datadog's documented per-request limits for the Logs intake v2. */
export const INTAKE_LIMITS = { entries: 1000, requestBytes: 5 * MB, entryBytes: 1 * MB } as const;

/**
 * Tag name → attribute name (or a list tried in order). Looked up on the record first, then on
 * its resource; a tag whose attributes are all absent is left out.
 */
export const DEFAULT_TAG_ATTRIBUTES: Record<string, string | string[]> = {
  env: ["deployment.environment.name", "deployment.environment"],
  service: "service.name",
  team: "team",
  cluster: "k8s.cluster.name",
  severity: "detection.severity",
  category: "detection.category",
  action: "detection.action",
};

const tagPattern = /^[^,\s][^,]*$/;

export const datadogLogsConfigSchema = z
  .strictObject({
    ...datadogConnectionFields,
    ...exporterHelperFields,
    service: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Datadog `service` of every log. Default: the resource's service.name, if it has one.",
      ),
    source: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Datadog `ddsource` of every log. Default: the record's detection.source.product, else tripline.",
      ),
    hostname: z
      .string()
      .min(1)
      .optional()
      .describe("Datadog `hostname` of every log. Default: the resource's host.name, if any."),
    tags: z
      .array(z.string().regex(tagPattern, 'expected a tag such as "team:platform" (no commas)'))
      .default([])
      .describe('Static tags added to every log, each "key:value".'),
    tag_attributes: z
      .record(
        z.string().regex(/^[A-Za-z][\w./-]*$/, "expected a tag name such as env or team"),
        z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
      )
      .default(DEFAULT_TAG_ATTRIBUTES)
      .describe(
        "Tags taken from attributes: tag name → attribute name (or a list, first present wins), " +
          "looked up on the record, then its resource. Replaces the default map when set.",
      ),
    compression: z.enum(["gzip", "none"]).default("gzip").describe("Content-Encoding of requests."),
    compression_params: compressionParamsSchema
      .optional()
      .describe(
        "Parameters of the chosen compression (`level`), as in the Collector's confighttp.",
      ),
    max_batch_entries: z
      .number()
      .int()
      .min(1)
      .max(INTAKE_LIMITS.entries)
      .default(INTAKE_LIMITS.entries)
      .describe("Logs per request (Datadog accepts at most 1000)."),
    max_batch_bytes: z
      .number()
      .int()
      .min(1024)
      .max(INTAKE_LIMITS.requestBytes)
      .default(INTAKE_LIMITS.requestBytes)
      .describe("Uncompressed bytes per request (Datadog accepts at most 5 MB)."),
    max_entry_bytes: z
      .number()
      .int()
      .min(1024)
      .max(INTAKE_LIMITS.entryBytes)
      .default(INTAKE_LIMITS.entryBytes)
      .describe(
        "Largest single log in bytes; a larger one is truncated and marked tripline.truncated (Datadog's limit is 1 MB).",
      ),
    check_on_start: z
      .boolean()
      .default(false)
      .describe("Validate api_key against the site at start; a refused key fails the start."),
  })
  .refine((c) => c.max_entry_bytes <= c.max_batch_bytes, {
    path: ["max_entry_bytes"],
    message: "max_entry_bytes must not exceed max_batch_bytes",
  })
  .superRefine((c, ctx) => checkCompressionParams(c.compression, c.compression_params, ctx))
  .describe("Sends logs to the Datadog Logs intake (HTTP v2), one structured log per record.");

export type DatadogLogsConfig = z.output<typeof datadogLogsConfigSchema>;
