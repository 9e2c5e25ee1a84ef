import { z } from "zod";
import { duration } from "../../config/duration.js";
import { hostPort } from "../../config/endpoint.js";

const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "expected a label name matching [a-zA-Z_][a-zA-Z0-9_]*")
  .refine((n) => !n.startsWith("__"), "label names starting with __ are reserved");

/** Static labels (const_labels, external_labels): names checked like Prometheus does. */
export const staticLabelsSchema = z.record(labelName, z.string());

export const resourceToTelemetrySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("turn every resource attribute into a label of every series"),
  })
  .prefault({})
  .describe("promote resource attributes to metric labels (instead of only target_info)");

/** Naming options both Prometheus exporters take, with the same meaning. */
export const namespaceOption = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "expected a metric name prefix such as tripline")
  .optional()
  .describe("prefix of every metric name, joined with _");

/** const_labels (scrape) and external_labels (remote write). */
export const seriesLabelsOption = staticLabelsSchema
  .default({})
  .describe("labels added to every series (a series' own label of the same name wins)");

export const metricSuffixesOption = z
  .boolean()
  .default(true)
  .describe("append the unit (_seconds, _bytes…) and _total for counters, like the Collector");

export const prometheusConfigSchema = z
  .strictObject({
    endpoint: hostPort
      .default("localhost:8889")
      .describe('address the scrape endpoint listens on ("host:port"); serves /metrics'),
    namespace: namespaceOption,
    const_labels: seriesLabelsOption,
    add_metric_suffixes: metricSuffixesOption,
    resource_to_telemetry_conversion: resourceToTelemetrySchema,
    metric_expiration: duration
      .prefault("5m")
      .describe("how long a series that receives no update stays exposed; 0 keeps series forever"),
  })
  .describe("Serves the metrics pipeline on /metrics for Prometheus to scrape.");

export type PrometheusConfig = z.output<typeof prometheusConfigSchema>;
