import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { errorMessage, isPermanent, RetryableError } from "../../component/errors.js";
import { memoryPressure, pressureMessage } from "../../component/memory-pressure.js";
import { parseHostPort } from "../../config/endpoint.js";

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpServerOptions {
  /** Serve HTTPS with these options (certificate, key, client CA for mTLS) instead of HTTP. */
  tls?: HttpsOptions;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Maps a downstream refusal to HTTP: retryable → 503 with Retry-After so the sender keeps the
 * data and tries again; permanent → 400, since resending the same data cannot succeed.
 */
export function sendDownstreamError(res: ServerResponse, error: unknown): void {
  if (isPermanent(error)) {
    sendJson(res, 400, { error: errorMessage(error) });
    return;
  }
  sendJson(
    res,
    503,
    { error: `temporarily unable to accept data: ${errorMessage(error)}` },
    { "retry-after": String(retryAfterSeconds(error)) },
  );
}

/** Whole seconds for Retry-After: downstream's hint rounded up, else 1; never 0. */
export function retryAfterSeconds(error: unknown): number {
  const retryAfterMs = error instanceof RetryableError ? error.retryAfterMs : undefined;
  return Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000));
}

/**
 * An HTTP listener that stops gracefully: on stop it refuses new requests, lets the ones in
 * flight finish (their data reaches downstream and they get their answer), then closes. While
 * a memory_limiter reports memory pressure it refuses bodies unread (503 + Retry-After).
 */
export class GracefulHttpServer {
  private server?: Server;
  private inFlight = 0;
  private stopping = false;
  private drained?: () => void;

  constructor(
    private readonly endpoint: string,
    private readonly handler: Handler,
    private readonly options: HttpServerOptions = {},
  ) {}

  async start(): Promise<AddressInfo> {
    const target = parseHostPort(this.endpoint);
    if (!target) throw new Error(`invalid endpoint "${this.endpoint}"`);
    const listener = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const server: Server = this.options.tls
      ? createHttpsServer(this.options.tls, listener)
      : createServer(listener);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(target.port, target.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  address(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.stopping) {
      return sendJson(
        res,
        503,
        { error: "shutting down" },
        { connection: "close", "retry-after": "1" },
      );
    }
    // Admission control: under memory pressure a request that may carry a body is refused
    // before a byte of it is read, since reading and decoding it is what costs the memory.
    // The connection is closed so the unread body is dropped with it, not buffered.
    if (req.method !== "GET" && req.method !== "HEAD") {
      const pressure = memoryPressure.current();
      if (pressure) {
        return sendJson(
          res,
          503,
          { error: pressureMessage(pressure) },
          {
            connection: "close",
            "retry-after": String(Math.max(1, Math.ceil(pressure.retryAfterMs / 1000))),
          },
        );
      }
    }
    this.inFlight++;
    try {
      await this.handler(req, res);
    } catch (error) {
      sendJson(res, 500, { error: `internal error: ${errorMessage(error)}` });
    } finally {
      this.inFlight--;
      if (this.stopping && this.inFlight === 0) this.drained?.();
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server || this.stopping) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    server.closeAllConnections();
    await closed;
  }
}
