import type { IncomingMessage, ServerResponse } from "node:http";
import type { Consumer, CreateContext, Receiver } from "../../component/component.js";
import { errorMessage } from "../../component/errors.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import { nowNanos } from "../../pdata/logs.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { ReceiverTelemetry } from "../../telemetry/telemetry.js";
import { DeadLetterWriter } from "../internal/dead-letter.js";
import { BodyError, readBody } from "../internal/http-body.js";
import { GracefulHttpServer, sendDownstreamError, sendJson } from "../internal/http-server.js";
import { itemRecord } from "../internal/records.js";
import { loadTlsServerOptions } from "../internal/tls.js";
import { Authenticator, type AuthStart } from "./auth.js";
import type { DetectionsConfig } from "./config.js";
import { type AcceptedItem, decodeBody, type RejectedItem } from "./decode.js";
import { type PresetMapper, resolvePreset } from "./preset.js";

export const SCOPE: Scope = { name: "tripline/receiver/detections" };
export const RESOURCE: Resource = { attributes: {} };
/** Per-item errors listed in a response; the `rejected` count always covers all of them. */
const MAX_REPORTED_ERRORS = 100;

function isNdjson(contentType: string | undefined): boolean {
  return /ndjson|jsonl|json-seq/i.test(contentType ?? "");
}

/** Webhook for security products: POST detections as JSON, a JSON array or NDJSON. */
export class DetectionsReceiver implements Receiver {
  private server: GracefulHttpServer | undefined;
  private readonly telemetry: ReceiverTelemetry;
  private readonly auth: Authenticator | undefined;
  private readonly deadLetter: DeadLetterWriter | undefined;
  private readonly preset: PresetMapper | undefined;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: DetectionsConfig,
    private readonly next: Consumer<LogBatch>,
  ) {
    this.telemetry = ctx.telemetry.receiver(ctx.id, "http");
    this.auth = config.auth ? new Authenticator(config.auth) : undefined;
    this.deadLetter = config.dead_letter
      ? new DeadLetterWriter(ctx.id, config.dead_letter.path, ctx.configDir)
      : undefined;
    this.preset = resolvePreset(config.preset);
  }

  async start(): Promise<void> {
    const tls = this.config.tls
      ? await loadTlsServerOptions(this.config.tls, this.ctx.configDir)
      : undefined;
    this.server = new GracefulHttpServer(
      this.config.endpoint,
      (req, res) => this.handle(req, res),
      tls ? { tls } : {},
    );
    const address = await this.server.start();
    this.ctx.logger.info(
      {
        endpoint: `${address.address}:${address.port}`,
        path: this.config.path,
        tls: tls !== undefined,
        mtls: this.config.tls?.client_ca_file !== undefined,
        auth: this.config.auth
          ? Object.keys(this.config.auth).filter((k) => k === "bearer_tokens" || k === "hmac")
          : [],
      },
      "detections receiver listening",
    );
  }

  async shutdown(): Promise<void> {
    await this.server?.stop();
    await this.deadLetter?.close();
  }

  /** The bound address (useful with port 0). */
  address() {
    return this.server?.address();
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

    const auth: AuthStart = this.auth ? this.auth.start(req.headers) : { kind: "pass" };
    if (auth.kind === "refuse") return this.refuse(res, auth.status);

    let raw: Buffer;
    try {
      raw = await readBody(
        req,
        this.config.max_request_body_size,
        auth.kind === "signature" ? { onRawChunk: (chunk) => auth.check.update(chunk) } : {},
      );
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
    if (auth.kind === "signature" && !auth.check.verify()) return this.refuse(res, 403);

    const decoded = decodeBody(raw.toString("utf8"), isNdjson(req.headers["content-type"]), {
      maxItems: this.config.max_items,
      maxDepth: this.config.max_depth,
      maxStringLength: this.config.max_string_length,
    });
    if (!decoded.ok) return sendJson(res, decoded.status, { error: decoded.error });
    if (decoded.stripped > 0) {
      this.ctx.logger.warn(
        { stripped: decoded.stripped, keys: "__proto__, constructor, prototype" },
        "detections receiver: removed prototype-pollution keys from received items",
      );
    }

    const observedTime = nowNanos();
    const rejected = decoded.rejected;
    const batch: LogBatch = [];
    for (const item of decoded.accepted) {
      const record = this.toRecord(item, observedTime, rejected);
      if (record) batch.push(record);
    }
    rejected.sort((a, b) => a.index - b.index);

    if (rejected.length > 0) {
      this.telemetry.refused("logs", rejected.length);
      this.ctx.logger.warn(
        {
          rejected: rejected.length,
          first: { index: rejected[0]!.index, error: rejected[0]!.error },
        },
        "detections receiver: rejected items",
      );
      // Rejected items are only safe once on disk, so this comes before the answer; if it
      // fails, nothing is accepted and the sender retries the whole request.
      if (this.deadLetter) {
        try {
          await this.deadLetter.write(
            rejected.map(({ error, index, line, raw }) => ({ error, index, line, raw })),
          );
        } catch (error) {
          this.ctx.logger.error(
            { err: errorMessage(error), path: this.deadLetter.path },
            "detections receiver: cannot write the dead letter",
          );
          return sendJson(
            res,
            503,
            { error: "temporarily unable to store rejected items; retry the request" },
            { "retry-after": "1" },
          );
        }
      }
    }

    if (batch.length > 0) {
      try {
        await this.next.consume(batch);
      } catch (error) {
        this.telemetry.refused("logs", batch.length);
        return sendDownstreamError(res, error);
      }
      this.telemetry.accepted("logs", batch.length);
    }
    this.answer(res, batch.length, rejected);
  }

  /** Applies the preset; an item it cannot map joins the rejected ones. */
  private toRecord(
    item: AcceptedItem,
    observedTime: bigint,
    rejected: RejectedItem[],
  ): LogRecord | undefined {
    const record = itemRecord(item.value, observedTime, RESOURCE, SCOPE);
    if (!this.preset) return record;
    try {
      this.preset(record, item.value);
      return record;
    } catch (error) {
      const { index, line } = item;
      const message = `preset ${this.config.preset}: ${errorMessage(error)}`;
      rejected.push({ index, line, error: message, raw: JSON.stringify(item.value) });
      return undefined;
    }
  }

  /**
   * 200 when anything was accepted (OTLP's partial success: the sender must not resend the
   * accepted items), with the rejected ones listed; 400 when every item was rejected.
   */
  private answer(res: ServerResponse, accepted: number, rejected: RejectedItem[]): void {
    if (rejected.length === 0) {
      sendJson(res, 200, { accepted });
      return;
    }
    const report = {
      accepted,
      rejected: rejected.length,
      errors: rejected
        .slice(0, MAX_REPORTED_ERRORS)
        .map(({ index, line, error }) => ({ index, line, error })),
    };
    if (accepted > 0) {
      sendJson(res, 200, report);
      return;
    }
    const error =
      rejected.length === 1 ? rejected[0]!.error : `all ${rejected.length} items were rejected`;
    sendJson(res, 400, { error, ...report });
  }

  private refuse(res: ServerResponse, status: 401 | 403): void {
    const challenge = status === 401 ? this.auth?.challenge : undefined;
    // Closing spares reading (and discarding) the rest of an unauthenticated body.
    const headers: Record<string, string> = { connection: "close" };
    if (challenge) headers["www-authenticate"] = challenge;
    sendJson(
      res,
      status,
      { error: status === 401 ? "missing credentials" : "invalid credentials" },
      headers,
    );
  }
}
