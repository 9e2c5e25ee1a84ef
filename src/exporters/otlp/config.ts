import { z } from "zod";
import { hostPort } from "../../config/endpoint.js";
import { exporterHelperFields } from "../../exporterhelper/config.js";
import { certWithKey, clientCertFields } from "../internal/http-config.js";
import { temporalityFields } from "../internal/temporality.js";

const tlsSchema = z
  .strictObject({
    insecure: z
      .boolean()
      .default(false)
      .describe(
        "plaintext gRPC (h2c) instead of TLS; e.g. a Collector or Alloy in the same cluster",
      ),
    insecure_skip_verify: z
      .boolean()
      .default(false)
      .describe("TLS without verifying the server certificate (testing only)"),
    ca_file: z
      .string()
      .min(1)
      .optional()
      .describe("PEM CA bundle that signs the server certificate (relative to the config file)"),
    ...clientCertFields,
  })
  .refine(certWithKey.check, { message: certWithKey.message })
  .refine((t) => !t.insecure || (!t.ca_file && !t.cert_file && !t.insecure_skip_verify), {
    message: "insecure: true turns TLS off; ca_file, cert_file and insecure_skip_verify need TLS",
  })
  .describe("TLS, on by default as in the Collector; insecure: true for plaintext");

/** gRPC metadata keys: lowercase; `-bin` keys carry bytes, which a YAML string cannot. */
const metadataKey = z
  .string()
  .regex(/^[0-9a-z_.-]+$/, "expected a lowercase gRPC metadata key")
  .refine((k) => !k.endsWith("-bin") && !k.startsWith("grpc-"), {
    message: "binary (-bin) and grpc- keys are reserved",
  });

export const otlpGrpcExporterConfigSchema = z
  .strictObject({
    endpoint: hostPort.describe('the OTLP/gRPC server, "host:port" (e.g. "otel-collector:4317")'),
    tls: tlsSchema.prefault({}),
    compression: z.enum(["gzip", "none"]).default("gzip").describe("gRPC message compression"),
    headers: z
      .record(metadataKey, z.string())
      .default({})
      .describe(`gRPC metadata sent with every call; reference secrets with \${env:…}`),
    ...temporalityFields,
    ...exporterHelperFields,
  })
  .describe("Sends logs and metrics over OTLP/gRPC, like the Collector's otlp exporter.");

export type OtlpGrpcExporterConfig = z.output<typeof otlpGrpcExporterConfigSchema>;
