import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An answer queued for the next request, given instead of the backend's own. */
export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** The whole request body, as it came over the wire. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A fake backend on an ephemeral local port for the exporters' contract tests. Subclasses
 * implement the backend's contract in `handle` and take `script` answers first where a test
 * queued them; a handler that throws answers 500 with the error.
 */
export abstract class ScriptedServer {
  protected readonly script: Scripted[] = [];
  private server: Server | undefined;
  url = "";
  /** Appended to the server's base URL to make `url` (e.g. the push path). */
  protected readonly urlPath: string = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.urlPath}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues answers for the next requests, in order. */
  respondWith(...answers: Scripted[]): void {
    this.script.push(...answers);
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}
