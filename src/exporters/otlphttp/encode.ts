/**
 * OTLP/HTTP bodies: Export*ServiceRequest out (protobuf or JSON), Export*ServiceResponse and
 * google.rpc.Status in. Pure functions over bytes.
 */
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import { encodeLogsRequest, encodeMetricsRequest } from "../../pdata/otlp-json.js";
import {
  decodeLogsResponse,
  decodeMetricsResponse,
  decodeStatus,
  encodeLogsProto,
  encodeMetricsProto,
  type PartialSuccess,
} from "../../pdata/otlp-proto.js";
import type { Signal } from "../../pdata/signal.js";

export type Encoding = "proto" | "json";

export const CONTENT_TYPE: Record<Encoding, string> = {
  proto: "application/x-protobuf",
  json: "application/json",
};

export function encodeRequest(
  signal: Signal,
  encoding: Encoding,
  batch: LogBatch | MetricBatch,
): Uint8Array {
  if (encoding === "proto") {
    return signal === "logs"
      ? encodeLogsProto(batch as LogBatch)
      : encodeMetricsProto(batch as MetricBatch);
  }
  const request =
    signal === "logs"
      ? encodeLogsRequest(batch as LogBatch)
      : encodeMetricsRequest(batch as MetricBatch);
  return Buffer.from(JSON.stringify(request));
}

const REJECTED_FIELD: Record<Signal, string> = {
  logs: "rejectedLogRecords",
  metrics: "rejectedDataPoints",
};

/** The server answers in the request's content type, but trust what it says it sent. */
function isJson(contentType: string | undefined, encoding: Encoding): boolean {
  if (!contentType) return encoding === "json";
  return contentType.split(";")[0]!.trim().toLowerCase() === CONTENT_TYPE.json;
}

/**
 * The partial_success of a 2xx answer; undefined on full success (an empty body included).
 * Throws on a body that is neither, which the caller logs: the data was accepted either way.
 */
export function decodePartialSuccess(
  signal: Signal,
  encoding: Encoding,
  contentType: string | undefined,
  body: Uint8Array,
): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  if (isJson(contentType, encoding)) {
    const parsed = JSON.parse(Buffer.from(body).toString("utf8")) as {
      partialSuccess?: Record<string, unknown>;
      partial_success?: Record<string, unknown>;
    };
    const partial = parsed.partialSuccess ?? parsed.partial_success;
    if (!partial) return undefined;
    const rejected = partial[REJECTED_FIELD[signal]] ?? partial[snake(REJECTED_FIELD[signal])];
    const message = partial.errorMessage ?? partial.error_message;
    return {
      rejected: Number(rejected ?? 0),
      errorMessage: typeof message === "string" ? message : "",
    };
  }
  return signal === "logs" ? decodeLogsResponse(body) : decodeMetricsResponse(body);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The message of a failure body (google.rpc.Status as protobuf or JSON); undefined when the
 * body is something else, such as a proxy's HTML page.
 */
export function statusMessage(
  encoding: Encoding,
  contentType: string | undefined,
  body: Uint8Array,
): string | undefined {
  if (body.length === 0) return undefined;
  try {
    if (isJson(contentType, encoding)) {
      const parsed = JSON.parse(Buffer.from(body).toString("utf8")) as { message?: unknown };
      return typeof parsed.message === "string" ? parsed.message : undefined;
    }
    const media = contentType?.split(";")[0]?.trim().toLowerCase();
    if (media !== undefined && media !== CONTENT_TYPE.proto) return undefined;
    return decodeStatus(body).message || undefined;
  } catch {
    return undefined;
  }
}
