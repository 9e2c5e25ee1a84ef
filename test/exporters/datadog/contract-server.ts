import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";
import { readBody, type Scripted, ScriptedServer } from "../scripted-server.js";

/**
 * A local Datadog that enforces the documented contract (wire-contracts.md §1, and the v1
 * Events API), so exporter tests fail the way production would:
 * - every endpoint: DD-API-KEY required (401 when missing, 403 when wrong);
 * - POST /api/v2/logs: Content-Type application/json; Content-Encoding identity, gzip or
 *   deflate; > 5 MB uncompressed → 413; > 1000 entries → 413; not JSON → 400; a log over
 *   1 MB is accepted and truncated (202), as Datadog does, and flagged in `oversized`;
 * - GET /api/v1/validate: 200 {"valid":true} for the right key, 403 otherwise;
 * - POST /api/v1/events: title and text required (400), 202 with the event echoed.
 * Tests queue scripted answers (429/500/503 with Retry-After…) with `respondWith`; each one
 * answers the next request before any check.
 */
export const LIMITS = { requestBytes: 5_000_000, entries: 1000, entryBytes: 1_000_000 } as const;

export type { Scripted };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** Bytes on the wire (compressed when Content-Encoding says so). */
  wireBytes: number;
  /** Bytes after decompression. */
  bodyBytes: number;
  /** The body as it came on the wire, and after decompression (when it could be undone). */
  raw: Buffer;
  body?: Buffer;
  status: number;
}

export class DatadogContractServer extends ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  /** Every log the intake accepted, in arrival order. */
  readonly logs: Record<string, unknown>[] = [];
  /** Every event the Events API accepted. */
  readonly events: Record<string, unknown>[] = [];
  /** Logs over 1 MB that the intake would have truncated. */
  oversized = 0;

  constructor(readonly apiKey = "test-api-key-0123456789abcdef") {
    super();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    const record: RecordedRequest = {
      method: req.method ?? "",
      path,
      headers: req.headers,
      wireBytes: raw.length,
      bodyBytes: raw.length,
      raw,
      status: 0,
    };
    this.requests.push(record);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
    };

    const scripted = this.script.shift();
    if (scripted) return answer(scripted.status, scripted.body ?? "{}", scripted.headers);

    const key = req.headers["dd-api-key"];
    if (key === undefined) return answer(401, { errors: ["Unauthorized"] });
    if (key !== this.apiKey) return answer(403, { errors: ["Forbidden"] });

    if (req.method === "GET" && path === "/api/v1/validate") return answer(200, { valid: true });

    if (req.method !== "POST") return answer(405, { errors: ["Method Not Allowed"] });
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return answer(400, { errors: ["Content-Type must be application/json"] });
    }
    let body: Buffer;
    try {
      body = decode(raw, req.headers["content-encoding"]);
    } catch (error) {
      return answer(400, { errors: [`cannot decode body: ${String(error)}`] });
    }
    record.bodyBytes = body.length;
    record.body = body;

    if (path === "/api/v2/logs") {
      if (body.length > LIMITS.requestBytes) return answer(413, { errors: ["Payload too large"] });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        return answer(400, { errors: ["Malformed JSON"] });
      }
      const items = Array.isArray(parsed) ? parsed : [parsed];
      if (items.length > LIMITS.entries) return answer(413, { errors: ["Too many entries"] });
      for (const item of items) {
        if (typeof item !== "object" || item === null || Array.isArray(item)) {
          return answer(400, { errors: ["each log must be an object"] });
        }
        if (Buffer.byteLength(JSON.stringify(item)) > LIMITS.entryBytes) this.oversized++;
      }
      this.logs.push(...(items as Record<string, unknown>[]));
      return answer(202, {});
    }

    if (path === "/api/v1/events") {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      } catch {
        return answer(400, { errors: ["Malformed JSON"] });
      }
      if (typeof event.title !== "string" || typeof event.text !== "string") {
        return answer(400, { errors: ["title and text are required"] });
      }
      this.events.push(event);
      return answer(202, { status: "ok", event: { id: this.events.length, ...event } });
    }
    return answer(404, { errors: ["Not Found"] });
  }
}

function decode(raw: Buffer, encoding: string | string[] | undefined): Buffer {
  const value = String(encoding ?? "identity").toLowerCase();
  if (value === "identity") return raw;
  if (value === "gzip") return gunzipSync(raw);
  if (value === "deflate") return inflateSync(raw);
  throw new Error(`unsupported Content-Encoding ${value}`);
}
