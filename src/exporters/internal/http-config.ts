import { z } from "zod";

/**
 * Client-side options shared by the Grafana exporters (Loki, remote write, annotations), named
 * like the Collector's confighttp / configtls client settings.
 */
export const authSchema = z
  .strictObject({
    basic: z
      .strictObject({
        username: z.string().min(1).describe("user, e.g. the Grafana Cloud instance id"),
        password: z.string().min(1).describe("password or access-policy token (a secret)"),
      })
      .optional()
      .describe("HTTP Basic authentication"),
    bearer_token: z
      .string()
      .min(1)
      .optional()
      .describe("sent as `Authorization: Bearer <token>` (a secret)"),
  })
  .refine((a) => (a.basic === undefined) !== (a.bearer_token === undefined), {
    message: "set exactly one of basic or bearer_token",
  })
  .describe("credentials: {basic: {username, password}} or {bearer_token}");

export type AuthConfig = z.output<typeof authSchema>;

export const tlsClientSchema = z
  .strictObject({
    ca_file: z
      .string()
      .min(1)
      .optional()
      .describe("PEM CA bundle that signs the server certificate (relative to the config file)"),
    insecure_skip_verify: z
      .boolean()
      .default(false)
      .describe("do not verify the server certificate (testing only)"),
  })
  .describe("TLS for https:// endpoints");

export type TlsClientConfig = z.output<typeof tlsClientSchema>;

/** A client certificate for mutual TLS: the fields, and the rule that they come together. */
export const clientCertFields = {
  cert_file: z
    .string()
    .min(1)
    .optional()
    .describe("PEM client certificate for mutual TLS (relative to the config file)"),
  key_file: z
    .string()
    .min(1)
    .optional()
    .describe("PEM private key of cert_file (relative to the config file)"),
};

export const certWithKey = {
  check: (t: { cert_file?: string; key_file?: string }) =>
    (t.cert_file === undefined) === (t.key_file === undefined),
  message: "set cert_file and key_file together",
};

/** confighttp's client TLS with a client certificate for mutual TLS. */
export const tlsClientCertSchema = tlsClientSchema
  .extend(clientCertFields)
  .refine(certWithKey.check, { message: certWithKey.message })
  .describe("TLS for https:// endpoints");

/** What the HTTP client reads: server verification and, where allowed, a client certificate. */
export type TlsClientCertConfig = TlsClientConfig & { cert_file?: string; key_file?: string };

/** Header names the exporters set themselves; a user header must not silently replace them. */
const RESERVED_HEADERS = new Set(["content-type", "content-encoding", "content-length", "host"]);

export const headersSchema = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "expected an HTTP header name"),
    z.string(),
  )
  .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), {
    message: `headers may not set ${[...RESERVED_HEADERS].join(", ")} (the exporter sets them)`,
  })
  .default({})
  .describe("extra HTTP headers sent with every request");

/** An http:// or https:// URL. */
export const httpUrl = z.string().refine((v) => {
  try {
    const url = new URL(v);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== "";
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL such as "http://localhost:3100"');
