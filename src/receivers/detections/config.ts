import { z } from "zod";
import { duration } from "../../config/duration.js";
import { hostPort } from "../../config/endpoint.js";
import { deadLetterSchema } from "../internal/dead-letter.js";
import { tlsServerSchema } from "../internal/tls.js";
import { presetSchema } from "./preset.js";

const MIB = 1024 * 1024;

const secret = z.string().min(1);

export const hmacSchema = z
  .strictObject({
    secret: secret.describe(
      "shared secret for HMAC-SHA256; reference it from an env: or file: reference, never inline",
    ),
    header: z
      .string()
      .min(1)
      .default("X-Signature-256")
      .describe('header carrying "sha256=" + hex HMAC of the body bytes as sent'),
    timestamp_header: z
      .string()
      .min(1)
      .optional()
      .describe(
        'header carrying Unix seconds; when set, the signed payload is timestamp + "." + body',
      ),
    max_skew: duration
      .prefault("5m")
      .describe("how far timestamp_header may be from the receiver's clock, either way"),
  })
  .describe("webhook signatures, GitHub/Stripe style");

export const authSchema = z
  .strictObject({
    bearer_tokens: z
      .array(secret)
      .min(1)
      .optional()
      .describe("accepted `Authorization: Bearer` tokens (any one); reference them, never inline"),
    hmac: hmacSchema.optional().describe("webhook signatures, GitHub/Stripe style"),
  })
  .refine((auth) => auth.bearer_tokens !== undefined || auth.hmac !== undefined, {
    message: "set bearer_tokens, hmac, or both (or remove auth)",
  })
  .describe("credentials required of senders");

export const detectionsConfigSchema = z.strictObject({
  endpoint: hostPort
    .default("localhost:8088")
    .describe('listen address; "0.0.0.0:8088" to accept from other hosts (e.g. in a container)'),
  path: z
    .string()
    .regex(/^\/[^\s?#]*$/, 'expected a URL path starting with "/"')
    .default("/v1/detections")
    .describe("the URL path that accepts POSTs"),
  max_request_body_size: z
    .number()
    .int()
    .positive()
    .default(10 * MIB)
    .describe("largest request body in bytes, after decompression; larger requests get 413"),
  max_items: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe("most detections in one request; more gets 413 and nothing is accepted"),
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(32)
    .describe("deepest object/array nesting in one detection (the detection itself is 1)"),
  max_string_length: z
    .number()
    .int()
    .positive()
    .default(MIB)
    .describe("longest string value or key in a detection, in characters"),
  auth: authSchema
    .optional()
    .describe(
      "require credentials (a request passes with any one configured method); omit for none",
    ),
  tls: tlsServerSchema
    .optional()
    .describe("serve HTTPS (and mTLS with client_ca_file); omit for HTTP"),
  dead_letter: deadLetterSchema
    .optional()
    .describe("append rejected items, raw, to a file before answering; omit to only report them"),
  preset: presetSchema,
});

export type DetectionsConfig = z.output<typeof detectionsConfigSchema>;
export type DetectionsAuthConfig = z.output<typeof authSchema>;
