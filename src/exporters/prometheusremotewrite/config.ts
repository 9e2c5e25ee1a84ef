import { z } from "zod";
import { duration } from "../../config/duration.js";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { authSchema, headersSchema, httpUrl, tlsClientSchema } from "../internal/http-config.js";
import {
  metricSuffixesOption,
  namespaceOption,
  resourceToTelemetrySchema,
  seriesLabelsOption,
} from "../prometheus/config.js";

/**
 * Remote write must keep the samples of a series in order (Prometheus refuses an older sample
 * with 400), and the sending queue does not shard by series as Prometheus' own queue does, so
 * one consumer is the default here.
 */
const sendingQueue = exporterHelperFields.sending_queue
  .unwrap()
  .extend({
    num_consumers: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe(
        "batches sent concurrently; 1 keeps each series' samples in order (more can make " +
          "Prometheus refuse out-of-order samples)",
      ),
  })
  .prefault({})
  .describe("buffers batches between the pipeline and the backend, in memory or on disk");

export const prometheusRemoteWriteConfigSchema = z
  .strictObject({
    ...exporterHelperFields,
    sending_queue: sendingQueue,
    endpoint: httpUrl.describe(
      "full URL of the remote write receiver, e.g. http://prometheus:9090/api/v1/write",
    ),
    headers: headersSchema,
    auth: authSchema.optional(),
    tls: tlsClientSchema.optional(),
    namespace: namespaceOption,
    external_labels: seriesLabelsOption,
    add_metric_suffixes: metricSuffixesOption,
    resource_to_telemetry_conversion: resourceToTelemetrySchema,
    target_info: z
      .strictObject({
        enabled: z.boolean().default(true).describe("send a target_info series per resource"),
      })
      .prefault({})
      .describe("resource attributes as a target_info series (joined on job and instance)"),
    max_batch_size_bytes: z
      .number()
      .int()
      .min(1024)
      .default(3_000_000)
      .describe("upper limit on the uncompressed size of one request"),
    max_samples_per_send: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe("upper limit on samples in one request"),
    metric_expiration: duration
      .prefault("5m")
      .describe(
        "how long delta → cumulative state is kept for a series that receives no delta; its " +
          "next delta then starts a new series (0 keeps state forever)",
      ),
  })
  .describe("Sends metrics with Prometheus remote write 1.0 (protobuf + snappy).");

export type PrometheusRemoteWriteConfig = z.output<typeof prometheusRemoteWriteConfigSchema>;
