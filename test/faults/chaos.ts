import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gunzipSync } from "node:zlib";

/** What the backend does with one request. */
export type Answer =
  | "ok"
  /** Never answers; the client's timeout fires. */
  | "hang"
  /** Drops the connection while the body is still coming in. */
  | "reset"
  | { status: number; retryAfter?: string };

/** The id every load-generated detection carries, found again in whatever the exporter sends. */
export const ID_PATTERN = /FID[0-9a-z]+x\d+Z/;

/**
 * A Datadog Logs intake stand-in on 127.0.0.1 that misbehaves on demand: refuses connections
 * (`down`), hangs, answers any status with or without Retry-After, resets mid-body, answers
 * slowly. It records the id of every log it answered 2xx for, and how often, so a test can count
 * what was delivered and what was delivered twice.
 */
export class ChaosBackend {
  /** id → number of 2xx answers that contained it. */
  readonly delivered = new Map<string, number>();
  readonly outcomes = new Map<string, number>();
  /** Decides each request's fate; the body is passed so payload-specific answers are possible. */
  behave: (body: string) => Answer = () => "ok";
  latencyMs = 0;
  /** Cut every connection while its request body is arriving, before any answer. */
  resetMidBody = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await this.up();
    return this;
  }

  /** Listens again on the same port (the exporter keeps its endpoint). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every open connection: new connections are refused. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  stop(): Promise<void> {
    return this.down();
  }

  private count(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.resetMidBody) {
      // Cut while the body is arriving: the exporter sees no answer at all.
      this.count("reset");
      req.once("data", () => req.socket.destroy());
      req.once("end", () => req.socket.destroy());
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
    const body = raw.toString("utf8");
    const answer = this.behave(body);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (answer === "hang") {
      this.count("hang");
      return;
    }
    if (answer === "reset") {
      this.count("reset");
      req.socket.destroy();
      return;
    }
    if (answer !== "ok") {
      this.count(String(answer.status));
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (answer.retryAfter !== undefined) headers["retry-after"] = answer.retryAfter;
      res.writeHead(answer.status, headers).end(JSON.stringify({ errors: ["chaos"] }));
      return;
    }
    // Ids are recorded before the answer is written: a client killed while the answer is on its
    // way makes a duplicate when it resends, which is exactly what the count must show.
    for (const entry of JSON.parse(body) as Record<string, unknown>[]) {
      const id = ID_PATTERN.exec(JSON.stringify(entry))?.[0];
      if (id) this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
    }
    this.count("202");
    res.writeHead(202, { "content-type": "application/json" }).end("{}");
  }
}
