import { readFile } from "node:fs/promises";
import path from "node:path";
import { Agent, type Dispatcher, request } from "undici";
import { VERSION } from "../../cli/version.js";
import { errorMessage, PermanentError, RetryableError } from "../../component/errors.js";
import type { AuthConfig, TlsClientCertConfig } from "./http-config.js";

/** A response with its body as text (JSON and plain-text APIs) or as bytes (protobuf). */
export interface HttpResponse<Body extends string | Buffer = string> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
}

export interface HttpClientOptions {
  auth?: AuthConfig;
  headers: Record<string, string>;
  /** Server verification, plus a client certificate for mutual TLS where the schema allows one. */
  tls?: TlsClientCertConfig;
  userAgent: string;
  /** Folder that relative `tls.*_file` paths resolve against. */
  configDir: string;
}

export interface RequestOptions {
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A PEM file named by a `tls.<option>`, resolved against the config folder; errors name the option. */
export async function readPem(configDir: string, option: string, file: string): Promise<Buffer> {
  const resolved = path.resolve(configDir, file);
  try {
    return await readFile(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(`tls.${option}: cannot read ${resolved} (${code})`);
  }
}

/** The first value of a response header (undici gives repeated headers as an array). */
export function firstHeader(
  response: HttpResponse<string | Buffer>,
  name: string,
): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
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
 * One keep-alive connection pool per exporter, opened at start (reading the CA file and any
 * client certificate) and closed at shutdown. Credentials travel only in headers; no message
 * this class builds contains them.
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
    const dir = this.options.configDir;
    const connect: Record<string, unknown> = {
      rejectUnauthorized: !(tls?.insecure_skip_verify ?? false),
    };
    if (tls?.ca_file) connect.ca = await readPem(dir, "ca_file", tls.ca_file);
    if (tls?.cert_file) connect.cert = await readPem(dir, "cert_file", tls.cert_file);
    if (tls?.key_file) connect.key = await readPem(dir, "key_file", tls.key_file);
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 32, connect });
  }

  /** Sends one request and reads the whole body as text. */
  request(
    method: "GET" | "POST" | "PATCH",
    url: string,
    options: RequestOptions,
  ): Promise<HttpResponse> {
    return this.send(method, url, options, (body) => body.text());
  }

  /** Sends one request and reads the whole body as bytes (for protobuf answers). */
  requestBytes(
    method: "GET" | "POST" | "PATCH",
    url: string,
    options: RequestOptions,
  ): Promise<HttpResponse<Buffer>> {
    return this.send(method, url, options, async (body) => Buffer.from(await body.arrayBuffer()));
  }

  private async send<Body extends string | Buffer>(
    method: "GET" | "POST" | "PATCH",
    url: string,
    options: RequestOptions,
    read: (body: Dispatcher.ResponseData["body"]) => Promise<Body>,
  ): Promise<HttpResponse<Body>> {
    if (!this.agent) throw new RetryableError("HTTP client is not open (exporter not started)");
    try {
      const response = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { ...this.baseHeaders, ...options.headers },
        body: options.body,
        signal: options.signal,
      });
      const body = await read(response.body);
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

/** The client of an exporter whose config has the shared `auth`, `headers` and `tls` options. */
export function httpClientFor(
  ctx: { configDir: string },
  config: { auth?: AuthConfig; headers: Record<string, string>; tls?: TlsClientCertConfig },
): HttpClient {
  return new HttpClient({
    auth: config.auth,
    headers: config.headers,
    tls: config.tls,
    userAgent: `Tripline/${VERSION}`,
    configDir: ctx.configDir,
  });
}
