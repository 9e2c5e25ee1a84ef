/**
 * The OTLP wire formats this receiver speaks: request decoding and response / error encoding
 * for protobuf and JSON, per signal. Pure functions over bytes.
 */
import { PermanentError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import { decodeLogsRequest, decodeMetricsRequest } from "../../pdata/otlp-json-decode.js";
import {
  decodeLogsProto,
  decodeMetricsProto,
  encodeLogsResponse,
  encodeMetricsResponse,
  encodeStatus,
  type PartialSuccess,
} from "../../pdata/otlp-proto.js";
import type { Rejections } from "../../pdata/rejections.js";
import type { Signal } from "../../pdata/signal.js";

export type Format = "proto" | "json";

export const CONTENT_TYPE: Record<Format, string> = {
  proto: "application/x-protobuf",
  json: "application/json",
};

/** The media type without parameters (`application/json; charset=utf-8` is JSON). */
export function formatOf(contentType: string | undefined): Format | undefined {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (media === CONTENT_TYPE.proto) return "proto";
  if (media === CONTENT_TYPE.json) return "json";
  return undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new PermanentError(`invalid JSON: ${(error as Error).message}`);
  }
}

export function decodeRequest(
  signal: "logs",
  format: Format,
  body: Buffer,
  rejections: Rejections,
): LogBatch;
export function decodeRequest(
  signal: Signal,
  format: Format,
  body: Buffer,
  rejections: Rejections,
): LogBatch | MetricBatch;
/** Throws PermanentError on malformed input; points the model cannot hold go to `rejections`. */
export function decodeRequest(
  signal: Signal,
  format: Format,
  body: Buffer,
  rejections: Rejections,
): LogBatch | MetricBatch {
  if (signal === "logs") {
    return format === "proto" ? decodeLogsProto(body) : decodeLogsRequest(parseJson(body));
  }
  return format === "proto"
    ? decodeMetricsProto(body, rejections)
    : decodeMetricsRequest(parseJson(body), rejections);
}

const REJECTED_FIELD: Record<Signal, string> = {
  logs: "rejectedLogRecords",
  metrics: "rejectedDataPoints",
};

/** An Export*ServiceResponse: empty on full success, `partial_success` otherwise. */
export function encodeResponse(
  signal: Signal,
  format: Format,
  partial: PartialSuccess | undefined,
): Uint8Array | string {
  if (format === "proto") {
    return signal === "logs" ? encodeLogsResponse(partial) : encodeMetricsResponse(partial);
  }
  if (!partial) return "{}";
  return JSON.stringify({
    partialSuccess: {
      // int64 in proto3 JSON is a decimal string.
      [REJECTED_FIELD[signal]]: String(partial.rejected),
      errorMessage: partial.errorMessage,
    },
  });
}

/** google.rpc.Status, the body OTLP prescribes for every failure. */
export function encodeError(format: Format, code: number, message: string): Uint8Array | string {
  return format === "proto" ? encodeStatus({ code, message }) : JSON.stringify({ code, message });
}

/** gRPC codes for HTTP statuses, as the Collector's OTLP receiver maps them. */
export function grpcCodeForHttp(status: number): number {
  switch (status) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}
