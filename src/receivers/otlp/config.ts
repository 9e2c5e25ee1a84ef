import { z } from "zod";
import { hostPort } from "../../config/endpoint.js";

const urlPath = z.string().regex(/^\/[^\s?#]*$/, 'expected a URL path starting with "/"');

/** The Collector enables a protocol when its key is present, even as `http:` with no value. */
const presentMeansEnabled = (value: unknown) => (value === null ? {} : value);

export const otlpHttpSchema = z
  .strictObject({
    endpoint: hostPort
      .default("localhost:4318")
      .describe('listen address; "0.0.0.0:4318" to accept from other hosts (e.g. in a container)'),
    logs_url_path: urlPath
      .default("/v1/logs")
      .describe("URL path that accepts ExportLogsServiceRequest"),
    metrics_url_path: urlPath
      .default("/v1/metrics")
      .describe("URL path that accepts ExportMetricsServiceRequest"),
    max_request_body_size: z
      .number()
      .int()
      .positive()
      .default(20 * 1024 * 1024)
      .describe(
        "largest request body in bytes, as sent and after decompression; larger requests get 413 " +
          "(the OTLP spec's 20 MiB by default)",
      ),
  })
  .refine((c) => c.logs_url_path !== c.metrics_url_path, {
    path: ["metrics_url_path"],
    message: "logs_url_path and metrics_url_path must differ",
  })
  .describe("OTLP/HTTP (protobuf and JSON); present, even empty, to enable");

export const otlpGrpcSchema = z
  .strictObject({
    endpoint: hostPort
      .default("localhost:4317")
      .describe('listen address; "0.0.0.0:4317" to accept from other hosts (e.g. in a container)'),
    max_recv_msg_size_mib: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe(
        "largest request message in MiB, after decompression; larger get RESOURCE_EXHAUSTED",
      ),
    max_concurrent_streams: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe("concurrent calls per client connection; 0 means no limit"),
  })
  .describe("OTLP/gRPC; present, even empty, to enable");

export const otlpConfigSchema = z.strictObject({
  protocols: z
    .strictObject({
      http: z.preprocess(presentMeansEnabled, otlpHttpSchema).optional(),
      grpc: z.preprocess(presentMeansEnabled, otlpGrpcSchema).optional(),
    })
    .refine((p) => p.http !== undefined || p.grpc !== undefined, {
      message: "enable at least one protocol: http, grpc or both",
    })
    .describe("the protocols to serve; each is enabled by its key being present"),
});

export type OtlpConfig = z.output<typeof otlpConfigSchema>;
export type OtlpHttpConfig = z.output<typeof otlpHttpSchema>;
export type OtlpGrpcConfig = z.output<typeof otlpGrpcSchema>;
