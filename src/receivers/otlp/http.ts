import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorMessage, isPermanent } from "../../component/errors.js";
import { Rejections } from "../../pdata/rejections.js";
import type { Signal } from "../../pdata/signal.js";
import { BodyError, readBody } from "../internal/http-body.js";
import { GracefulHttpServer, retryAfterSeconds } from "../internal/http-server.js";
import type { OtlpHttpConfig } from "./config.js";
import {
  CONTENT_TYPE,
  decodeRequest,
  encodeError,
  encodeResponse,
  type Format,
  formatOf,
  grpcCodeForHttp,
} from "./encode.js";
import type { Ingest } from "./ingest.js";

/**
 * OTLP/HTTP (opentelemetry-proto docs/specification.md, "OTLP/HTTP"): POST protobuf or JSON to
 * one path per signal; the answer uses the request's content type, and failures carry a
 * google.rpc.Status body.
 */
export class OtlpHttpServer {
  private readonly server: GracefulHttpServer;
  private readonly paths: Map<string, Signal>;

  constructor(
    config: OtlpHttpConfig,
    private readonly ingest: Ingest,
  ) {
    this.paths = new Map([
      [config.logs_url_path, "logs"],
      [config.metrics_url_path, "metrics"],
    ]);
    this.server = new GracefulHttpServer(config.endpoint, (req, res) =>
      this.handle(req, res, config.max_request_body_size),
    );
  }

  start(): Promise<AddressInfo> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  address(): AddressInfo | undefined {
    return this.server.address();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, limit: number): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const signal = this.paths.get(path);
    // JSON until the request's own format is known.
    if (!signal) return reply(res, "json", 404, `no OTLP endpoint at ${path}`);
    if (!this.ingest.wired(signal)) {
      return reply(res, "json", 404, `this receiver is in no ${signal} pipeline`);
    }
    if (req.method !== "POST") {
      return reply(res, "json", 405, `method ${req.method} not allowed; use POST`, {
        allow: "POST",
      });
    }
    const format = formatOf(req.headers["content-type"]);
    if (!format) {
      return reply(
        res,
        "json",
        415,
        `unsupported content type ${JSON.stringify(req.headers["content-type"] ?? "")}; ` +
          `use ${CONTENT_TYPE.proto} or ${CONTENT_TYPE.json}`,
      );
    }

    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      // The rest of an oversized body is never read, so the connection cannot be reused.
      const headers = error.status === 413 ? { connection: "close" } : undefined;
      return reply(res, format, error.status, error.message, headers);
    }

    const rejections = new Rejections();
    let partial: Awaited<ReturnType<Ingest["deliver"]>>;
    try {
      const batch = decodeRequest(signal, format, body, rejections);
      partial = await this.ingest.deliver(signal, batch, rejections);
    } catch (error) {
      if (isPermanent(error)) return reply(res, format, 400, errorMessage(error));
      return reply(res, format, 503, `temporarily unable to accept data: ${errorMessage(error)}`, {
        "retry-after": String(retryAfterSeconds(error)),
      });
    }
    send(res, 200, format, encodeResponse(signal, format, partial));
  }
}

function send(
  res: ServerResponse,
  status: number,
  format: Format,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": CONTENT_TYPE[format], ...headers });
  res.end(body);
}

function reply(
  res: ServerResponse,
  format: Format,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  send(res, status, format, encodeError(format, grpcCodeForHttp(status), message), headers);
}
