import { readFile } from "node:fs/promises";
import path from "node:path";
import { Agent, request } from "undici";
import { errorMessage, PermanentError, RetryableError } from "../../component/errors.js";
import type { AuthConfig, TlsClientConfig } from "./http-config.js";

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpClientOptions {
  auth?: AuthConfig;
  headers: Record<string, string>;
  tls?: TlsClientConfig;
  userAgent: string;
  /** Folder that relative `tls.ca_file` paths resolve against. */
  configDir: string;
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The first line of an error body, capped so a proxy's HTML page does not flood the logs. */
export function describeBody(body: string): string {
  return body.replace(/\s+/g, " ").trim().slice(0, 300);
}

/**
 * Loki and Prometheus remote write agree: 429 and 5xx may succeed later, any other 4xx is the
 * data (or the credentials) and resending it will not help.
 */
export function errorForResponse(what: string, response: HttpResponse): Error {
  const detail = describeBody(response.body);
  const message = `${what}: HTTP ${response.status}${detail ? ` (${detail})` : ""}`;
  if (response.status === 429 || response.status >= 500) {
    return new RetryableError(message, parseRetryAfter(response.headers["retry-after"]));
  }
  return new PermanentError(message);
}

export function authorizationHeader(auth: AuthConfig | undefined): string | undefined {
  if (auth?.basic) {
    const { username, password } = auth.basic;
    return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  }
  if (auth?.bearer_token) return `Bearer ${auth.bearer_token}`;
  return undefined;
}

/**
 * One keep-alive connection pool per exporter, opened at start (reading the CA file) and
 * closed at shutdown. Credentials travel only in the Authorization header; no message this
 * class builds contains them.
 */
export class HttpClient {
  private agent: Agent | undefined;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly options: HttpClientOptions) {
    this.baseHeaders = { "user-agent": options.userAgent, ...options.headers };
    const authorization = authorizationHeader(options.auth);
    if (authorization) this.baseHeaders.authorization = authorization;
  }

  async open(): Promise<void> {
    const tls = this.options.tls;
    let ca: Buffer | undefined;
    if (tls?.ca_file) {
      const file = path.resolve(this.options.configDir, tls.ca_file);
      try {
        ca = await readFile(file);
      } catch (error) {
        throw new Error(
          `tls.ca_file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`,
        );
      }
    }
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 32,
      connect: { ca, rejectUnauthorized: !(tls?.insecure_skip_verify ?? false) },
    });
  }

  async request(
    method: "GET" | "POST" | "PATCH",
    url: string,
    options: { body?: Uint8Array | string; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<HttpResponse> {
    if (!this.agent) throw new RetryableError("HTTP client is not open (exporter not started)");
    try {
      const response = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { ...this.baseHeaders, ...options.headers },
        body: options.body,
        signal: options.signal,
      });
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      // Refused, reset, DNS, TLS or timeout: nothing was confirmed, so it may be resent.
      throw new RetryableError(`${method} ${stripQuery(url)}: ${errorMessage(error)}`, undefined, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.close();
  }
}

function stripQuery(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
