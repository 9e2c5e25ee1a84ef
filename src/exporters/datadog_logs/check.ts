import { errorMessage } from "../../component/errors.js";
import { DatadogHttpClient, describeBody, isAuthStatus } from "./http.js";
import { apiUrl, type DatadogConnection } from "./site.js";

export interface CheckResult {
  ok: boolean;
  /** One line for a person: what was checked and what came back. Never contains the key. */
  detail: string;
  /** True when Datadog answered and refused the key (as opposed to being unreachable). */
  keyRefused?: boolean;
}

/**
 * Validates the API key against the site (`GET /api/v1/validate`), as Vector's Datadog
 * healthcheck does: only 200 is healthy.
 */
export async function check(
  config: Pick<DatadogConnection, "site" | "endpoint" | "api_key"> & { timeout?: number },
): Promise<CheckResult> {
  const url = apiUrl(config, "/api/v1/validate");
  const client = new DatadogHttpClient(config.api_key);
  try {
    const response = await client.send("GET", url, {
      signal: AbortSignal.timeout(config.timeout ?? 10_000),
    });
    if (response.status === 200) {
      return { ok: true, detail: `api_key is valid for site ${config.site} (${url})` };
    }
    const why = describeBody(response.body);
    const detail = isAuthStatus(response.status)
      ? `api_key refused by ${url} (HTTP ${response.status}): check api_key for site ${config.site}`
      : `${url} answered HTTP ${response.status}${why ? ` (${why})` : ""}`;
    return { ok: false, detail, keyRefused: isAuthStatus(response.status) };
  } catch (error) {
    return { ok: false, detail: `cannot reach Datadog: ${errorMessage(error)}` };
  } finally {
    await client.close();
  }
}
