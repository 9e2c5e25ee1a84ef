import type { IncomingMessage, ServerResponse } from "node:http";
import type { Consumer, CreateContext, Receiver } from "../../component/component.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import { nowNanos } from "../../pdata/logs.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { ReceiverTelemetry } from "../../telemetry/telemetry.js";
import { BodyError, readBody } from "../internal/http-body.js";
import { GracefulHttpServer, sendDownstreamError, sendJson } from "../internal/http-server.js";
import type { DetectionsConfig } from "./config.js";
import { decodeBody } from "./decode.js";

const SCOPE: Scope = { name: "tripline/receiver/detections" };
const RESOURCE: Resource = { attributes: {} };

function isNdjson(contentType: string | undefined): boolean {
  return /ndjson|jsonl|json-seq/i.test(contentType ?? "");
}

/** Webhook for security products: POST detections as JSON, a JSON array or NDJSON. */
export class DetectionsReceiver implements Receiver {
  private readonly server: GracefulHttpServer;
  private readonly telemetry: ReceiverTelemetry;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: DetectionsConfig,
    private readonly next: Consumer<LogBatch>,
  ) {
    this.telemetry = ctx.telemetry.receiver(ctx.id, "http");
    this.server = new GracefulHttpServer(config.endpoint, (req, res) => this.handle(req, res));
  }

  async start(): Promise<void> {
    const address = await this.server.start();
    this.ctx.logger.info(
      { endpoint: `${address.address}:${address.port}`, path: this.config.path },
      "detections receiver listening",
    );
  }

  async shutdown(): Promise<void> {
    await this.server.stop();
  }

  /** The bound address (useful with port 0). */
  address() {
    return this.server.address();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== this.config.path)
      return sendJson(res, 404, {
        error: `no such path ${path}; POST detections to ${this.config.path}`,
      });
    if (req.method !== "POST")
      return sendJson(
        res,
        405,
        { error: `method ${req.method} not allowed; use POST` },
        { allow: "POST" },
      );

    let text: string;
    try {
      text = (await readBody(req, this.config.max_request_body_size)).toString("utf8");
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      // The rest of an oversized body is never read, so the connection cannot be reused.
      return sendJson(
        res,
        error.status,
        { error: error.message },
        error.status === 413 ? { connection: "close" } : {},
      );
    }
    const decoded = decodeBody(text, isNdjson(req.headers["content-type"]));
    if (!decoded.ok) return sendJson(res, 400, { error: decoded.error });

    const observedTime = nowNanos();
    const batch: LogBatch = decoded.items.map(
      (item): LogRecord => ({
        time: observedTime,
        observedTime,
        severityNumber: 0,
        severityText: "",
        body: item as LogRecord["body"],
        attributes: {},
        resource: RESOURCE,
        scope: SCOPE,
      }),
    );
    if (batch.length === 0) return sendJson(res, 200, { accepted: 0 });
    try {
      await this.next.consume(batch);
    } catch (error) {
      this.telemetry.refused("logs", batch.length);
      return sendDownstreamError(res, error);
    }
    this.telemetry.accepted("logs", batch.length);
    sendJson(res, 200, { accepted: batch.length });
  }
}
