import { readFile } from "node:fs/promises";
import path from "node:path";
import { Agent, request } from "undici";
import type { z } from "zod";
import { errorMessage, RetryableError } from "../../component/errors.js";
import type { tlsWithClientCertSchema } from "./config.js";

export type TlsConfig = z.output<typeof tlsWithClientCertSchema>;

export interface BinaryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function readPem(configDir: string, option: string, file: string): Promise<Buffer> {
  const resolved = path.resolve(configDir, file);
  try {
    return await readFile(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(`tls.${option}: cannot read ${resolved} (${code})`);
  }
}

/**
 * One keep-alive pool per exporter. Unlike the shared text client in ../internal/http.ts it
 * returns bodies as bytes (OTLP answers in protobuf) and presents a client certificate for
 * mutual TLS. Headers may hold credentials: no message built here contains them.
 */
export class OtlpHttpClient {
  private agent: Agent | undefined;

  constructor(
    private readonly headers: Record<string, string>,
    private readonly tls: TlsConfig | undefined,
    private readonly configDir: string,
  ) {}

  async open(): Promise<void> {
    const tls = this.tls;
    const connect: Record<string, unknown> = {
      rejectUnauthorized: !(tls?.insecure_skip_verify ?? false),
    };
    if (tls?.ca_file) connect.ca = await readPem(this.configDir, "ca_file", tls.ca_file);
    if (tls?.cert_file) connect.cert = await readPem(this.configDir, "cert_file", tls.cert_file);
    if (tls?.key_file) connect.key = await readPem(this.configDir, "key_file", tls.key_file);
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 32, connect });
  }

  async post(
    url: string,
    body: Uint8Array,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<BinaryResponse> {
    if (!this.agent) throw new RetryableError("HTTP client is not open (exporter not started)");
    try {
      const response = await request(url, {
        method: "POST",
        dispatcher: this.agent,
        headers: { ...this.headers, ...headers },
        body,
        signal,
      });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: response.headers, body: bytes };
    } catch (error) {
      // Refused, reset, DNS, TLS or timeout: nothing was confirmed, so it may be resent.
      throw new RetryableError(`POST ${stripQuery(url)}: ${errorMessage(error)}`, undefined, {
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
