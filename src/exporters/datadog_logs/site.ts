import { z } from "zod";

/** Datadog sites (regions). Every intake host is derived from the site domain. */
export const DATADOG_SITES = [
  "datadoghq.com",
  "us3.datadoghq.com",
  "us5.datadoghq.com",
  "datadoghq.eu",
  "ap1.datadoghq.com",
  "ap2.datadoghq.com",
  "ddog-gov.com",
] as const;
export type DatadogSite = (typeof DATADOG_SITES)[number];

/** The options every Datadog exporter shares: where to send and with which key. */
export const datadogConnectionFields = {
  site: z
    .enum(DATADOG_SITES)
    .default("datadoghq.com")
    .describe("Datadog site (region) of the account; every endpoint is derived from it."),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "Base URL that replaces the site's host (e.g. a proxy, or a local test server); the API path is appended.",
    ),
  api_key: z
    .string()
    .min(1, `api_key is required; reference it, e.g. \${env:DD_API_KEY}`)
    .describe(`Datadog API key. Reference it with \${env:…} or \${file:…}; it is never logged.`),
};

export const datadogConnectionSchema = z.strictObject(datadogConnectionFields);
export type DatadogConnection = z.output<typeof datadogConnectionSchema>;

function base(connection: Pick<DatadogConnection, "endpoint">, host: string): string {
  return (connection.endpoint ?? `https://${host}`).replace(/\/+$/, "");
}

/** POST target of the Logs intake v2: `https://http-intake.logs.<site>/api/v2/logs`. */
export function logsIntakeUrl(connection: Pick<DatadogConnection, "site" | "endpoint">): string {
  return `${base(connection, `http-intake.logs.${connection.site}`)}/api/v2/logs`;
}

/** Base of the REST API (`https://api.<site>`), home of /api/v1/validate and /api/v1/events. */
export function apiUrl(
  connection: Pick<DatadogConnection, "site" | "endpoint">,
  path: `/${string}`,
): string {
  return `${base(connection, `api.${connection.site}`)}${path}`;
}
