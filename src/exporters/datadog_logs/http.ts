import { Agent, request } from "undici";
import { errorMessage, PermanentError, RetryableError } from "../../component/errors.js";

export interface DatadogResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Statuses Datadog documents as "retry later" (408, 429, 5xx); 4xx is the data or the key. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function isAuthStatus(status: number): boolean {
  return status === 401 || status === 403;
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()) {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Datadog error bodies are `{"errors":["…"]}`; the first line of one is enough to say why.
 * Bodies are capped so a proxy's HTML page does not flood the logs.
 */
export function describeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors.map(String).join("; ").slice(0, 300);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 300);
}

/** Turns a non-2xx answer into the typed error the delivery layer acts on. */
export function errorForResponse(what: string, response: DatadogResponse): Error {
  const detail = describeBody(response.body);
  const message = `${what}: HTTP ${response.status}${detail ? ` (${detail})` : ""}`;
  if (isRetryableStatus(response.status)) {
    return new RetryableError(message, parseRetryAfter(response.headers["retry-after"]));
  }
  return new PermanentError(message);
}

/**
 * One keep-alive connection pool per exporter. The API key travels only in the DD-API-KEY
 * header and is never part of a message this module builds.
 */
export class DatadogHttpClient {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });

  constructor(private readonly apiKey: string) {}

  async send(
    method: "GET" | "POST",
    url: string,
    options: { body?: Uint8Array | string; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<DatadogResponse> {
    try {
      const response = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { ...options.headers, "dd-api-key": this.apiKey },
        body: options.body,
        signal: options.signal,
      });
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      // Connection refused, reset, DNS, TLS or timeout: nothing was confirmed, so resend later.
      throw new RetryableError(`${method} ${redactUrl(url)}: ${errorMessage(error)}`, undefined, {
        cause: error,
      });
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Query strings never carry the key here, but strip them from messages all the same. */
function redactUrl(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
